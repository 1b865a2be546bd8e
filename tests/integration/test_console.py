"""The desk console (`interdict desk serve`) on the real broker and Redis, through FastAPI's TestClient.

Alerts are put on the desk topics as the notifier makes them; the console follows the topics into
the desks' stores, authenticates with tokens from the admin token store, and publishes actions on
`actions.<cc>` exactly as the CLI does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from services.admin.denied import DeniedLog
from services.admin.tokens import Role, TokenStore
from services.console.app import create_app
from services.desk.store import DeskStore
from services.shared.models import Alert, EntityKind, EntryName, Sharing, SharingScope, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.writer import WatchlistWriter
from tests.support.alerts import Notifier, a_match, alerts, manifest
from tests.support.desk import actions_on, publish
from tests.support.pipeline import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def tokens(isolated_settings: Settings) -> dict[str, str]:
    store = TokenStore(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings)
    return {
        "mx": store.create("ana.mx", Role.DESK, "MX"),
        "mx-reader": store.create("reader.mx", Role.READER, "MX"),
        "us": store.create("joe.us", Role.DESK, "US"),
    }


@pytest.fixture
def client(isolated_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(isolated_settings, ["MX", "US"])) as test_client:
        wait_for(lambda: test_client.get("/readyz").status_code == 200, "the console to be ready", timeout_s=60)
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def two_desks(settings: Settings) -> tuple[Alert, Alert]:
    """An alert for Mexico (the US owns the entry, the route passes Mexico); and one for the US alone."""
    notifier = Notifier()
    shared = alerts(await notifier.batch(a_match("test:1", owner="US", on=manifest("M-1"))))
    us_only = alerts(await notifier.batch(a_match("test:2", owner="US", on=manifest("M-2", route=("BRSSZ",)))))
    publish(settings, *shared, *us_only)
    mexican = next(alert for alert in shared if alert.desk_country == "MX")
    american = next(alert for alert in us_only if alert.desk_country == "US")
    return mexican, american


def listed(client: TestClient, token: str, desk: str = "mx", **filters: str) -> list[str]:
    answer = client.get(f"/api/desks/{desk}/alerts", headers=bearer(token), params=filters)
    assert answer.status_code == 200, answer.text
    return [view["alert"]["alert_id"] for view in answer.json()]


async def test_actions_from_the_api_and_the_pages_are_events_on_the_actions_topic_and_states_in_the_store(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    mexican, _ = await two_desks(isolated_settings)
    assert listed(client, tokens["mx"]) == [mexican.alert_id]
    assert listed(client, tokens["mx"], state="closed") == []
    assert listed(client, tokens["mx"], severity=mexican.severity.value, entry="test:1") == [mexican.alert_id]

    ack = client.post(
        f"/api/desks/mx/alerts/{mexican.alert_id}/acknowledge", headers=bearer(tokens["mx"]), json={"note": "on it"}
    )
    assert ack.status_code == 200, ack.text
    assert (ack.json()["effect"], ack.json()["status"]["state"]) == ("applied", "acknowledged")
    # the page's form: the browser is sent back to the alert, which says what was done
    page = client.post(
        f"/desks/mx/alerts/{mexican.alert_id}/close",
        headers=bearer(tokens["mx"]),
        data={"outcome": "true_hit", "note": "seized"},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    shown = client.get(page.headers["location"], headers=bearer(tokens["mx"]))
    assert shown.status_code == 200 and 'data-state="closed"' in shown.text

    events = actions_on(isolated_settings, "MX")
    assert [(event.action.value, event.actor, event.note) for event in events] == [
        ("acknowledge", "ana.mx", "on it"),
        ("close", "ana.mx", "seized"),
    ]
    store = DeskStore(isolated_settings.desk_store_path("MX"), "MX")
    stored = store.get(mexican.alert_id)
    store.close()
    assert stored is not None and (stored.status.state.value, stored.status.changed_by) == ("closed", "ana.mx")
    # closed is closed: 409, nothing more on the topic
    again = client.post(f"/api/desks/mx/alerts/{mexican.alert_id}/investigate", headers=bearer(tokens["mx"]), json={})
    assert again.status_code == 409 and again.json()["code"] == "closed"
    assert len(actions_on(isolated_settings, "MX")) == 2


async def test_the_alert_page_shows_evidence_route_state_history_and_the_entry_in_the_desks_language(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    mexican, _ = await two_desks(isolated_settings)
    page = client.get(f"/desks/mx/alerts/{mexican.alert_id}", headers=bearer(tokens["mx"]))
    assert page.status_code == 200, page.text
    html = page.text
    assert 'lang="es"' in html and "Pruebas" in html and "Ruta" in html  # Mexico's desk reads Spanish
    assert mexican.matches[0].explanation in html and "John Doe" in html  # the evidence as the alert has it
    for port in ("COCTG", "PABLB", "MXZLO"):
        assert port in html  # the route diagram, every stop
    assert "<svg" in html and "carga" in html and "descarga" in html
    assert 'id="acknowledge"' in html  # a desk token may act; the entry is not in Redis: said so
    assert "ya no está en su lista" in html


async def test_an_entry_is_shown_only_as_far_as_its_sharing_scope_allows_the_desk(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    mexican, _ = await two_desks(isolated_settings)
    writer = WatchlistWriter(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings.redis_key_prefix)

    def listed_with(sharing: Sharing) -> None:
        entry = WatchlistEntry(
            entry_id="test:1",
            list_id="test",
            kind=EntityKind.PERSON,
            names=[EntryName(name="DOE, John")],
            remarks="SECRET-REMARK",
            owner_country="US",
            sharing=sharing,
        )
        writer.import_list("test", [entry], owner_country="US", actor="test")

    listed_with(Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["CO"]))
    withheld = client.get(f"/desks/mx/alerts/{mexican.alert_id}", headers=bearer(tokens["mx"])).text
    assert "SECRET-REMARK" not in withheld and "oculta sus detalles" in withheld
    listed_with(Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=["MX"]))
    shared = client.get(f"/desks/mx/alerts/{mexican.alert_id}", headers=bearer(tokens["mx"])).text
    assert "SECRET-REMARK" in shared


async def test_a_mexican_token_gets_nothing_of_a_us_alert_by_any_route(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    mexican, american = await two_desks(isolated_settings)
    wait_for(lambda: listed(client, tokens["us"], desk="us"), "the US alert on the US desk")
    mx, alert = bearer(tokens["mx"]), american.alert_id
    on_the_us_desk = [
        ("GET", "/desks/us"),
        ("GET", f"/desks/us/alerts/{alert}"),
        ("GET", "/desks/us/stream"),
        ("POST", f"/desks/us/alerts/{alert}/acknowledge"),
        ("GET", "/api/desks/us/alerts"),
        ("GET", f"/api/desks/us/alerts/{alert}"),
        ("GET", f"/api/desks/us/alerts/{alert}/history"),
        ("GET", "/api/desks/us/stream"),
        ("POST", f"/api/desks/us/alerts/{alert}/acknowledge"),
        ("POST", f"/api/desks/us/alerts/{alert}/close"),
    ]
    for method, path in on_the_us_desk:
        body = {"outcome": "true_hit"} if path.endswith("close") else {}
        answer = client.request(method, path, headers=mx, json=body)
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
        assert american.manifest.manifest_id not in answer.text
    # on its own desk, the US alert is not there: 404, and never in the list or the stream
    on_the_mexican_desk = [
        ("GET", f"/desks/mx/alerts/{alert}"),
        ("POST", f"/desks/mx/alerts/{alert}/acknowledge"),
        ("GET", f"/api/desks/mx/alerts/{alert}"),
        ("POST", f"/api/desks/mx/alerts/{alert}/acknowledge"),
    ]
    for method, path in on_the_mexican_desk:
        answer = client.request(method, path, headers=mx, json={})
        assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
    assert listed(client, tokens["mx"]) == [mexican.alert_id]
    assert alert not in first_event(client, "/api/desks/mx/stream", tokens["mx"])
    assert actions_on(isolated_settings, "US") == [] and actions_on(isolated_settings, "MX") == []
    recorded = DeniedLog(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings).recent(50)
    assert {(attempt.token, attempt.reason, attempt.path) for attempt in recorded} >= {
        ("ana.mx", "other-desk", f"/api/desks/us/alerts/{alert}/acknowledge"),
        ("ana.mx", "other-desk", "/desks/us"),
    }


async def test_a_reader_token_reads_but_does_not_act_and_no_token_is_refused(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    mexican, _ = await two_desks(isolated_settings)
    assert listed(client, tokens["mx-reader"]) == [mexican.alert_id]
    page = client.get(f"/desks/mx/alerts/{mexican.alert_id}", headers=bearer(tokens["mx-reader"]))
    assert page.status_code == 200 and 'id="acknowledge"' not in page.text
    refused = client.post(
        f"/api/desks/mx/alerts/{mexican.alert_id}/acknowledge", headers=bearer(tokens["mx-reader"]), json={}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "not-a-desk-token")
    assert client.get("/api/desks/mx/alerts").status_code == 401
    assert client.get("/api/desks/mx/alerts", headers=bearer("not-a-token")).status_code == 401
    assert client.get("/api/desks/zz/alerts", headers=bearer(tokens["mx"])).status_code == 404
    assert actions_on(isolated_settings, "MX") == []


def test_the_login_form_keeps_the_token_in_an_httponly_cookie(tokens: dict[str, str], client: TestClient) -> None:
    away = client.get("/desks/mx", follow_redirects=False)
    assert (away.status_code, away.headers["location"]) == (303, "/login?next=/desks/mx")
    wrong = client.post("/login", data={"token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 401 and "revoked" in wrong.text
    signed_in = client.post("/login", data={"token": tokens["mx"], "next": "/desks/us"}, follow_redirects=False)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/desks/mx")  # never another desk
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    page = client.get("/desks/mx")  # the client keeps the cookie, as a browser does
    assert page.status_code == 200 and "ana.mx" in page.text and "/desks/mx/stream" in page.text
    assert client.get("/desks/us").status_code == 403
    client.post("/logout")
    assert client.get("/desks/mx", follow_redirects=False).status_code == 303


def first_event(client: TestClient, path: str, token: str) -> str:
    with client.stream("GET", path, headers=bearer(token)) as stream:
        return next(events(stream.iter_lines()))


def events(lines: Iterator[str], wanted: str = "alerts") -> Iterator[str]:
    """The data of each `wanted` event on an SSE stream (another event: its name, as `<name>`)."""
    name, data = "", []
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data.append(line[len("data: ") :])
        elif not line and name:
            yield "\n".join(data) if name == wanted else f"<{name}>"
            name, data = "", []


async def test_the_stream_pushes_the_list_when_an_alert_arrives_and_when_it_is_acted_on(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    with client.stream("GET", "/api/desks/mx/stream", headers=bearer(tokens["mx"])) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        pushed = events(stream.iter_lines())
        assert orjson.loads(next(pushed)) == []
        started = time.monotonic()
        mexican, _ = await two_desks(isolated_settings)
        [view] = orjson.loads(next(pushed))  # pushed by the console, nothing asked again
        assert (view["alert"]["alert_id"], view["status"]["state"]) == (mexican.alert_id, "new")
        assert time.monotonic() - started < 30
        client.post(f"/api/desks/mx/alerts/{mexican.alert_id}/acknowledge", headers=bearer(tokens["mx"]), json={})
        [view] = orjson.loads(next(pushed))
        assert view["status"]["state"] == "acknowledged"


def test_metrics_healthz_and_readyz(client: TestClient) -> None:
    assert client.get("/healthz").json()["alive"] is True
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["checks"] == {"desk_stores": True, "kafka": True}
    assert "interdict_console_streams_open" in client.get("/metrics").text


async def test_a_stream_ends_once_its_token_is_revoked(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    with client.stream("GET", "/api/desks/mx/stream", headers=bearer(tokens["mx"])) as stream:
        pushed = events(stream.iter_lines())
        assert orjson.loads(next(pushed)) == []
        TokenStore(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings).revoke("ana.mx")
        await two_desks(isolated_settings)  # a change: the stream checks the token before it sends
        assert next(pushed) == "<refused>"
        assert next(pushed, None) is None
