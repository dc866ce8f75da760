"""Logs carry ids and statuses, never the customer's email or comment, nor a secret."""
import logging

from connector.infra.logs import install_redaction, redact
from tests.conftest import ADMIN_TOKEN, drain
from tests.fakes import rejection
from tests.signing import SECRET, answer_payload, post_answer

COMMENT = "Service catastrophique, je cherche déjà un autre fournisseur."


def test_redact_masks_emails_and_installed_secrets():
    assert redact("GET /api/cases?email=marie%40example.com") == "GET /api/cases?email=[email]"
    install_redaction([ADMIN_TOKEN])
    assert redact(f"token {ADMIN_TOKEN}") == "token [secret]"


def test_redact_masks_credentials_in_urls_but_keeps_the_rest():
    line = '"GET /oauth/hubspot/callback?code=na1-5f2e&state=eyJub25jZSI6.abc HTTP/1.1" 302'
    assert redact(line) == '"GET /oauth/hubspot/callback?code=[redacted]&state=[redacted] HTTP/1.1" 302'
    assert redact("GET /oauth/zendesk/install?subdomain=acme&join=InQxIg.sig") == \
        "GET /oauth/zendesk/install?subdomain=acme&join=[redacted]"
    assert redact("GET /api/cases?status=open&encode=1") == "GET /api/cases?status=open&encode=1"


def test_full_flow_logs_no_personal_data_or_secret(frozen_runtime, fake_hubspot, caplog):
    from connector.web.app import create_app

    caplog.set_level(logging.DEBUG)
    app = create_app(frozen_runtime.config, runtime=frozen_runtime)
    client = app.test_client()
    fake_hubspot.fail_with(rejection())
    case_id = post_answer(client, answer_payload())
    post_answer(client, answer_payload(), msg_id="dup")
    client.post("/webhooks/surveys/generic", json={"customer": {"email": "marie@example.com"}})
    drain(frozen_runtime)
    client.get("/api/cases?email=marie@example.com", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    logging.getLogger("probe").info("leak attempt %s %s", "marie@example.com", SECRET)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert case_id.status_code == 202
    assert "answer accepted" in text and "job failed" in text  # the flow did log
    for forbidden in ("marie@example.com", "Marie Dubois", COMMENT, SECRET, ADMIN_TOKEN,
                      SECRET.removeprefix("whsec_")):
        assert forbidden not in text


def test_an_answer_that_opens_no_case_is_logged_at_debug_one_that_opens_one_at_info(frozen_runtime, caplog):
    # Issue 16: a log line per accepted answer was 6% of the web's CPU; the delivery log holds each.
    from connector.web.app import create_app

    caplog.set_level(logging.DEBUG, logger="connector.cases.intake")
    client = create_app(frozen_runtime.config, runtime=frozen_runtime).test_client()
    assert post_answer(client, answer_payload(response_id="promoter", score=10)).status_code == 202
    assert post_answer(client, answer_payload(response_id="detractor", score=2)).status_code == 202
    accepted = [(record.levelno, record.getMessage()) for record in caplog.records
                if record.getMessage().startswith("answer accepted")]
    assert [level for level, _ in accepted] == [logging.DEBUG, logging.INFO]
    assert "case_id=None category=promoter" in accepted[0][1] and "category=detractor" in accepted[1][1]


def test_a_failed_job_is_logged_with_the_errors_kind_and_codes_never_its_message(frozen_runtime, fake_zendesk,
                                                                                 caplog):
    from connector.providers.zendesk.client import ZendeskPermanentError
    from tests.test_worker import accept

    caplog.set_level(logging.INFO, logger="connector.jobs.worker")
    refused = ZendeskPermanentError(f"ticket create 422: comment {COMMENT!r} is invalid", status=422,
                                    code="RecordInvalid", fields=("due_at", "<b>x</b>"))
    fake_zendesk.open_tickets = lambda items, limit: {item.key: refused for item in items}
    accept(frozen_runtime)
    drain(frozen_runtime)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("job failed")]
    assert "kind=zendesk.sync_case" in line and "now=dead" in line
    assert line.endswith("error=ZendeskPermanentError 422 RecordInvalid fields=due_at")
    assert COMMENT not in line and "<b>" not in line
