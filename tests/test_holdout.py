"""The holdout experiment (issue 13, item 3): drawn per case at intake, recorded, never for
critical value or VIPs, and a held-out case gets only the recognition and the re-survey."""
import math
import random

from sqlalchemy import select

from connector.cases import intake
from connector.cases.holdout import holdout_draw
from connector.domain.holdout import HOLDOUT_STAGE_KEYS, HoldoutSetting
from connector.domain.react import STAGE_KEYS
from connector.inbound.schemas import validate_answer
from connector.ports.keys import task_natural_key
from connector.store.db import transaction
from connector.store.models import Case
from tests.conftest import drain, plan
from tests.signing import answer_payload, post_answer

Z_999 = 3.2905  # two-sided 99.9% normal quantile


def _customer(number: int) -> dict:
    """Every 10th a VIP, every 10th (offset 1) critical value, every 10th (offset 2) high value."""
    value = {1: 50000, 2: 20000}.get(number % 10, 800)
    return {"email": f"c{number}@example.com", "lifetime_value": value, "vip": number % 10 == 0}


def _accept(rt, number: int, draw: intake.HoldoutDraw) -> int:
    data = validate_answer(answer_payload(response_id=f"r{number}", customer=_customer(number)))
    return intake.accept(rt.sessions, rt.policies, data, source="generic", now=rt.clock(), holdout=draw).body["case_id"]


def _cases(rt) -> list[Case]:
    with transaction(rt.sessions) as session:
        cases = list(session.scalars(select(Case).order_by(Case.id)))
        for case in cases:
            _ = [s.key for s in case.stages]  # loaded before the session closes
        return cases


def test_half_of_400_seeded_cases_within_binomial_bounds(frozen_runtime):
    draw = intake.HoldoutDraw(HoldoutSetting(0.5), random.Random(13).random)
    for number in range(400):
        _accept(frozen_runtime, number, draw)
    plan(frozen_runtime)
    cases = _cases(frozen_runtime)
    eligible = [c for c in cases if c.holdout_draw is not None]
    # Only standard, non-VIP cases are drawn: 7 in 10 of the 400.
    assert len(eligible) == 280 and all(c.value_tier == "standard" for c in eligible)
    held = sum(c.holdout for c in cases)
    n, p = len(eligible), 0.5
    low, high = n * p - Z_999 * math.sqrt(n * p * (1 - p)), n * p + Z_999 * math.sqrt(n * p * (1 - p))
    assert low <= held <= high, (held, low, high)  # 140 +- 27.5
    never = [c for c in cases if c.value_tier in ("critical", "high") or c.customer_email.startswith("c") and
             int(c.customer_email[1:].split("@")[0]) % 10 == 0]
    assert never and not any(c.holdout for c in never)
    for case in cases:
        keys = [s.key for s in case.stages]
        assert keys == (list(HOLDOUT_STAGE_KEYS) if case.holdout else [s.key for s in frozen_runtime.policies.protocol])


def test_share_zero_holds_none_out(frozen_runtime):
    for number in range(30):
        _accept(frozen_runtime, number, intake.NO_HOLDOUT)
    assert not any(c.holdout or c.holdout_draw is not None for c in _cases(frozen_runtime))


def test_the_same_seed_draws_the_same_cases(db_url):
    from tests.conftest import make_config, make_runtime

    def held(seed):
        rt = make_runtime(make_config(db_url))
        rt.rng = random.Random(seed)
        rt.config["HOLDOUT_SHARE"] = 0.5
        try:
            return [holdout_draw(rt, "default").source() for _ in range(5)]
        finally:
            rt.engine.dispose()
    assert held(7) == held(7) != held(8)


def test_held_out_cases_get_no_call_tasks(frozen_runtime, fake_hubspot):
    draw = intake.HoldoutDraw(HoldoutSetting(0.5), random.Random(5).random)
    ids = [_accept(frozen_runtime, number, draw) for number in range(3, 10)]  # standard and high values
    drain(frozen_runtime)
    cases = {c.id: c for c in _cases(frozen_runtime)}
    held = [i for i in ids if cases[i].holdout]
    treated = [i for i in ids if not cases[i].holdout]
    assert held and treated
    calls = {s.key for s in frozen_runtime.policies.protocol if s.task_type == "CALL"}
    assert calls
    for case_id in held:
        tasks = {key for key in STAGE_KEYS if task_natural_key(case_id, key) in fake_hubspot.tasks}
        assert tasks == set(HOLDOUT_STAGE_KEYS) and not tasks & calls
    assert len(fake_hubspot.tasks) == 2 * len(held) + 8 * len(treated)


def test_setting_through_the_webhook_shows_on_the_case(runtime, client, admin_headers):
    runtime.config.update(HOLDOUT_SHARE=1.0, HOLDOUT_TIERS="standard")
    standard = post_answer(client, answer_payload(response_id="s", customer={"email": "s@example.com",
                                                                             "lifetime_value": 500}))
    vip = post_answer(client, answer_payload(response_id="v", customer={"email": "v@example.com",
                                                                        "lifetime_value": 500, "vip": True}))
    shown = client.get(f"/api/cases/{standard.get_json()['case_id']}", headers=admin_headers).get_json()
    assert shown["holdout"] is True and [s["key"] for s in shown["stages"]] == list(HOLDOUT_STAGE_KEYS)
    empathy = client.post(f"/api/cases/{shown['id']}/stages/empathy/complete", headers=admin_headers)
    assert empathy.status_code == 404 and "held out" in empathy.get_json()["message"]
    recognised = client.post(f"/api/cases/{shown['id']}/stages/recognition/complete", headers=admin_headers)
    assert recognised.status_code == 200
    vip_case = client.get(f"/api/cases/{vip.get_json()['case_id']}", headers=admin_headers).get_json()
    assert vip_case["holdout"] is False and len(vip_case["stages"]) == 8


