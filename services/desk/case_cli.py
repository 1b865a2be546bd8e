"""`interdict case ...`: joint cases of several desks, in the desk's language.

Each command is one call of services/desk/cases.py (which a web console calls the same way): this
module only reads the options, and prints the answer or the refusal. Exit statuses as for
`interdict desk` (cli.py): 0 done; 1 unreachable; 2 refused (token, or an invitation the alerts'
scopes or recipients do not allow); 3 the case's state does not allow it; 4 no such case or alert.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.table import Table

from services.desk.cases import CaseBadRequest, CaseNotAllowed, CaseNotFound, CaseOperations, CaseResult, InviteRefused
from services.desk.cli import (
    COUNTRY,
    EXIT_NOT_ALLOWED,
    EXIT_NOT_FOUND,
    EXIT_REFUSED,
    JSON,
    NOTE,
    SYNC,
    TOKEN,
    choices,
    desk_of,
    one_choice,
    reporting,
)
from services.desk.render import safe, when
from services.desk.session import case_session
from services.shared.i18n import Translator
from services.shared.models import Severity
from services.shared.models.case import CaseState, CaseStatus, CaseView
from services.shared.settings import get_settings

case_app = typer.Typer(no_args_is_help=True, help="Joint cases: desks investigating alerts together.")

CASE = typer.Argument(..., help="the case's id, e.g. case-3f2a...")
PRIORITY = typer.Option(None, "--priority", help="critical, high, medium or low")


@contextmanager
def case_reporting(desk: str, translate: Translator) -> Iterator[None]:
    """A refusal said in the desk's language, with its exit status; the desk's own refusals as for alerts."""
    errors = Console(stderr=True)
    with reporting(desk, translate):
        try:
            yield
        except CaseNotFound as missing:
            errors.print(f"[red]{translate('refused.case-not-found', case=missing.detail, desk=desk)}[/]")
            raise typer.Exit(EXIT_NOT_FOUND) from None
        except InviteRefused as refused:
            errors.print(f"[red]{translate(f'refused.{refused.code}', invited=refused.desk, detail=refused.detail)}[/]")
            raise typer.Exit(EXIT_REFUSED) from None
        except CaseNotAllowed as refused:
            state = translate.label("case_state", refused.case.state.value)
            why = translate(f"case_effect.{refused.code}")
            errors.print(f"[red]{translate('refused.case-state', case=refused.detail, state=state, why=why)}[/]")
            raise typer.Exit(EXIT_NOT_ALLOWED) from None
        except CaseBadRequest as bad:
            errors.print(f"[red]{translate(f'refused.{bad.code}', detail=bad.detail)}[/]")
            raise typer.Exit(EXIT_REFUSED) from None


def _run(
    command: str, country: str, token: str | None, acting: bool, sync: bool, call: Callable[[CaseOperations], object]
) -> tuple[object, Translator]:
    desk = desk_of(country)
    translate = Translator(get_settings().desk_language(desk))
    with (
        case_reporting(desk, translate),
        case_session(get_settings(), token, desk, acting=acting, command=f"case {command}", sync=sync) as cases,
    ):
        return call(cases), translate


def _act(
    command: str, country: str, token: str | None, json_output: bool, call: Callable[[CaseOperations], CaseResult]
) -> None:
    result, translate = _run(command, country, token, True, True, call)
    assert isinstance(result, CaseResult)
    if json_output:
        case = result.case.model_dump_json() if result.case else "null"
        sys.stdout.write(
            f'{{"event": {result.event.model_dump_json()}, "effect": "{result.effect}", "case": {case}}}\n'
        )
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
    _act("open", country, token, json_output, lambda cases: cases.open(alert, title, chosen, note))


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
    _act("invite", country, token, json_output, lambda cases: cases.invite(case_id, desk, note))


@case_app.command("note")
def note(
    case_id: str = CASE,
    country: str = COUNTRY,
    token: str | None = TOKEN,
    text: str = typer.Option(..., "--note", "-n", help="the note, seen by every desk of the case"),
    json_output: bool = JSON,
) -> None:
    """Add a note to a case."""
    _act("note", country, token, json_output, lambda cases: cases.note(case_id, text))


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
    _act("state", country, token, json_output, lambda cases: cases.set_state(case_id, chosen, note))


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
    _act("priority", country, token, json_output, lambda cases: cases.set_priority(case_id, chosen, note))


# -- reading --------------------------------------------------------------------------------------------------


@case_app.command("list")
def list_cases(
    country: str = COUNTRY,
    token: str | None = TOKEN,
    state: list[str] | None = typer.Option(None, "--state", help="open, active, closed (repeatable)"),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="at most this many"),
    json_output: bool = JSON,
    sync: bool = SYNC,
) -> None:
    """The desk's cases, the most relevant first: the highest priority, then the latest changed."""
    states = choices(state, CaseState, "--state")
    found, translate = _run("list", country, token, False, sync, lambda cases: cases.cases(states, limit))
    assert isinstance(found, list)
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
    sync: bool = SYNC,
) -> None:
    """One case: its desks, its alerts as this desk has them, and every event (the audit trail)."""
    view, translate = _run("show", country, token, False, sync, lambda cases: cases.case(case_id))
    assert isinstance(view, CaseView)
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
