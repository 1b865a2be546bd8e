"""The notifier's handler: a batch of matches in, each permitted desk's alerts out as new versions.

For each match: the desks its entry's sharing scope allows (routing.py), its severity (the rule
file), and the match as each desk reads it in its language (findings.py). Then the batch's hits
are assembled into alerts (grouping.py) against the book in Redis (book.py): read, assemble,
compare-and-set; a batch that raced another worker on an alert is assembled again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from services.notifier import metrics as notifier_metrics
from services.notifier.book import ALERT_TTL_SECONDS, AlertBook, AlertKey, SightingKey, Write
from services.notifier.findings import alert_match
from services.notifier.grouping import Assembler, Assembly, Hit
from services.notifier.routing import permitted_desks
from services.notifier.severity import SeverityRules, assess
from services.shared import metrics
from services.shared.i18n import LANGUAGES, Language, Translator
from services.shared.models import Alert, AlertMatch, Match
from services.shared.stage import InputRecord, Outcome, Output

log = logging.getLogger(__name__)

#: Attempts at a batch whose alerts another worker keeps changing under it, before the stage backs off.
ASSEMBLY_ATTEMPTS = 5


class BookContention(TimeoutError):
    """Other workers kept changing the batch's alerts: a transient error, retried by the stage."""


@dataclass
class _Planned:
    """What one match gives: a hit per permitted desk, or the reason it is refused."""

    record: InputRecord
    hits: list[Hit] = field(default_factory=list)
    rejection: Outcome | None = None


@dataclass(frozen=True)
class Grouping:
    """How alerts are grouped: the suppression window and each desk's language."""

    window: timedelta
    language_of: Callable[[str], Language]


class NotifyHandler:
    """Turns matches into versions of per-manifest alerts for the desks the sharing scope allows."""

    def __init__(
        self,
        book: AlertBook,
        desk_topics: dict[str, str],
        rules: Callable[[], SeverityRules],
        grouping: Grouping,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._book = book
        self._desk_topics = desk_topics
        self._rules = rules  # asked once a batch: the rule file may have changed
        self._grouping = grouping
        self._clock = clock

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        rules = self._rules()
        planned = [self._plan(record, rules) for record in records]
        assembly = await self._assemble([hit for item in planned for hit in item.hits], rules.version)
        for desk, count in assembly.copies.items():
            metrics.ALERTS_REPEATED.labels(desk).inc(count)
        for desk, count in assembly.suppressed.items():
            notifier_metrics.ALERTS_SUPPRESSED.labels(desk).inc(count)
        by_position: dict[str, list[Alert]] = defaultdict(list)
        for emission in assembly.emissions:
            by_position[emission.position].append(emission.alert)
        return [self._outcome(item, by_position.get(item.record.position, [])) for item in planned]

    # -- planning ---------------------------------------------------------------------------------

    def _plan(self, record: InputRecord, rules: SeverityRules) -> _Planned:
        try:
            match = Match.model_validate_json(record.value or b"")
        except ValidationError as error:
            return _Planned(record, rejection=Outcome.rejected("bad_match", str(error), "pydantic.ValidationError"))
        allowed, withheld = permitted_desks(match)
        for desk in withheld:
            metrics.ALERTS_WITHHELD.labels(desk).inc()
            log.info("alert for %s withheld from desk %s by sharing scope", match.subject_id, desk)
        assessment = assess(match, rules)
        by_language: dict[Language, AlertMatch] = {}
        hits = []
        for desk in allowed:
            language = self._grouping.language_of(desk)
            if language not in by_language:
                by_language[language] = alert_match(match, assessment, Translator(language))
            hits.append(Hit(record.position, desk, by_language[language], match.manifest))
        return _Planned(record, hits)

    # -- assembling against the book ------------------------------------------------------------------

    async def _assemble(self, hits: list[Hit], rules_version: int) -> Assembly:
        if not hits:
            return Assembly()
        for _ in range(ASSEMBLY_ATTEMPTS):
            assembler = await self._assembler(hits, rules_version)
            for hit in hits:
                assembler.add(hit)
            assembly = assembler.finish()
            if await self._book.commit(self._writes(assembly)):
                return assembly
            log.info("another worker changed alerts of this batch; assembling it again")
        raise BookContention(f"alerts of this batch changed under it {ASSEMBLY_ATTEMPTS} times")

    async def _assembler(self, hits: list[Hit], rules_version: int) -> Assembler:
        """An assembler over the book as it is now: the batch's alerts, sightings and the alerts they name."""
        own: list[AlertKey] = list(dict.fromkeys(hit.alert_key for hit in hits))
        sighting_keys: list[SightingKey] = []
        if self._grouping.window > timedelta(0):
            sighting_keys = list(dict.fromkeys(key for hit in hits for key in hit.sighting_keys()))
        alerts = await self._book.alerts(own)
        sightings = await self._book.sightings(sighting_keys)
        named = [(key[0], stored.value.alert_id) for key, stored in sightings.items() if stored and stored.value]
        alerts |= await self._book.alerts([key for key in dict.fromkeys(named) if key not in alerts])
        translators = {language: Translator(language) for language in LANGUAGES}
        return Assembler(
            alerts, sightings, window=self._grouping.window, now=self._clock(), rules_version=rules_version,
            translator=lambda desk: translators[self._grouping.language_of(desk)],
        )

    def _writes(self, assembly: Assembly) -> list[Write]:
        writes = [
            Write(self._book.alert_key(key), expected, entry.model_dump_json().encode(), ALERT_TTL_SECONDS)
            for key, expected, entry in assembly.alert_writes
        ]
        writes += [
            Write(self._book.sighting_key(key), expected, sighting.model_dump_json().encode(), ttl)
            for key, expected, sighting, ttl in assembly.sighting_writes
        ]
        return writes

    # -- the outcome of each record ----------------------------------------------------------------------

    def _outcome(self, item: _Planned, sent: list[Alert]) -> Outcome:
        """The record's outputs: the alert versions it was the last to change (or produced, redelivered)."""
        if item.rejection is not None:
            return item.rejection
        outputs = []
        for alert in sent:
            topic = self._desk_topics[alert.desk_country]
            outputs.append(Output(topic, alert.alert_id.encode(), alert.model_dump_json().encode()))
            if alert.version == 1:
                metrics.ALERTS.labels(alert.desk_country, alert.severity.value).inc()
            else:
                notifier_metrics.ALERT_UPDATES.labels(alert.desk_country).inc()
        return Outcome(outputs)
