"""A topic's partitions as the readers ask for them: a broker that has not heard of a topic yet is
asked again, and a topic that must exist but nobody knows is an error, never an empty topic."""

from __future__ import annotations

import pytest
from kafka import TopicPartition
from kafka.errors import UnknownTopicOrPartitionError

from services.shared.kafka_clients import required_partitions, topic_partitions


class LaggingMetadata:
    """kafka-python's consumer as seen from a broker that learns of the topic after `misses` asks."""

    def __init__(self, misses: int, partitions: set[int]) -> None:
        self.misses = misses
        self.partitions = partitions
        self.asked = 0

    def partitions_for_topic(self, topic: str) -> set[int]:
        self.asked += 1
        return set() if self.asked <= self.misses else self.partitions


def test_a_topic_the_broker_learns_of_late_is_asked_for_again() -> None:
    consumer = LaggingMetadata(misses=2, partitions={1, 0})
    found = topic_partitions(consumer, "alerts.us", wait_s=30)  # type: ignore[arg-type]
    assert found == [TopicPartition("alerts.us", 0), TopicPartition("alerts.us", 1)]
    assert consumer.asked == 3


def test_a_known_topic_is_asked_for_once() -> None:
    consumer = LaggingMetadata(misses=0, partitions={0})
    assert topic_partitions(consumer, "alerts.us") == [TopicPartition("alerts.us", 0)]  # type: ignore[arg-type]
    assert consumer.asked == 1


def test_a_topic_nobody_knows_is_empty_once_the_wait_is_over() -> None:
    consumer = LaggingMetadata(misses=10**9, partitions={0})
    assert topic_partitions(consumer, "alerts.xx", wait_s=0) == []  # type: ignore[arg-type]


def test_a_required_topic_nobody_knows_is_an_error_not_an_empty_topic() -> None:
    consumer = LaggingMetadata(misses=10**9, partitions={0})
    with pytest.raises(UnknownTopicOrPartitionError, match=r"alerts\.xx"):
        required_partitions(consumer, "alerts.xx", wait_s=0)  # type: ignore[arg-type]
