"""Alerts made the way the notifier makes them, for the tests of grouping and of the desks.

A Notifier is the notifier's real handler on a FakeRedis book with a fixed clock, fed matches at
growing input offsets; its outputs are the alert versions each desk would receive. A Feed makes
the records of Mexico's desk topics from alerts and actions, for a desk store to apply.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.desk.store import StoreRecord
from services.notifier.book import AlertBook
from services.notifier.handler import Grouping, NotifyHandler
from services.notifier.rulefile import load_rules
from services.shared.models import (
    Alert,
    EntityKind,
    EntrySummary,
    Evidence,
    ManifestRef,
    Match,
    Sharing,
)
from services.shared.models.alert import FindingKind, match_id_for
from services.shared.models.desk import DeskAction
from services.shared.models.ingest import ConflictKind, IdentityConflict
from services.shared.settings import PARTNER_COUNTRIES, Settings
from services.shared.stage import InputRecord, Outcome
from tests.fakes import FakeRedis

_ALERTS, _ACTIONS = "alerts.mx", "actions.mx"
DESK_TOPICS = {country: f"alerts.{country.lower()}" for country in PARTNER_COUNTRIES}
RULES = load_rules(Settings().severity_rules_file)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
REPORTED = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def manifest(manifest_id: str = "M-1", version: int = 1, bill: str | None = "BL-1", reported: datetime = REPORTED,
             route: tuple[str, ...] = ("COCTG", "PABLB", "MXZLO"), vessel_imo: str | None = None,
             voyage: str | None = None) -> ManifestRef:
    return ManifestRef(
        manifest_id=manifest_id, kind="shipment", feed="port-test", reported_at=reported, bill_of_lading=bill,
        vessel_name="SEA STAR" if vessel_imo else None, vessel_imo=vessel_imo, voyage_number=voyage,
        route_ports=list(route), route_countries=list(dict.fromkeys(port[:2] for port in route)), version=version,
    )


def a_match(entry: str = "test:1", on: ManifestRef | None = None, owner: str = "CO", score: float = 0.9,
            method: str = "name:fuzzy", sharing: Sharing | None = None, name: str = "DOE, John",
            programs: tuple[str, ...] = ()) -> Match:
    reference = on or manifest()
    return Match(
        match_id=match_id_for(reference.feed, reference.manifest_id, entry, reference.version),
        manifest=reference,
        entry=EntrySummary(entry_id=entry, list_id="test", list_version=3, kind=EntityKind.PERSON,
                           primary_name=name, owner_country=owner, sharing=sharing or Sharing(),
                           programs=list(programs)),
        score=score,
        evidence=[Evidence(where="parties[0] (consignee)", method=method, query_value="John Doe",
                           matched_value=name, contribution=score, explanation="names match")],
        explanation="name 'John Doe' resembles the listed name (90% similar)",
    )


def a_conflict(on: ManifestRef) -> Match:
    conflict = IdentityConflict(kind=ConflictKind.FLAG_MID, vessel_name="SEA STAR", imo="9187655", mmsi="256842000",
                                declared="flag PA", known="MMSI country MT", explanation="flag PA, MMSI of Malta")
    subject = "identity:flag_not_mmsi_country:9187655:256842000"
    match_id = match_id_for(on.feed, on.manifest_id, subject, on.version)
    return Match(kind=FindingKind.IDENTITY_CONFLICT, match_id=match_id, manifest=on, conflict=conflict, score=0.86,
                 evidence=[Evidence(where="vessel", method="identity:flag_not_mmsi_country", query_value="flag PA",
                                    matched_value="MMSI country MT", contribution=1.0, explanation="x")],
                 explanation="flag PA, MMSI of Malta")


def record_of(match: Match, offset: int) -> InputRecord:
    key = f"{match.manifest.feed}:{match.manifest.manifest_id}".encode()
    return InputRecord("matches", 0, offset, key, match.model_dump_json().encode())


class Notifier:
    """A notifier handler on a fake book, fed matches at growing offsets."""

    def __init__(self, window: timedelta = timedelta(days=1), fake: FakeRedis | None = None) -> None:
        self.fake = fake or FakeRedis()
        self.offset = 0
        grouping = Grouping(window, Settings().desk_language)
        self.handler = NotifyHandler(AlertBook(self.fake, "test"), DESK_TOPICS, lambda: RULES, grouping,
                                     clock=lambda: NOW)

    async def batch(self, *matches: Match, offsets: list[int] | None = None) -> list[Outcome]:
        if offsets is None:
            offsets = list(range(self.offset, self.offset + len(matches)))
            self.offset += len(matches)
        return await self.handler.handle([record_of(match, offset) for match, offset in zip(matches, offsets,
                                                                                            strict=True)])


def alerts(outcomes: list[Outcome], desk: str | None = None) -> list[Alert]:
    found = [Alert.model_validate_json(output.value) for outcome in outcomes for output in outcome.outputs]
    return [alert for alert in found if desk is None or alert.desk_country == desk]


def subjects(alert: Alert) -> list[str]:
    return [match.subject_id for match in alert.matches]


class Feed:
    """Records as the desk's topics would hold them, one partition each, at growing offsets."""

    def __init__(self) -> None:
        self.next = {_ALERTS: 0, _ACTIONS: 0}

    def alert(self, alert: Alert) -> StoreRecord:
        return self._record(_ALERTS, alert.model_dump_json().encode(), "alert")

    def action(self, action: DeskAction) -> StoreRecord:
        return self._record(_ACTIONS, action.model_dump_json().encode(), "action")

    def _record(self, topic: str, value: bytes, kind: str) -> StoreRecord:
        offset = self.next[topic]
        self.next[topic] += 1
        return StoreRecord(topic, 0, offset, value, kind)
