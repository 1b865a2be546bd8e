"""One alert per manifest and desk, given a new version as hits arrive: the assembly of a batch.

Pure: from the book as read (book.py) and a batch's hits in order, it works out each changed
alert's next version and the writes that record it; the handler reads and writes Redis around it.

A hit is one match for one desk. It goes to the alert that already holds its entry for the same
voyage or bill of lading within the suppression window (suppression.py), else to its manifest's
alert. There it is

- a new match: the alert lists it;
- a sighting of a match the alert has (a later version of the manifest, another manifest of the
  voyage): counted, listed among the match's sightings, and a later manifest version's evidence
  and voyage replace the older;
- a copy of a sighting already counted: nothing changes; but if it comes from the very record that
  produced the alert's latest version, that version is sent again (book.py says why).

Each alert a batch changes gets one new version, sent with the last record that changed it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.notifier.book import MAX_COUNTED, AlertKey, BookEntry, SightingKey, Stored
from services.notifier.suppression import Sighting, voyage_keys, within
from services.shared.i18n import Translator
from services.shared.models import Alert, AlertMatch, ManifestRef
from services.shared.models.alert import MAX_OCCURRENCES, alert_id_for

#: A sighting key outlives the window by a day: a late replay of the window's traffic still finds it.
SIGHTING_MARGIN = timedelta(days=1)


@dataclass(frozen=True)
class Hit:
    """One match, made out for one desk (its language, its severity), from one input record."""

    position: str
    desk: str
    match: AlertMatch
    manifest: ManifestRef

    @property
    def alert_key(self) -> AlertKey:
        return (self.desk, alert_id_for(self.manifest.feed, self.manifest.manifest_id))

    def sighting_keys(self) -> list[SightingKey]:
        return [(self.desk, self.match.subject_id, voyage) for voyage in voyage_keys(self.manifest)]


@dataclass
class _Draft:
    """An alert as this batch changes it."""

    key: AlertKey
    original: Stored[BookEntry] | None
    manifest: ManifestRef
    raised_at: datetime
    matches: dict[str, AlertMatch]
    counted: dict[str, list[str]]
    changes: list[str] = field(default_factory=list)
    changed_by: str | None = None

    @property
    def version(self) -> int:
        """The version the desk has, 0 for none."""
        entry = self.original.value if self.original else None
        return entry.alert.version if entry else 0


@dataclass(frozen=True)
class Emission:
    position: str
    alert: Alert


@dataclass
class Assembly:
    """What a batch does: the alert versions to send (each with its input) and the book's writes."""

    emissions: list[Emission] = field(default_factory=list)
    alert_writes: list[tuple[AlertKey, bytes | None, BookEntry]] = field(default_factory=list)
    sighting_writes: list[tuple[SightingKey, bytes | None, Sighting, int]] = field(default_factory=list)
    copies: Counter[str] = field(default_factory=Counter)  # per desk: hits already counted
    suppressed: Counter[str] = field(default_factory=Counter)  # per desk: counted on another manifest's alert


