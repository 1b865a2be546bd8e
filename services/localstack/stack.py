"""Bring the local stack up, down, or report on it.

`up` is idempotent: healthy servers we started are left alone, stale pid files are cleared, and
a server some other tool already runs on the configured port is used as is (and never stopped
by `down`). Topics are created explicitly once the broker answers.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

from services.localstack.cluster import stack_servers, topic_settings
from services.localstack.config import StackConfigError, StackPaths, is_secured, stack_paths
from services.localstack.ephemeral import ephemeral_range, refuse_ephemeral_ports
from services.localstack.pidfile import stop_process
from services.localstack.prereqs import ensure_programs
from services.localstack.security import provision
from services.localstack.servers import Say, Server, StackError, log_tail, port_in_use
from services.shared.kafka_admin import ensure_topics
from services.shared.settings import Settings


class State(str, Enum):
    OURS = "running"
    EXTERNAL = "external"  # answering on our port, but not started by this stack
    STOPPED = "stopped"
    STALE = "stale pid file"
    PORT_TAKEN = "port taken"  # something else holds the port and is not a healthy server


@dataclass(frozen=True)
class ServerStatus:
    component: str
    pid: int | None
    address: str
    state: State
    problem: str | None  # None when healthy

    @property
    def healthy(self) -> bool:
        return self.problem is None


@contextmanager
def _stack_lock(paths: StackPaths, say: Say) -> Iterator[None]:
    # Two `make test` runs sharing a state dir must not both start a broker on the same port.
    paths.state_dir.mkdir(parents=True, exist_ok=True)
    with paths.lock_file.open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say("another stack command is running on this state dir; waiting for it")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _state(server: Server) -> tuple[State, int | None]:
    pid = server.pid_file.running_pid()
    if pid is not None:
        return State.OURS, pid
    if any(port_in_use(endpoint) for endpoint in server.ports()):
        return (State.EXTERNAL if server.probe() is None else State.PORT_TAKEN), None
    return (State.STALE if server.pid_file.path.exists() else State.STOPPED), None


def status(settings: Settings) -> list[ServerStatus]:
    rows = []
    for server in stack_servers(settings, stack_paths(settings)):
        state, pid = _state(server)
        problem = server.probe() if state in (State.OURS, State.EXTERNAL) else state.value
        rows.append(ServerStatus(server.name, pid, server.address(), state, problem))
    return rows


def up(settings: Settings, timeout_s: float, say: Say = print) -> list[str]:
    """Start what is not running, wait until everything answers, create the topics.

    Returns the topics created. On failure, stops whatever this call started.
    """
    paths = stack_paths(settings)
    stack = stack_servers(settings, paths)  # validates addresses before anything happens
    _refuse_ephemeral(stack)
    with _stack_lock(paths, say):
        to_start = _plan(stack, say)
        ensure_programs({p for server in to_start for p in server.programs_needed()}, say)
        started: list[tuple[Server, subprocess.Popen[bytes]]] = []
        try:
            for server in to_start:
                server.prepare(say)
                say(f"starting {server.name} on {server.address()}")
                started.append((server, server.start()))
            deadline = time.monotonic() + timeout_s
            processes = dict((s.name, p) for s, p in started)
            for server in stack:
                _wait_healthy(server, processes.get(server.name), deadline, timeout_s)
            if is_secured(settings):
                say("creating the Kafka principals and their ACLs")
                provision(settings)
            created = ensure_topics(topic_settings(settings))
        except BaseException:
            for server, process in reversed(started):
                say(f"stopping {server.name} (start-up did not complete)")
                stop_process(server.pid_file, timeout_s=15)
                process.wait()
            raise
    say(f"stack up: {', '.join(f'{s.name} {s.address()}' for s in stack)}; "
        f"{len(created)} topic(s) created")  # fmt: skip
    return created


def _refuse_ephemeral(stack: list[Server]) -> None:
    refuse_ephemeral_ports(
        ((server.name, endpoint.port) for server in stack for endpoint in server.ports()), ephemeral_range()
    )


def ephemeral_warning(settings: Settings) -> str | None:
    """Why the stack's ports are a problem (see ephemeral.py), for `status`; None when they are not."""
    try:
        _refuse_ephemeral(stack_servers(settings, stack_paths(settings)))
    except StackConfigError as error:
        return str(error)
    return None


