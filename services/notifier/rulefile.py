"""The severity rule file as the notifier uses it: read at start, read again whenever it changes.

A file that cannot be read, is not TOML or does not validate is refused with every problem named
(file, line or field). At start that stops the notifier: it must not rate alerts by rules nobody
wrote. Once running, a bad edit is logged and counted and the rules in force stay: a typo must
not stop alerts. `interdict severity check FILE` says the same before a file is deployed.
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from services.notifier import metrics
from services.notifier.severity import SeverityRules

log = logging.getLogger(__name__)


class RulesFileError(ValueError):
    """The rule file is unusable; the message names the file and every problem."""


def load_rules(path: Path) -> SeverityRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RulesFileError(f"{path}: cannot be read: {error.strerror or error}") from error
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RulesFileError(f"{path}: not a TOML file: {error}") from error
    try:
        return SeverityRules.model_validate(data)
    except ValidationError as error:
        problems = [f"  {_location(detail['loc'])}: {detail['msg']}" for detail in error.errors()]
        raise RulesFileError(f"{path}: {len(problems)} problem(s):\n" + "\n".join(problems)) from error


def _location(loc: tuple[int | str, ...]) -> str:
    """('base', 2, 'severity') as base[2].severity, as the file's reader thinks of it."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the file)"


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when the file is edited or replaced (a deploy that renames a new file over it)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size, status.st_ino)


class RulesFile:
    """The rules in force, from `path`: checked for a change each time they are asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp = _stamp(path)
        self._rules = load_rules(path)  # a notifier with no valid rules does not start
        metrics.SEVERITY_RULES_VERSION.set(self._rules.version)

    def current(self) -> SeverityRules:
        stamp = _stamp(self.path)
        if stamp is not None and stamp != self._stamp:
            self._stamp = stamp
            self._reload()
        return self._rules

    def _reload(self) -> None:
        try:
            rules = load_rules(self.path)
        except RulesFileError as error:
            metrics.SEVERITY_RULES_REJECTED.inc()
            log.error("severity rules not reloaded, version %d stays in force: %s", self._rules.version, error)
            return
        log.info("severity rules version %d loaded from %s", rules.version, self.path)
        metrics.SEVERITY_RULES_VERSION.set(rules.version)
        self._rules = rules
