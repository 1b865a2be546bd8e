"""`interdict admin ...`: serve the watchlist administration API and manage its tokens."""

from __future__ import annotations

import redis
import typer
from rich.console import Console
from rich.table import Table

from services.admin.denied import DeniedLog
from services.admin.tokens import NAME_PATTERN, Role, TokenError, TokenStore
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import get_settings

admin_app = typer.Typer(no_args_is_help=True, help="The watchlist administration HTTP API and its tokens.")
token_app = typer.Typer(no_args_is_help=True, help="Bearer tokens: one per person or system, role and country.")
admin_app.add_typer(token_app, name="token")

console = Console()
errors = Console(stderr=True)
EXIT_REFUSED = 2


def _redis() -> redis.Redis:
    return sync_client(get_settings(), RedisUser.ADMIN)


@admin_app.command()
def serve(
    host: str | None = typer.Option(None, help="interface to listen on (default INTERDICT_WEB_HOST: loopback)"),
    port: int | None = typer.Option(None, help="TCP port (default INTERDICT_ADMIN_PORT)"),
    loglevel: str = typer.Option("INFO", help="log level"),
) -> None:
    """Serve the API (OpenAPI at /openapi.json, docs at /docs; /metrics, /healthz, /readyz)."""
    import uvicorn

    from services.admin.app import create_app

    settings = get_settings()
    # No TLS here: put a TLS-terminating proxy in front before opening it beyond loopback.
    host, port = host or settings.web_host, port or settings.admin_port
    uvicorn.run(create_app(settings), host=host, port=port, log_level=loglevel.lower())


@token_app.command("create")
def token_create(
    name: str = typer.Option(..., "--name", help="the holder; shown as the actor in the audit trail"),
    role: Role = typer.Option(
        ..., "--role", help="admin: change what the country owns; reader: read only; desk: act on the desk's alerts"
    ),
    country: str = typer.Option(..., "--country", help="the partner country the token acts for"),
) -> None:
    """Create a token and print it once: it is stored only as a hash."""
    import re

    if not re.match(NAME_PATTERN, name):
        raise typer.BadParameter("letters, digits and _ . @ - (up to 64)", param_hint="--name")
    try:
        token = TokenStore(_redis(), get_settings()).create(name, role, country)
    except (TokenError, redis.WatchError) as error:
        errors.print(f"[red]refused:[/red] {error or 'another change raced this one; try again'}")
        raise typer.Exit(EXIT_REFUSED) from error
    errors.print(f"token for {name} ({role.value}, {country.upper()}); keep it now, it cannot be shown again:")
    typer.echo(token)


@token_app.command("list")
def token_list() -> None:
    """Every token's holder, role, country and creation time (never the token)."""
    table = Table(title="admin tokens")
    for column in ("name", "role", "country", "created"):
        table.add_column(column)
    for record in TokenStore(_redis(), get_settings()).list():
        table.add_row(record.name, record.role.value, record.country, record.created_at.isoformat(timespec="seconds"))
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: str) -> None:
    """Revoke a token at once: its next request gets 401."""
    try:
        TokenStore(_redis(), get_settings()).revoke(name)
    except TokenError as error:
        errors.print(f"[red]refused:[/red] {error}")
        raise typer.Exit(EXIT_REFUSED) from error
    console.print(f"revoked {name}")


@admin_app.command()
def denied(count: int = typer.Option(50, "--count", help="the latest N attempts")) -> None:
    """Refused requests (401/403), oldest first."""
    table = Table(title="denied admin requests")
    for column in ("time", "status", "reason", "token", "method", "path", "client"):
        table.add_column(column)
    for attempt in DeniedLog(_redis(), get_settings()).recent(count):
        table.add_row(
            attempt.at.isoformat(timespec="seconds"), str(attempt.status), attempt.reason, attempt.token,
            attempt.method, attempt.path, attempt.client,
        )
    console.print(table)
