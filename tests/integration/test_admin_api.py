"""The watchlist admin API against the dev Redis, each test under its own key prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from services.admin.app import create_app
from services.admin.denied import DeniedLog
from services.admin.tokens import Role, TokenStore
from services.shared.models.watchlist import WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.writer import WatchlistWriter

pytestmark = pytest.mark.integration


@dataclass
class Api:
    client: TestClient
    store: WatchlistWriter
    denied: DeniedLog
    tokens: dict[str, str]

    def as_(self, who: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}


def entry(number: int, list_id: str, owner: str, **changes: object) -> dict[str, object]:
    return {
        "entry_id": f"{list_id}:{number}",
        "list_id": list_id,
        "kind": "person",
        "names": [{"name": f"PERSON {number}"}],
        "owner_country": owner,
        **changes,
    }


@pytest.fixture
def api() -> Iterator[Api]:
    settings = Settings(redis_key_prefix=f"test-{uuid.uuid4().hex}")
    connection = redis.Redis.from_url(settings.redis_url)
    token_store = TokenStore(connection, settings)
    tokens = {
        "us-admin": token_store.create("us-admin", Role.ADMIN, "US"),
        "mx-admin": token_store.create("mx-admin", Role.ADMIN, "MX"),
        "us-reader": token_store.create("us-reader", Role.READER, "US"),
    }
    store = WatchlistWriter(connection, settings.redis_key_prefix)
    store.import_list("us-list", [], owner_country="US", actor="setup")
    with TestClient(create_app(settings, connection)) as client:
        yield Api(client, store, DeniedLog(connection, settings), tokens)
    keys = list(connection.scan_iter(match=f"{settings.redis_key_prefix}:*"))
    if keys:
        connection.delete(*keys)
    connection.close()


def denied_count(reason: str) -> float:
    return REGISTRY.get_sample_value("interdict_admin_denied_total", {"reason": reason}) or 0.0


def test_401_without_or_with_a_bad_token_is_recorded(api: Api) -> None:
    before = denied_count("missing-token"), denied_count("invalid-token")
    assert api.client.get("/lists").status_code == 401
    answer = api.client.get("/lists", headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"] == "Bearer"
    assert (denied_count("missing-token"), denied_count("invalid-token")) == (before[0] + 1, before[1] + 1)
    assert [(a.status, a.reason, a.token, a.method, a.path) for a in api.denied.recent()] == [
        (401, "missing-token", "", "GET", "/lists"),
        (401, "invalid-token", "", "GET", "/lists"),
    ]


def test_reader_reads_but_cannot_write(api: Api) -> None:
    assert [info["list_id"] for info in api.client.get("/lists", headers=api.as_("us-reader")).json()] == ["us-list"]
    answer = api.client.post("/entries", json=entry(1, "us-list", "US"), headers=api.as_("us-reader"))
    assert answer.status_code == 403
    (attempt,) = api.denied.recent()
    assert (attempt.status, attempt.reason, attempt.token, attempt.method, attempt.path) == (
        403, "read-only", "us-reader", "POST", "/entries"
    )
    assert api.store.entries("us-list") == []


def test_other_country_admin_cannot_change_a_list(api: Api) -> None:
    mx = api.as_("mx-admin")
    assert api.client.post("/entries", json=entry(1, "us-list", "MX"), headers=mx).status_code == 403
    assert api.client.post("/lists/us-list/disable", headers=mx).status_code == 403
    body = b"\n".join(orjson.dumps(entry(n, "us-list", "US")) for n in (1, 2))
    assert api.client.post("/lists/us-list/import", content=body, headers=mx).status_code == 403
    assert [a.reason for a in api.denied.recent()] == ["not-owner"] * 3
    assert api.store.info("us-list").enabled and api.store.entries("us-list") == []


def test_owner_admin_changes_and_history_names_the_actor(api: Api) -> None:
    us = api.as_("us-admin")
    body = b"\n".join(
        orjson.dumps({k: v for k, v in entry(n, "us-list", "US").items() if k != "owner_country"}) for n in (1, 2)
    )
    report = api.client.post("/lists/us-list/import", content=body, headers=us)
    assert report.status_code == 200 and report.json()["added"] == ["us-list:1", "us-list:2"]
    assert api.client.post("/entries", json=entry(3, "us-list", "US"), headers=us).status_code == 201
    changed = entry(3, "us-list", "US", remarks="seen in Colon")
    assert api.client.put("/entries/us-list:3", json=changed, headers=us).json()["version"] == 4
    expired = api.client.post("/entries/us-list:2/expire", json={"expires_at": "2030-01-01T00:00:00Z"}, headers=us)
    assert expired.status_code == 200
    assert api.client.delete("/entries/us-list:1", headers=us).status_code == 200
    assert api.client.post("/lists/us-list/disable", headers=us).json()["version"] == 7

    reader = api.as_("us-reader")
    assert api.client.get("/entries/us-list:3", headers=reader).json()["remarks"] == "seen in Colon"
    assert api.client.get("/entries/us-list:1", headers=reader).status_code == 404
    history = api.client.get("/history", params={"list_id": "us-list", "actor": "us-admin"}, headers=reader).json()
    assert [(record["operation"], record["entry_id"]) for record in history] == [
        ("import", None), ("import:add", "us-list:1"), ("import:add", "us-list:2"), ("add", "us-list:3"),
        ("update", "us-list:3"), ("expire", "us-list:2"), ("remove", "us-list:1"), ("disable", None),
    ]
    assert api.denied.recent() == []


def test_bad_import_body_is_rejected_whole_with_lines(api: Api) -> None:
    body = orjson.dumps(entry(1, "us-list", "US")) + b"\n{not json\n" + orjson.dumps(entry(2, "other", "US"))
    answer = api.client.post("/lists/us-list/import", content=body, headers=api.as_("us-admin"))
    assert answer.status_code == 422
    assert [problem["line"] for problem in answer.json()["problems"]] == [2, 3]
    assert api.store.entries("us-list") == []


def test_entries_not_shared_with_the_caller_are_hidden(api: Api) -> None:
    private = WatchlistEntry.model_validate(entry(1, "us-list", "US", sharing={"scope": "owner"}))
    api.store.add(private, actor="setup")
    assert api.client.get("/entries/us-list:1", headers=api.as_("mx-admin")).status_code == 403
    assert api.client.get("/lists/us-list/entries", headers=api.as_("mx-admin")).json() == []
    assert api.client.get("/entries/us-list:1", headers=api.as_("us-reader")).json()["entry_id"] == private.entry_id
    assert api.denied.recent()[-1].reason == "not-shared"


def test_openapi_describes_the_bearer_scheme(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"/lists/{list_id}/import", "/entries/{entry_id}/expire", "/history"} <= set(spec["paths"])


def test_import_refuses_countries_with_no_code(api: Api) -> None:
    # The CLI's --share refuses it with the same words (test_watchlist_store_cli.py).
    body = orjson.dumps(entry(1, "us-list", "US"))
    answer = api.client.post(
        "/lists/us-list/import", content=body, params={"share": "countries:"}, headers=api.as_("us-admin")
    )
    assert answer.status_code == 422
    assert answer.json() == {"detail": "share: countries:CC,CC needs at least one country code; got 'countries:'"}
    assert api.store.entries("us-list") == [] and api.store.info("us-list").version == 1


def test_health_and_readiness_need_no_token(api: Api) -> None:
    alive = api.client.get("/healthz")
    assert alive.status_code == 200 and alive.json()["alive"] is True
    ready = api.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"redis": True}
    metrics = api.client.get("/metrics", follow_redirects=False)
    assert metrics.status_code == 200 and "interdict_admin_denied_total" in metrics.text
    version = api.store.info("us-list").version
    assert f'interdict_watchlist_store_version{{list_id="us-list"}} {float(version)}' in metrics.text
    assert 'interdict_watchlist_updated_timestamp_seconds{list_id="us-list"}' in metrics.text
