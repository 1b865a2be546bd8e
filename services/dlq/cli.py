"""`interdict dlq show` and `interdict dlq replay`: what was rejected, why, and sending it again.

Both read the dead-letter topic from the beginning up to where it ends when the command starts,
committed records only, and stop there.
"""

from __future__ import annotations

import base64
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from datetime import datetime
from itertools import islice
from typing import Any

import orjson
import typer
from kafka import TopicPartition
from kafka.errors import KafkaError
from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from services.dlq.letters import (
    DeadLetter,
    DeadLetterTopicMissing,
    LetterReader,
    ReadStalled,
    ReasonCounts,
    Selection,
    parse_since,
    reason_label,
)
from services.dlq.replay import Notice, Replayer, ReplayReport
from services.shared.settings import get_settings

dlq_app = typer.Typer(no_args_is_help=True, help="For operators: read the dead-letter topic, and replay from it.")

REASON = typer.Option(None, "--reason", "-r", help="only letters with this reason (repeat for several)")
FEED = typer.Option(None, "--feed", "-f", help="only letters from this feed (header interdict.feed, else the key)")
SINCE = typer.Option(None, "--since", "-s", help="only letters dead-lettered since: 30m, 2h, 7d, or an ISO 8601 time")

#: Rows printed per table: the table is printed in pieces of the same layout, so that showing a
#: large topic never holds more than this many letters.
TABLE_CHUNK = 100
MESSAGE_CHARS = 200
# Control characters (terminal escapes among them) and bidirectional overrides in a header could
# rewrite the operator's screen or disguise text: shown escaped instead.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _selection(reasons: list[str] | None, feed: str | None, since: str | None) -> Selection:
    moment: datetime | None = None
    if since is not None:
        try:
            moment = parse_since(since)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--since") from None
    return Selection(frozenset(reasons or ()), feed, moment)


def _errors() -> Console:
    return Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _errors().print(Text(message, style="red"))
    return typer.Exit(1)


# -- show --------------------------------------------------------------------------------------


@dlq_app.command("show")
def show(
    reason: list[str] | None = REASON,
    feed: str | None = FEED,
    since: str | None = SINCE,
    limit: int | None = typer.Option(None, "--limit", "-n", min=1, help="show at most this many letters"),
    json_output: bool = typer.Option(False, "--json", help="one JSON object per letter and line, for machines"),
) -> None:
    """List dead letters, oldest first within each partition, then the count per reason."""
    selection = _selection(reason, feed, since)
    settings = get_settings()
    counts = ReasonCounts()
    out = Console(highlight=False, soft_wrap=False)
    try:
        with LetterReader(settings) as reader, closing(reader.letters(reader.end_offsets(), selection)) as letters:
            shown = islice(letters, limit) if limit is not None else letters
            if json_output:
                for letter in shown:
                    counts.add(letter)
                    sys.stdout.write(orjson.dumps(letter_json(letter)).decode() + "\n")
                sys.stdout.flush()
            else:
                for index, rows in enumerate(_chunks(shown, TABLE_CHUNK)):
                    for letter in rows:
                        counts.add(letter)
                    out.print(_table(rows, header=index == 0, prefix=settings.topic_prefix))
            topic = reader.topic
    except (DeadLetterTopicMissing, ReadStalled, KafkaError) as error:  # no broker, no topic: said plainly
        raise _fail(str(error)) from None
    except BrokenPipeError:
        # whoever read the output has gone (`dlq show --json | head`): stop quietly, like other tools
        _discard_stdout()
        raise typer.Exit(0) from None
    # stdout is for the letters alone with --json; the summary goes to stderr then
    summary = _errors() if json_output else out
    limited = limit is not None and counts.total >= limit
    summary.print(_summary(counts, topic, limited))


def _discard_stdout() -> None:
    # Python flushes stdout once more on exit, which would fail on the closed pipe again
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _chunks(letters: Iterator[DeadLetter], size: int) -> Iterator[list[DeadLetter]]:
    while rows := list(islice(letters, size)):
        yield rows


