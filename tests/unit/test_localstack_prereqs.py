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
    monkeypatch.setattr(prereqs, "_apt_get", lambda arguments, show_progress=False: calls.append(arguments))
    # The fake install puts nothing on PATH, which must be reported rather than ignored.
    with pytest.raises(prereqs.MissingPrerequisite, match="still not on PATH"):
        prereqs.ensure_programs(["mvn", "redis-server"], say=lambda message: None)
    assert calls[0] == ["update", "-q"]
    assert calls[1][-2:] == ["maven", "redis-server"]
    assert len(calls) == 2


def test_prometheus_for_the_tests_is_one_package_installed_with_its_progress_shown(
    empty_path: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[list[str], bool]] = []
    monkeypatch.setattr(prereqs, "can_install", lambda: True)
    monkeypatch.setattr(prereqs, "_apt_get", lambda arguments, shown=False: calls.append((arguments, shown)))
    assert prereqs.main(["prometheus"]) == 1  # the fake install put nothing on PATH
    assert [arguments[-1] for arguments, _ in calls] == ["-q", "prometheus"] and all(shown for _, shown in calls)
    assert "setup: installing prometheus with apt-get (missing: prometheus, promtool)" in capsys.readouterr().out


def test_without_root_prometheus_is_named_with_the_command(
    empty_path: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(prereqs, "can_install", lambda: False)
    assert prereqs.main(["prometheus"]) == 1
    assert "sudo apt-get install -y prometheus" in capsys.readouterr().err


# --- what building PyICU takes ------------------------------------------------------------------


def prerequisite(what: str, package: str, present: list[bool]) -> prereqs.BuildPrerequisite:
    """A prerequisite whose presence is read from a shared flag, so a fake install can flip it."""
    return prereqs.BuildPrerequisite(what, package, lambda: present[0])


def test_build_prerequisites_present_means_nothing_to_do(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prereqs, "_apt_get", lambda arguments: pytest.fail("must not install"))
    prereqs.ensure_build_prerequisites([prerequisite("g++", "g++", [True])])


def test_build_prerequisites_without_root_give_the_exact_apt_get_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prereqs, "can_install", lambda: False)
    missing = [
        prerequisite("ICU headers", "libicu-dev", [False]),
        prerequisite("pkg-config", "pkg-config", [True]),
        prerequisite("a C++ compiler", "g++", [False]),
    ]
    with pytest.raises(prereqs.MissingPrerequisite) as caught:
        prereqs.ensure_build_prerequisites(missing, purpose="building PyICU")
    message = str(caught.value)
    assert message.startswith("building PyICU needs ICU headers, a C++ compiler.")
    assert message.endswith("sudo apt-get install -y libicu-dev g++")


def test_build_prerequisites_as_root_are_installed_and_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    icu, compiler = [False], [False]
    calls: list[list[str]] = []

    def fake_apt_get(arguments: list[str]) -> None:
        calls.append(arguments)
        if arguments[0] == "install":
            icu[0] = compiler[0] = True

    monkeypatch.setattr(prereqs, "can_install", lambda: True)
    monkeypatch.setattr(prereqs, "_apt_get", fake_apt_get)
    said: list[str] = []
    prereqs.ensure_build_prerequisites(
        [prerequisite("ICU headers", "libicu-dev", icu), prerequisite("g++", "g++", compiler)], say=said.append
    )
    assert calls == [["update", "-q"], ["install", "-y", "-q", "--no-install-recommends", "libicu-dev", "g++"]]
    assert said and "libicu-dev g++" in said[0]


def test_build_prerequisites_still_missing_after_apt_get_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prereqs, "can_install", lambda: True)
    monkeypatch.setattr(prereqs, "_apt_get", lambda arguments: None)
    with pytest.raises(prereqs.MissingPrerequisite, match="but ICU headers is still missing"):
        prereqs.ensure_build_prerequisites([prerequisite("ICU headers", "libicu-dev", [False])], say=print)


def test_pyicu_needs_icu_pkg_config_a_compiler_and_python_headers() -> None:
    packages = [item.package for item in prereqs.PYICU_BUILD_PREREQUISITES]
    assert packages == ["pkg-config", "libicu-dev", "g++", "python3-dev"]


def test_pkg_config_module_check_asks_pkg_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pkg-config"
    fake.write_text('#!/bin/sh\n[ "$1" = --exists ] && [ "$2" = icu-uc ]\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert prereqs.has_pkg_config_module("icu-uc")
    assert not prereqs.has_pkg_config_module("icu-io-missing")


def test_pkg_config_module_check_without_pkg_config(empty_path: None) -> None:
    assert not prereqs.has_pkg_config_module("icu-uc")


def test_python_headers_are_found_for_this_interpreter() -> None:
    # The project's own venv has built PyICU, so its interpreter has headers.
    assert prereqs.has_python_headers()


def test_command_line_for_make_setup(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(prereqs, "can_install", lambda: False)
    monkeypatch.setattr(prereqs, "PYICU_BUILD_PREREQUISITES", (prerequisite("a C++ compiler (g++)", "g++", [False]),))
    assert prereqs.main(["pyicu-build"]) == 1
    assert "setup: building PyICU needs a C++ compiler (g++)" in capsys.readouterr().err
    assert prereqs.main(["something-else"]) == 2
