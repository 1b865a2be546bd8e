"""Notifier: where an alert leaves. `matches` -> `alerts.<country>` for each permitted desk."""

from __future__ import annotations

import redis.asyncio as aioredis

from services.notifier.delivery_metrics import alert_latency_observer
from services.notifier.handler import NotifyHandler
from services.notifier.ledger import DeliveryLedger
from services.notifier.rulefile import RulesFile
from services.shared import topics
from services.shared.settings import Settings
from services.shared.worker import WorkerApp, create_app, host_stage

SERVICE = "notifier"


def build_app(settings: Settings) -> WorkerApp:
    app = create_app(SERVICE, settings, settings.notifier_web_port)
    ledger = DeliveryLedger(aioredis.Redis.from_url(settings.redis_url), settings.redis_key_prefix)
    desk_topics = {country: topics.desk_topic(settings, country) for country in settings.partner_countries}
    sources = [topics.qualified(settings, topics.MATCHES)]
    dead_letters = topics.qualified(settings, topics.MANIFESTS_DLQ)
    rules = RulesFile(settings.severity_rules_file)
    handler = NotifyHandler(ledger, desk_topics, rules.current)
    observe = alert_latency_observer(desk_topics)
    # Transactional: a desk sees an alert once its input's offset commits with it, never twice.
    host_stage(app, settings, handler, sources, dead_letters, transactional=True, on_committed=observe)
    return app
