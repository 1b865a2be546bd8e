"""Alerts grouped per manifest and desk, versioned as hits arrive, repeats on a voyage counted, scopes kept.

The notifier's handler on a FakeRedis book: the same code as in the worker, minus Kafka.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.notifier.handler import BookContention
from services.notifier.suppression import voyage_keys
from services.shared.models import Severity, Sharing, SharingScope
from services.shared.models.alert import alert_id_for
from tests.fakes import FakeRedis, sample
from tests.support.alerts import NOW, REPORTED, Notifier, a_conflict, a_match, alerts, manifest, subjects

# -- one alert per manifest and desk, versioned -----------------------------------------------------------


async def test_two_hits_on_a_manifest_are_one_alert_per_desk_listing_both() -> None:
    outcomes = await Notifier().batch(a_match("test:1"), a_match("test:2", score=0.95))
    assert [alert.desk_country for alert in alerts(outcomes)] == ["CO", "PA", "MX"]
    assert outcomes[0].outputs == []  # sent once, with the batch's last record that changed it
    for alert in alerts(outcomes):
        assert (alert.alert_id, alert.version) == (alert_id_for("port-test", "M-1"), 1)
        assert subjects(alert) == ["test:2", "test:1"]  # most severe first
        assert alert.severity is Severity.HIGH and alert.raised_at == alert.updated_at == NOW
        assert alert.manifest.reported_at == REPORTED


async def test_a_later_hit_is_the_same_alert_in_a_new_version_saying_what_changed() -> None:
    notifier = Notifier()
    await notifier.batch(a_match("test:1"))
    [update] = alerts(await notifier.batch(a_match("test:2", name="ROE, Jane")), "MX")
    assert (update.alert_id, update.version) == (alert_id_for("port-test", "M-1"), 2)
    assert subjects(update) == ["test:1", "test:2"]
    assert update.changes == ["nueva coincidencia: ROE, Jane [test:2]"]  # Mexico's desk reads Spanish
    assert update.raised_at == NOW


async def test_a_copy_changes_nothing_and_the_record_that_produced_a_version_sends_it_again() -> None:
    notifier = Notifier()
    [first] = await notifier.batch(a_match())
    repeated = sample("interdict_alerts_repeated_total", desk="PA")
    [copy] = await notifier.batch(a_match())  # the matcher redid work: another record, the same match
    assert copy.outputs == []
    assert sample("interdict_alerts_repeated_total", desk="PA") == repeated + 1
    [again] = await notifier.batch(a_match(), offsets=[0])  # its transaction never committed
    assert alerts([again]) == alerts([first])  # the same version, the same content


async def test_a_batch_redone_in_smaller_pieces_still_gets_the_latest_version_out() -> None:
    notifier = Notifier()
    first, second = await notifier.batch(a_match("test:1"), a_match("test:2"))  # aborted after the book
    assert alerts([first]) == [] and len(alerts([second])) == 3
    [alone] = await notifier.batch(a_match("test:1"), offsets=[0])  # redone: up to the first record only
    assert alone.outputs == []  # already in the version the second record produced...
    [rest] = await notifier.batch(a_match("test:2"), offsets=[1])
    assert [subjects(alert) for alert in alerts([rest])] == [["test:1", "test:2"]] * 3  # ...which it sends


async def test_a_new_version_of_the_manifest_is_a_sighting_on_its_alert_with_the_amended_manifest() -> None:
    notifier = Notifier()
    await notifier.batch(a_match(on=manifest(version=1)))
    [update] = alerts(await notifier.batch(a_match(on=manifest(version=2))), "CO")
    assert update.version == 2 and update.manifest.version == 2
    [match] = update.matches
    assert match.count == 2 and [sighting.manifest_version for sighting in match.occurrences] == [1, 2]
    assert update.changes == [
        "manifiesto corregido: versión 2", "DOE, John [test:1] vista de nuevo en M-1 (2 veces en total)"
    ]


async def test_a_withheld_match_reaches_no_desk_by_any_path_not_even_as_severity_or_summary() -> None:
    shared = a_match("test:1", score=0.82, owner="CO")
    secret = a_match("test:2", score=0.99, method="identifier:passport", owner="CO", name="SECRET, Name",
                     sharing=Sharing(scope=SharingScope.OWNER_ONLY))
    outcomes = await Notifier().batch(shared, secret)
    [colombia] = alerts(outcomes, "CO")
    [panama] = alerts(outcomes, "PA")
    assert subjects(colombia) == ["test:2", "test:1"] and colombia.severity is Severity.CRITICAL
    assert subjects(panama) == ["test:1"] and panama.severity is Severity.LOW
    assert "SECRET" not in panama.model_dump_json()


async def test_a_vessel_s_identity_conflict_joins_the_watchlist_match_of_its_manifest() -> None:
    reference = manifest(bill=None, vessel_imo="9187655")
    outcomes = await Notifier().batch(a_match("test:1", on=reference, owner="PA"), a_conflict(reference))
    [panama] = alerts(outcomes, "PA")
    assert sorted(subjects(panama)) == ["identity:flag_not_mmsi_country:9187655:256842000", "test:1"]


# -- the desk's language ------------------------------------------------------------------------------


async def test_each_desk_reads_its_alert_in_its_own_language_with_the_matcher_s_detail_kept() -> None:
    reference = manifest(route=("BRSSZ", "MXVER"))
    outcomes = await Notifier().batch(a_match(on=reference, owner="US", programs=("SDNTK",)))
    by_desk = {alert.desk_country: alert for alert in alerts(outcomes)}
    assert (by_desk["US"].language, by_desk["BR"].language, by_desk["MX"].language) == ("en", "pt", "es")
    assert by_desk["BR"].matches[0].evidence[0].explanation == (
        "o nome «John Doe» se parece com o nome listado «DOE, John»"
    )
    assert by_desk["MX"].summary == "1 coincidencia(s) en M-1: DOE, John [test:1]."
    assert by_desk["MX"].matches[0].severity_reasons == ["evidencia de nombre con puntaje 0.90: media"]
    assert by_desk["US"].matches[0].programmes == ["narcotics"]
    assert all(alert.matches[0].detail == "name 'John Doe' resembles the listed name (90% similar)"
               for alert in by_desk.values())


# -- suppression: the same entry on the same voyage or bill of lading -------------------------------------


async def test_the_same_entry_on_the_same_bill_of_lading_is_counted_on_the_first_alert() -> None:
    notifier = Notifier()
    await notifier.batch(a_match(on=manifest("M-1", bill="BL-9")))
    suppressed = sample("interdict_alerts_suppressed_total", desk="MX")
    refiled = manifest("M-2", bill="bl-9 ", reported=REPORTED + timedelta(hours=3))  # customs files it again
    outcomes = await notifier.batch(a_match(on=refiled))
    assert {alert.alert_id for alert in alerts(outcomes)} == {alert_id_for("port-test", "M-1")}
    [update] = alerts(outcomes, "MX")
    assert update.version == 2 and update.manifest.manifest_id == "M-1"
    [match] = update.matches
    assert match.count == 2 and [sighting.manifest_id for sighting in match.occurrences] == ["M-1", "M-2"]
    assert sample("interdict_alerts_suppressed_total", desk="MX") == suppressed + 1


async def test_the_same_entry_on_the_same_voyage_is_counted_and_another_entry_still_alerts() -> None:
    notifier = Notifier()
    await notifier.batch(a_match(on=manifest("M-1", bill="BL-1", vessel_imo="9187655", voyage="V7")))
    second = manifest("M-2", bill="BL-2", vessel_imo="9187655", voyage="V7", reported=REPORTED + timedelta(hours=1))
    outcomes = await notifier.batch(a_match("test:1", on=second), a_match("test:5", on=second, name="NEW, One"))
    by_alert = {alert.alert_id: alert for alert in alerts(outcomes, "CO")}
    assert subjects(by_alert[alert_id_for("port-test", "M-1")]) == ["test:1"]
    assert by_alert[alert_id_for("port-test", "M-1")].matches[0].count == 2
    assert subjects(by_alert[alert_id_for("port-test", "M-2")]) == ["test:5"]


async def test_outside_the_window_or_with_suppression_off_each_manifest_alerts() -> None:
    later = manifest("M-2", bill="BL-1", reported=REPORTED + timedelta(days=1, seconds=1))
    notifier = Notifier()
    await notifier.batch(a_match(on=manifest("M-1", bill="BL-1")))
    [own] = alerts(await notifier.batch(a_match(on=later)), "CO")
    assert (own.alert_id, own.version) == (alert_id_for("port-test", "M-2"), 1)
    off = Notifier(window=timedelta(0))
    await off.batch(a_match(on=manifest("M-1", bill="BL-1")))
    same_day = manifest("M-2", bill="BL-1", reported=REPORTED + timedelta(minutes=5))
    [apart] = alerts(await off.batch(a_match(on=same_day)), "CO")
    assert apart.alert_id == alert_id_for("port-test", "M-2")
    assert not any(":sighting:" in key for key in off.fake.values)


def test_voyage_keys_name_the_bill_of_lading_and_the_voyage_as_far_as_they_are_known() -> None:
    assert voyage_keys(manifest(bill="msku 1", vessel_imo="9187655", voyage="v7")) == [
        "bl:MSKU 1", "voyage:9187655:V7"
    ]
    assert voyage_keys(manifest(bill=None, vessel_imo="9187655")) == ["voyage:9187655:MXZLO"]
    assert voyage_keys(manifest(bill=None)) == []


# -- two workers on one alert -----------------------------------------------------------------------------


class RacedRedis(FakeRedis):
    """Another worker's writes land between this one's read and its write: `theirs` once, or always."""

    def __init__(self, values: dict[str, bytes] | None = None, always: bool = False) -> None:
        super().__init__()
        self.values = dict(values or {})
        self.theirs: dict[str, bytes] = {}
        self.always = always

    async def eval(self, script: str, numkeys: int, *keys_and_args: str | bytes | int) -> object:
        if self.always:
            for key in keys_and_args[:numkeys]:
                self.values[str(key)] = self.values.get(str(key), b"") + b" "
        elif self.theirs:
            self.values.update(self.theirs)
            self.theirs = {}
        return await super().eval(script, numkeys, *keys_and_args)


async def test_a_batch_that_lost_a_race_on_an_alert_is_assembled_again_on_what_won() -> None:
    ours = Notifier(fake=RacedRedis())
    await ours.batch(a_match("test:1"))
    # Another worker, on another partition, counts a second entry on the same alert meanwhile.
    other = Notifier(fake=FakeRedis())
    other.fake.values = dict(ours.fake.values)
    await other.batch(a_match("test:9", name="ZED, Zoe"), offsets=[50])
    assert isinstance(ours.fake, RacedRedis)
    ours.fake.theirs = {key: value for key, value in other.fake.values.items() if ours.fake.values.get(key) != value}
    [update] = alerts(await ours.batch(a_match("test:2", name="ROE, Jane")), "CO")
    assert update.version == 3  # after the other worker's version 2, not a second version 2
    assert sorted(subjects(update)) == ["test:1", "test:2", "test:9"]


async def test_a_race_lost_every_time_is_a_transient_error_for_the_stage_to_retry() -> None:
    notifier = Notifier(fake=RacedRedis(always=True))
    with pytest.raises(BookContention):
        await notifier.batch(a_match())
    assert isinstance(BookContention("x"), TimeoutError)  # TRANSIENT_ERRORS: retried, never dead-lettered
