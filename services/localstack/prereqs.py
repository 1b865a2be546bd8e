"""The programs the local stack runs, what building PyICU and the matcher engine take, the
Prometheus the deploy/ tests run, and installing them on Debian-like machines.

CI starts from a bare machine as root, so there we install what is missing with apt-get. A
developer's machine is never changed behind their back: without root we say what to install.

`make setup` runs this module before the project is installed (`python -m
services.localstack.prereqs pyicu-build`, then `... engine-build`, `... prometheus` and `...
chromium`), so it uses the standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

#: Program -> Debian package that provides it.
PACKAGES: dict[str, str] = {
    "java": "default-jre-headless",
    "mvn": "maven",
    "redis-server": "redis-server",
    # the local broker's TLS listener: its CA and certificate
    "openssl": "openssl",
    # Debian's Prometheus: the tests run the real server on a running pipeline, and promtool
    # checks deploy/prometheus. On a machine with systemd the package also starts its own
    # service on :9090; nothing here uses it.
    "prometheus": "prometheus",
    "promtool": "prometheus",
    # Debian's chromium: the desk console's browser test drives it headless through Playwright,
    # which must never download a browser of its own (about 100 MB with its libraries).
    "chromium": "chromium",
}

#: What the deploy/ tests run.
MONITORING_PROGRAMS = ("prometheus", "promtool")

#: What the desk console's browser test runs.
BROWSER_PROGRAMS = ("chromium",)


class MissingPrerequisite(RuntimeError):
    pass


def missing_programs(programs: Iterable[str]) -> list[str]:
    return [program for program in programs if shutil.which(program) is None]


def can_install() -> bool:
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def install_command(missing: list[str]) -> str:
    return apt_get_command(list(dict.fromkeys(PACKAGES[program] for program in missing)))


def apt_get_command(packages: list[str]) -> str:
    """What to run by hand, as a user with sudo, to install `packages`."""
    return f"sudo apt-get install -y {' '.join(packages)}"


def ensure_programs(programs: Iterable[str], say: Callable[[str], None] = print, show_progress: bool = False) -> None:
    """Make sure every program is on PATH, installing with apt-get when we are allowed to
    (`show_progress`: apt-get's own output passes through, for a long install)."""
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
    _apt_get(["update", "-q"], show_progress)
    _apt_get(["install", "-y", "-q", "--no-install-recommends", *packages], show_progress)
    still_missing = missing_programs(missing)
    if still_missing:
        raise MissingPrerequisite(
            f"apt-get installed {', '.join(packages)} but {', '.join(still_missing)} is still not on PATH"
        )


def _apt_get(arguments: list[str], show_progress: bool = False) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if show_progress:
        code = subprocess.run(["apt-get", *arguments], env=env, stdin=subprocess.DEVNULL).returncode
        if code != 0:
            raise MissingPrerequisite(f"apt-get {' '.join(arguments)} failed ({code}); its output is above")
        return
    result = subprocess.run(
        ["apt-get", *arguments], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-20:])
        raise MissingPrerequisite(f"apt-get {' '.join(arguments)} failed ({result.returncode}):\n{tail}")


# --- building PyICU ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildPrerequisite:
    """Something compiling a C/C++ extension needs, how to tell it is there, and its Debian package."""

    what: str
    package: str
    is_present: Callable[[], bool]


def has_pkg_config_module(module: str) -> bool:
    if shutil.which("pkg-config") is None:
        return False
    return subprocess.run(["pkg-config", "--exists", module], stdin=subprocess.DEVNULL).returncode == 0


def has_python_headers() -> bool:
    return (Path(sysconfig.get_paths()["include"]) / "Python.h").is_file()


#: PyICU, which normality needs, has no wheel on PyPI: pip compiles it against the system's ICU,
#: found through pkg-config, with a C++ compiler and this Python's headers.
PYICU_BUILD_PREREQUISITES: tuple[BuildPrerequisite, ...] = (
    BuildPrerequisite("pkg-config", "pkg-config", lambda: shutil.which("pkg-config") is not None),
    BuildPrerequisite("ICU headers (pkg-config icu-uc)", "libicu-dev", lambda: has_pkg_config_module("icu-uc")),
    BuildPrerequisite("a C++ compiler (g++)", "g++", lambda: shutil.which("g++") is not None),
    BuildPrerequisite("Python headers (Python.h)", "python3-dev", has_python_headers),
)


#: The matcher engine's mypyc build (scripts/compile_matcher.py): C, against this Python's headers.
ENGINE_BUILD_PREREQUISITES: tuple[BuildPrerequisite, ...] = (
    BuildPrerequisite("a C compiler (gcc)", "gcc", lambda: shutil.which("gcc") is not None),
    BuildPrerequisite("Python headers (Python.h)", "python3-dev", has_python_headers),
)


def ensure_build_prerequisites(
    prerequisites: Iterable[BuildPrerequisite] = PYICU_BUILD_PREREQUISITES,
    purpose: str = "building PyICU",
    say: Callable[[str], None] = print,
) -> None:
    """Make sure everything in `prerequisites` is there, installing with apt-get when we are allowed to."""
    missing = [prerequisite for prerequisite in prerequisites if not prerequisite.is_present()]
    if not missing:
        return
    packages = list(dict.fromkeys(prerequisite.package for prerequisite in missing))
    wanted = ", ".join(prerequisite.what for prerequisite in missing)
    if not can_install():
        raise MissingPrerequisite(
            f"{purpose} needs {wanted}. Install them, e.g. on Debian/Ubuntu: {apt_get_command(packages)}"
        )
    say(f"installing {' '.join(packages)} with apt-get ({purpose} needs {wanted})")
    _apt_get(["update", "-q"])
    _apt_get(["install", "-y", "-q", "--no-install-recommends", *packages])
    still_missing = ", ".join(prerequisite.what for prerequisite in missing if not prerequisite.is_present())
    if still_missing:
        raise MissingPrerequisite(f"apt-get installed {' '.join(packages)} but {still_missing} is still missing")


def main(arguments: list[str]) -> int:
    """`python -m services.localstack.prereqs pyicu-build | engine-build | prometheus | chromium`: for
    `make setup`, before pip builds PyICU and mypyc the engine, and for the tests that run Prometheus
    or a browser."""
    steps: dict[str, Callable[[Callable[[str], None]], None]] = {
        "pyicu-build": lambda say: ensure_build_prerequisites(PYICU_BUILD_PREREQUISITES, say=say),
        "engine-build": lambda say: ensure_build_prerequisites(
            ENGINE_BUILD_PREREQUISITES, "compiling the matcher engine", say=say),
        "prometheus": lambda say: ensure_programs(MONITORING_PROGRAMS, say=say, show_progress=True),
        "chromium": lambda say: ensure_programs(BROWSER_PROGRAMS, say=say, show_progress=True),
    }
    if len(arguments) != 1 or arguments[0] not in steps:
        print(f"usage: python -m services.localstack.prereqs {{{' | '.join(steps)}}}", file=sys.stderr)
        return 2

    def say(message: str) -> None:
        print(f"setup: {message}", flush=True)  # before apt-get's silent minute, not after it

    try:
        steps[arguments[0]](say)
    except MissingPrerequisite as error:
        print(f"setup: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
