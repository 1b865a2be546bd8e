"""The list's filters, from a page's form or an API call's query string, as the desk store's AlertQuery.

The same words as the CLI's options: state (or `open` for all but closed), severity, programme,
vessel, entry, since and until (`2h`, `7d` or an ISO 8601 time). A form's empty choice is no filter.
"""

# No `from __future__ import annotations`: FastAPI reads the dependency's annotations at runtime.
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, TypeVar
from urllib.parse import urlencode

from fastapi import Depends, HTTPException, Query

from services.desk.store import AlertQuery
from services.dlq.letters import parse_since
from services.shared.models import Programme, Severity
from services.shared.models.case import CaseState
from services.shared.models.desk import AlertState

E = TypeVar("E", bound=StrEnum)

OPEN = (AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.UNDER_INVESTIGATION)
HTTP_422 = 422  # literal: starlette renamed the constant across versions


@dataclass(frozen=True)
class Filters:
    """What was asked, as given (to fill the form and the stream's address again), and the query."""

    given: dict[str, str]
    query: AlertQuery

    def encoded(self) -> str:
        return urlencode(self.given)


def _values(raw: list[str] | None, kind: type[E], name: str) -> list[E]:
    chosen: list[E] = []
    for value in (part.strip().lower().replace("-", "_") for text in raw or [] for part in text.split(",")):
        if not value:
            continue
        try:
            chosen.append(kind(value))
        except ValueError:
            raise HTTPException(
                HTTP_422, f"{name}: {value!r} is not one of {', '.join(member.value for member in kind)}"
            ) from None
    return list(dict.fromkeys(chosen))


def _states(raw: list[str] | None) -> list[AlertState]:
    wanted = [part for text in raw or [] for part in text.split(",")]
    opened = [state for part in wanted if part.strip().lower() == "open" for state in OPEN]
    rest = [part for part in wanted if part.strip().lower() != "open"]
    return list(dict.fromkeys(opened + _values(rest, AlertState, "state")))


def _moment(text: str | None, name: str) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        return parse_since(text.strip())
    except ValueError as error:
        raise HTTPException(HTTP_422, f"{name}: {error}") from None


def alert_filters(
    state: Annotated[
        list[str] | None, Query(description="new, acknowledged, under_investigation, closed or open")
    ] = None,
    severity: Annotated[list[str] | None, Query(description="critical, high, medium, low")] = None,
    programme: Annotated[list[str] | None, Query(description="narcotics, sanctions, ...")] = None,
    vessel: Annotated[str | None, Query(description="IMO number, MMSI or name")] = None,
    entry: Annotated[str | None, Query(description="an entry it matched, e.g. ofac-sdn:4106")] = None,
    since: Annotated[str | None, Query(description="raised since: 30m, 2h, 7d or an ISO 8601 time")] = None,
    until: Annotated[str | None, Query(description="raised before: 30m, 2h, 7d or an ISO 8601 time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Filters:
    given = {
        "state": ",".join(state or []),
        "severity": ",".join(severity or []),
        "programme": ",".join(programme or []),
        "vessel": (vessel or "").strip(),
        "entry": (entry or "").strip(),
        "since": (since or "").strip(),
        "until": (until or "").strip(),
    }
    query = AlertQuery(
        states=_states(state),
        severities=_values(severity, Severity, "severity"),
        programmes=_values(programme, Programme, "programme"),
        since=_moment(since, "since"),
        until=_moment(until, "until"),
        vessel=given["vessel"] or None,
        entry=given["entry"] or None,
        limit=limit,
    )
    return Filters({name: value for name, value in given.items() if value}, query)


AlertFilters = Annotated[Filters, Depends(alert_filters)]


@dataclass(frozen=True)
class CaseFilter:
    """The cases list's filter: the states asked for (none: every case), as given and as CaseStates."""

    given: dict[str, str]
    states: list[CaseState]
    limit: int

    def encoded(self) -> str:
        return urlencode(self.given)


def case_filter(
    state: Annotated[list[str] | None, Query(description="open, active or closed (repeat, or comma-separated)")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> CaseFilter:
    states = _values(state, CaseState, "state")
    return CaseFilter({"state": ",".join(states)} if states else {}, states, limit)


CaseFilters = Annotated[CaseFilter, Depends(case_filter)]
