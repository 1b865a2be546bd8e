"""Waiting out a dependency (Backoff, retry_transient) and folding repeated client log lines."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import redis.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st

from services.shared import backoff as backoff_module
from services.shared.backoff import Backoff, Outage, retry_transient
from services.shared.logs import CLIENT_LOGGERS, RepeatFilter, quiet_repeated_client_errors

# -- Backoff ------------------------------------------------------------------------------------


def delays(backoff: Backoff, count: int) -> list[float]:
    return [round(backoff.next_delay(), 6) for _ in range(count)]


def test_delays_double_up_to_the_ceiling_and_stay_there(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backoff_module.random, "uniform", lambda low, high: high)  # the most jitter allows
    assert delays(Backoff(first=0.1, ceiling=1.0), 7) == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]
    monkeypatch.setattr(backoff_module.random, "uniform", lambda low, high: low)  # the least: half
    assert delays(Backoff(first=0.1, ceiling=1.0), 6) == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]


def test_reset_starts_again_from_the_first_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backoff_module.random, "uniform", lambda low, high: high)
    backoff = Backoff(first=0.1, ceiling=5.0, factor=3.0)
    assert delays(backoff, 3) == [0.1, 0.3, 0.9]
    backoff.reset()
    assert delays(backoff, 2) == [0.1, 0.3]


@settings(max_examples=50, deadline=None, database=None)
@given(first=st.floats(0.001, 1.0), ceiling=st.floats(1.0, 30.0), factor=st.floats(1.1, 4.0),
       count=st.integers(1, 40))
def test_a_delay_is_never_above_the_ceiling_nor_below_half_the_first(
    first: float, ceiling: float, factor: float, count: int
) -> None:
    backoff = Backoff(first=first, ceiling=ceiling, factor=factor)
    for _ in range(count):
        assert first / 2 <= backoff.next_delay() <= ceiling


def test_jitter_spreads_the_delays_of_a_fleet() -> None:
    assert len({Backoff(first=1.0).next_delay() for _ in range(20)}) > 1


# -- Outage -------------------------------------------------------------------------------------


class Clock:
    """A time.monotonic that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_long_outage_is_recalled_once_a_minute_with_its_latest_error(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    outage = Outage("notifier: producing to Kafka", logging.getLogger("test.outage"), clock=clock)
    with caplog.at_level(logging.WARNING, "test.outage"):
        for second, error in [(0, "broker away"), (30, "broker away"), (59, "broker away"), (61, "not leader"),
                              (90, "not leader"), (121, "not leader")]:
            clock.now = 1000.0 + second
            outage.failed(ConnectionError(error))
        clock.now = 1130.0
        outage.recovered()
    assert [record.getMessage() for record in caplog.records] == [
        "notifier: producing to Kafka unavailable (ConnectionError: broker away); retrying with back-off",
        "notifier: producing to Kafka still unavailable after 3 failed attempts over 61s "
        "(now ConnectionError: not leader); still retrying",
        "notifier: producing to Kafka still unavailable after 5 failed attempts over 121s "
        "(now ConnectionError: not leader); still retrying",
        "notifier: producing to Kafka available again after 6 failed attempts over 130.0s",
    ]


# -- retry_transient ----------------------------------------------------------------------------


class Flaky:
    """Fails with the given errors in turn, then returns "done"."""

    def __init__(self, *errors: BaseException) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def quick() -> Backoff:
    return Backoff(first=0.0005, ceiling=0.001)


async def test_retry_transient_waits_out_transient_errors(caplog: pytest.LogCaptureFixture) -> None:
    operation = Flaky(ConnectionError("refused"), redis.exceptions.TimeoutError("slow"), TimeoutError())
    retried: list[BaseException] = []
    with caplog.at_level(logging.WARNING, logger=backoff_module.log.name):
        assert await retry_transient(operation, "Redis", on_retry=retried.append, backoff=quick()) == "done"
    assert operation.calls == 4
    assert [type(error) for error in retried] == [ConnectionError, redis.exceptions.TimeoutError, TimeoutError]
    lines = [entry.getMessage() for entry in caplog.records]
    assert len(lines) == 2  # one when it went away, one when it came back: not one per attempt
    assert lines[0].startswith("Redis unavailable (ConnectionError: refused)")
    assert lines[1].startswith("Redis available again after 3 failed attempts")


@pytest.mark.parametrize("error", [ValueError("a bug"), redis.exceptions.ResponseError("WRONGTYPE")])
async def test_retry_transient_reraises_any_other_error_at_once(error: Exception) -> None:
    operation = Flaky(error)
    with pytest.raises(type(error)):
        await retry_transient(operation, "Redis", backoff=quick())
    assert operation.calls == 1


async def test_retry_transient_retries_only_the_errors_it_is_given() -> None:
    operation = Flaky(KeyError("not yet"), KeyError("still not"))
    assert await retry_transient(operation, "lookup", backoff=quick(), transient=(KeyError,)) == "done"
    with pytest.raises(ConnectionError):
        await retry_transient(Flaky(ConnectionError()), "lookup", backoff=quick(), transient=(KeyError,))


# -- RepeatFilter -------------------------------------------------------------------------------


def line(message: str = "connection to %s failed", level: int = logging.WARNING, name: str = "aiokafka.conn",
         args: tuple[object, ...] = ("broker:9092",)) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


def test_the_first_line_passes_and_repeats_within_the_window_are_dropped() -> None:
    clock = Clock()
    repeat = RepeatFilter(window=60, clock=clock)
    assert repeat.filter(line())
    clock.now += 30
    assert not repeat.filter(line())
    assert not repeat.filter(line(args=("other-broker:9092",)))  # same template, other arguments
    clock.now += 29.9
    assert not repeat.filter(line())


def test_the_next_line_after_the_window_says_how_many_were_dropped() -> None:
    clock = Clock()
    repeat = RepeatFilter(window=60, clock=clock)
    repeat.filter(line())
    for _ in range(3):
        clock.now += 10
        repeat.filter(line())
    clock.now += 35  # 65 s after the first line
    shown = line()
    assert repeat.filter(shown)
    assert shown.getMessage() == "connection to broker:9092 failed [3 similar lines in the last 65s not shown]"
    quiet = line()
    clock.now += 61
    assert repeat.filter(quiet) and quiet.getMessage() == "connection to broker:9092 failed"  # none were dropped


def test_other_templates_levels_and_loggers_are_folded_separately() -> None:
    repeat = RepeatFilter(window=60, clock=Clock())
    assert repeat.filter(line())
    assert repeat.filter(line("metadata refresh failed", args=()))
    assert repeat.filter(line(level=logging.ERROR))
    assert repeat.filter(line(name="kafka.conn"))
    assert not repeat.filter(line(level=logging.ERROR))


def test_lines_below_warning_are_never_folded() -> None:
    repeat = RepeatFilter(window=60, clock=Clock())
    assert all(repeat.filter(line(level=logging.INFO)) for _ in range(5))


@pytest.fixture
def quiet_filter() -> Iterator[RepeatFilter]:
    import aiokafka.conn  # noqa: F401  # its loggers must exist to be found

    repeat = quiet_repeated_client_errors(window=60)
    yield repeat
    for name in list(logging.Logger.manager.loggerDict):
        logging.getLogger(name).removeFilter(repeat)


def test_quiet_repeated_client_errors_attaches_to_the_client_libraries_loggers(quiet_filter: RepeatFilter) -> None:
    for name in [*CLIENT_LOGGERS, "aiokafka.conn"]:
        assert quiet_filter in logging.getLogger(name).filters, name
    assert quiet_filter not in logging.getLogger("services").filters


def test_quiet_repeated_client_errors_folds_an_aiokafka_line(
    quiet_filter: RepeatFilter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            logging.getLogger("aiokafka.conn").warning("Unable to connect to %s", "broker:9092")
            logging.getLogger("services.stage").warning("not a client line %s", "x")
    assert [entry.name for entry in caplog.records].count("aiokafka.conn") == 1
    assert [entry.name for entry in caplog.records].count("services.stage") == 5
