"""`interdict severity check`: is a severity rule file what the notifier will accept?"""

from __future__ import annotations

from pathlib import Path

import typer

from services.notifier.rulefile import RulesFileError, load_rules
from services.shared.settings import get_settings

severity_app = typer.Typer(no_args_is_help=True, help="For operators: the severity rule file.")


@severity_app.command("check")
def check(
    path: Path | None = typer.Argument(None, help="the file to check (default: INTERDICT_SEVERITY_RULES_FILE)"),
) -> None:
    """Validate a rule file as the notifier will: every problem named; exit status 1 if any."""
    path = path or get_settings().severity_rules_file
    try:
        rules = load_rules(path)
    except RulesFileError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    programmes = ", ".join(f"{programme.value} ({len(codes)} codes)" for programme, codes in rules.programmes.items())
    typer.echo(
        f"{path}: version {rules.version}, {len(rules.base)} base rules, {len(rules.adjust)} adjustments; "
        f"programmes: {programmes}; other codes: {rules.default_programme.value}"
    )
