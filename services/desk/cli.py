"""`interdict desk ...`: the interdiction desks' commands, in the desk's language.

Each command is one call of services/desk/operations.py (which a web console will call the same
way): this module only reads the options, and prints the answer or the refusal.

Exit status: 0 done; 1 the topics or the broker cannot be reached; 2 refused (no token, a token of
another desk, a token that may not act); 3 the alert's state does not allow the action; 4 no
such alert on the desk.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import typer
from kafka.errors import KafkaError
from pydantic import BaseModel
from rich.console import Console

from services.desk.materialiser import CatchUpTimeout, TopicMissing
from services.desk.operations import (
    ActionNotAllowed,
    ActionResult,
    AlertNotFound,
    DeskError,
    DeskOperations,
    DeskRefused,
)
from services.desk.render import alerts_table, history_table, render_desk_alert, when
from services.desk.session import authorised, desk_session
from services.desk.store import AlertQuery
from services.desk.watch import WatchFilter, WatchOptions, watch_alerts
from services.dlq.letters import parse_since
from services.shared.i18n import Translator
from services.shared.models import Programme, Severity
from services.shared.models.desk import AlertState, ClosingOutcome
from services.shared.settings import PARTNER_COUNTRIES, get_settings

desk_app = typer.Typer(no_args_is_help=True, help="For interdiction desks: read alerts and act on them.")

EXIT_UNREACHABLE, EXIT_REFUSED, EXIT_NOT_ALLOWED, EXIT_NOT_FOUND = 1, 2, 3, 4

COUNTRY = typer.Option(..., "--country", "-c", help="the desk's ISO 3166 alpha-2 code, e.g. mx")
TOKEN = typer.Option(
    None, "--token", envvar="INTERDICT_DESK_TOKEN", show_default=False,
    help="the officer's token (interdict admin token create --role desk); better in INTERDICT_DESK_TOKEN",
)
JSON = typer.Option(False, "--json", help="one JSON object per line, for machines")
SYNC = typer.Option(
    True, "--sync/--no-sync", help="catch up with the desk's topics first (--no-sync: the store as it is)"
)
SEVERITY = typer.Option(None, "--severity", "-s", help="critical, high, medium, low (repeat or comma-separate)")
STATE = typer.Option(
    None, "--state", help="new, acknowledged, under_investigation, closed, or open for the first three (repeatable)"
)
NOTE = typer.Option("", "--note", "-n", help="why, for the record")

E = TypeVar("E", bound=StrEnum)
#: --state open: every state but closed.
OPEN = {"open": [AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.UNDER_INVESTIGATION]}


def desk_of(country: str) -> str:
    desk = country.strip().upper()
    if desk not in PARTNER_COUNTRIES:
        raise typer.BadParameter(f"{country!r} is not a partner desk; one of {', '.join(PARTNER_COUNTRIES).lower()}",
                                 param_hint="--country")
    return desk


def choices(values: list[str] | None, kind: type[E], option: str, aliases: dict[str, list[E]] | None = None) -> list[E]:
    """Repeated or comma-separated values of an enumeration (`under-investigation` as `under_investigation`)."""
    chosen: list[E] = []
    for value in (part.strip().lower().replace("-", "_") for text in values or [] for part in text.split(",")):
        if not value:
            continue
        if aliases and value in aliases:
            chosen += aliases[value]
            continue
        try:
            chosen.append(kind(value))
        except ValueError:
            known = ", ".join([member.value for member in kind] + list(aliases or {}))
            raise typer.BadParameter(f"{value!r} is not one of {known}", param_hint=option) from None
    return list(dict.fromkeys(chosen))


def one_choice(value: str, kind: type[E], option: str) -> E:
    """One value of an enumeration, as `choices` reads it; a list of several is refused."""
    chosen = choices([value], kind, option)
    if len(chosen) != 1:
        raise typer.BadParameter(f"give one {option.lstrip('-').lower()}", param_hint=option)
    return chosen[0]


def moment(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_since(text)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint=option) from None


@contextmanager
def reporting(desk: str, translate: Translator) -> Iterator[None]:
    """A refusal said in the desk's language, with its exit status."""
    errors = Console(stderr=True)
    try:
        yield
    except DeskRefused as refused:
        errors.print(f"[red]{translate(f'refused.{refused.code}', country=refused.detail, desk=desk)}[/]")
        raise typer.Exit(EXIT_REFUSED) from None
    except AlertNotFound as missing:
        errors.print(f"[red]{translate('refused.not-found', alert=missing.detail, desk=desk)}[/]")
        raise typer.Exit(EXIT_NOT_FOUND) from None
    except ActionNotAllowed as refused:
        status = refused.status
        errors.print("[red]" + translate(
            "refused.state", alert=refused.detail, state=translate.label("state", status.state.value),
            by=status.changed_by or "-", at=when(status.changed_at),
            why=translate(f"not_allowed.{refused.code}"),
        ) + "[/]")
        raise typer.Exit(EXIT_NOT_ALLOWED) from None
    except (KafkaError, TopicMissing, CatchUpTimeout) as error:
        errors.print(f"[red]{translate('refused.unreachable', error=error)}[/]")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    except DeskError as error:  # a kind of refusal this front end does not know yet: still said plainly
        errors.print(f"[red]{error}[/]")
        raise typer.Exit(EXIT_REFUSED) from None


