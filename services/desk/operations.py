"""What a desk does with its alerts, for every front end: the `interdict desk` commands, a web console.

Every call is made by an authenticated officer on one desk (`authorise`): the token, from the same
token store as the admin API, must be of the desk's country, so a desk reads and acts on its own
alerts only; acting needs a `desk` token, reading any token of the country. Every refusal is
recorded in the admin API's denied log. Reads come from the desk's store, brought up to date with
the topics first; an action is an event published to `actions.<cc>`, then read back from the
store to say what it did (two officers acting at once: the later one learns it changed nothing).

Nothing here knows about the terminal or HTTP: a refusal is an exception for each front end to
report in its own way and language (`code` is a catalogue key under `refused.`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from services.admin.denied import DeniedAttempt, DeniedLog
from services.admin.tokens import Principal, Role, TokenStore
from services.desk.dismissals import dismissals_of, previously_dismissed
from services.desk.lifecycle import refusal
from services.desk.store import AlertQuery, DeskStore, HistoryItem
from services.shared.models.desk import ActionKind, AlertStatus, ClosingOutcome, DeskAction, DeskAlert


class DeskError(Exception):
    """A desk operation that cannot be done; `code` names why (a catalogue key under `refused.`)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class DeskRefused(DeskError):
    """Not this officer, not on this desk (401 or 403 in HTTP terms); recorded."""


class AlertNotFound(DeskError):
    """No such alert on this desk (another desk's alert is not found either: it is not this desk's)."""


class ActionNotAllowed(DeskError):
    """The alert's state does not allow the action; `status` is where it stands, `detail` the alert."""

    def __init__(self, code: str, alert_id: str, status: AlertStatus) -> None:
        super().__init__(code, alert_id)
        self.status = status


@dataclass(frozen=True)
class Origin:
    """Where a request came from, as the denied log records it: a command, or an HTTP request."""

    method: str
    path: str
    client: str


def authorise(
    tokens: TokenStore, denied: DeniedLog, token: str | None, desk: str, *, acting: bool, command: str,
    origin: Origin | None = None,
) -> Principal:
    """The officer holding `token`, if they may read (or, acting, act on) `desk`'s alerts.
    `origin`: the HTTP request a web front end serves (default: the command `command`)."""
    came_from = origin or Origin("CLI", f"desk {command} --country {desk}", "cli")

    def refuse(reason: str, status: int, who: Principal | None = None) -> DeskRefused:
        attempt = DeniedAttempt(at=denied.now(), token=who.name if who else "", method=came_from.method,
                                path=came_from.path, reason=reason, status=status, client=came_from.client)
        denied.record(attempt)
        return DeskRefused(reason, who.country if who else "")

    if not token:
        raise refuse("missing-token", 401)
    principal = tokens.authenticate(token)
    if principal is None:
        raise refuse("invalid-token", 401)
    if principal.country != desk:
        raise refuse("other-desk", 403, principal)
    if acting and principal.role is not Role.DESK:
        raise refuse("not-a-desk-token", 403, principal)
    return principal


class ActionPublisher(Protocol):
    def publish(self, action: DeskAction) -> None:
        """Put the action on the desk's actions topic, and return once the broker has it."""
        ...


@dataclass(frozen=True)
class ActionResult:
    action: DeskAction
    effect: str | None  # "applied", why it changed nothing, or None if the store has not read it yet
    status: AlertStatus


class DeskOperations:
    def __init__(
        self,
        desk: str,
        officer: Principal,
        store: DeskStore,
        sync: Callable[[], object],
        publisher: ActionPublisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.desk = desk
        self.officer = officer
        self._store = store
        self._sync = sync  # brings the store up to date with the topics
        self._publisher = publisher
        self._clock = clock

    # -- reading --------------------------------------------------------------------------------------

    def alerts(self, query: AlertQuery) -> list[DeskAlert]:
        self._sync()
        return [self._view(item.alert.alert_id) for item in self._store.query(query)]

    def alert(self, alert_id: str, version: int | None = None) -> DeskAlert:
        self._sync()
        return self._view(alert_id, version)

    def history(self, alert_id: str | None = None, actor: str | None = None, limit: int = 100) -> list[HistoryItem]:
        self._sync()
        if alert_id is not None:
            self._view(alert_id)  # no such alert on this desk: say so, rather than an empty history
        return self._store.history(alert_id, actor, limit)

    def _view(self, alert_id: str, version: int | None = None) -> DeskAlert:
        stored = self._store.get(alert_id, version)
        if stored is None:
            raise AlertNotFound("not-found", alert_id if version is None else f"{alert_id} version {version}")
        return DeskAlert(
            alert=stored.alert,
            status=stored.status,
            versions=self._store.versions(alert_id),
            previously_dismissed=previously_dismissed(stored.alert, self._store.dismissals),
        )

    # -- acting ---------------------------------------------------------------------------------------

    def acknowledge(self, alert_id: str, note: str = "") -> ActionResult:
        return self._act(alert_id, ActionKind.ACKNOWLEDGE, note)

    def investigate(self, alert_id: str, note: str = "") -> ActionResult:
        return self._act(alert_id, ActionKind.INVESTIGATE, note)

    def close(self, alert_id: str, outcome: ClosingOutcome, note: str = "") -> ActionResult:
        return self._act(alert_id, ActionKind.CLOSE, note, outcome)

    def _act(self, alert_id: str, kind: ActionKind, note: str, outcome: ClosingOutcome | None = None) -> ActionResult:
        self._sync()
        view = self._view(alert_id)
        refused = refusal(view.status, kind)
        if refused is not None:
            raise ActionNotAllowed(refused, alert_id, view.status)
        dismissed = dismissals_of(view.alert) if outcome is ClosingOutcome.FALSE_POSITIVE else []
        action = DeskAction(
            event_id=f"action-{uuid.uuid4().hex}", alert_id=alert_id, desk_country=self.desk, action=kind,
            actor=self.officer.name, at=self._clock(), note=note, outcome=outcome,
            alert_version=view.alert.version, dismissed=dismissed,
        )
        self._publisher.publish(action)
        self._sync()  # read it back: the store says what it did
        after = self._store.get(alert_id)
        return ActionResult(action, self._store.effect_of(action.event_id), after.status if after else view.status)
