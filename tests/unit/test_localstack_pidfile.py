"""Pid files: stale ones are cleared, and only processes we started are ever signalled."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.localstack.pidfile import PidFile, process_alive, stop_process

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]
#: Ignores SIGTERM, so only SIGKILL can stop it.
STUBBORN = [
    sys.executable,
    "-c",
    "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', flush=True); time.sleep(60)",
]

#: The `spawn` fixture: start argv in a directory; every process started is killed afterwards.
Spawn = Callable[[list[str], Path], subprocess.Popen[bytes]]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    started: list[subprocess.Popen[bytes]] = []

    def _spawn(argv: list[str], cwd: Path) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE)
        started.append(process)
        return process

    yield _spawn
    for process in started:
        process.kill()
        process.wait()


def test_missing_or_garbled_pid_file_reads_as_none(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    assert pid_file.read() is None
    for garbage in ("", "abc", "-5", "0", "12 34"):
        pid_file.path.write_text(garbage)
        assert pid_file.read() is None, garbage
        assert pid_file.running_pid() is None


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    pid_file = PidFile(tmp_path / "sub" / "x.pid", tmp_path)
    pid_file.write(4242)
    assert pid_file.read() == 4242
    assert not list((tmp_path / "sub").glob("*.tmp"))


def test_a_live_process_started_in_the_owner_dir_is_ours(tmp_path: Path, spawn: Spawn) -> None:
    process = spawn(SLEEPER, tmp_path)
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(process.pid)
    assert pid_file.running_pid() == process.pid
    assert not pid_file.is_stale()


def test_pid_of_a_dead_process_is_stale_and_cleared(tmp_path: Path, spawn: Spawn) -> None:
    process = spawn([sys.executable, "-c", "pass"], tmp_path)
    process.wait()
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(process.pid)
    assert pid_file.is_stale()
    assert pid_file.clear_if_stale()
    assert not pid_file.path.exists()


def test_a_zombie_does_not_count_as_running(tmp_path: Path, spawn: Spawn) -> None:
    process = spawn([sys.executable, "-c", "pass"], tmp_path)
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(process.pid)
    # Never reaped (no wait()), so once it exits the pid lingers as a zombie.
    deadline = time.monotonic() + 10
    while process_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert Path(f"/proc/{process.pid}").exists(), "expected an unreaped zombie"
    assert not process_alive(process.pid)
    assert pid_file.running_pid() is None


def test_stop_never_signals_a_process_started_elsewhere(tmp_path: Path, spawn: Spawn) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    stranger = spawn(SLEEPER, elsewhere)  # same user, alive, but not started in our dir
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(stranger.pid)

    outcome = stop_process(pid_file, timeout_s=1)

    assert outcome == "not running (stale pid file removed)"
    assert stranger.poll() is None, "the stranger must still be running"
    assert not pid_file.path.exists()


def test_stop_terminates_our_process_and_removes_the_pid_file(tmp_path: Path, spawn: Spawn) -> None:
    process = spawn(SLEEPER, tmp_path)
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(process.pid)

    assert stop_process(pid_file, timeout_s=10) == f"stopped (pid {process.pid})"
    assert process.wait(timeout=5) == -15
    assert not pid_file.path.exists()


def test_stop_escalates_to_sigkill_after_the_timeout(tmp_path: Path, spawn: Spawn) -> None:
    process = spawn(STUBBORN, tmp_path)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    pid_file = PidFile(tmp_path / "x.pid", tmp_path)
    pid_file.write(process.pid)

    outcome = stop_process(pid_file, timeout_s=0.5)

    assert outcome.startswith("killed after")
    assert process.wait(timeout=5) == -9
    assert not pid_file.path.exists()


def test_stop_without_pid_file_is_a_no_op(tmp_path: Path) -> None:
    assert stop_process(PidFile(tmp_path / "x.pid", tmp_path)) == "not running"
