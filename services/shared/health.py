"""Whether a service is ready for work, the one answer its /readyz gives, whoever serves it.

A service names what its readiness depends on (its stage has joined its group and fetched, the
matcher's watchlists are loaded...) as checks; it is ready when every check passes. Keeping the
checks in one object lets every listener of the process (faust's web views, the metrics port)
give the same answer, and lets a new kind of process (a desk console) reuse it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class Health:
    def __init__(self, service: str) -> None:
        self.service = service
        self._checks: dict[str, Callable[[], bool]] = {}
        self._details: list[Callable[[], Mapping[str, object]]] = []

    def require(self, name: str, check: Callable[[], bool]) -> None:
        """The service is ready only while `check()` is true."""
        self._checks[name] = check

    def describe(self, details: Callable[[], Mapping[str, object]]) -> None:
        """Add what `details()` returns to every readiness report (for a person reading it)."""
        self._details.append(details)

    def checks(self) -> dict[str, bool]:
        return {name: bool(check()) for name, check in self._checks.items()}

    @property
    def ready(self) -> bool:
        return all(self.checks().values())

    def readiness(self) -> dict[str, object]:
        report: dict[str, object] = {"ready": self.ready}
        for details in self._details:
            report.update(details())
        return report
