"""A service worker: a faust app hosting one stage, its HTTP views and its background tasks.

faust-streaming provides what a long-running worker needs around the stage: the process lifecycle
(signals, graceful shutdown, logging), the web server for health and readiness views, and tasks
such as the matcher's watchlist follower. The stage consumes and produces itself (see
stage/kafka.py for why), so faust's own Kafka consumer and producer are not started.

`run_service` starts everything a worker process serves: its operator listener (services/shared/
operator_http.py) on the metrics port, then the worker with its web views on the web port. Both
answer /healthz and /readyz from the same Health object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import faust
from faust.app.base import BootStrategy

from services.shared import metrics
from services.shared.health import Health
from services.shared.kafka_security import aiokafka_options
from services.shared.lag import LagMonitor, total
from services.shared.logs import quiet_repeated_client_errors
from services.shared.operator_http import serve_operator_endpoints
from services.shared.settings import Settings
from services.shared.stage import KafkaOptions, KafkaTransport, Output, Stage, StageConfig
from services.shared.stage.runner import Handler
from services.shared.topics import group_id


class _WithoutFaustKafka(BootStrategy):
    enable_kafka = False


class WorkerApp(faust.App):
    BootStrategy = _WithoutFaustKafka
    #: what the worker's readiness depends on; every listener of the process answers from it
    health: Health


def kafka_options(settings: Settings, service: str) -> KafkaOptions:
    return KafkaOptions(
        connection=aiokafka_options(settings, service),
        group_id=group_id(settings, service),
        client_id=f"interdict-{service}",
        max_record_bytes=settings.max_message_bytes,
        linger_ms=settings.producer_linger_ms,
        batch_bytes=settings.producer_batch_bytes,
        compression=settings.producer_compression or None,
        session_timeout_ms=int(settings.kafka_session_timeout_seconds * 1000),
    )


def create_app(service: str, settings: Settings, web_port: int) -> WorkerApp:
    datadir = settings.state_dir / "faust" / service
    datadir.mkdir(parents=True, exist_ok=True)
    app = WorkerApp(
        f"{settings.app_id_prefix}-{service}",
        broker=f"kafka://{settings.kafka_bootstrap}",
        store="memory://",
        topic_allow_declare=False,
        topic_disable_leader=True,
        web_port=web_port,
        web_host=settings.web_host,
        web_bind=settings.web_host,  # faust binds 0.0.0.0 unless told: listen where the settings say
        datadir=str(datadir),
    )
    # faust lets the environment's WEB_BIND win over the argument above: the settings decide, always.
    app.conf.web_bind = settings.web_host
    app.health = Health(service)
    add_health_views(app)
    return app


def add_health_views(app: WorkerApp) -> None:
    """/healthz: the process and its loop are alive; /readyz: 200 once every readiness check
    passes, 503 before. /health/ answers as /readyz: the matcher's older name for it, kept so that
    every worker answers it (and deployments probing it keep working)."""

    @app.page("/healthz")
    async def alive(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        report = app.health.liveness()
        return web.json(report, status=200 if report["alive"] else 503)

    async def ready(web: faust.web.View, request: faust.web.Request) -> faust.web.Response:
        report = app.health.readiness()
        return web.json(report, status=200 if report["ready"] else 503)

    app.page("/readyz")(ready)
    app.page("/health/")(ready)

    @app.task
    async def heartbeat() -> None:
        await app.health.heartbeat.run()


def host_stage(
    app: WorkerApp,
    settings: Settings,
    handler: Handler,
    sources: list[str],
    dead_letter_topic: str,
    transactional: bool = False,
    before_start: Callable[[], Awaitable[None]] | None = None,
    on_committed: Callable[[Output, float], None] | None = None,
) -> Stage:
    """Run a stage reading `sources` as a task of `app`; the app is ready once the stage is."""
    service = app.conf.id.removeprefix(f"{settings.app_id_prefix}-")
    transport = KafkaTransport(kafka_options(settings, service), sources, transactional=transactional)
    config = StageConfig(
        service=service,
        dead_letter_topic=dead_letter_topic,
        max_batch=settings.batch_max_records,
        fetch_wait_s=settings.batch_wait_ms / 1000,
        on_committed=on_committed,
    )
    stage = Stage(config, transport, handler)
    metrics.stage_series_at_zero(service)

    @app.task
    async def run_stage() -> None:
        if before_start is not None:
            await before_start()
        await stage.run()

    app.health.require("stage", lambda: stage.ready)  # joined its group and fetched
    app.health.require("connected", lambda: not stage.stalled)  # no dependency away
    app.health.describe(lambda: {"batches": stage.batches})
    # every worker measures its own group's lag: why there and not in one process, see lag.py
    monitor = LagMonitor(settings, group_id(settings, service), sources, settings.lag_interval_seconds, service)

    @app.task
    async def export_lag() -> None:
        await monitor.run()

    app.health.describe(lambda: {"lag": total(monitor.latest) if monitor.latest else None})
    return stage


def run_service(app: WorkerApp, settings: Settings, metrics_port: int, loglevel: str = "INFO") -> None:
    """The whole worker process: its operator listener (/metrics, /healthz, /readyz) on the
    configured host, then the worker."""
    quiet_repeated_client_errors()
    serve_operator_endpoints(settings.web_host, metrics_port, app.health)
    run_worker(app, loglevel=loglevel)


def run_worker(app: faust.App, loglevel: str = "INFO") -> None:
    """Start a faust worker in this process until it is told to stop (SIGINT or SIGTERM)."""
    worker = faust.Worker(app, loglevel=loglevel, redirect_stdouts=False)
    worker.execute_from_commandline()