def _table(letters: list[DeadLetter], header: bool, prefix: str = "") -> Table:
    """One piece of the listing; topic names are shown without the settings' `prefix` (shared by all)."""
    table = Table(box=box.SIMPLE_HEAD, show_header=header, show_edge=False, expand=True, pad_edge=False)
    # fixed widths, so that the pieces of one listing line up as a single table
    table.add_column("time (UTC)", width=19, no_wrap=True)
    table.add_column("letter", width=9, no_wrap=True, overflow="ellipsis")
    table.add_column("reason", width=20, no_wrap=True, overflow="ellipsis")
    table.add_column("feed", width=12, no_wrap=True, overflow="ellipsis")
    table.add_column("service", width=10, no_wrap=True, overflow="ellipsis")
    table.add_column("source", width=26, no_wrap=True, overflow="ellipsis")
    table.add_column("size", width=10, no_wrap=True, justify="right")
    table.add_column("message", ratio=1, min_width=20, no_wrap=True, overflow="ellipsis")
    for letter in letters:
        when = letter.dead_lettered_at.strftime("%Y-%m-%d %H:%M:%S") if letter.dead_lettered_at else "?"
        size = Text(_size(letter.size))
        if letter.truncated:
            size.append("*", style="yellow")  # only an excerpt is kept
        table.add_row(
            when,
            f"{letter.partition}:{letter.offset}",
            _plain(reason_label(letter)),
            _plain(letter.feed or "-"),
            _plain(letter.service or "?"),
            _plain(_unprefixed(letter.source_position, prefix)),
            size,
            _message(letter),
        )
    return table


def _summary(counts: ReasonCounts, topic: str, limited: bool) -> Group:
    title = f"{counts.total} dead letter{'s' if counts.total != 1 else ''} on {topic}"
    if limited:
        title += " (stopped at --limit: there may be more)"
    table = Table("reason", "letters", box=box.SIMPLE_HEAD)
    for reason, count in counts.most_common():
        table.add_row(_plain(reason), str(count))
    return Group(Text(title, style="bold"), table)


def _unprefixed(text: str, prefix: str) -> str:
    return text.removeprefix(prefix) if prefix else text


def _message(letter: DeadLetter) -> Text:
    text = letter.unreadable or letter.message or "(no message)"
    line = " ".join(text.split())
    cell = _plain(line[:MESSAGE_CHARS] + ("…" if len(line) > MESSAGE_CHARS else ""))
    if letter.problems:
        cell.append(f"  ⚠ {len(letter.problems)} header problem(s): {_printable(letter.problems[0])}", style="red")
    return cell


