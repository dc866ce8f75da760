"""A customer leaving for a same-category competitor, through the real SDKs and the stand-ins:
one priority level up on the ticket and the tasks, the ``churn_risk`` tag, and the flag in the API."""
import pytest

from tests.signing import answer_payload, just_now

pytestmark = pytest.mark.e2e

CHURN = 'churn risk (leaving for a competitor): "autre fournisseur"'


def test_churn_risk_raises_priority_tags_the_ticket_and_shows_in_the_api(connector_factory, vendors):
    connector = connector_factory()
    moderate_standard = dict(submitted_at=just_now(), score=5, customer={"lifetime_value": 2_000})
    leaving = connector.post(answer_payload(
        response_id="leaving", comment="Livraison ratée, je cherche déjà un autre fournisseur.",
        **moderate_standard)).json()["case_id"]
    staying = connector.post(answer_payload(
        response_id="staying", comment="Livraison ratée, personne ne m'a prévenu.",
        **{**moderate_standard, "customer": {"email": "paul@example.com", "lifetime_value": 2_000}}),
        msg_id="msg_2").json()["case_id"]
    churn_case, plain_case = connector.wait_synced([leaving, staying])

    # the matrix says normal for standard value x moderate severity; the churn risk is one level up
    assert (churn_case["profile"], churn_case["churn_risk"], churn_case["priority"]) == ("disappointed", True, "high")
    assert (plain_case["profile"], plain_case["churn_risk"], plain_case["priority"]) == ("disappointed", False,
                                                                                         "normal")
    assert CHURN in churn_case["profile_signals"]
    assert not any(s.startswith("churn risk") for s in plain_case["profile_signals"])

    ticket = vendors.zendesk.tickets[churn_case["zendesk_ticket_id"]]
    assert ticket["priority"] == "high" and "churn_risk" in ticket["tags"]
    assert {"recovery_disappointed", "value_standard", "severity_moderate"} <= set(ticket["tags"])
    [note] = vendors.zendesk.comments[ticket["id"]]
    assert f"- {CHURN}" in note["body"]  # the agent sees why
    plain_ticket = vendors.zendesk.tickets[plain_case["zendesk_ticket_id"]]
    assert plain_ticket["priority"] == "normal" and "churn_risk" not in plain_ticket["tags"]

    assert {t["properties"]["hs_task_priority"] for t in vendors.tasks_of("marie@example.com")} == {"HIGH"}
    assert {t["properties"]["hs_task_priority"] for t in vendors.tasks_of("paul@example.com")} == {"MEDIUM"}
