"""`interdict case ...`: joint cases of several desks, in the desk's language.

Each command is one call of the desk console's case API (services/console/client.py), which runs
services/desk/cases.py for the officer whose token it was sent: cases span desks, so only the
console publishes their events (a desk's own Kafka principal reaches its own topics only). This
module reads the options and prints the answer or the refusal. Exit statuses as for `interdict
desk` (cli.py): 0 done; 1 no console, or it cannot read the topics; 2 refused (token, or an
invitation the alerts' scopes or recipients do not allow); 3 the case's state does not allow it;
4 no such case or alert.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from rich.table import Table

from services.console import client as console_client
from services.console.client import ConsoleCases, ConsoleRefused, ConsoleUnreachable, console_url
from services.console.models import CaseAnswer
from services.desk.cli import (
    COUNTRY,
    EXIT_NOT_ALLOWED,
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    EXIT_UNREACHABLE,
    JSON,
    NOTE,
    TOKEN,
    choices,
    desk_of,
    one_choice,
)
from services.desk.render import safe, when
from services.shared.i18n import Translator
from services.shared.models import Severity
from services.shared.models.case import CaseState, CaseStatus, CaseView
from services.shared.settings import get_settings

case_app = typer.Typer(
    no_args_is_help=True, help="Joint cases: desks investigating alerts together (through the console)."
)

CASE = typer.Argument(..., help="the case's id, e.g. case-3f2a...")
PRIORITY = typer.Option(None, "--priority", help="critical, high, medium or low")

#: The console's refusals that are the case's state, not the officer's rights.
_STATE_REFUSALS = 409
#: Invitations refused for the alerts' recipients or scopes: refusals of the officer's request.
_INVITE_REFUSALS = {"case-not-received", "case-scope"}

T = TypeVar("T")


def exit_status(refused: ConsoleRefused) -> int:
    if refused.status == 404:
        return EXIT_NOT_FOUND
    if refused.status == 503:
        return EXIT_UNREACHABLE
    if refused.status == _STATE_REFUSALS and refused.code not in _INVITE_REFUSALS:
        return EXIT_NOT_ALLOWED
    return EXIT_REFUSED  # 401, 403, 422 and the refused invitations


@contextmanager
def case_reporting(translate: Translator) -> Iterator[None]:
    """The console's refusal as it said it (in the desk's language), with its exit status."""
    errors = Console(stderr=True)
    try:
        yield
    except ConsoleUnreachable as error:
        url = console_url(get_settings())
        errors.print(f"[red]{safe(translate('refused.console-unreachable', url=url, error=error))}[/]")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    except ConsoleRefused as refused:
        errors.print(f"[red]{safe(refused.detail)}[/]")
        raise typer.Exit(exit_status(refused)) from None


def _run(country: str, token: str | None, call: Callable[[ConsoleCases], T]) -> tuple[T, Translator]:
    desk = desk_of(country)
    settings = get_settings()
    translate = Translator(settings.desk_language(desk))
    with case_reporting(translate), closing(console_client.make_http_client(settings)) as http:
        return call(ConsoleCases(http, desk, token)), translate


def _act(country: str, token: str | None, json_output: bool, call: Callable[[ConsoleCases], CaseAnswer]) -> None:
    result, translate = _run(country, token, call)
    if json_output:
        sys.stdout.write(result.model_dump_json() + "\n")
    if result.effect == "applied":
        if not json_output:
            Console().print(
                translate(
                    "case.recorded",
                    case=result.event.case_id,
                    action=result.event.action.value,
                    event=result.event.event_id,
                )
            )
        return
    # Another officer got there between the check and the event: recorded, but it changed nothing.
    why = translate(f"case_effect.{result.effect}") if result.effect else "?"
    state = translate.label("case_state", result.case.state.value) if result.case else "?"
    Console(stderr=True).print(
        "[yellow]" + translate("refused.case-state", case=result.event.case_id, state=state, why=why) + "[/]"
    )
    raise typer.Exit(EXIT_NOT_ALLOWED)


def _priority(value: str | None) -> Severity | None:
    return one_choice(value, Severity, "--priority") if value else None


# -- acting ---------------------------------------------------------------------------------------------------


@case_app.command("open")
def open_case(
    country: str = COUNTRY,
    token: str | None = TOKEN,
    alert: list[str] = typer.Option(..., "--alert", "-a", help="an alert of the desk (repeat for more)"),
    title: str = typer.Option(..., "--title", "-t", help="what the case is about"),
    priority: str | None = PRIORITY,
    note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Open a case on some of the desk's alerts (priority: their highest severity unless given)."""
    chosen = _priority(priority)
    _act(country, token, json_output, lambda cases: cases.open(alert, title, chosen, note))


