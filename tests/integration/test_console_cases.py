"""Joint cases in the desk console on the real broker and Redis, through FastAPI's TestClient: a case
opened from an alert's page, worked by two desks' consoles, invitations refused (and recorded) as
`interdict case` refuses them, and no route of a case open to a desk outside it.

The alerts are those of the case commands' test: a US entry on a manifest bound Colombia → Panama →
Mexico (Mexico's and Colombia's desks each get their alert), and a second, on another manifest,
whose entry's sharing scope names Mexico alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from services.admin.denied import DeniedLog
from services.admin.tokens import Role, TokenStore
from services.console.app import create_app
from services.shared.models import Alert
from services.shared.settings import Settings
from tests.integration.test_console import bearer, events
from tests.support.cases import events_on, route_alerts
from tests.support.pipeline import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def tokens(isolated_settings: Settings) -> dict[str, str]:
    store = TokenStore(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings)
    return {
        "mx": store.create("ana.mx", Role.DESK, "MX"),
        "mx-reader": store.create("reader.mx", Role.READER, "MX"),
        "co": store.create("luis.co", Role.DESK, "CO"),
        "us": store.create("joe.us", Role.DESK, "US"),
    }


@pytest.fixture
def client(isolated_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(isolated_settings, ["MX", "CO", "US"])) as test_client:
        wait_for(lambda: test_client.get("/readyz").status_code == 200, "the console to be ready", timeout_s=60)
        yield test_client


def open_from_the_alert_page(client: TestClient, token: str, alert: Alert, title: str) -> str:
    """The alert page's form, as a browser posts it; the case's id, from where it sends the browser."""
    page = client.get(f"/desks/mx/alerts/{alert.alert_id}", headers=bearer(token))
    assert page.status_code == 200 and 'id="open-case"' in page.text and 'action="/desks/mx/cases"' in page.text
    opened = client.post(
        "/desks/mx/cases",
        headers=bearer(token),
        data={"alert": alert.alert_id, "title": title, "priority": "", "note": "opened from the page"},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    where = urlsplit(opened.headers["location"])
    assert where.path.startswith("/desks/mx/cases/case-")
    assert parse_qs(parse_qs(where.query)["done"][0])["effect"] == ["applied"]
    return str(where.path).rsplit("/", 1)[-1]


async def test_a_case_opened_from_an_alert_page_shared_with_a_desk_that_received_it(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    sent = await route_alerts(isolated_settings)
    mx, co = bearer(tokens["mx"]), bearer(tokens["co"])
    case_id = open_from_the_alert_page(client, tokens["mx"], sent["MX"], "SEA STAR <Manzanillo>")
    noted = client.post(f"/desks/mx/cases/{case_id}/note", headers=mx, data={"note": "the consignee is known"})
    assert noted.status_code == 200 and 'id="done"' in noted.text  # followed back to the case page
    # Colombia's desk does not see the case before it is invited.
    assert client.get(f"/api/desks/co/cases/{case_id}", headers=co).status_code == 404
    assert client.get("/api/desks/co/cases", headers=co).json() == []

    invited = client.post(f"/desks/mx/cases/{case_id}/invite", headers=mx, data={"desk": "CO", "note": "yours too"})
    assert invited.status_code == 200, invited.text
    assert 'id="case-desks">MX, CO<' in invited.text

    listed = client.get("/desks/co/cases", headers=co)
    assert listed.status_code == 200 and f'data-case-id="{case_id}"' in listed.text
    assert "SEA STAR &lt;Manzanillo&gt;" in listed.text  # the title is text, never markup
    page = client.get(f"/desks/co/cases/{case_id}", headers=co)
    assert page.status_code == 200, page.text
    html = page.text
    assert 'lang="es"' in html and "Registro de auditoría" in html  # Colombia's desk reads Spanish
    assert "ana.mx" in html and "the consignee is known" in html  # Mexico's note, on Colombia's console
    # the case's alert as Colombia's store has it (its own version), linked to Colombia's alert page
    assert f'href="/desks/co/alerts/{sent["CO"].alert_id}"' in html and sent["CO"].summary in html
    assert "/desks/mx/" not in html
    assert 'id="change-priority"' not in html  # the opening desk's only
    assert 'id="add-note"' in html and 'id="change-state"' in html

    moved = client.post(f"/api/desks/co/cases/{case_id}/state", headers=co, json={"state": "active"})
    assert (moved.status_code, moved.json()["effect"], moved.json()["case"]["state"]) == (200, "applied", "active")
    not_opener = client.post(f"/api/desks/co/cases/{case_id}/priority", headers=co, json={"priority": "low"})
    assert (not_opener.status_code, not_opener.json()["code"]) == (409, "not_opener")
    assert "solo la mesa que lo abrió" in not_opener.json()["detail"]

    view = client.get(f"/api/desks/mx/cases/{case_id}", headers=mx).json()
    assert [(item["event"]["action"], item["event"]["actor"], item["effect"]) for item in view["history"]] == [
        ("open", "ana.mx", "applied"),
        ("note", "ana.mx", "applied"),
        ("invite", "ana.mx", "applied"),
        ("state", "luis.co", "applied"),
    ]
    assert [alert["alert_id"] for alert in view["alerts"]] == [sent["MX"].alert_id]
    assert [case["case_id"] for case in client.get("/api/desks/mx/cases?state=active", headers=mx).json()] == [case_id]
    assert client.get("/api/desks/mx/cases?state=closed", headers=mx).json() == []
    # what the console did is what `interdict case` does: events on `cases`, by the tokens' holders
    assert [(event.actor, event.action.value) for event in events_on(isolated_settings)] == [
        ("ana.mx", "open"),
        ("ana.mx", "note"),
        ("ana.mx", "invite"),
        ("luis.co", "state"),
    ]


async def test_an_invitation_the_alerts_do_not_allow_is_refused_with_its_reason_and_recorded(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    sent = await route_alerts(isolated_settings)
    mx = bearer(tokens["mx"])
    opened = client.post(
        "/api/desks/mx/cases", headers=mx, json={"alert_ids": [sent["MX"].alert_id], "title": "SEA STAR"}
    )
    assert opened.status_code == 200, opened.text
    case_id = opened.json()["case"]["case_id"]
    assert opened.json()["case"]["priority"] == sent["MX"].severity.value  # the alert's severity

    # Brazil received none of the case's alerts: 409, with the reason, in Mexico's language
    refused = client.post(f"/api/desks/mx/cases/{case_id}/invite", headers=mx, json={"desk": "br"})
    assert (refused.status_code, refused.json()["code"]) == (409, "case-not-received")
    assert "BR no recibió" in refused.json()["detail"] and sent["MX"].alert_id in refused.json()["detail"]
    page = client.post(f"/desks/mx/cases/{case_id}/invite", headers=mx, data={"desk": "BR"})
    assert page.status_code == 409 and "no recibió" in page.text and 'role="alert"' in page.text

    # an entry whose scope names Mexico alone keeps Colombia out of a case on its alert: 403
    scoped = client.post(
        "/api/desks/mx/cases", headers=mx, json={"alert_ids": [sent["MX-withheld"].alert_id], "title": "M-2"}
    ).json()["case"]["case_id"]
    withheld = client.post(f"/api/desks/mx/cases/{scoped}/invite", headers=mx, json={"desk": "CO"})
    assert (withheld.status_code, withheld.json()["code"]) == (403, "case-scope")
    assert "test:2" in withheld.json()["detail"]

    # recorded on the cases, as the command records them; nobody joined
    view = client.get(f"/api/desks/mx/cases/{case_id}", headers=mx).json()
    assert view["case"]["desks"] == ["MX"]
    assert [(item["event"]["invited"], item["event"]["refused"], item["effect"]) for item in view["history"][1:]] == [
        ("BR", "not_received", "refused"),
        ("BR", "not_received", "refused"),
    ]
    assert "rechazada: no recibió las alertas" in client.get(f"/desks/mx/cases/{case_id}", headers=mx).text
    assert sorted((event.invited, event.refused) for event in events_on(isolated_settings) if event.invited) == [
        ("BR", "not_received"),
        ("BR", "not_received"),
        ("CO", "scope"),
    ]
    assert client.get(f"/api/desks/co/cases/{scoped}", headers=bearer(tokens["co"])).status_code == 404
    # a case needs a title and the desk's own alerts; nothing is published for either
    untitled = client.post("/api/desks/mx/cases", headers=mx, json={"alert_ids": [sent["MX"].alert_id], "title": " "})
    assert (untitled.status_code, untitled.json()["code"]) == (422, "case-title")
    unknown = client.post("/api/desks/mx/cases", headers=mx, json={"alert_ids": ["alert-unheard-of"], "title": "x"})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not-found")
    assert len(events_on(isolated_settings)) == 5  # two opened, three invitations refused


async def test_another_countrys_token_gets_403_on_every_case_route_and_a_reader_does_not_act(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    sent = await route_alerts(isolated_settings)
    opened = client.post(
        "/api/desks/mx/cases",
        headers=bearer(tokens["mx"]),
        json={"alert_ids": [sent["MX"].alert_id], "title": "SEA STAR SECRET"},
    )
    case_id = opened.json()["case"]["case_id"]
    us = bearer(tokens["us"])
    on_the_mexican_desk = [
        ("GET", "/desks/mx/cases", {}),
        ("GET", "/desks/mx/cases/stream", {}),
        ("GET", f"/desks/mx/cases/{case_id}", {}),
        ("POST", "/desks/mx/cases", {}),
        ("POST", f"/desks/mx/cases/{case_id}/note", {}),
        ("POST", f"/desks/mx/cases/{case_id}/invite", {}),
        ("GET", "/api/desks/mx/cases", {}),
        ("GET", "/api/desks/mx/cases/stream", {}),
        ("GET", f"/api/desks/mx/cases/{case_id}", {}),
        ("POST", "/api/desks/mx/cases", {"alert_ids": [sent["MX"].alert_id], "title": "mine"}),
        ("POST", f"/api/desks/mx/cases/{case_id}/note", {"note": "x"}),
        ("POST", f"/api/desks/mx/cases/{case_id}/state", {"state": "closed"}),
        ("POST", f"/api/desks/mx/cases/{case_id}/priority", {"priority": "low"}),
        ("POST", f"/api/desks/mx/cases/{case_id}/invite", {"desk": "US"}),
    ]
    for method, path, body in on_the_mexican_desk:
        answer = client.request(method, path, headers=us, json=body)
        assert answer.status_code == 403, (method, path, answer.status_code, answer.text)
        assert "SEA STAR SECRET" not in answer.text
    # on its own desk, Mexico's case is not there
    assert client.get(f"/api/desks/us/cases/{case_id}", headers=us).status_code == 404
    assert client.post(f"/api/desks/us/cases/{case_id}/note", headers=us, json={"note": "x"}).status_code == 404
    assert client.get("/api/desks/us/cases", headers=us).json() == []
    recorded = DeniedLog(redis.Redis.from_url(isolated_settings.redis_url), isolated_settings).recent(50)
    assert ("joe.us", "other-desk", f"/api/desks/mx/cases/{case_id}/invite") in {
        (attempt.token, attempt.reason, attempt.path) for attempt in recorded
    }
    # a reader of Mexico reads the case, without the forms, and may not act
    reader = bearer(tokens["mx-reader"])
    page = client.get(f"/desks/mx/cases/{case_id}", headers=reader)
    assert page.status_code == 200 and "SEA STAR SECRET" in page.text and 'id="add-note"' not in page.text
    refused = client.post(f"/api/desks/mx/cases/{case_id}/note", headers=reader, json={"note": "x"})
    assert (refused.status_code, refused.json()["code"]) == (403, "not-a-desk-token")
    assert [event.action.value for event in events_on(isolated_settings)] == ["open"]


async def test_the_cases_list_is_pushed_when_a_case_is_opened_and_when_it_changes(
    isolated_settings: Settings, tokens: dict[str, str], client: TestClient
) -> None:
    sent = await route_alerts(isolated_settings)
    mx = bearer(tokens["mx"])
    wait_for(lambda: client.get("/api/desks/mx/alerts", headers=mx).json(), "Mexico's alerts on its store")
    page = client.get("/desks/mx/cases", headers=mx)
    assert 'data-stream="/desks/mx/cases/stream?"' in page.text and sent["MX"].alert_id in page.text  # multi-select
    with client.stream("GET", "/api/desks/mx/cases/stream", headers=mx) as stream:
        assert stream.status_code == 200
        pushed = events(stream.iter_lines(), wanted="cases")
        assert orjson.loads(next(pushed)) == []
        opened = client.post("/api/desks/mx/cases", headers=mx, json={"alert_ids": [sent["MX"].alert_id], "title": "t"})
        case_id = opened.json()["case"]["case_id"]
        [case] = orjson.loads(next(pushed))  # pushed by the console, nothing asked again
        assert (case["case_id"], case["state"]) == (case_id, "open")
        client.post(f"/api/desks/mx/cases/{case_id}/state", headers=mx, json={"state": "active"})
        [case] = orjson.loads(next(pushed))
        assert case["state"] == "active"