class Assembler:
    def __init__(
        self,
        alerts: Mapping[AlertKey, Stored[BookEntry] | None],
        sightings: Mapping[SightingKey, Stored[Sighting] | None],
        *,
        window: timedelta,
        now: datetime,
        rules_version: int,
        translator: Callable[[str], Translator],
    ) -> None:
        self._alerts = alerts
        self._sightings = sightings
        self._window = window
        self._now = now
        self._rules_version = rules_version
        self._translator = translator
        self._drafts: dict[AlertKey, _Draft] = {}
        self._new_sightings: dict[SightingKey, Sighting] = {}
        self._resend: dict[AlertKey, str] = {}
        self._assembly = Assembly()

    # -- one hit ----------------------------------------------------------------------------------

    def add(self, hit: Hit) -> None:
        subject = hit.match.subject_id
        target = self._target(hit, subject)
        draft = self._draft(target, hit)
        held = draft.matches.get(subject)
        if held is None:
            self._add_match(draft, hit)
        elif hit.match.match_id not in draft.counted[subject]:
            self._add_sighting(draft, hit, held)
        elif held.entry is not None and hit.match.entry is not None and (
            hit.match.entry.list_version > held.entry.list_version and hit.match.entry != held.entry
        ):
            self._update_entry(draft, hit, held)  # the entry changed since: re-screened against it
        else:
            self._copy(draft, hit)

    def _add_match(self, draft: _Draft, hit: Hit) -> None:
        subject = hit.match.subject_id
        draft.matches[subject] = hit.match
        draft.counted[subject] = [hit.match.match_id]
        translate = self._translator(hit.desk)
        self._changed(draft, hit, translate("change.new_match", name=_name(hit.match)))
        self._hold_sightings(hit, draft.key)

    def _add_sighting(self, draft: _Draft, hit: Hit, held: AlertMatch) -> None:
        subject = hit.match.subject_id
        translate = self._translator(hit.desk)
        own_manifest = draft.key == hit.alert_key
        newer = own_manifest and (hit.manifest.version or 1) > (draft.manifest.version or 1)
        base = hit.match if newer else held  # a later version of the manifest says what it says now
        occurrences = [*held.occurrences, hit.match.occurrences[0]][-MAX_OCCURRENCES:]
        update = {"count": held.count + 1, "occurrences": occurrences, "match_id": held.match_id,
                  "retroactive": held.retroactive}
        draft.matches[subject] = base.model_copy(update=update)
        draft.counted[subject] = [*draft.counted[subject], hit.match.match_id][-MAX_COUNTED:]
        if newer:
            draft.manifest = hit.manifest
            self._changed(draft, hit, translate("change.manifest_version", version=hit.manifest.version))
        seen = translate("change.seen_again", name=_name(held), manifest=hit.manifest.manifest_id, count=held.count + 1)
        self._changed(draft, hit, seen)
        if not own_manifest:
            self._assembly.suppressed[hit.desk] += 1

    def _update_entry(self, draft: _Draft, hit: Hit, held: AlertMatch) -> None:
        keep = {"count": held.count, "occurrences": held.occurrences, "match_id": held.match_id,
                "retroactive": held.retroactive}
        draft.matches[hit.match.subject_id] = hit.match.model_copy(update=keep)
        self._changed(draft, hit, self._translator(hit.desk)("change.updated_match", name=_name(hit.match)))

    def _copy(self, draft: _Draft, hit: Hit) -> None:
        self._assembly.copies[hit.desk] += 1
        entry = draft.original.value if draft.original else None
        if entry is not None and entry.produced_by == hit.position and draft.changed_by is None:
            self._resend[draft.key] = hit.position  # a redelivery: that version never reached the desk

    def _changed(self, draft: _Draft, hit: Hit, change: str) -> None:
        if draft.version:  # version 1 says it was raised; later ones say what changed
            draft.changes.append(change)
        draft.changed_by = hit.position
        self._resend.pop(draft.key, None)

    # -- where a hit goes ---------------------------------------------------------------------------

    def _target(self, hit: Hit, subject: str) -> AlertKey:
        """The alert holding the entry for this voyage or bill of lading within the window, else the manifest's."""
        own = hit.alert_key
        if self._window <= timedelta(0) or self._holds(own, subject):
            return own
        reported = hit.match.occurrences[0].reported_at
        for key in hit.sighting_keys():
            sighting = self._sighting(key)
            if sighting is None or sighting.alert_id == own[1]:
                continue
            holder = (hit.desk, sighting.alert_id)
            if within(self._window, sighting.first_reported_at, reported) and self._holds(holder, subject):
                return holder
        return own

    def _hold_sightings(self, hit: Hit, target: AlertKey) -> None:
        """This alert now holds the entry for the hit's voyage and bill of lading (unless one still does)."""
        if self._window <= timedelta(0):
            return
        reported = hit.match.occurrences[0].reported_at
        for key in hit.sighting_keys():
            current = self._sighting(key)
            holder = (hit.desk, current.alert_id) if current else None
            if current is None or not within(self._window, current.first_reported_at, reported) or not (
                holder and self._holds(holder, hit.match.subject_id)
            ):
                self._new_sightings[key] = Sighting(alert_id=target[1], first_reported_at=reported)

    def _sighting(self, key: SightingKey) -> Sighting | None:
        if key in self._new_sightings:
            return self._new_sightings[key]
        stored = self._sightings.get(key)
        return stored.value if stored else None

    def _holds(self, key: AlertKey, subject: str) -> bool:
        if key in self._drafts:
            return subject in self._drafts[key].matches
        stored = self._alerts.get(key)
        entry = stored.value if stored else None
        return entry is not None and entry.alert.match_for(subject) is not None

    def _draft(self, key: AlertKey, hit: Hit) -> _Draft:
        if key not in self._drafts:
            stored = self._alerts.get(key)
            entry = stored.value if stored else None
            if entry is None:
                self._drafts[key] = _Draft(key, stored, hit.manifest, self._now, {}, {})
            else:
                matches = {match.subject_id: match for match in entry.alert.matches}
                counted = {subject: list(entry.counted.get(subject, [])) for subject in matches}
                self._drafts[key] = _Draft(key, stored, entry.alert.manifest, entry.alert.raised_at, matches, counted)
        return self._drafts[key]

    # -- the batch's result ---------------------------------------------------------------------------

    def finish(self) -> Assembly:
        assembly = self._assembly
        for draft in self._drafts.values():
            if draft.changed_by is not None:
                self._version(draft)
        for alert_key, position in self._resend.items():
            original = self._drafts[alert_key].original
            if original is not None and original.value is not None:
                assembly.emissions.append(Emission(position, original.value.alert))
        ttl = int((self._window + SIGHTING_MARGIN).total_seconds())
        for sighting_key, sighting in self._new_sightings.items():
            stored = self._sightings.get(sighting_key)
            assembly.sighting_writes.append((sighting_key, stored.raw if stored else None, sighting, ttl))
        return assembly

    def _version(self, draft: _Draft) -> None:
        assert draft.changed_by is not None
        desk, alert_id = draft.key
        translate = self._translator(desk)
        matches = sorted(draft.matches.values(), key=lambda match: (-match.severity.rank, -match.score))
        alert = Alert(
            alert_id=alert_id,
            version=draft.version + 1,
            desk_country=desk,
            language=translate.language,
            raised_at=draft.raised_at,
            updated_at=self._now,
            severity=matches[0].severity,
            severity_rules_version=self._rules_version,
            manifest=draft.manifest,
            matches=matches,
            summary=translate(
                "explain.summary", count=len(matches), manifest=draft.manifest.manifest_id,
                names="; ".join(_name(match) for match in matches),
            ),
            changes=draft.changes or [translate("change.raised")],
        )
        entry = BookEntry(alert=alert, produced_by=draft.changed_by, counted=draft.counted)
        self._assembly.alert_writes.append((draft.key, draft.original.raw if draft.original else None, entry))
        self._assembly.emissions.append(Emission(draft.changed_by, alert))


def _name(match: AlertMatch) -> str:
    if match.entry is not None:
        return f"{match.entry.primary_name} [{match.entry.entry_id}]"
    assert match.conflict is not None
    return f"{match.conflict.vessel_name} ({match.conflict.kind.value})"

