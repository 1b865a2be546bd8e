"""Service workers as child processes on this machine: for the demo and the pipeline benchmark
(tests build their own harness on this). A deployment runs workers under its own supervisor."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from services.shared.settings import PROJECT_ROOT, Settings

#: The `interdict` command of each service, where it is not the service's name.
COMMANDS = {"admin": ["admin", "serve"], "console": ["desk", "serve"]}


def start_worker(
    service: str, settings: Settings, log_path: Path, extra_args: Sequence[str] = (), loglevel: str = "WARNING"
) -> subprocess.Popen[bytes]:
    """One worker of `service` (ingest, matcher, notifier, rescreener, deskstore, admin, console), these settings."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    command = COMMANDS.get(service, [service])
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services", *command, "--loglevel", loglevel, *extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **settings.as_environment()},
            cwd=PROJECT_ROOT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes], grace_s: float = 20.0) -> None:
    """SIGTERM (the worker leaves its group and closes its clients), SIGKILL after `grace_s`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def running_worker(
    service: str, settings: Settings, log_path: Path | None = None, extra_args: Sequence[str] = ()
) -> Iterator[subprocess.Popen[bytes]]:
    log_path = log_path or settings.state_dir / "logs" / f"{service}.log"
    process = start_worker(service, settings, log_path, extra_args)
    try:
        yield process
    finally:
        stop_worker(process)
