"""`stack reset`: the servers' data goes, what the stack needs to start again stays, and nothing
is deleted under a server of the stack that still runs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.localstack import stack
from services.localstack.config import stack_paths
from services.localstack.servers import StackError
from services.shared.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings().model_copy(update={"state_dir": tmp_path / "state", "kafka_credentials_file": None})


def _fill(settings: Settings) -> dict[str, Path]:
    paths = stack_paths(settings)
    files = {
        "kafka data": paths.kafka_data / "__cluster_metadata-0" / "00000000000000000000.log",
        "redis data": paths.redis_dir / "appendonlydir" / "appendonly.aof.1.base.rdb",
        "redis snapshot": paths.redis_dir / "dump.rdb",
        "jars": paths.kafka_libs / "kafka_2.13.jar",
        "ca": paths.kafka_ca,
        "credentials": paths.state_dir / "kafka-credentials.json",
        "redis settings": paths.redis_conf,
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    return files


def test_reset_deletes_the_data_and_keeps_what_starting_needs(settings: Settings) -> None:
    files = _fill(settings)
    removed = stack.reset(settings, say=lambda _: None)
    paths = stack_paths(settings)
    assert sorted(removed) == sorted(
        str(p) for p in (paths.kafka_data, paths.redis_dir / "appendonlydir", paths.redis_dir / "dump.rdb")
    )
    assert {name for name, path in files.items() if path.exists()} == {"jars", "ca", "credentials", "redis settings"}
    assert stack.reset(settings, say=lambda _: None) == []  # nothing left to delete: not an error


@pytest.fixture
def running_redis(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """A process the stack takes for its Redis: started in Redis's directory, its pid in the pid file."""
    paths = stack_paths(settings)
    paths.redis_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], cwd=paths.redis_dir)
    paths.redis_pid.write_text(f"{process.pid}\n")
    yield process
    process.kill()
    process.wait()


def test_reset_refuses_while_a_server_of_the_stack_runs(
    settings: Settings, running_redis: subprocess.Popen[bytes]
) -> None:
    files = _fill(settings)
    with pytest.raises(StackError, match="redis still running"):
        stack.reset(settings, say=lambda _: None)
    assert all(path.exists() for path in files.values())
