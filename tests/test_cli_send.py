"""``recovery send FILE…``: signs with the configured secret, dates the answer now, one line per file."""
import json
import os
from datetime import datetime, timedelta, timezone

import pytest
import requests
import responses
from click.testing import CliRunner
from standardwebhooks.webhooks import Webhook

from connector.cli import main
from connector.infra.resources import data_folder
from tests.conftest import SECRET

URL = "http://connector.test"
ENDPOINT = f"{URL}/webhooks/surveys/generic"
MARIE = data_folder("webhooks/samples") / "01-marie-nps-3.json"
ANA = data_folder("webhooks/samples") / "07-ana-nps-10.json"


@pytest.fixture
def env(monkeypatch):
    for name in [n for n in os.environ if n.startswith("RECOVERY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RECOVERY_WEBHOOK_SECRET", SECRET)


def send(*args):
    return CliRunner().invoke(main, ["send", "--url", URL, *map(str, args)])


@responses.activate
def test_each_answer_is_signed_with_the_configured_secret_and_dated_now(env):
    responses.post(ENDPOINT, json={"response_id": "sample-01-marie", "case_id": 7}, status=202)
    responses.post(ENDPOINT, json={"response_id": "sample-07-ana", "case_id": None}, status=202)
    before = datetime.now(timezone.utc).replace(microsecond=0)
    result = send(MARIE, ANA)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["01-marie-nps-3.json: 202 accepted: case 7",
                                          "07-ana-nps-10.json: 202 accepted: no case (not a detractor)"]
    for call, path in zip(responses.calls, (MARIE, ANA)):
        sent = Webhook(SECRET).verify(call.request.body, dict(call.request.headers))  # an independent verifier
        written = json.loads(path.read_text(encoding="utf-8"))
        assert {k: v for k, v in sent.items() if k != "submitted_at"} == \
            {k: v for k, v in written.items() if k != "submitted_at"}
        submitted = datetime.fromisoformat(sent["submitted_at"])
        assert before <= submitted <= datetime.now(timezone.utc) + timedelta(seconds=1)


@responses.activate
def test_keep_date_sends_the_file_as_written(env):
    responses.post(ENDPOINT, json={"response_id": "sample-01-marie", "case_id": 7}, status=202)
    assert send("--keep-date", MARIE).exit_code == 0
    sent = json.loads(responses.calls[0].request.body)
    assert sent["submitted_at"] == json.loads(MARIE.read_text(encoding="utf-8"))["submitted_at"]


@responses.activate
def test_a_refused_answer_names_every_bad_field_and_exits_1(env, tmp_path):
    responses.post(ENDPOINT, json={"response_id": "x", "case_id": 7}, status=200)
    responses.post(ENDPOINT, status=422, json={"error": "validation_failed", "fields": {
        "score": ["must be between 0 and 10 for nps"], "customer": {"email": ["Not a valid email address."]}}})
    result = send(MARIE, MARIE)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "01-marie-nps-3.json: 200 already received: case 7",
        "01-marie-nps-3.json: 422 score: must be between 0 and 10 for nps; customer.email: Not a valid email address."]


@responses.activate
def test_a_wrong_secret_says_what_the_connector_said(env):
    responses.post(ENDPOINT, status=401, json={"error": "invalid_signature", "message": "no signature matches"})
    result = send(MARIE)
    assert result.exit_code == 1 and result.output.splitlines() == ["01-marie-nps-3.json: 401 no signature matches"]


@responses.activate
def test_nothing_answering_is_one_line(env):
    responses.post(ENDPOINT, body=requests.ConnectionError("refused"))
    result = send(MARIE)
    assert result.exit_code == 1 and result.output.splitlines() == [
        f"Error: nothing answers at {URL}: start the connector (`make run`, `recovery serve`) or pass --url"]


@responses.activate
def test_a_file_that_is_not_json_stops_before_anything_is_sent(env, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"score": 3,', encoding="utf-8")
    result = send(MARIE, broken)
    assert result.exit_code == 1 and len(responses.calls) == 0
    assert result.output.splitlines() == [f"Error: {broken}: not valid JSON (line 1, column 13: Expecting "
                                          "property name enclosed in double quotes)"]


def test_without_a_secret_it_says_where_to_find_one(env, monkeypatch):
    monkeypatch.delenv("RECOVERY_WEBHOOK_SECRET")
    result = send(MARIE)
    assert result.exit_code == 1 and result.output.splitlines() == [
        "Error: RECOVERY_WEBHOOK_SECRET is not set: use the connector's (`recovery serve --sandbox` and "
        "`make run` print the one they invented)"]
