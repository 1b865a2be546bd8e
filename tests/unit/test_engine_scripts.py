"""How a name written in Arabic script is read for each kind of party (see engine/scripts.py)."""

from __future__ import annotations

from services.matcher.engine.normalize import name_readings, unknown_kind_readings
from services.shared.models.common import EntityKind

GROUP = "جماعة حماة الدعوة السلفية"  # DJAMAT HOUMAT DAAWA SALAFIA


def test_an_organisations_construct_is_also_read_with_its_teh_marbuta_said_t() -> None:
    readings = name_readings(GROUP, EntityKind.ORGANIZATION)
    # JAMAAT and HUMAT lead constructs; AL-DAWA has the article and AL-SALAFIYA ends the name
    assert readings == (("jm", "hm", "al", "d", "al", "slf"), ("jmt", "hmt", "al", "d", "al", "slf"))


def test_a_persons_name_has_no_construct() -> None:
    # a given name before the father's is no construct: عزة محمود is AZZA MAHMUD, not IZZAT
    assert name_readings("عزة محمود", EntityKind.PERSON) == (("z", "mhmd"),)
    assert name_readings(GROUP, EntityKind.PERSON) == (("jm", "hm", "al", "d", "al", "slf"),)


def test_a_party_of_unknown_kind_is_read_with_constructs_as_an_entity_only() -> None:
    plain, construct = ("jm", "hm", "al", "d", "al", "slf"), ("jmt", "hmt", "al", "d", "al", "slf")
    assert unknown_kind_readings(GROUP) == [(plain, plain), (None, construct)]
