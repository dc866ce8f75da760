"""The screens: Zendesk ticket sidebar, HubSpot card, admin dashboard (one blueprint, ``bp``).

``blueprint`` makes ``bp``; ``common`` holds what the screens share (signed tokens,
the runtime, stage rows); ``sidebar``, ``card`` and ``dashboard`` add their routes to
``bp`` as they load. This package imports them all, so ``connector.web.ui.bp`` has
every route; none of them imports the package back.
"""
from connector.web.ui import card, company_card, dashboard, docs, sandbox_screens, sidebar  # noqa: F401  (loading them puts their routes on bp)
from connector.web.ui.blueprint import bp
from connector.web.ui.common import serializer  # the OAuth join links are signed with the screens' key

__all__ = ["bp", "serializer"]
