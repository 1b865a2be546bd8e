"""The one stage abstraction every service runs on: batches in, outputs out, nothing lost.

- records.py   what flows: input records, outputs, rejections, outcomes
- runner.py    the loop: fetch, handle, publish all, await all, commit (and dead-letter, retry)
- transport.py the small interface to Kafka the loop needs
- kafka.py     the real transport (aiokafka); memory.py an in-memory one for unit tests
"""

from services.shared.stage.kafka import KafkaOptions, KafkaTransport
from services.shared.stage.memory import MemoryTransport
from services.shared.stage.records import InputRecord, Outcome, Output, Rejection, TopicPartition
from services.shared.stage.runner import Handler, Stage, StageConfig
from services.shared.stage.transport import CommitFailed, Transport

__all__ = [
    "CommitFailed",
    "Handler",
    "InputRecord",
    "KafkaOptions",
    "KafkaTransport",
    "MemoryTransport",
    "Outcome",
    "Output",
    "Rejection",
    "Stage",
    "StageConfig",
    "TopicPartition",
    "Transport",
]
