"""Which holdout setting an intake uses: the deployment's (``RECOVERY_HOLDOUT_SHARE``,
``RECOVERY_HOLDOUT_TIERS``), which a company's own tenant settings override for that company
(``TenantDirectory.settings`` lays them over the deployment's, as ``CALLS_ON_BUSINESS_HOURS``).

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


def _setting(values: dict[str, Any]) -> HoldoutSetting:
    share, tiers = values.get("HOLDOUT_SHARE"), values.get("HOLDOUT_TIERS") or None
    try:
        return HoldoutSetting(parse_share(share), parse_tiers(tiers))
    except (TypeError, ValueError):
        # Validated on the way in; an unreadable stored value must never hold cases out.
        log.warning("holdout setting unreadable: holdout off")
        return HoldoutSetting()


def holdout_draw(rt: CaseContext, tenant_id: str) -> HoldoutDraw:
    """The tenant's setting with the runtime's random source; ``NO_HOLDOUT`` when it is off."""
    directory = getattr(rt, "directory", None)
    if tenant_id == DEFAULT_TENANT or directory is None:
        setting = _setting(rt.config)
    else:
        setting = _setting(directory.settings(tenant_id) or {})
    if not setting.on:
        return NO_HOLDOUT
    source: random.Random = getattr(rt, "rng", None) or random.Random()
    return HoldoutDraw(setting, source.random)
