"""Why a message is not a valid manifest."""

from __future__ import annotations


class InvalidManifest(Exception):
    """A message that is not a valid manifest; `reason` is a short code for metrics and headers."""

    def __init__(self, reason: str, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.error_class = type(self).__qualname__
        if cause is not None:
            self.error_class = f"{type(cause).__module__}.{type(cause).__qualname__}"