def _plain(text: str) -> Text:
    """Text as it is: never read as rich markup, never as terminal control."""
    return Text(_printable(text))


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def _bytes_json(data: bytes) -> tuple[str, str]:
    """Bytes for JSON: as text when they are UTF-8, else base64, with which one it is."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def letter_json(letter: DeadLetter) -> dict[str, Any]:
    key, key_encoding = _bytes_json(letter.key) if letter.key is not None else (None, None)
    value, value_encoding = _bytes_json(letter.value)
    headers = []
    for name, raw in letter.headers:
        text, encoding = _bytes_json(raw) if raw is not None else (None, None)
        headers.append({"name": name, "value": text, "encoding": encoding})
    return {
        "dlq_topic": letter.topic,
        "partition": letter.partition,
        "offset": letter.offset,
        "dead_lettered_at": letter.dead_lettered_at.isoformat() if letter.dead_lettered_at else None,
        "reason": letter.reason,
        "service": letter.service,
        "error_class": letter.error_class,
        "message": letter.message,
        "source_topic": letter.source_topic,
        "source_partition": letter.source_partition,
        "source_offset": letter.source_offset,
        "feed": letter.feed,
        "format": letter.format,
        "key": key,
        "key_encoding": key_encoding,
        "value": value,
        "value_encoding": value_encoding,
        "original_bytes": letter.original_bytes,
        "truncated": letter.truncated,
        "original_sha256": letter.original_sha256,
        "original_key_sha256": letter.original_key_sha256,
        "headers": headers,
        "replayed_from": letter.replayed_from,
        "unreadable": letter.unreadable,
        "problems": list(letter.problems),
    }


# -- replay ------------------------------------------------------------------------------------


@dlq_app.command("replay")
def replay(
    reason: list[str] | None = REASON,
    feed: str | None = FEED,
    since: str | None = SINCE,
    dry_run: bool = typer.Option(False, "--dry-run", help="say what would be replayed, and send nothing"),
    yes: bool = typer.Option(False, "--yes", "-y", help="replay without asking first"),
) -> None:
    """Send the selected dead letters again to the topic each came from, and wait for the broker's acks.

    Each goes back with its original key, value and headers, plus interdict.replayed-from (the
    letter) and interdict.replayed-at. Truncated excerpts cannot be replayed (the feed must send
    the message again) and are listed as skipped, as are letters naming a topic that is not a
    pipeline input. Exits 1 if any send failed, naming the letters not replayed.

    Safe to repeat: replaying twice publishes twice, and ingest processes an unchanged manifest
    once (by its content digest).
    """
    selection = _selection(reason, feed, since)
    settings = get_settings()
    out = Console(highlight=False)
    try:
        with LetterReader(settings) as reader:
            topic = reader.topic
            ends = reader.end_offsets()  # one snapshot: what is confirmed is exactly what is replayed
            if not dry_run and not yes:
                preview = Replayer(settings, lambda notice: None, dry_run=True)
                _replay(reader, ends, selection, preview)
                out.print(_report(preview.report, topic, "would be replayed"))
                if preview.report.replayed == 0:
                    return
                typer.confirm(f"Replay {preview.report.replayed} dead letter(s)?", abort=True)
            replayer = Replayer(settings, _printer(out, dry_run), dry_run=dry_run)
            try:
                _replay(reader, ends, selection, replayer)
            finally:
                # also when reading stopped early: what was sent by then is accounted for
                out.print(_report(replayer.report, topic, "would be replayed" if dry_run else "replayed"))
    except (DeadLetterTopicMissing, ReadStalled, KafkaError) as error:  # no broker, no topic: said plainly
        raise _fail(str(error)) from None
    report = replayer.report
    if not report.ok:
        listed = "\n  ".join(report.failures)
        unlisted = report.failed - len(report.failures)
        more = f"\n  ... and {unlisted} more (each named above)" if unlisted else ""
        raise _fail(f"{report.failed} dead letter(s) not replayed:\n  {listed}{more}")


def _replay(reader: LetterReader, ends: Mapping[TopicPartition, int], selection: Selection, replayer: Replayer) -> None:
    try:
        with closing(reader.letters(ends, selection)) as letters:
            for letter in letters:
                replayer.offer(letter)
    finally:
        # what was sent is still waited for, even when reading stops early
        replayer.finish()


def _printer(out: Console, dry_run: bool) -> Callable[[Notice], None]:
    errors = _errors()

    def notice(event: Notice) -> None:
        if event.kind == "failed":
            errors.print(_plain(f"not replayed {event.letter} -> {event.topic}: {event.detail}"), style="red")
        elif event.kind == "skipped":
            out.print(_plain(f"skipped {event.letter}: {event.detail}"), style="yellow")
        elif dry_run:  # a real run's replays are on the broker, each naming its letter
            out.print(_plain(f"would replay {event.letter} -> {event.topic}"))

    return notice


def _report(report: ReplayReport, topic: str, done: str) -> Group:
    table = Table("", "letters", box=box.SIMPLE_HEAD)
    table.add_row(done, str(report.replayed))
    for target, count in sorted(report.by_topic.items()):
        table.add_row(_plain(f"  to {target}"), str(count))
    for why, count in sorted(report.skipped.items()):
        table.add_row(_plain(f"skipped: {why}"), str(count))
    if report.failed:
        table.add_row(Text("failed to send", style="red"), str(report.failed))
    return Group(Text(f"Dead letters on {topic}", style="bold"), table)
