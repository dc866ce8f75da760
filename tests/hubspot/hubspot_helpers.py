"""Snapshot factories and a memory ledger shared by the HubSpot tests."""
from datetime import datetime, timezone

from connector.domain.react import load_protocol, plan
from connector.ports.snapshots import AnswerSnapshot, CaseSnapshot, StageSnapshot

PROTOCOL = load_protocol()  # the default mappings/protocol.json

TOKEN = "pat-na1-test-token"
SUBMITTED = datetime(2026, 11, 20, 15, 37, tzinfo=timezone.utc)


class MemoryLedger:
    """EffectLedger in a dict."""

    def __init__(self, entries=None):
        self.entries = dict(entries or {})

    def get(self, key):
        return self.entries.get(key)

    def record(self, key, external_id):
        self.entries[key] = external_id


def make_answer(score=3, category="detractor", email="marie@example.com", comment="Service catastrophique",
                submitted_at=SUBMITTED, answer_id=1, name="Marie Dubois", survey_type="nps"):
    return AnswerSnapshot(answer_id=answer_id, response_id=f"srv-{answer_id}", customer_email=email,
                          customer_name=name, company="Acme", survey_type=survey_type, score=score,
                          category=category, comment=comment, locale="fr", submitted_at=submitted_at)


def make_case(answer=None, case_id=42, status="open", owner="exec@example.com", done=(), **overrides):
    answer = answer or make_answer()
    stages = tuple(StageSnapshot(key=s.key, title=s.title, task_type=s.task_type, ask=s.ask, due_at=due,
                                 status="done" if s.key in done else "pending")
                   for s, due in plan(PROTOCOL, answer.submitted_at))
    fields = dict(case_id=case_id, answer=answer, status=status, severity="critical", profile="chronic",
                  profile_signals=("again",), value_tier="critical", lifetime_value=47000.0,
                  priority="urgent", hubspot_priority="HIGH", owner=owner, stages=stages)
    fields.update(overrides)
    return CaseSnapshot(**fields)
