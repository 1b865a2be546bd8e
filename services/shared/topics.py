"""Every Kafka topic of the system, by name, in one place.

A feed writes `manifests.raw`; ingest writes `manifests.valid`, `vessels.ais` or `manifests.dlq`; the matcher
writes `matches`; the notifier writes one `alerts.<country>` topic per partner desk; each desk's actions
on its alerts go to `actions.<country>`, and the desks' joint cases to `cases`.
"""

from __future__ import annotations

from services.shared.settings import PARTNER_COUNTRIES, Settings

MANIFESTS_RAW = "manifests.raw"
MANIFESTS_VALID = "manifests.valid"
MANIFESTS_DLQ = "manifests.dlq"
#: AIS position reports and class B static data, keyed by MMSI: voyage context, not screened.
VESSELS_AIS = "vessels.ais"
MATCHES = "matches"
ALERTS_PREFIX = "alerts."
#: What desks do with their alerts (services/shared/models/desk.py): the record, kept for good.
ACTIONS_PREFIX = "actions."
#: Joint cases of several desks (services/shared/models/case.py), keyed by case id: the record, kept for good.
CASES = "cases"


def desk_topic_base(country: str) -> str:
    return f"{ALERTS_PREFIX}{country.lower()}"


def qualified(settings: Settings, base: str) -> str:
    """The topic's name on the broker (tests run in isolation under their own prefix)."""
    return f"{settings.topic_prefix}{base}"


def desk_topic(settings: Settings, country: str) -> str:
    return qualified(settings, desk_topic_base(country))


def actions_topic_base(country: str) -> str:
    return f"{ACTIONS_PREFIX}{country.lower()}"


def actions_topic(settings: Settings, country: str) -> str:
    return qualified(settings, actions_topic_base(country))


def cases_topic(settings: Settings) -> str:
    return qualified(settings, CASES)


def is_desk_record(base: str) -> bool:
    """A desk's alerts, actions or cases: the record the desk store is rebuilt from, never deleted."""
    return base.startswith((ALERTS_PREFIX, ACTIONS_PREFIX)) or base == CASES


#: Each service's input: the topic its consumer group reads (the re-screener reads without a group).
SERVICE_INPUTS = {"ingest": MANIFESTS_RAW, "matcher": MANIFESTS_VALID, "notifier": MATCHES}


def group_id(settings: Settings, service: str) -> str:
    """The consumer group of a service's workers: they share its input's partitions."""
    return f"{settings.app_id_prefix}-{service}"


def all_topics(settings: Settings) -> list[str]:
    bases = [MANIFESTS_RAW, MANIFESTS_VALID, MANIFESTS_DLQ, VESSELS_AIS, MATCHES]
    bases += [desk_topic_base(country) for country in PARTNER_COUNTRIES]
    bases += [actions_topic_base(country) for country in PARTNER_COUNTRIES]
    bases.append(CASES)
    return [qualified(settings, base) for base in bases]