def _plan(stack: list[Server], say: Say) -> list[Server]:
    """The servers that need starting; refuses when a port is held by something unknown."""
    to_start = []
    for server in stack:
        state, pid = _state(server)
        if state is State.OURS:
            say(f"{server.name} already running (pid {pid})")
        elif state is State.EXTERNAL:
            say(f"{server.name}: {server.address()} is served by a process this stack did not "
                "start; using it as is (`down` will leave it alone)")  # fmt: skip
        elif state is State.PORT_TAKEN:
            raise StackError(
                f"{server.name}: a port of {server.address()} is in use by another program that "
                f"is not a healthy {server.name}; stop it or choose other ports in the INTERDICT_* settings"
            )
        else:
            if server.pid_file.clear_if_stale():
                say(f"{server.name}: removed stale pid file {server.pid_file.path}")
            to_start.append(server)
    return to_start


def _wait_healthy(
    server: Server, process: subprocess.Popen[bytes] | None, deadline: float, timeout_s: float
) -> None:
    while True:
        problem = server.probe()
        if problem is None:
            return
        if process is not None and process.poll() is not None:
            raise StackError(
                f"{server.name} exited with code {process.returncode} while starting; "
                f"last lines of {server.log_path}:\n{log_tail(server.log_path)}"
            )
        if time.monotonic() >= deadline:
            raise StackError(
                f"{server.name} on {server.address()} not healthy after {timeout_s:.0f}s "
                f"({problem}); last lines of {server.log_path}:\n{log_tail(server.log_path)}"
            )
        time.sleep(0.5)


def down(settings: Settings, timeout_s: float, say: Say = print) -> None:
    """Stop the servers this stack started (SIGKILL after timeout_s); leave others alone."""
    paths = stack_paths(settings)

    def stop(server: Server) -> str:
        outcome = stop_process(server.pid_file, timeout_s=timeout_s)
        if outcome.startswith("not running") and any(port_in_use(e) for e in server.ports()):
            outcome += f"; {server.address()} is served by a process this stack did not start, left alone"
        return outcome

    with _stack_lock(paths, say):
        # All at once: the brokers of a cluster stopped one by one leave the last without a quorum,
        # and it then waits out the whole timeout for a controlled shutdown that cannot happen.
        servers = list(reversed(stack_servers(settings, paths)))
        with ThreadPoolExecutor(max_workers=len(servers)) as pool:
            for server, outcome in zip(servers, pool.map(stop, servers), strict=True):
                say(f"{server.name}: {outcome}")


def reset(settings: Settings, say: Say = print) -> list[str]:
    """Delete every record the stack's servers keep (topics, offsets, watchlists), so that the next
    `up` starts empty; the Kafka jars, credentials, TLS files and settings stay. Refused while a
    server of this stack runs. Returns what was deleted.

    The test targets start from this clean slate: a broker restarted on the metadata of a whole test
    run (thousands of topics created and deleted) once refused every login for minutes.
    """
    paths = stack_paths(settings)
    with _stack_lock(paths, say):
        servers = stack_servers(settings, paths)
        running = [server.name for server in servers if server.pid_file.running_pid() is not None]
        if running:
            raise StackError(f"{', '.join(running)} still running: `stack down` first")
        removed = []
        for path in (path for server in servers for path in server.data_paths()):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
            else:
                continue
            removed.append(str(path))
    say(f"reset: {len(removed)} data path(s) deleted" + (f" ({', '.join(removed)})" if removed else ""))
    return removed
