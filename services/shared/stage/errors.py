"""Which produce errors are about the record itself, and which are the broker being away.

Only an error that says the record can never be written (too large, malformed) dead-letters its
input. Everything else, including errors that usually mean a misconfiguration (an unknown topic,
a missing ACL), stalls the stage and retries: dead-lettering a whole stream because of a typo in
a deployment would be far worse than a stall an operator sees in the metrics.
"""

from __future__ import annotations

from enum import Enum

import redis.exceptions


class Failure(Enum):
    TOO_LARGE = "too_large"
    REJECTED = "rejected"
    TRANSIENT = "transient"


_TOO_LARGE = frozenset({"MessageSizeTooLargeError", "RecordTooLargeError", "RecordListTooLargeError", "RecordTooLarge"})
_RECORD_REJECTED = frozenset({"CorruptRecordException", "InvalidRecordError", "InvalidTimestampError", "InvalidRecord"})


def classify(error: BaseException) -> Failure:
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & _TOO_LARGE:
        return Failure.TOO_LARGE
    if names & _RECORD_REJECTED:
        return Failure.REJECTED
    return Failure.TRANSIENT


def dependency_of(error: BaseException) -> str:
    """For the retry metric: what the stage was waiting for."""
    return "redis" if isinstance(error, redis.exceptions.RedisError) else "kafka"
