"""The desk console in a real browser: Debian's headless chromium driven by Playwright, on the whole
pipeline (ingest, matcher, notifier, desk store and the console as worker processes).

An officer signs in with a desk token, watches the list; a manifest that hits a watchlist entry is
published, and its alert appears on the page without a reload; the officer opens it and
acknowledges it, and the event is on `actions.mx` and the state in the desk's store.

Playwright never downloads a browser here: it drives Debian's chromium (`make setup` installs it).
Screenshots go to test-artifacts/console/ (ignored by git), for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from services.admin.tokens import Role, TokenStore
from services.desk.store import DeskStore
from services.shared.settings import PROJECT_ROOT, Settings
from tests.e2e.test_pipeline import SAMPLE_FEED, import_watchlist, publish
from tests.support.desk import actions_on
from tests.support.pipeline import wait_for, workers

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "console"
#: The manifest of the sample feed that hits OFAC entry 7156, for the US, Colombia and Mexico.
MANIFEST = "MZO-2026-11-0001"
ENTRY = "ofac-sdn:7156"

os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"  # whatever happens, never fetch a browser


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("Debian's chromium is not installed: `make setup` installs it (apt-get install chromium)")
    return found


@pytest.fixture
def screenshots() -> Iterator[Path]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    yield ARTIFACTS


def one_manifest(tmp_path: Path) -> Path:
    line = next(line for line in SAMPLE_FEED.read_text().splitlines() if f'"manifest_id": "{MANIFEST}"' in line)
    path = tmp_path / "one-manifest.jsonl"
    path.write_text(line + "\n")
    return path


def test_an_alert_appears_live_in_the_browser_and_is_acknowledged_there(
    isolated_settings: Settings, demo_watchlist: Path, tmp_path: Path, screenshots: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    settings = isolated_settings
    import_watchlist(settings, demo_watchlist)
    token = TokenStore(redis.Redis.from_url(settings.redis_url), settings).create("ana.mx", Role.DESK, "MX")
    console = f"http://{settings.web_host}:{settings.console_port}"
    with (
        workers(settings, tmp_path / "logs", "ingest", "matcher", "notifier", "deskstore", "console"),
        sync_playwright() as playwright,
    ):
        wait_for(lambda: _ready(console), "the console to be ready", timeout_s=60)
        browser = playwright.chromium.launch(executable_path=chromium(), headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 900})

        page.goto(f"{console}/login")
        page.fill("input[name=token]", token)
        page.click("button[type=submit]")
        page.wait_for_url(f"{console}/desks/mx")
        expect(page.locator("#live")).to_have_attribute("data-live", "connected", timeout=15_000)
        page.evaluate("window.stillTheSamePage = true")  # gone if the page were reloaded
        page.screenshot(path=screenshots / "1-empty-list.png", full_page=True)

        publish(settings, one_manifest(tmp_path))
        row = page.locator("tr.alert-row").first
        expect(row).to_contain_text(MANIFEST, timeout=60_000)
        expect(row).to_contain_text(ENTRY)
        assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"
        page.screenshot(path=screenshots / "2-alert-pushed.png", full_page=True)

        alert_id = row.get_attribute("data-alert-id")
        assert alert_id
        row.locator("a").click()
        page.wait_for_url(f"{console}/desks/mx/alerts/{alert_id}")
        expect(page.locator(".route-diagram")).to_be_visible()
        expect(page.locator("#state")).to_have_attribute("data-state", "new")
        page.screenshot(path=screenshots / "3-alert-page.png", full_page=True)

        page.fill("form[action$='/acknowledge'] input[name=note]", "en camino")
        page.click("#acknowledge")
        expect(page.locator("#state")).to_have_attribute("data-state", "acknowledged", timeout=30_000)
        expect(page.locator("#done")).to_be_visible()
        page.screenshot(path=screenshots / "4-acknowledged.png", full_page=True)
        browser.close()

    [event] = actions_on(settings, "MX")
    assert (event.action.value, event.alert_id, event.actor, event.note) == (
        "acknowledge",
        alert_id,
        "ana.mx",
        "en camino",
    )
    store = DeskStore(settings.desk_store_path("MX"), "MX")
    try:
        stored = store.get(alert_id)
        assert stored is not None and (stored.status.state.value, stored.status.changed_by) == (
            "acknowledged",
            "ana.mx",
        )
    finally:
        store.close()


def _ready(console: str) -> bool:
    try:
        return httpx.get(f"{console}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
