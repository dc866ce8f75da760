"""Survey tools asked to send the day-60 re-survey (``ports.vendors.ResurveyPort``)."""
from collections.abc import Mapping
from typing import Any

from connector.providers.surveys.delighted import DelightedResurvey
from connector.providers.surveys.outbound_webhook import ResurveyWebhook, Signer

__all__ = ["DelightedResurvey", "ResurveyWebhook", "Signer", "senders"]


def senders(settings: Mapping[str, Any], signer: Signer | None) -> dict[str, Any]:
    """The tools one account's settings configure, by channel: Delighted with
    ``DELIGHTED_API_KEY``, the outbound webhook with ``RESURVEY_WEBHOOK_URL`` and its signer."""
    found: dict[str, Any] = {}
    if settings.get("DELIGHTED_API_KEY"):
        found["delighted"] = DelightedResurvey(settings["DELIGHTED_API_KEY"], settings.get("DELIGHTED_BASE_URL"))
    if settings.get("RESURVEY_WEBHOOK_URL") and signer is not None:
        found["webhook"] = ResurveyWebhook(settings["RESURVEY_WEBHOOK_URL"], signer)
    return found
