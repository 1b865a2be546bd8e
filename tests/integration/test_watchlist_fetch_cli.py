"""`interdict watchlist fetch ...`: a real HTTP server on 127.0.0.1 as the publisher, the real Redis as the store."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from typer.testing import CliRunner

from services.shared.settings import Settings, get_settings
from services.watchlist.cli import EXIT_FETCH_FAILED, EXIT_REJECTED, watchlist_app
from services.watchlist.demo_source import BUNDLED_OFAC_DIR
from services.watchlist.fetch import OFAC_SDN_FILES
from services.watchlist.writer import WatchlistWriter
from tests.local_http import Publisher, serving
from tests.support.tokens import administrators

pytestmark = pytest.mark.integration
#: This test's administrators' tokens (INTERDICT_TOKEN is ana's, of CO), made by the store fixture.
TOKENS: dict[str, str] = {}


@pytest.fixture
def store(stack_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[WatchlistWriter]:
    """The real Redis under a key prefix of this test's own, which the CLI picks up from the environment."""
    prefix = f"test-{uuid.uuid4().hex}"
    monkeypatch.setenv("INTERDICT_REDIS_KEY_PREFIX", prefix)
    get_settings.cache_clear()
    settings = stack_settings.model_copy(update={"redis_key_prefix": prefix})
    store = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    TOKENS.update(administrators(settings, monkeypatch))
    yield store
    store.delete_everything()
    get_settings.cache_clear()


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    with serving(tmp_path / "www") as running:
        yield running


def publish_demo_ofac(publisher: Publisher) -> None:
    """The bundled subset, under the names OFAC's Sanctions List Service gives the files."""
    for remote in OFAC_SDN_FILES:
        publisher.publish(BUNDLED_OFAC_DIR / remote.local_name, remote.remote_name)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_ofac(publisher: Publisher, *options: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        watchlist_app, ["fetch", "ofac-sdn", "--base-url", publisher.base_url, "--token", TOKENS["tom"], *options]
    )
    return result.exit_code, result.output


def test_fetch_ofac_downloads_reports_and_imports(store: WatchlistWriter, publisher: Publisher) -> None:
    publish_demo_ofac(publisher)
    code, output = fetch_ofac(publisher, "--sha256", f"sdn.csv={sha256_of(BUNDLED_OFAC_DIR / 'sdn.csv')}")
    assert code == 0, output
    for remote in OFAC_SDN_FILES:
        local = BUNDLED_OFAC_DIR / remote.local_name
        assert f"downloading {publisher.base_url}{remote.remote_name}" in output
        assert f"{remote.local_name}: {local.stat().st_size:,} bytes, sha256 {sha256_of(local)}" in output
    assert store.get("ofac-sdn:4106").primary_name == "HERRERA BUITRAGO, Helmer"
    info = store.info("ofac-sdn")
    assert (info.version, info.owner_country) == (1, "US")
    sdn_rows = [line for line in (BUNDLED_OFAC_DIR / "sdn.csv").read_text().splitlines() if line[:1].isdigit()]
    assert info.entry_count == len(sdn_rows)
    assert store.history(list_id="ofac-sdn", actor="tom")[0].operation == "import"

    code, output = fetch_ofac(publisher)
    assert code == 0 and "ofac-sdn: unchanged at version 1" in output


def test_http_error_imports_nothing(store: WatchlistWriter, publisher: Publisher) -> None:
    publish_demo_ofac(publisher)
    (publisher.root / "ADD.CSV").unlink()
    code, output = fetch_ofac(publisher)
    assert code == EXIT_FETCH_FAILED
    assert f"download failed: {publisher.base_url}ADD.CSV: HTTP 404" in output
    assert "nothing was imported" in output and "Traceback" not in output
    assert store.lists() == []


def test_checksum_mismatch_imports_nothing_and_keeps_the_live_list(
    store: WatchlistWriter, publisher: Publisher
) -> None:
    publish_demo_ofac(publisher)
    assert fetch_ofac(publisher)[0] == 0
    # The publisher now serves a different alt.csv than the administrator was told to expect.
    (publisher.root / "ALT.CSV").write_bytes((BUNDLED_OFAC_DIR / "alt.csv").read_bytes()[:-200])
    code, output = fetch_ofac(publisher, "--sha256", f"alt.csv={sha256_of(BUNDLED_OFAC_DIR / 'alt.csv')}")
    assert code == EXIT_FETCH_FAILED
    assert f"expected {sha256_of(BUNDLED_OFAC_DIR / 'alt.csv')}: not the file expected" in output
    assert "nothing was imported" in output and "Traceback" not in output
    assert store.info("ofac-sdn").version == 1
    assert [record.operation for record in store.history(list_id="ofac-sdn") if record.entry_id is None] == ["import"]


def test_a_page_that_is_not_the_list_is_rejected_whole(store: WatchlistWriter, publisher: Publisher) -> None:
    publish_demo_ofac(publisher)
    (publisher.root / "SDN.CSV").write_text("<html><body>Service unavailable, try later</body></html>\n")
    code, output = fetch_ofac(publisher)
    assert code == EXIT_REJECTED
    assert "rejected:" in output and "sdn.csv:1: expected 12 fields" in output
    assert store.lists() == []


def test_bad_checksum_option_is_refused_before_downloading(store: WatchlistWriter, publisher: Publisher) -> None:
    code, output = fetch_ofac(publisher, "--sha256", "deadbeef")
    assert code != 0 and "NAME=SHA256" in output
    assert store.lists() == []


@pytest.mark.reference
def test_fetch_un_consolidated(store: WatchlistWriter, publisher: Publisher, shared_data: Path) -> None:
    sample = publisher.publish(shared_data / "un-consolidated" / "sample.xml", "consolidated.xml")
    result = CliRunner().invoke(
        watchlist_app,
        ["fetch", "un-consolidated", "--owner", "co", "--share", "countries:MX,PA", "--base-url", publisher.base_url,
         "--sha256", sha256_of(sample)],
    )
    assert result.exit_code == 0, result.output
    assert f"consolidated.xml: {sample.stat().st_size:,} bytes, sha256 {sha256_of(sample)}" in result.output
    info = store.info("un-sc")
    assert info.owner_country == "CO" and info.sharing.countries == ["MX", "PA"]
    assert info.entry_count == 23  # the sample's 15 individuals and 8 entities
