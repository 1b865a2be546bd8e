"""Notifier: where an alert leaves. `matches` -> `alerts.<country>` for each permitted desk."""

from __future__ import annotations

from datetime import timedelta

from services.notifier.book import AlertBook
from services.notifier.delivery_metrics import alert_latency_observer
from services.notifier.handler import Grouping, NotifyHandler
from services.notifier.rulefile import RulesFile
from services.shared import topics
from services.shared.redis_clients import RedisUser, async_client
from services.shared.settings import Settings
from services.shared.worker import WorkerApp, create_app, host_stage

SERVICE = "notifier"


def build_app(settings: Settings) -> WorkerApp:
    app = create_app(SERVICE, settings, settings.notifier_web_port)
    book = AlertBook(async_client(settings, RedisUser.NOTIFIER), settings.redis_key_prefix)
    desk_topics = {country: topics.desk_topic(settings, country) for country in settings.partner_countries}
    sources = [topics.qualified(settings, topics.MATCHES)]
    dead_letters = topics.qualified(settings, topics.MANIFESTS_DLQ)
    rules = RulesFile(settings.severity_rules_file)
    grouping = Grouping(timedelta(seconds=settings.suppression_window_seconds), settings.desk_language)
    handler = NotifyHandler(book, desk_topics, rules.current, grouping)
    observe = alert_latency_observer(desk_topics)
    # Transactional: a desk sees an alert version once its input's offset commits with it, never twice.
    host_stage(app, settings, handler, sources, dead_letters, transactional=True, on_committed=observe)
    return app
