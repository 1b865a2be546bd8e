"""The `interdict` command: one entry point for every kind of user.

- feeds:           interdict feed publish | validate | generate, interdict dlq show | replay
- desks:           interdict desk list | show | ack | investigate | close | history | watch --country mx,
                   interdict case open | invite | note | state | priority | list | show --country mx
                   interdict desk serve (the web console)
- administrators:  interdict watchlist ...
- analysts:        interdict screen --name "..."
- operators:       interdict ingest | matcher | notifier | deskstore (one worker each),
                   interdict status, interdict stack ...
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import typer

from services.admin.cli import admin_app
from services.desk.case_cli import case_app
from services.desk.cli import desk_app
from services.dlq.cli import dlq_app
from services.feed.generate import generate as generate_manifests
from services.feed.publish import feed_app
from services.localstack.cli import stack_app
from services.matcher.screen import screen
from services.notifier.cli import severity_app
from services.shared.settings import Settings, get_settings
from services.status.cli import status
from services.watchlist.cli import watchlist_app

app = typer.Typer(
    no_args_is_help=True, help="Interdiction alerting: manifests in, watchlist matches out, alerts to desks."
)
app.add_typer(feed_app, name="feed")
app.add_typer(dlq_app, name="dlq")
feed_app.command("generate")(generate_manifests)
app.add_typer(desk_app, name="desk")
app.add_typer(case_app, name="case")
app.add_typer(stack_app, name="stack")
app.add_typer(watchlist_app, name="watchlist")
app.add_typer(admin_app, name="admin")
app.add_typer(severity_app, name="severity")
app.command("screen")(screen)
app.command("status")(status)

topics_app = typer.Typer(no_args_is_help=True, help="Kafka topics of the system.")
app.add_typer(topics_app, name="topics")
schemas_app = typer.Typer(no_args_is_help=True, help="JSON Schema files generated from the message models.")
app.add_typer(schemas_app, name="schemas")


def _worker_settings(web_port: int | None, metrics_port: int | None, service: str) -> tuple[Settings, int]:
    """Several workers of one service on one host need their own ports; the rest is shared."""
    settings = get_settings()
    if web_port is not None:
        settings = settings.model_copy(update={f"{service}_web_port": web_port})
    port = metrics_port if metrics_port is not None else getattr(settings, f"{service}_metrics_port")
    return settings, port


WEB_PORT = typer.Option(None, help="faust web port of this worker (default from settings)")
METRICS_PORT = typer.Option(None, help="Prometheus /metrics port of this worker (default from settings)")
LOGLEVEL = typer.Option("INFO", help="log level")


def _run_service(service: str, web_port: int | None, metrics_port: int | None, loglevel: str) -> None:
    from importlib import import_module

    from services.shared.worker import run_service

    settings, port = _worker_settings(web_port, metrics_port, service)
    app_module = import_module(f"services.{service}.app")
    run_service(app_module.build_app(settings), settings, port, loglevel=loglevel)


@app.command()
def ingest(web_port: int | None = WEB_PORT, metrics_port: int | None = METRICS_PORT, loglevel: str = LOGLEVEL) -> None:
    """Run one ingest worker: manifests.raw -> manifests.valid | manifests.dlq."""
    _run_service("ingest", web_port, metrics_port, loglevel)


@app.command()
def matcher(web_port: int | None = WEB_PORT, metrics_port: int | None = METRICS_PORT, loglevel: str = LOGLEVEL) -> None:
    """Run one matcher worker: manifests.valid -> matches."""
    _run_service("matcher", web_port, metrics_port, loglevel)


@app.command()
def notifier(
    web_port: int | None = WEB_PORT, metrics_port: int | None = METRICS_PORT, loglevel: str = LOGLEVEL
) -> None:
    """Run one notifier worker: matches -> alerts.<country>."""
    _run_service("notifier", web_port, metrics_port, loglevel)


@app.command()
def rescreener(metrics_port: int | None = METRICS_PORT, loglevel: str = LOGLEVEL) -> None:
    """Run the re-screener: manifests of the last days screened again against new or changed entries."""
    import asyncio
    import contextlib
    import logging

    from services.matcher.rescreen import Rescreener
    from services.shared.health import beating
    from services.shared.logs import quiet_repeated_client_errors
    from services.shared.operator_http import serve_operator_endpoints

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_repeated_client_errors()
    settings = get_settings()
    worker = Rescreener(settings)
    port = metrics_port if metrics_port is not None else settings.rescreener_metrics_port
    serve_operator_endpoints(settings.web_host, port, worker.health)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(_until_signalled(beating(worker.run(), worker.health.heartbeat)))


@app.command()
def deskstore(
    country: list[str] | None = typer.Option(None, "--country", "-c", help="a desk to keep (repeat; default: all)"),
    metrics_port: int | None = METRICS_PORT,
    loglevel: str = LOGLEVEL,
) -> None:
    """Run the desk store: alerts.<cc> and actions.<cc> -> each desk's SQLite store; escalates overdue alerts."""
    import logging
    import signal
    import threading

    from services.desk.service import DeskStoreService
    from services.shared.logs import quiet_repeated_client_errors
    from services.shared.operator_http import serve_operator_endpoints
    from services.shared.settings import PARTNER_COUNTRIES

    logging.basicConfig(level=loglevel.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_repeated_client_errors()
    desks = [code.upper() for code in country or PARTNER_COUNTRIES]
    unknown = [code for code in desks if code not in PARTNER_COUNTRIES]
    if unknown:
        raise typer.BadParameter(f"not partner desks: {', '.join(unknown)}", param_hint="--country")
    settings = get_settings()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    service = DeskStoreService(settings, desks)
    port = metrics_port if metrics_port is not None else settings.deskstore_metrics_port
    serve_operator_endpoints(settings.web_host, port, service.health)
    try:
        service.run(stop)
    finally:
        service.close()


async def _until_signalled(work: Coroutine[Any, Any, None]) -> None:
    """Run `work`, cancelling it on SIGTERM or SIGINT so that its clients close cleanly."""
    import asyncio
    import signal

    task = asyncio.ensure_future(work)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    await task


@topics_app.command("ensure")
def ensure_all_topics() -> None:
    """Create every missing topic with the configured partitions and replication (idempotent)."""
    from services.shared.kafka_admin import ensure_topics
    from services.shared.topics import all_topics

    settings = get_settings()
    created = ensure_topics(settings)
    typer.echo(f"{len(all_topics(settings))} topics present, {len(created)} created: {', '.join(created) or '-'}")


@topics_app.command("list")
def list_topics() -> None:
    """Each topic of the system with its partition count on the broker."""
    from services.shared.kafka_admin import partition_counts
    from services.shared.topics import all_topics

    settings = get_settings()
    for name, count in partition_counts(settings, all_topics(settings)).items():
        typer.echo(f"{name}\t{count}")


@schemas_app.command("export")
def export_schemas() -> None:
    """Regenerate schemas/*.schema.json from the models."""
    from services.shared.schema_export import write_schemas

    for path in write_schemas():
        typer.echo(f"wrote {path}")


@schemas_app.command("check")
def check_schemas() -> None:
    """Fail if schemas/ is not what the models generate."""
    from services.shared.schema_export import stale_schemas

    stale = stale_schemas()
    if stale:
        typer.echo(f"stale schema files: {', '.join(stale)}; run `interdict schemas export`", err=True)
        raise typer.Exit(1)
    typer.echo("schemas are current")


@app.command()
def demo() -> None:
    """The end-to-end demo on the local stack: import OFAC SDN, run the services, publish the sample feed."""
    from services.demo import run_demo

    raise typer.Exit(run_demo(get_settings()))
