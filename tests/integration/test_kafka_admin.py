"""ensure_topics against the real broker, isolated under a unique topic prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from services.shared.kafka_admin import delete_topics, ensure_topics, partition_counts, wait_for_kafka
from services.shared.settings import Settings
from services.shared.topics import all_topics

pytestmark = pytest.mark.integration


@pytest.fixture
def settings() -> Iterator[Settings]:
    settings = Settings(topic_prefix=f"test-{uuid.uuid4().hex}.")
    wait_for_kafka(settings, timeout_s=30)
    yield settings
    delete_topics(settings, [*all_topics(settings), f"{settings.topic_prefix}extra"])


def test_creates_every_topic_with_the_configured_partitions(settings: Settings) -> None:
    expected = all_topics(settings)

    created = ensure_topics(settings)

    assert sorted(created) == sorted(expected)
    assert partition_counts(settings, expected) == {name: settings.topic_partitions for name in expected}


def test_is_idempotent_and_only_creates_what_is_missing(settings: Settings) -> None:
    first, second = all_topics(settings)[:2]
    assert ensure_topics(settings, [first]) == [first]

    assert ensure_topics(settings, [first, second]) == [second]
    assert ensure_topics(settings, [first, second]) == []


def test_explicit_partition_count_wins_over_settings(settings: Settings) -> None:
    topic = f"{settings.topic_prefix}extra"
    assert ensure_topics(settings, [topic], partitions=settings.topic_partitions + 3) == [topic]
    assert partition_counts(settings, [topic]) == {topic: settings.topic_partitions + 3}


def test_rejects_a_partition_count_below_one(settings: Settings) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        ensure_topics(settings, [f"{settings.topic_prefix}extra"], partitions=0)