def print_json(model: BaseModel) -> None:
    sys.stdout.write(model.model_dump_json() + "\n")


# -- reading --------------------------------------------------------------------------------------------------


@desk_app.command("list")
def list_alerts(
    country: str = COUNTRY,
    token: str | None = TOKEN,
    severity: list[str] | None = SEVERITY,
    state: list[str] | None = STATE,
    programme: list[str] | None = typer.Option(
        None, "--programme", "-p", help="narcotics, money_laundering, human_trafficking, migrant_smuggling, sanctions"
    ),
    since: str | None = typer.Option(None, "--since", help="raised since: 30m, 2h, 7d, or an ISO 8601 time"),
    until: str | None = typer.Option(None, "--until", help="raised before: 30m, 2h, 7d, or an ISO 8601 time"),
    vessel: str | None = typer.Option(None, "--vessel", help="the manifest's vessel: IMO number, MMSI or name"),
    entry: str | None = typer.Option(None, "--entry", help="alerts that matched this entry, e.g. ofac-sdn:4106"),
    escalated: bool | None = typer.Option(None, "--escalated/--not-escalated", help="only escalated, or only not"),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="at most this many, the latest raised first"),
    json_output: bool = JSON,
    sync: bool = SYNC,
) -> None:
    """The desk's alerts, the latest raised first, filtered."""
    desk = desk_of(country)
    query = AlertQuery(
        states=choices(state, AlertState, "--state", OPEN),
        severities=choices(severity, Severity, "--severity"),
        programmes=choices(programme, Programme, "--programme"),
        since=moment(since, "--since"), until=moment(until, "--until"), vessel=vessel, entry=entry,
        escalated=escalated, limit=limit,
    )
    translate = Translator(get_settings().desk_language(desk))
    with reporting(desk, translate), desk_session(get_settings(), token, desk, acting=False, command="list",
                                                  sync=sync) as desk_ops:
        views = desk_ops.alerts(query)
    if json_output:
        for view in views:
            print_json(view)
        return
    console = Console()
    console.print(alerts_table(views, translate) if views else translate("label.no_alerts"))
    if views:
        console.print(translate("label.alerts_total", count=len(views)))


@desk_app.command("show")
def show(
    alert_id: str = typer.Argument(..., help="the alert's id, e.g. alert-3f2a..."),
    country: str = COUNTRY,
    token: str | None = TOKEN,
    version: int | None = typer.Option(None, "--version", min=1, help="an earlier version (default: the latest)"),
    json_output: bool = JSON,
    sync: bool = SYNC,
) -> None:
    """One alert in full: every match with its evidence, where it stands, and its history."""
    desk = desk_of(country)
    translate = Translator(get_settings().desk_language(desk))
    with reporting(desk, translate), desk_session(get_settings(), token, desk, acting=False, command="show",
                                                  sync=sync) as desk_ops:
        view = desk_ops.alert(alert_id, version)
        history = desk_ops.history(alert_id)
    if json_output:
        print_json(view)
        return
    console = Console()
    console.print(render_desk_alert(view))
    console.print(history_table(history, translate) if history else translate("label.no_history"))


@desk_app.command("history")
def history(
    alert_id: str | None = typer.Argument(None, help="one alert's actions (default: the desk's latest)"),
    country: str = COUNTRY,
    token: str | None = TOKEN,
    actor: str | None = typer.Option(None, "--actor", help="only this officer's (or 'escalator')"),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000, help="the desk's latest N actions"),
    json_output: bool = JSON,
    sync: bool = SYNC,
) -> None:
    """Who did what to which alert, when, and what it did (oldest first)."""
    desk = desk_of(country)
    translate = Translator(get_settings().desk_language(desk))
    with reporting(desk, translate), desk_session(get_settings(), token, desk, acting=False, command="history",
                                                  sync=sync) as desk_ops:
        items = desk_ops.history(alert_id, actor, limit)
    if json_output:
        for item in items:
            sys.stdout.write(f'{{"action": {item.action.model_dump_json()}, "effect": "{item.effect}"}}\n')
        return
    Console().print(history_table(items, translate) if items else translate("label.no_history"))


# -- acting ---------------------------------------------------------------------------------------------------


def _act(command: str, country: str, token: str | None, json_output: bool,
         act: Callable[[DeskOperations], ActionResult]) -> None:
    desk = desk_of(country)
    translate = Translator(get_settings().desk_language(desk))
    with reporting(desk, translate), desk_session(get_settings(), token, desk, acting=True, command=command) as ops:
        result = act(ops)
    _report(result, translate, json_output)


