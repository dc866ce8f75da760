"""Shared pieces of the Zendesk tests: a case snapshot factory and an in-memory ledger."""
import dataclasses
from datetime import datetime, timezone

import pytest

from connector.domain.react import load_protocol, plan
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, StageSnapshot
from connector.providers.zendesk.mapping import load_zendesk_mapping
from connector.sandbox.zendesk import create_zendesk_standin

PROTOCOL = load_protocol()  # the default mappings/protocol.json

SUBMITTED_AT = datetime(2026, 11, 20, 16, 37, tzinfo=timezone.utc)
CUSTOMER_EMAIL = "marie.dubois@example.com"
COMMENT = "Service catastrophique, je cherche déjà un autre fournisseur."


class MemoryLedger:
    def __init__(self, **effects):
        self.effects = dict(effects)

    def get(self, key):
        return self.effects.get(key)

    def record(self, key, external_id):
        self.effects[key] = external_id


def _make_case(case_id=42, *, done=(), locale="fr", owner="jane.doe@acme.example", **overrides):
    stages = tuple(
        StageSnapshot(stage.key, stage.title, stage.task_type, stage.ask, due,
                      "done" if stage.key in done else "pending")
        for stage, due in plan(PROTOCOL, SUBMITTED_AT))
    answer_fields = {k: overrides.pop(k) for k in list(overrides)
                     if k in {f.name for f in dataclasses.fields(AnswerSnapshot)}}
    answer = AnswerSnapshot(**{
        "answer_id": 7, "response_id": "srv-123", "customer_email": CUSTOMER_EMAIL,
        "customer_name": "Marie Dubois", "company": "Acme", "survey_type": "nps", "score": 3,
        "category": "detractor", "comment": COMMENT, "locale": locale,
        "submitted_at": SUBMITTED_AT, **answer_fields})
    fields = {
        "case_id": case_id, "answer": answer, "status": "open", "severity": "critical",
        "profile": "chronic", "profile_signals": ("3 tickets in the last 90 days", "word: encore"),
        "value_tier": "critical", "lifetime_value": 47000.0, "priority": "urgent",
        "hubspot_priority": "HIGH", "owner": owner, "stages": stages,
        "history": ("2026-05-02 NPS 8 (passive)",),
    }
    fields.update(overrides)
    return CaseSnapshot(**fields)


@pytest.fixture
def make_case():
    """Factory: ``make_case(case_id=42, done=(), locale="fr", owner=..., **field overrides)``."""
    return _make_case


@pytest.fixture
def case():
    return _make_case()


@pytest.fixture
def ledger():
    return MemoryLedger()


@pytest.fixture
def new_ledger():
    """Factory of fresh, empty ledgers (a retry that lost its ledger write)."""
    return MemoryLedger


@pytest.fixture
def mapping():
    return load_zendesk_mapping()


@pytest.fixture
def app():
    """A fresh Zendesk stand-in."""
    return create_zendesk_standin()


@pytest.fixture
def state(app):
    return app.extensions["zendesk_standin"]
