"""The raw pass-through of the pipeline benchmark: a worker that copies records unchanged.

It is a service worker in every respect but its handler: the same faust worker process, the same
`Stage` loop on the same `KafkaTransport` (aiokafka, the same batching, linger, compression and
idempotent producer as ingest and the matcher), reading `passthrough.in` and writing each record,
key, value and headers, to `passthrough.out`. What the pipeline costs beyond moving the bytes is
therefore the services' own work: parsing, validating, matching, routing, transactions.

    python -m benchmarks.passthrough --web-port 24001 --metrics-port 24002   # settings from INTERDICT_*
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from services.shared.settings import Settings, get_settings
from services.shared.stage import InputRecord, Outcome, Output
from services.shared.topics import MANIFESTS_DLQ, qualified
from services.shared.worker import WorkerApp, create_app, host_stage, run_service

SERVICE = "passthrough"
INPUT_TOPIC = "passthrough.in"
OUTPUT_TOPIC = "passthrough.out"


class CopyHandler:
    """Each input record, as it came, to the output topic."""

    def __init__(self, output_topic: str) -> None:
        self._output_topic = output_topic

    async def handle(self, records: Sequence[InputRecord]) -> list[Outcome]:
        return [Outcome([self._copy(record)]) for record in records]

    def _copy(self, record: InputRecord) -> Output:
        return Output(self._output_topic, record.key, record.value or b"", record.headers)


def topics(settings: Settings) -> list[str]:
    """The pass-through's topics on the broker, under the benchmark's prefix."""
    return [qualified(settings, INPUT_TOPIC), qualified(settings, OUTPUT_TOPIC)]


def build_app(settings: Settings, web_port: int) -> WorkerApp:
    app = create_app(SERVICE, settings, web_port)
    source, output = topics(settings)
    host_stage(app, settings, CopyHandler(output), [source], qualified(settings, MANIFESTS_DLQ))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--web-port", type=int, required=True, help="faust web port of this worker")
    parser.add_argument("--metrics-port", type=int, required=True, help="Prometheus /metrics port, as services have")
    parser.add_argument("--loglevel", default="WARNING")
    args = parser.parse_args()
    settings = get_settings()
    # as `interdict ingest` runs: the same work per batch, the same listeners
    run_service(build_app(settings, args.web_port), settings, args.metrics_port, loglevel=args.loglevel)


if __name__ == "__main__":
    main()
