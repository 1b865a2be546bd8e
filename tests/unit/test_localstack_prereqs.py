"""Missing programs: installed on CI machines (root + apt-get), explained everywhere else."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.localstack import prereqs


@pytest.fixture
def empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


def test_nothing_to_do_when_every_program_is_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for program in ("java", "mvn"):
        executable = tmp_path / program
        executable.write_text("#!/bin/sh\n")
        executable.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(prereqs, "_apt_get", lambda arguments: pytest.fail("must not install"))
    prereqs.ensure_programs(["java", "mvn"])


def test_without_root_names_what_is_missing_and_how_to_install_it(
    empty_path: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prereqs, "can_install", lambda: False)
    with pytest.raises(prereqs.MissingPrerequisite) as caught:
        prereqs.ensure_programs(["java", "mvn", "redis-server"])
    message = str(caught.value)
    assert "java, mvn, redis-server" in message
    assert "apt-get install -y default-jre-headless maven redis-server" in message


def test_as_root_updates_once_then_installs_the_missing_packages(
    empty_path: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(prereqs, "can_install", lambda: True)
    monkeypatch.setattr(prereqs, "_apt_get", calls.append)
    # The fake install puts nothing on PATH, which must be reported rather than ignored.
    with pytest.raises(prereqs.MissingPrerequisite, match="still not on PATH"):
        prereqs.ensure_programs(["mvn", "redis-server"], say=lambda message: None)
    assert calls[0] == ["update", "-q"]
    assert calls[1][-2:] == ["maven", "redis-server"]
    assert len(calls) == 2