def _report(result: ActionResult, translate: Translator, json_output: bool) -> None:
    if json_output:
        sys.stdout.write(f'{{"action": {result.action.model_dump_json()}, "effect": "{result.effect}", '
                         f'"status": {result.status.model_dump_json()}}}\n')
    state = translate.label("state", result.status.state.value)
    if result.effect == "applied":
        if not json_output:
            Console().print(translate("desk.recorded", alert=result.action.alert_id, state=state,
                                      event=result.action.event_id))
        return
    # Another officer got there between the check and the event: recorded, but it changed nothing.
    why = translate(f"effect.{result.effect}") if result.effect else "?"
    Console(stderr=True).print("[yellow]" + translate(
        "refused.state", alert=result.action.alert_id, state=state, by=result.status.changed_by or "-",
        at=when(result.status.changed_at), why=why) + "[/]")
    raise typer.Exit(EXIT_NOT_ALLOWED)


@desk_app.command("ack")
def acknowledge(
    alert_id: str = typer.Argument(...), country: str = COUNTRY, token: str | None = TOKEN, note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Acknowledge a new alert: someone has it."""
    _act("ack", country, token, json_output, lambda ops: ops.acknowledge(alert_id, note))


@desk_app.command("investigate")
def investigate(
    alert_id: str = typer.Argument(...), country: str = COUNTRY, token: str | None = TOKEN, note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Put an alert under investigation."""
    _act("investigate", country, token, json_output, lambda ops: ops.investigate(alert_id, note))


@desk_app.command("close")
def close(
    alert_id: str = typer.Argument(...),
    country: str = COUNTRY,
    token: str | None = TOKEN,
    outcome: str = typer.Option(..., "--outcome", "-o", help="true-hit, false-positive or not-actionable"),
    note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Close an alert with its outcome; a false positive is remembered against the same party and entry."""
    chosen = one_choice(outcome, ClosingOutcome, "--outcome")
    _act("close", country, token, json_output, lambda ops: ops.close(alert_id, chosen, note))


# -- watching -------------------------------------------------------------------------------------------------


@desk_app.command("watch")
def watch(
    country: str = COUNTRY,
    token: str | None = TOKEN,
    severity: list[str] | None = SEVERITY,
    state: list[str] | None = STATE,
    programme: list[str] | None = typer.Option(None, "--programme", "-p", help="as for list"),
    vessel: str | None = typer.Option(None, "--vessel", help="the manifest's vessel: IMO number, MMSI or name"),
    entry: str | None = typer.Option(None, "--entry", help="alerts that matched this entry"),
    json_output: bool = typer.Option(False, "--json", help="one alert per line, as JSON, for machines"),
    from_beginning: bool = typer.Option(True, "--from-beginning/--new-only", help="show past alerts first"),
    follow: bool = typer.Option(True, "--follow/--no-follow", help="keep watching (--no-follow: show and stop)"),
    group: str | None = typer.Option(
        None, help="consumer group, to resume where this desk left off; its name starts with desk-<cc>-"
    ),
    idle_timeout: float | None = typer.Option(None, help="stop after this many seconds without a record"),
    max_alerts: int | None = typer.Option(None, help="stop after this many alerts"),
) -> None:
    """The desk's alerts as they arrive, each once (the latest version), with a line per action and escalation."""
    desk = desk_of(country)
    settings = get_settings()
    filters = WatchFilter(
        severities=frozenset(choices(severity, Severity, "--severity")),
        states=frozenset(choices(state, AlertState, "--state", OPEN)),
        programmes=frozenset(choices(programme, Programme, "--programme")),
        vessel=vessel,
        entry=entry,
    )
    options = WatchOptions(json_output, from_beginning, follow, group, idle_timeout, max_alerts)
    with reporting(desk, Translator(settings.desk_language(desk))):
        authorised(settings, token, desk, "watch")
        watch_alerts(settings, desk, filters, options)


# -- the web console -----------------------------------------------------------------------------------------


@desk_app.command("serve")
def serve(
    host: str | None = typer.Option(None, help="interface to listen on (default INTERDICT_WEB_HOST: loopback)"),
    port: int | None = typer.Option(None, help="TCP port (default INTERDICT_CONSOLE_PORT)"),
    country: list[str] | None = typer.Option(None, "--country", "-c", help="a desk to serve (repeat; default: all)"),
    loglevel: str = typer.Option("INFO", help="log level"),
) -> None:
    """Serve the desk console: the live alert list, alert pages and actions (/login in a browser; the
    same as JSON under /api for Authorization: Bearer; /metrics, /healthz, /readyz)."""
    import uvicorn

    from services.console.app import create_app

    settings = get_settings()
    desks = [desk_of(code) for code in country] if country else list(PARTNER_COUNTRIES)
    # No TLS here: put a TLS-terminating proxy in front before opening it beyond loopback.
    host, port = host or settings.web_host, port or settings.console_port
    uvicorn.run(create_app(settings, desks), host=host, port=port, log_level=loglevel.lower())
