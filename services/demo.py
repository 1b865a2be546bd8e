"""`make run`: the whole system end to end on the local stack, then a per-desk summary.

Steps: topics ensured, OFAC SDN imported into Redis, one worker of each service started; the sample
feed published, then the samples of every format and a generated feed in CSV, CUSCAR and AIS; once
every service has caught up, the alerts each desk received and the dead-lettered messages are
printed. Last, the desk console's address and a desk token for Mexico's desk are printed: in a
terminal, the console (with the desk store) keeps running until Ctrl-C, for a newcomer to sign in
and look; elsewhere (CI) the demo ends there. The workers are stopped on the way out, on failure too.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from contextlib import ExitStack, suppress
from pathlib import Path
from types import FrameType

import httpx
import redis
from rich.console import Console
from rich.table import Table

from services.admin.tokens import Role, TokenError, TokenStore
from services.feed.generate import write_feed_file
from services.feed.publish import publish_file
from services.localstack.workers import running_worker
from services.notifier.book import book_patterns
from services.shared.kafka_admin import ensure_topics
from services.shared.models import Alert, AlertMatch
from services.shared.outputs import Outputs, marks, read_outputs
from services.shared.progress import wait_until_caught_up
from services.shared.redis_clients import RedisUser, sync_client
from services.shared.settings import PARTNER_COUNTRIES, PROJECT_ROOT, Settings
from services.watchlist.demo_source import demo_ofac_dir
from services.watchlist.importers.ofac_sdn import parse_ofac_sdn
from services.watchlist.writer import WatchlistWriter

SAMPLE_FEED = PROJECT_ROOT / "feeds" / "sample-manifests.jsonl"
SAMPLES = PROJECT_ROOT / "feeds" / "samples"
#: A generated feed in each format besides JSON, under the name of a feed that sends it (feeds.toml).
GENERATED_FEEDS = {"csv": "customs-anam-mx", "cuscar": "customs-dian-co", "ais": "ais-caribbean"}
SERVICES = ("ingest", "matcher", "notifier", "deskstore", "console")
#: The desk whose token the demo prints, and the token's holder.
CONSOLE_DESK, CONSOLE_OFFICER = "MX", "demo.mx"
CATCH_UP_TIMEOUT_S = 120.0

console = Console()


def run_demo(settings: Settings, feed: Path = SAMPLE_FEED, ofac_dir: Path | None = None) -> int:
    console.rule("[bold]Interdiction alerting demo")
    ofac_dir = ofac_dir or demo_ofac_dir()
    created = ensure_topics(settings)
    console.print(f"topics ready ({len(created)} created)")
    client = sync_client(settings, RedisUser.STACK)  # the demo resets the stack's ledgers: its own user
    report = WatchlistWriter(client, settings.redis_key_prefix).import_list(
        "ofac-sdn", parse_ofac_sdn(ofac_dir), owner_country="US", title="OFAC SDN", actor="demo"
    )
    console.print(
        f"OFAC SDN from {ofac_dir}: version {report.version}, {len(report.added)} added, "
        f"{len(report.changed)} changed, {len(report.removed)} removed, {len(report.unchanged)} unchanged"
    )
    forget_deliveries(client, settings)
    with ExitStack() as stack:
        for service in SERVICES:
            process = stack.enter_context(running_worker(service, settings))
            console.print(f"started {service} (pid {process.pid}, log in {settings.state_dir / 'logs'})")
        result = publish_and_collect(settings, [(feed, None, None), *other_formats(settings)])
        print_summary(result)
        introduce_console(settings, client)
        if sys.stdin.isatty():
            console.print("The console runs until Ctrl-C (which stops the workers and `make run` the stack).")
            until_stopped()
    return 0


def introduce_console(settings: Settings, client: redis.Redis) -> None:
    """The desk console's address and a fresh desk token to sign in with (the demo's last words)."""
    address = f"http://{settings.web_host}:{settings.console_port}"
    ready = console_ready(address)
    tokens = TokenStore(client, settings)
    with suppress(TokenError):  # none yet; a token is shown once, so each run makes a new one
        tokens.revoke(CONSOLE_OFFICER)
    token = tokens.create(CONSOLE_OFFICER, Role.DESK, CONSOLE_DESK)
    console.rule("[bold]Desk console")
    console.print(f"open [bold]{address}/login[/] ({'ready' if ready else 'not ready yet: see its log'}) and "
                  f"paste desk {CONSOLE_DESK}'s token:")
    console.print(token, soft_wrap=True, highlight=False)
    console.print(f"(made with: interdict admin token create --role desk --name {CONSOLE_OFFICER} "
                  f"--country {CONSOLE_DESK.lower()})")


def console_ready(address: str, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{address}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def until_stopped() -> None:
    """Wait for Ctrl-C or SIGTERM (scripts/with-stack.sh turns Ctrl-C into a SIGTERM of the demo)."""
    stopped = threading.Event()

    def stop(_signal: int, _frame: FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    with suppress(KeyboardInterrupt):
        stopped.wait()


def other_formats(settings: Settings) -> list[tuple[Path, str | None, str | None]]:
    """The samples of every format (feeds/samples), and a generated feed in each non-JSON format
    with some listed identities planted, as the feeds that send them would publish them."""
    files: list[tuple[Path, str | None, str | None]] = [(path, None, None) for path in sorted(SAMPLES.iterdir())]
    folder = settings.state_dir / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for format_name, feed_name in GENERATED_FEEDS.items():
        path = folder / f"generated.{format_name}"
        write_feed_file(path, format_name, count=30, hit_rate=0.15, seed=2026, feed=feed_name)
        files.append((path, format_name, feed_name))
    return files


def forget_deliveries(client: redis.Redis, settings: Settings) -> None:
    """The notifier updates an alert only with what a desk has not seen and ingest processes a
    manifest once; the demo re-sends the same manifests, so it forgets both to show the alerts
    again (a desk reading from the beginning sees each alert once all the same: it keeps the
    latest version of each alert id). Never do this on a real deployment."""
    # ingest, too, processes an unchanged manifest once: forget the versions and vessel sightings
    patterns = [*book_patterns(settings.redis_key_prefix), f"{settings.redis_key_prefix}:manifest:*"]
    patterns.append(f"{settings.redis_key_prefix}:vessel:*")
    for pattern in patterns:
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)


def publish_and_collect(settings: Settings, files: list[tuple[Path, str | None, str | None]]) -> Outputs:
    # a backlog from an earlier, interrupted run is not this run's output
    wait_until_caught_up(settings, CATCH_UP_TIMEOUT_S)
    start = marks(settings)
    for path, format_name, feed_name in files:
        count = publish_file(path, settings, format_name=format_name, feed=feed_name)
        console.print(f"published {count} messages from {path.name}" + (f" as feed {feed_name}" if feed_name else ""))
    console.print("waiting for the services to catch up")
    wait_until_caught_up(settings, CATCH_UP_TIMEOUT_S)
    return read_outputs(settings, start)


def describe_subject(match: AlertMatch) -> str:
    if match.entry is not None:
        return f"{match.entry.primary_name} ({match.entry.entry_id})"
    assert match.conflict is not None
    return f"identity conflict: {match.conflict.vessel_name} ({match.conflict.kind.value})"


def print_summary(result: Outputs) -> None:
    """Each desk's alerts as it holds them once it has read everything: the latest version of each."""
    by_desk: dict[str, list[Alert]] = defaultdict(list)
    for alert in result.latest().values():
        by_desk[alert.desk_country].append(alert)
    table = Table(title="Alerts by desk (latest version of each; one alert per manifest)", show_lines=True)
    for column in ("desk", "alerts", "alert", "manifest", "severity", "matched", "score", "seen"):
        table.add_column(column)
    for desk in PARTNER_COUNTRIES:
        received = sorted(by_desk.get(desk, []), key=lambda alert: alert.manifest.manifest_id)
        if not received:
            table.add_row(desk, "0", "", "", "", "", "", "")
        for index, alert in enumerate(received):
            for number, match in enumerate(alert.matches):
                first = number == 0
                table.add_row(
                    desk if index == 0 and first else "",
                    str(len(received)) if index == 0 and first else "",
                    f"{alert.alert_id} v{alert.version}" if first else "",
                    f"{alert.manifest.manifest_id} ({alert.manifest.format or 'json'})" if first else "",
                    match.severity.value,
                    describe_subject(match),
                    f"{match.score:.2f}",
                    str(match.count),
                )
    console.print(table)
    dead = Table(title=f"Dead-lettered messages: {len(result.dead_letters)}")
    for column in ("key", "reason", "why"):
        dead.add_column(column)
    for letter in result.dead_letters:
        dead.add_row(letter.key, letter.reason, letter.message)
    console.print(dead)
    latest = list(result.latest().values())
    formats = Counter(alert.manifest.format or "json" for alert in latest)
    console.print(
        f"[bold]{len(latest)} alerts ({len(result.alerts)} versions) on {len(by_desk)} desks, "
        f"{len(result.dead_letters)} dead-lettered messages"
    )
    console.print(
        "alerts by the format their manifest came in: " + ", ".join(f"{k} {v}" for k, v in sorted(formats.items()))
    )
