"""Which build of the matcher engine loads: the compiled one only when it was made from the source
on disk (services/matcher/engine/compilation.py)."""

from __future__ import annotations

import importlib
import importlib.machinery
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.matcher.engine import BUILD, compilation
from services.matcher.engine import index as engine_index
from services.shared.settings import PROJECT_ROOT, Settings

EXTENSION = importlib.machinery.EXTENSION_SUFFIXES[0]
MODULES = ("alpha", "beta")


def package(tmp_path: Path, *, built: bool, stamp: bool = True) -> Path:
    """A package of two modules, each returning its own name, optionally 'compiled' and stamped.

    The 'extension' is garbage: importing it fails, so a test passes only if the source is loaded."""
    directory = tmp_path / "fakeengine"
    directory.mkdir()
    (directory / "__init__.py").write_text("")
    for name in MODULES:
        (directory / f"{name}.py").write_text(f"NAME = {name!r}\n")
        if built:
            (directory / f"{name}{EXTENSION}").write_bytes(b"not a shared library")
    if stamp:
        sources = compilation.source_hashes(directory, MODULES)
        (directory / compilation.STAMP_NAME).write_text(json.dumps({"sources": sources}))
    return directory


@pytest.fixture
def clean_imports() -> Iterator[None]:
    finders, modules = list(sys.meta_path), set(sys.modules)
    yield
    sys.meta_path[:] = finders
    for name in set(sys.modules) - modules:
        del sys.modules[name]


def test_no_build_runs_the_source(tmp_path: Path) -> None:
    compiled, why, stale = compilation.choose_build(package(tmp_path, built=False), {}, MODULES)
    assert not compiled and not stale and "not compiled" in why


def test_a_current_build_is_chosen(tmp_path: Path) -> None:
    assert compilation.choose_build(package(tmp_path, built=True), {}, MODULES) == (True, "compiled with mypyc", False)


@pytest.mark.parametrize("value", ["0", "false", "No", "off", "f", "n"])
def test_the_environment_turns_the_build_off_as_the_settings_read_it(tmp_path: Path, value: str) -> None:
    environment = {compilation.ENVIRONMENT_VARIABLE: value}
    compiled, why, stale = compilation.choose_build(package(tmp_path, built=True), environment, MODULES)
    assert not compiled and not stale and compilation.ENVIRONMENT_VARIABLE in why
    assert Settings(matcher_compiled=value).matcher_compiled is False  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["1", "true", "yes", ""])
def test_other_values_keep_the_build(tmp_path: Path, value: str) -> None:
    environment = {compilation.ENVIRONMENT_VARIABLE: value}
    assert compilation.choose_build(package(tmp_path, built=True), environment, MODULES)[0] is True


def test_an_edited_source_makes_the_build_stale(tmp_path: Path) -> None:
    directory = package(tmp_path, built=True)
    (directory / "beta.py").write_text("NAME = 'edited'\n")
    compiled, why, stale = compilation.choose_build(directory, {}, MODULES)
    assert not compiled and stale and "beta.py" in why and "alpha.py" not in why


def test_a_build_without_its_stamp_is_stale(tmp_path: Path) -> None:
    directory = package(tmp_path, built=True, stamp=False)
    assert compilation.stale_modules(directory, MODULES) == list(MODULES)
    (directory / compilation.STAMP_NAME).write_text("{not json")
    assert compilation.stale_modules(directory, MODULES) == list(MODULES)


def test_the_source_finder_loads_the_source_ahead_of_an_extension(tmp_path: Path, clean_imports: None) -> None:
    directory = package(tmp_path, built=True)
    sys.path.insert(0, str(tmp_path))
    try:
        with pytest.raises(ImportError):  # what the garbage extension does when nothing intervenes
            importlib.import_module("fakeengine.alpha")
        sys.meta_path.insert(0, compilation.SourceFinder("fakeengine", directory, MODULES))
        assert importlib.import_module("fakeengine.beta").NAME == "beta"
    finally:
        sys.path.remove(str(tmp_path))


def test_the_running_engine_is_the_build_reported() -> None:
    loaded_compiled = Path(engine_index.__file__ or "").name.endswith(EXTENSION)
    assert loaded_compiled == (BUILD == "compiled with mypyc"), BUILD


def test_the_makefile_compiles_the_modules_the_engine_checks() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    listed = re.search(r"^ENGINE_MODULES\s*:=\s*(.+)$", makefile, re.MULTILINE)
    assert listed and tuple(listed.group(1).split()) == compilation.COMPILED_MODULES
