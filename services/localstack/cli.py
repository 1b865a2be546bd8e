"""`interdict stack up|down|status`: the local Kafka broker and Redis server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from services.localstack import security, stack
from services.localstack.cluster import brokers_in_state, with_brokers
from services.localstack.config import StackConfigError, broker_endpoints, stack_paths
from services.localstack.prereqs import MissingPrerequisite
from services.localstack.servers import StackError
from services.shared.kafka_security import KafkaCredentialsMissing, credentials_file
from services.shared.settings import Settings, get_settings

stack_app = typer.Typer(
    no_args_is_help=True,
    help="Run the local Kafka broker and Redis server (state under INTERDICT_STATE_DIR).",
)
console = Console(stderr=True)

#: Failures we can explain in one message; anything else is a bug and keeps its traceback.
_EXPLAINED = (
    StackError,
    StackConfigError,
    MissingPrerequisite,
    KafkaError,
    security.SecurityError,
    KafkaCredentialsMissing,
)


def _say(message: str) -> None:
    console.print(f"[dim]stack:[/dim] {message}", highlight=False)


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[bold red]stack error:[/bold red] {error}", highlight=False)
    return typer.Exit(code=1)


@contextmanager
def _explained() -> Iterator[None]:
    """A failure we can explain ends the command with its message (exit status 1)."""
    try:
        yield
    except _EXPLAINED as error:
        raise _fail(error) from error


_BROKERS_HELP = (
    "Kafka brokers (3: a KRaft cluster, topics with 3 replicas); default: as many as "
    "INTERDICT_KAFKA_BOOTSTRAP names, or as the state dir was set up with"
)


def _stack_settings(brokers: int | None) -> Settings:
    """The settings with the bootstrap list naming every broker of the stack: `--brokers`, else
    what the state dir holds (so `down` after `up --brokers 3` stops all three)."""
    settings = get_settings()
    count = brokers or max(len(broker_endpoints(settings)), brokers_in_state(stack_paths(settings)))
    return with_brokers(settings, count)


@stack_app.command()
def up(
    timeout: float = typer.Option(180.0, help="seconds to wait for the servers to answer"),
    brokers: int | None = typer.Option(None, min=1, help=_BROKERS_HELP),
) -> None:
    """Start Kafka and Redis if they are not running, then create every topic."""
    with _explained():
        settings = _stack_settings(brokers)
        created = stack.up(settings, timeout_s=timeout, say=_say)
    if created:
        _say(f"created topics: {', '.join(created)}")
    if settings.kafka_bootstrap != get_settings().kafka_bootstrap:
        _say(f"clients reach every broker with INTERDICT_KAFKA_BOOTSTRAP={settings.kafka_bootstrap}")


@stack_app.command()
def down(
    timeout: float = typer.Option(30.0, help="seconds to wait after SIGTERM before SIGKILL"),
    brokers: int | None = typer.Option(None, min=1, help=_BROKERS_HELP),
) -> None:
    """Stop the servers this stack started; servers it did not start are left alone."""
    with _explained():
        stack.down(_stack_settings(brokers), timeout_s=timeout, say=_say)


@stack_app.command()
def reset(brokers: int | None = typer.Option(None, min=1, help=_BROKERS_HELP)) -> None:
    """Delete the servers' data (topics, offsets, Redis keys) so that the next `up` starts empty;
    jars, credentials and TLS files stay. The stack must be down."""
    with _explained():
        stack.reset(_stack_settings(brokers), say=_say)


@stack_app.command("add-principal")
def add_principal(
    principal: str = typer.Argument(..., help="desk-<cc> for a desk, feed-<name> for a feed (README, Security)"),
) -> None:
    """Create a Kafka principal (a new desk or feed): its password goes to the credentials file."""
    with _explained():
        security.add_principal(get_settings(), principal)
    _say(f"{principal}: created; its password is in {credentials_file(get_settings())}")


@stack_app.command("remove-principal")
def remove_principal(principal: str = typer.Argument(..., help="the principal to remove")) -> None:
    """Remove a principal (a desk or feed that has left): nobody can log in as it any more."""
    with _explained():
        security.remove_principal(get_settings(), principal)
    _say(f"{principal}: removed")


@stack_app.command("rotate-password")
def rotate_password(principal: str = typer.Argument(..., help="the principal whose password changes")) -> None:
    """Give a principal a new password on the broker and in the credentials file."""
    with _explained():
        security.rotate_password(get_settings(), principal)
    _say(f"{principal}: new password in {credentials_file(get_settings())}; restart its processes")


@stack_app.command()
def grant(revoke: bool = typer.Option(False, help="remove the namespace's ACLs instead")) -> None:
    """Create (or remove) every principal's ACLs for the namespace of INTERDICT_TOPIC_PREFIX and
    INTERDICT_APP_ID_PREFIX (benchmarks and tests run in namespaces of their own)."""
    with _explained():
        (security.revoke_namespace if revoke else security.grant_namespace)(get_settings())


@stack_app.command()
def provision() -> None:
    """Create every principal of the credentials file on the brokers of INTERDICT_KAFKA_BOOTSTRAP,
    and the ACLs of the namespace (deploy/ runs it once the brokers answer)."""
    with _explained():
        security.provision(get_settings())


@stack_app.command("deploy-secrets")
def deploy_secrets(
    directory: Path = typer.Argument(Path("deploy/secrets"), help="where deploy/docker-compose.yml finds them"),
) -> None:
    """Make deploy/'s Kafka secrets: every principal's password, the brokers' TLS key and CA."""
    with _explained():
        names = security.write_deploy_secrets(get_settings(), directory)
    _say(f"{len(names)} principals and the brokers' TLS files in {directory} (keep it out of version control)")


@stack_app.command()
def status(brokers: int | None = typer.Option(None, min=1, help=_BROKERS_HELP)) -> None:
    """Show each server (each broker of a cluster): pid, address, and whether it answers."""
    with _explained():
        settings = _stack_settings(brokers)
        rows = stack.status(settings)
    table = Table(title=f"local stack ({get_settings().state_dir})")
    for column in ("component", "pid", "address", "state", "healthy"):
        table.add_column(column)
    for row in rows:
        healthy = "[green]yes[/green]" if row.healthy else f"[red]no[/red] ({row.problem})"
        table.add_row(row.component, str(row.pid or "-"), row.address, row.state.value, healthy)
    Console().print(table)
    warning = stack.ephemeral_warning(settings)
    if warning:
        console.print(f"[bold yellow]warning:[/bold yellow] {warning}", highlight=False)
