"""The Zendesk listing's screenshots are captures of the real sidebar, 1024x768 (Zendesk's size,
zendesk_apps_support validations/screenshots.rb), made by this test so they follow the sidebar's
look. Every run captures them into test-artifacts/ and checks them; with
``RECOVERY_UPDATE_SCREENSHOTS=1`` (``make screenshots``) they replace
``manifest/zendesk/assets/screenshot-N.png``."""
import html
import os
import shutil
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.conftest import ADMIN_TOKEN
from tests.ui_support import open_case

pytestmark = pytest.mark.browser
ASSETS = Path(__file__).resolve().parents[2] / "manifest/zendesk/assets"
SIZE = (1024, 768)
ZAF_STUB = """window.ZAFClient = {init: function () { return {
  get: function () { return Promise.resolve({"ticket.id": %d}); }, invoke: function () {}, on: function () {} }; }};"""


def _ago(**delta) -> str:
    return (datetime.now(timezone.utc) - timedelta(**delta)).isoformat()


def _capture(browser, live, ticket_id: int, name: str) -> Path:
    """The sidebar as Zendesk loads it (its signed JWT POSTed), one 1024x768 viewport, no scaling."""
    context = browser.new_context(viewport={"width": SIZE[0], "height": SIZE[1]}, device_scale_factor=1)
    context.route("https://static.zdassets.com/**", lambda route: route.abort())
    try:
        page = context.new_page()
        page.add_init_script(ZAF_STUB % ticket_id)
        page.set_content(f"""<form id="f" method="post" action="{live.base}/zendesk/sidebar">
          <input type="hidden" name="token" value="{html.escape(live.keys.token())}"></form>""")
        page.eval_on_selector("#f", "form => form.submit()")
        page.wait_for_selector("section.case")
        page.wait_for_load_state("networkidle")
        ARTIFACTS.mkdir(exist_ok=True)
        target = ARTIFACTS / name
        page.screenshot(path=str(target), full_page=False)
        return target
    finally:
        context.close()


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_listing_screenshots_are_captures_of_the_sidebar(browser, live):
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    open_case(live.runtime, live.client, ticket_id=5101, response_id="srv-shot-new", submitted_at=_ago(hours=30),
              email="marie.dubois@example.com")
    in_progress = open_case(live.runtime, live.client, ticket_id=5102, response_id="srv-shot-progress",
                            submitted_at=_ago(days=9), email="jean.martin@example.com")
    for stage in ("recognition", "empathy", "action"):
        assert live.client.post(f"/api/cases/{in_progress}/stages/{stage}/complete", headers=admin).status_code == 200
    gesture = {"compensation": {"type": "credit", "amount": "150", "currency": "EUR", "note": "two months"}}
    assert live.client.post(f"/api/cases/{in_progress}/stages/compensation/complete", json=gesture,
                            headers=admin).status_code == 200
    shots = [_capture(browser, live, 5101, "screenshot-0.png"), _capture(browser, live, 5102, "screenshot-1.png")]
    assert [_png_size(shot) for shot in shots] == [SIZE, SIZE]
    assert len({shot.read_bytes() for shot in shots}) == 2, "two different cases, two different screens"
    if os.environ.get("RECOVERY_UPDATE_SCREENSHOTS"):
        for shot in shots:
            shutil.copyfile(shot, ASSETS / shot.name)
    committed = sorted(ASSETS.glob("screenshot-*.png"))
    assert [p.name for p in committed] == [s.name for s in shots] and all(_png_size(p) == SIZE for p in committed)