@case_app.command("invite")
def invite(
    case_id: str = CASE,
    country: str = COUNTRY,
    token: str | None = TOKEN,
    desk: str = typer.Option(..., "--desk", "-d", help="the desk to invite, e.g. co"),
    note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Invite a desk that received the case's alerts (refused, and recorded, otherwise)."""
    _act(country, token, json_output, lambda cases: cases.invite(case_id, desk, note))


@case_app.command("note")
def note(
    case_id: str = CASE,
    country: str = COUNTRY,
    token: str | None = TOKEN,
    text: str = typer.Option(..., "--note", "-n", help="the note, seen by every desk of the case"),
    json_output: bool = JSON,
) -> None:
    """Add a note to a case."""
    _act(country, token, json_output, lambda cases: cases.note(case_id, text))


@case_app.command("state")
def state(
    case_id: str = CASE,
    new_state: str = typer.Argument(..., metavar="STATE", help="open, active or closed"),
    country: str = COUNTRY,
    token: str | None = TOKEN,
    note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Move a case along: open → active → closed (or straight to closed)."""
    chosen = one_choice(new_state, CaseState, "STATE")
    _act(country, token, json_output, lambda cases: cases.set_state(case_id, chosen, note))


@case_app.command("priority")
def priority(
    case_id: str = CASE,
    new_priority: str = typer.Argument(..., metavar="PRIORITY", help="critical, high, medium or low"),
    country: str = COUNTRY,
    token: str | None = TOKEN,
    note: str = NOTE,
    json_output: bool = JSON,
) -> None:
    """Change a case's priority (the opening desk only)."""
    chosen = _priority(new_priority)
    assert chosen is not None
    _act(country, token, json_output, lambda cases: cases.set_priority(case_id, chosen, note))


# -- reading --------------------------------------------------------------------------------------------------


@case_app.command("list")
def list_cases(
    country: str = COUNTRY,
    token: str | None = TOKEN,
    state: list[str] | None = typer.Option(None, "--state", help="open, active, closed (repeatable)"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000, help="at most this many"),
    json_output: bool = JSON,
) -> None:
    """The desk's cases, the most relevant first: the highest priority, then the latest changed."""
    states = choices(state, CaseState, "--state")
    found, translate = _run(country, token, lambda cases: cases.cases(states, limit))
    if json_output:
        for case in found:
            sys.stdout.write(case.model_dump_json() + "\n")
        return
    Console().print(cases_table(found, translate) if found else translate("case.no_cases"))


@case_app.command("show")
def show(
    case_id: str = CASE,
    country: str = COUNTRY,
    token: str | None = TOKEN,
    json_output: bool = JSON,
) -> None:
    """One case: its desks, its alerts as this desk has them, and every event (the audit trail)."""
    view, translate = _run(country, token, lambda cases: cases.case(case_id))
    if json_output:
        sys.stdout.write(view.model_dump_json() + "\n")
        return
    console = Console()
    console.print(cases_table([view.case], translate))
    alerts = Table(box=None, header_style="bold")
    for column in ("list.alert", "label.severity", "label.state", "list.manifest", "case.what"):
        alerts.add_column(translate(column))
    for alert in view.alerts:
        alerts.add_row(
            alert.alert_id,
            translate.label("severity", alert.severity.value),
            translate.label("state", alert.state),
            safe(alert.manifest_id),
            safe(alert.summary),
        )
    console.print(alerts)
    if view.alerts_not_on_desk:
        console.print(translate("case.no_alerts_here", count=view.alerts_not_on_desk))
    console.print(history_table(view, translate))


def cases_table(cases: list[CaseStatus], translate: Translator) -> Table:
    table = Table(box=None, header_style="bold")
    for column in (
        "case.case",
        "case.priority",
        "case.state",
        "case.title",
        "case.desks",
        "case.alerts",
        "case.opened",
        "case.updated",
    ):
        table.add_column(translate(column))
    for case in cases:
        table.add_row(
            case.case_id,
            translate.label("severity", case.priority.value),
            translate.label("case_state", case.state.value),
            safe(case.title),
            ", ".join(case.desks),
            str(len(case.alert_ids)),
            f"{when(case.opened_at)} {case.opened_by} {safe(case.opened_by_actor)}",
            when(case.updated_at),
        )
    return table


def history_table(view: CaseView, translate: Translator) -> Table:
    table = Table(box=None, header_style="bold")
    for column in ("label.at", "case.desk", "label.actor", "label.action", "case.what", "label.note", "label.effect"):
        table.add_column(translate(column))
    for item in view.history:
        event = item.event
        what = {
            "open": f"{safe(event.title)} ({', '.join(event.alert_ids)})",
            "invite": event.invited or "",
            "state": translate.label("case_state", event.state.value) if event.state else "",
            "priority": translate.label("severity", event.priority.value) if event.priority else "",
        }.get(event.action.value, "")
        effect = translate(f"case_effect.{item.effect}")
        shown = effect if item.effect == "applied" else f"[yellow]{effect}[/]"
        table.add_row(
            when(event.at), event.desk_country, safe(event.actor), event.action.value, what, safe(event.note), shown
        )
    return table
