"""The notifier's handler: a batch of matches in, each permitted desk's alerts out, each alert once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from services.notifier.ledger import Delivery, DeliveryLedger
from services.notifier.routing import alert_for_desk, permitted_desks
from services.notifier.severity import SeverityRules, assess
from services.shared import metrics
from services.shared.models import Alert, Match
from services.shared.stage import InputRecord, Outcome, Output

log = logging.getLogger(__name__)


@dataclass
class _Planned:
    """The alerts one match would give, before the ledger says which desks already have them."""

    record: InputRecord
    alerts: list[Alert] = field(default_factory=list)
    rejection: Outcome | None = None


class NotifyHandler:
    """Turns matches into alerts for the desks the entry's sharing scope allows, each alert once."""

    def __init__(
        self, ledger: DeliveryLedger, desk_topics: dict[str, str], rules: Callable[[], SeverityRules]
    ) -> None:
        self._ledger = ledger
        self._desk_topics = desk_topics
        self._rules = rules  # asked once a batch: the rule file may have changed

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        rules = self._rules()
        planned = [self._plan(record, rules) for record in records]
        wanted = [(item, alert) for item in planned for alert in item.alerts]
        deliveries: list[Delivery] = [(alert.desk_country, alert.alert_id) for _, alert in wanted]
        claims = await self._ledger.claims(deliveries)
        sending: dict[Delivery, str] = {}
        for (item, alert), delivery, claimed_by in zip(wanted, deliveries, claims, strict=True):
            mine = claimed_by is None or claimed_by == item.record.position
            if mine and delivery not in sending:
                sending[delivery] = item.record.position
            elif sending.get(delivery) != item.record.position:
                metrics.ALERTS_REPEATED.labels(alert.desk_country).inc()
        await self._ledger.claim(list(sending), list(sending.values()))
        return [self._outcome(item, sending) for item in planned]

    def _plan(self, record: InputRecord, rules: SeverityRules) -> _Planned:
        try:
            match = Match.model_validate_json(record.value or b"")
        except ValidationError as error:
            return _Planned(record, rejection=Outcome.rejected("bad_match", str(error), "pydantic.ValidationError"))
        allowed, withheld = permitted_desks(match)
        for desk in withheld:
            metrics.ALERTS_WITHHELD.labels(desk).inc()
            log.info("alert for %s withheld from desk %s by sharing scope", match.subject_id, desk)
        severity = assess(match, rules).severity
        return _Planned(record, [alert_for_desk(match, desk, severity) for desk in allowed])

    def _outcome(self, item: _Planned, sending: dict[Delivery, str]) -> Outcome:
        if item.rejection is not None:
            return item.rejection
        outputs = []
        for alert in item.alerts:
            if sending.get((alert.desk_country, alert.alert_id)) != item.record.position:
                continue
            topic = self._desk_topics[alert.desk_country]
            outputs.append(Output(topic, alert.alert_id.encode(), alert.model_dump_json().encode()))
            metrics.ALERTS.labels(alert.desk_country, alert.severity.value).inc()
        return Outcome(outputs)
