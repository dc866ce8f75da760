"""Which holdout setting an intake uses: the tenant's own ``HOLDOUT_SHARE`` / ``HOLDOUT_TIERS``
(tenant settings), else the deployment's (``RECOVERY_HOLDOUT_SHARE``, ``RECOVERY_HOLDOUT_TIERS``).

The draw source is the runtime's ``rng`` (a ``random.Random``), so a test seeds it and
gets the same cases held out every run.
"""
import logging
import random
from typing import Any

from connector.cases.context import CaseContext
from connector.cases.intake import NO_HOLDOUT, HoldoutDraw
from connector.domain.holdout import HoldoutSetting, parse_share, parse_tiers
from connector.installs import DEFAULT_TENANT

log = logging.getLogger(__name__)


def _setting(values: dict[str, Any], fallback: dict[str, Any]) -> HoldoutSetting:
    share = values.get("HOLDOUT_SHARE") or fallback.get("HOLDOUT_SHARE")
    tiers = values.get("HOLDOUT_TIERS") or fallback.get("HOLDOUT_TIERS")
    try:
        return HoldoutSetting(parse_share(share), parse_tiers(tiers))
    except (TypeError, ValueError):
        # Validated on the way in; an unreadable stored value must never hold cases out.
        log.warning("holdout setting unreadable: holdout off")
        return HoldoutSetting()


def holdout_draw(rt: CaseContext, tenant_id: str) -> HoldoutDraw:
    """The tenant's setting with the runtime's random source; ``NO_HOLDOUT`` when it is off."""
    directory = getattr(rt, "directory", None)
    own = {} if tenant_id == DEFAULT_TENANT or directory is None else (directory.settings(tenant_id) or {})
    setting = _setting(own, rt.config)
    if not setting.on:
        return NO_HOLDOUT
    source: random.Random = getattr(rt, "rng", None) or random.Random()
    return HoldoutDraw(setting, source.random)
