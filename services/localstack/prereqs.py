"""The programs the local stack runs, and installing them on Debian-like machines.

CI starts from a bare machine as root, so there we install what is missing with apt-get. A
developer's machine is never changed behind their back: without root we say what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable

#: Program -> Debian package that provides it.
PACKAGES: dict[str, str] = {
    "java": "default-jre-headless",
    "mvn": "maven",
    "redis-server": "redis-server",
}


class MissingPrerequisite(RuntimeError):
    pass


def missing_programs(programs: Iterable[str]) -> list[str]:
    return [program for program in programs if shutil.which(program) is None]


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def install_command(missing: list[str]) -> str:
    packages = " ".join(dict.fromkeys(PACKAGES[program] for program in missing))
    return f"sudo apt-get install -y {packages}"


def ensure_programs(programs: Iterable[str], say: Callable[[str], None] = print) -> None:
    """Make sure every program is on PATH, installing with apt-get when we are allowed to."""
    missing = missing_programs(programs)
    if not missing:
        return
    if not can_install():
        raise MissingPrerequisite(
            f"missing program(s): {', '.join(missing)}. Install them, e.g. on Debian/Ubuntu: "
            f"{install_command(missing)}"
        )
    packages = list(dict.fromkeys(PACKAGES[program] for program in missing))
    say(f"installing {', '.join(packages)} with apt-get (missing: {', '.join(missing)})")
    _apt_get(["update", "-q"])
    _apt_get(["install", "-y", "-q", "--no-install-recommends", *packages])
    still_missing = missing_programs(missing)
    if still_missing:
        raise MissingPrerequisite(
            f"apt-get installed {', '.join(packages)} but {', '.join(still_missing)} is still not on PATH"
        )


def _apt_get(arguments: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    result = subprocess.run(
        ["apt-get", *arguments], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise MissingPrerequisite(f"apt-get {' '.join(arguments)} failed ({result.returncode}):\n{tail}")
