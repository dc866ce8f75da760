"""Every rule mapping, loaded and validated once at start, and what they say about one case.

Pure: callers pass store facts in and get routing, profile and texts out.
"""
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from connector.domain import causes, compensation, failure, playbooks, profile, react, routing, rules, templates
from connector.domain.confirmation import confirmation_draft
from connector.domain.signals import DEFAULT_RULES, SignalRules, load_signal_rules


@dataclass(frozen=True)
class Policies:
    rules: dict[str, Any]
    profile: profile.ProfileRules
    routing: routing.Routing
    templates: templates.Templates
    compensation: compensation.CompensationGrid
    protocol: react.ReactProtocol     # the stages: titles, offsets, task types, standard asks
    playbooks: playbooks.Playbooks    # per profile, the stage asks it replaces
    failure: failure.FailureRules
    causes: causes.CauseRules         # root-cause taxonomy and the systemic-issue rule
    signals: SignalRules = DEFAULT_RULES  # weak signals and the weekly digest


def load_policies(directory: Path | str | None = None) -> Policies:
    return Policies(rules=rules.load_rules(directory), profile=profile.load_profile_rules(directory),
                    routing=routing.load_routing(directory), templates=templates.load_templates(directory),
                    compensation=compensation.load_compensation(directory),
                    protocol=react.load_protocol(directory), playbooks=playbooks.load_playbooks(directory),
                    failure=failure.load_failure_rules(directory),
                    signals=load_signal_rules(directory), causes=causes.load_cause_rules(directory))


def stage_asks(case_profile: str | None, value_tier: str, policies: Policies) -> dict[str, str]:
    """Every stage's instruction for this case: the protocol's standard ask, replaced by the case
    profile's playbook where it has one, and the compensation guidance by tier."""
    asks = {stage.key: stage.ask for stage in policies.protocol}
    asks.update(policies.playbooks.get(case_profile or "", {}))
    asks["compensation"] = compensation.compensation_guidance(value_tier, case_profile,
                                                               grid=policies.compensation)
    return asks


def recognition(locale: str | None, customer_name: str | None, comment: str | None, owner_name: str | None,
                policies: Policies) -> str | None:
    if not owner_name:
        return None
    return templates.recognition_draft(
        locale, first_name=templates.first_name(customer_name), owner_name=owner_name,
        topic=templates.comment_topic(comment, locale, templates=policies.templates),
        templates=policies.templates)


def confirmation(locale: str | None, customer_name: str | None, owner_name: str | None,
                 promises: Sequence[tuple[str, str, datetime]], policies: Policies) -> str | None:
    """The action plan's written confirmation for the customer, or None (no promise, no owner)."""
    return confirmation_draft(locale, first_name=templates.first_name(customer_name), owner_name=owner_name,
                              promises=promises, templates=policies.templates)
