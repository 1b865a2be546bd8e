"""POST /screen on the admin API: screening on behalf of the token's holder, against the real Redis."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from services.admin.app import create_app
from services.admin.tokens import Role, TokenStore
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, Sharing, SharingScope, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.writer import WatchlistWriter

pytestmark = pytest.mark.integration

NAVIERA = "Naviera Coral del Istmo"


@pytest.fixture
def settings(stack_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    settings = stack_settings.model_copy(
        update={"redis_key_prefix": f"test-{uuid.uuid4().hex[:10]}", "state_dir": tmp_path / "state"}
    )
    yield settings
    WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix).delete_everything()


@pytest.fixture
def tokens(settings: Settings) -> dict[str, str]:
    store = TokenStore(redis.Redis.from_url(settings.redis_url), settings)
    return {
        "us-desk": store.create("amy.us", Role.DESK, "US"),
        "mx-desk": store.create("luz.mx", Role.DESK, "MX"),
        "pa-reader": store.create("eva.pa", Role.READER, "PA"),
    }


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The API as `interdict admin serve` runs it: its own Redis login from settings."""
    writer = WatchlistWriter(redis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    shared_with_mexico = Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["MX"])
    writer.create_list("pa-uaf", owner_country="PA", sharing=shared_with_mexico, actor="setup")
    writer.add(
        WatchlistEntry(
            entry_id="pa-uaf:1", list_id="pa-uaf", kind=EntityKind.ORGANIZATION, owner_country="PA",
            sharing=shared_with_mexico, names=[EntryName(name="NAVIERA CORAL DEL ISTMO S.A.")],
        ),
        actor="setup",
    )  # fmt: skip
    with TestClient(create_app(settings)) as running:
        yield running


def screened(client: TestClient, token: str, name: str = NAVIERA) -> list[str]:
    answer = client.post("/screen", json={"queries": [{"name": name}]}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    [result] = answer.json()
    return [match["entry_id"] for match in result["matches"]]


def test_an_entry_shared_with_mexico_only_is_not_shown_to_the_us_desk(
    client: TestClient, tokens: dict[str, str]
) -> None:
    assert screened(client, tokens["us-desk"]) == []
    assert screened(client, tokens["mx-desk"]) == ["pa-uaf:1"]
    assert screened(client, tokens["pa-reader"]) == ["pa-uaf:1"]


def test_screening_needs_a_token(client: TestClient) -> None:
    assert client.post("/screen", json={"queries": [{"name": NAVIERA}]}).status_code == 401


def test_a_query_without_name_or_identifier_is_refused(client: TestClient, tokens: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {tokens['us-desk']}"}
    assert client.post("/screen", json={"queries": [{"kind": "person"}]}, headers=headers).status_code == 422
    assert client.post("/screen", json={"queries": [{"nom": "x"}]}, headers=headers).status_code == 422
