"""`interdict stack up|down|status`: the local Kafka broker and Redis server on loopback."""

from __future__ import annotations

import typer
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from services.localstack import stack
from services.localstack.cluster import brokers_in_state, with_brokers
from services.localstack.config import StackConfigError, broker_endpoints, stack_paths
from services.localstack.prereqs import MissingPrerequisite
from services.localstack.servers import StackError
from services.shared.settings import Settings, get_settings

stack_app = typer.Typer(
    no_args_is_help=True,
    help="Run the local Kafka broker and Redis server (state under INTERDICT_STATE_DIR).",
)
console = Console(stderr=True)

#: Failures we can explain in one message; anything else is a bug and keeps its traceback.
_EXPLAINED = (StackError, StackConfigError, MissingPrerequisite, KafkaError)


def _say(message: str) -> None:
    console.print(f"[dim]stack:[/dim] {message}", highlight=False)


def _fail(error: Exception) -> typer.Exit:
    console.print(f"[bold red]stack error:[/bold red] {error}", highlight=False)
    return typer.Exit(code=1)


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
    try:
        settings = _stack_settings(brokers)
        created = stack.up(settings, timeout_s=timeout, say=_say)
    except _EXPLAINED as error:
        raise _fail(error) from error
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
    try:
        stack.down(_stack_settings(brokers), timeout_s=timeout, say=_say)
    except _EXPLAINED as error:
        raise _fail(error) from error


@stack_app.command()
def status(brokers: int | None = typer.Option(None, min=1, help=_BROKERS_HELP)) -> None:
    """Show each server (each broker of a cluster): pid, address, and whether it answers."""
    try:
        settings = _stack_settings(brokers)
        rows = stack.status(settings)
    except _EXPLAINED as error:
        raise _fail(error) from error
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