def test_a_share_outside_zero_to_one_refuses_to_start():
    import pytest

    from connector.config import ConfigError, load_config

    assert load_config({"RECOVERY_HOLDOUT_SHARE": "0.2"})["HOLDOUT_SHARE"] == 0.2
    with pytest.raises(ConfigError, match="HOLDOUT_SHARE"):
        load_config({"RECOVERY_HOLDOUT_SHARE": "1.5"})


def test_the_report_reads_the_draw_and_the_values_from_the_store(frozen_runtime):
    from connector.cases.reporting import metrics_report

    draw = intake.HoldoutDraw(HoldoutSetting(0.5), random.Random(21).random)
    for number in range(3, 10):  # standard (800) and high (20 000) values, no VIP
        _accept(frozen_runtime, number, draw)
    with transaction(frozen_runtime.sessions) as session:
        for case in session.scalars(select(Case)):  # every other case recovered, the rest failed
            case.status, case.outcome = "closed", "promoter" if case.id % 2 else "failed"
    cases = _cases(frozen_runtime)
    with transaction(frozen_runtime.sessions) as session:
        report = metrics_report(session)
    held = [c for c in cases if c.holdout]
    assert report["holdout"]["holdout"] == {
        "recovered": sum(c.id % 2 for c in held), "closed": len(held),
        "rate": round(sum(c.id % 2 for c in held) / len(held), 4)}
    assert report["revenue"]["at_risk"] == sum(c.lifetime_value for c in cases)
    assert report["revenue"]["preserved"] == sum(c.lifetime_value for c in cases if c.id % 2)


def test_the_dashboard_shows_treated_against_holdout(runtime, client):
    import re

    from tests.conftest import ADMIN_TOKEN

    draws = iter([0.1, 0.9, 0.2])  # held out, treated, held out
    draw = intake.HoldoutDraw(HoldoutSetting(0.5), lambda: next(draws))
    for number in (3, 4, 5):  # standard values
        _accept(runtime, number, draw)
    with transaction(runtime.sessions) as session:
        for case in session.scalars(select(Case)):  # case 1 (held out) recovered, the others failed
            case.status, case.outcome = "closed", "promoter" if case.id == 1 else "failed"
    client.post("/dashboard/login", data={"token": ADMIN_TOKEN})
    page = client.get("/dashboard").text
    section = re.search(r'<div id="holdout">(.*?)</div>', page, re.S).group(1)
    widths = {name: float(width) for name, width in re.findall(r'data-group="(\w+)" x="80" y="\d+" width="([\d.]+)"', section)}
    assert widths == {"treated": 0.0, "holdout": 110.0}  # 0% and 50% of the 220-wide track
    assert "0.0% (0/1)" in section and "50.0% (1/2)" in section
    assert "Difference -50.0 points" in section


def test_a_company_sets_its_own_holdout(runtime, admin_headers):
    import json

    from connector.installs import store
    from connector.installs.crypto import TokenCipher, generate_key
    from connector.web.app import create_app
    from tests.signing import OTHER_SECRET, signed_headers

    runtime.directory.cipher = TokenCipher(generate_key())
    client = create_app(runtime.config, runtime=runtime).test_client()
    with transaction(runtime.sessions) as session:
        store.set_tenant_secrets(session, runtime.directory.cipher, "t_held", {"WEBHOOK_SECRET": OTHER_SECRET})
    refused = client.put("/api/tenants/t_held/secrets", headers=admin_headers,
                         json={"HOLDOUT_SHARE": "1.5", "HOLDOUT_TIERS": "standard critical"})
    assert refused.status_code == 422 and set(refused.get_json()["fields"]) == {"HOLDOUT_SHARE", "HOLDOUT_TIERS"}
    assert client.put("/api/tenants/t_held/secrets", headers=admin_headers,
                      json={"HOLDOUT_SHARE": "1", "HOLDOUT_TIERS": "standard"}).status_code == 200

    def send(path, response_id):
        body = json.dumps(answer_payload(response_id=response_id, customer={"email": f"{response_id}@example.com",
                                                                            "lifetime_value": 500})).encode()
        secret = {"secret": OTHER_SECRET} if path.startswith("/t/") else {}
        answered = client.post(path, data=body, headers=signed_headers(body, **secret))
        assert answered.status_code == 202, answered.get_json()
        return client.get(f"/api/cases/{answered.get_json()['case_id']}", headers=admin_headers).get_json()

    assert send("/t/t_held/webhooks/surveys/generic", "held")["holdout"] is True
    assert send("/webhooks/surveys/generic", "mine")["holdout"] is False  # the deployment's setting: off
    # A company's "0" turns off the deployment's experiment for its customers.
    runtime.config["HOLDOUT_SHARE"] = 1.0
    with transaction(runtime.sessions) as session:
        store.set_tenant_secrets(session, runtime.directory.cipher, "t_other",
                                 {"WEBHOOK_SECRET": OTHER_SECRET, "HOLDOUT_SHARE": "0"})
    assert send("/t/t_other/webhooks/surveys/generic", "other")["holdout"] is False
    assert send("/webhooks/surveys/generic", "mine-now")["holdout"] is True
