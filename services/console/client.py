"""The console's case API, called by `interdict case ...`.

Joint cases span desks, so a case event is published by the console (principal `console`), which
checks the officer's token and every participant's right before it does: no desk's own Kafka
principal may write or read the `cases` topic, where it could forge another desk's event or read
cases it takes no part in. The commands send the desk token; the console answers as its JSON API
does (CaseAnswer, CaseStatus, CaseView) or refuses with {"code", "detail"}, the detail already in
the desk's language.

The HTTP client is injected (an httpx.Client, or FastAPI's TestClient around the app itself), so
the commands can be tested against a console in the same process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
from pydantic import TypeAdapter

from services.console.models import CaseAnswer
from services.shared.models import Severity
from services.shared.models.case import CaseState, CaseStatus, CaseView
from services.shared.settings import Settings

#: How long a command waits for the console (which may itself wait for the topics, up to
#: INTERDICT_CONSOLE_SYNC_TIMEOUT_SECONDS).
REQUEST_TIMEOUT_S = 60.0

_CASE_LIST = TypeAdapter(list[CaseStatus])


class ConsoleRefused(Exception):
    """The console refused: its HTTP status, code (e.g. invalid-token, case-scope) and detail."""

    def __init__(self, status: int, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail


class ConsoleUnreachable(Exception):
    """No console answered at the address the settings give."""


def console_url(settings: Settings) -> str:
    return settings.console_url or f"http://127.0.0.1:{settings.console_port}"


def http_client(settings: Settings) -> httpx.Client:
    return httpx.Client(base_url=console_url(settings), timeout=REQUEST_TIMEOUT_S)


#: How `interdict case` gets its HTTP client (tests point it at an app in the same process).
make_http_client: Callable[[Settings], httpx.Client] = http_client


class ConsoleCases:
    """A desk's cases through the console, with the calls of services/desk/cases.py's CaseOperations."""

    def __init__(self, client: httpx.Client, desk: str, token: str | None) -> None:
        self._client = client
        self._prefix = f"/api/desks/{desk.lower()}"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}

    def cases(self, states: Sequence[CaseState] = (), limit: int = 50) -> list[CaseStatus]:
        params: list[tuple[str, str | int]] = [("state", state.value) for state in states] + [("limit", limit)]
        return _CASE_LIST.validate_json(self._call("GET", "/cases", params=params).content)

    def case(self, case_id: str) -> CaseView:
        return CaseView.model_validate_json(self._call("GET", f"/cases/{case_id}").content)

    def open(self, alert_ids: list[str], title: str, priority: Severity | None, note: str = "") -> CaseAnswer:
        body = {"alert_ids": alert_ids, "title": title, "priority": priority, "note": note}
        return self._act("/cases", body)

    def invite(self, case_id: str, desk: str, note: str = "") -> CaseAnswer:
        return self._act(f"/cases/{case_id}/invite", {"desk": desk, "note": note})

    def note(self, case_id: str, text: str) -> CaseAnswer:
        return self._act(f"/cases/{case_id}/note", {"note": text})

    def set_state(self, case_id: str, state: CaseState, note: str = "") -> CaseAnswer:
        return self._act(f"/cases/{case_id}/state", {"state": state, "note": note})

    def set_priority(self, case_id: str, priority: Severity, note: str = "") -> CaseAnswer:
        return self._act(f"/cases/{case_id}/priority", {"priority": priority, "note": note})

    def _act(self, path: str, body: dict[str, Any]) -> CaseAnswer:
        return CaseAnswer.model_validate_json(self._call("POST", path, json=body).content)

    def _call(self, method: str, path: str, **request: Any) -> httpx.Response:
        try:
            response = self._client.request(method, self._prefix + path, headers=self._headers, **request)
        except httpx.TransportError as error:
            raise ConsoleUnreachable(f"{self._client.base_url}: {error}") from error
        if response.is_success:
            return response
        raise ConsoleRefused(response.status_code, *_refusal(response))


def _refusal(response: httpx.Response) -> tuple[str, str]:
    """The console's {"code", "detail"}; FastAPI's own answers (a request it could not read) have a
    detail only; anything else is not the console's (a proxy's page, say)."""
    try:
        answer = response.json()
        return str(answer.get("code", "invalid-request")), str(answer["detail"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unexpected", f"HTTP {response.status_code}: {response.text[:200]}"
