"""Pid files that can tell our processes from strangers.

A pid file alone is not proof: after a reboot or a crash the pid may belong to anything. We
start each server with its own state directory as working directory, so a pid counts as ours
only while that process is alive (not a zombie) and its cwd is that directory. Anything else is
a stale pid file, which is removed and never signalled.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


def _is_zombie(pid: int) -> bool:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    # The state letter follows the parenthesised command name, which may itself contain ')'.
    return stat[stat.rindex(")") + 2 :].startswith("Z")


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, but belongs to another user
    return not _is_zombie(pid)


def process_cwd(pid: int) -> Path | None:
    """The process's working directory, or None when it is gone or not ours to inspect."""
    try:
        return Path(os.readlink(_PROC / str(pid) / "cwd"))
    except OSError:
        return None


@dataclass(frozen=True)
class PidFile:
    path: Path
    #: The working directory the process was started in; proof that a pid is ours.
    owner_dir: Path

    def read(self) -> int | None:
        """The recorded pid, or None when there is no pid file or it holds no valid pid."""
        try:
            text = self.path.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() and int(text) > 0 else None

    def write(self, pid: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(f"{pid}\n")
        tmp.replace(self.path)  # atomic: a reader never sees a half-written pid

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)

    def owns(self, pid: int) -> bool:
        if not process_alive(pid):
            return False
        cwd = process_cwd(pid)
        return cwd is not None and cwd.resolve() == self.owner_dir.resolve()

    def running_pid(self) -> int | None:
        """The pid of our live process, or None. Does not touch the file."""
        pid = self.read()
        return pid if pid is not None and self.owns(pid) else None

    def is_stale(self) -> bool:
        return self.path.exists() and self.running_pid() is None

    def clear_if_stale(self) -> bool:
        """Remove a pid file that points at nothing of ours; True if it did."""
        if self.is_stale():
            self.remove()
            return True
        return False


def stop_process(pid_file: PidFile, timeout_s: float = 30.0, kill_timeout_s: float = 10.0) -> str:
    """Stop the process recorded in pid_file if, and only if, it is ours.

    SIGTERM first (Kafka and Redis both shut down cleanly on it), SIGKILL after timeout_s.
    Returns what happened, for the user. The pid file is removed in every case.
    """
    pid = pid_file.running_pid()
    if pid is None:
        stale = pid_file.path.exists()
        pid_file.remove()
        return "not running (stale pid file removed)" if stale else "not running"
    os.kill(pid, signal.SIGTERM)
    if _wait_gone(pid, timeout_s):
        pid_file.remove()
        return f"stopped (pid {pid})"
    os.kill(pid, signal.SIGKILL)
    if not _wait_gone(pid, kill_timeout_s):
        raise RuntimeError(f"pid {pid} survived SIGKILL for {kill_timeout_s:.0f}s")
    pid_file.remove()
    return f"killed after {timeout_s:.0f}s without stopping (pid {pid})"


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while process_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True
