"""Which build of the engine runs: compiled by mypyc, or its Python source.

`make setup` compiles the engine's hot modules with mypyc (scripts/compile_matcher.py): the same
source, type-checked, turned into C extensions that run about 1.8 times as fast. The extensions
sit beside the source (`index.cpython-311-x86_64-linux-gnu.so` beside `index.py`), and Python
imports an extension before a source file of the same name. So an extension built from an older
source would silently run old code after an edit. The build therefore writes a stamp
(`compiled.json`: a hash of each compiled module's source), and this module, imported before any
of them, compares it with the source on disk: unless every hash matches, a finder placed first in
`sys.meta_path` loads all of them from source, and a warning says why. All or none: compiled
modules call each other directly, so one stale module cannot be swapped alone.

INTERDICT_MATCHER_COMPILED=0 loads the source even when the build is current (to profile the
engine with cProfile, which cannot see inside compiled code, or to compare the two). It is read
here from the environment, not from the settings object, because it must be known before the
engine's modules are imported; the settings object documents it and accepts the same values.

This module is never compiled itself.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

#: The modules mypyc compiles (those a lookup spends its time in), in this package.
COMPILED_MODULES = ("evidence", "identifiers", "index", "matcher", "normalize", "scoring", "scripts", "syllables")
PACKAGE = __name__.rpartition(".")[0]
PACKAGE_DIR = Path(__file__).parent
STAMP_NAME = "compiled.json"
ENVIRONMENT_VARIABLE = "INTERDICT_MATCHER_COMPILED"
#: what pydantic reads as false, as the settings object would
_OFF = {"0", "off", "f", "false", "n", "no"}


def source_hashes(directory: Path, modules: Sequence[str] = COMPILED_MODULES) -> dict[str, str]:
    return {name: hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest() for name in modules}


def extension_files(directory: Path, module: str) -> list[Path]:
    return [directory / f"{module}{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES
            if (directory / f"{module}{suffix}").exists()]


def stale_modules(directory: Path, modules: Sequence[str] = COMPILED_MODULES) -> list[str]:
    """The modules whose source differs from the one the build was made from (every module when
    the stamp is missing or unreadable)."""
    try:
        built = json.loads((directory / STAMP_NAME).read_text())["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return list(modules)
    current = source_hashes(directory, modules)
    return [name for name in modules if not isinstance(built, dict) or built.get(name) != current[name]]


class Choice(NamedTuple):
    compiled: bool  # load the compiled modules
    description: str  # for reports and warnings
    stale: bool = False  # a build is there, made from other sources: worth a warning


def choose_build(directory: Path, environment: Mapping[str, str], modules: Sequence[str] = COMPILED_MODULES) -> Choice:
    if not any(extension_files(directory, name) for name in modules):
        return Choice(False, "source (not compiled: make setup compiles it)")
    if environment.get(ENVIRONMENT_VARIABLE, "1").strip().lower() in _OFF:
        return Choice(False, f"source ({ENVIRONMENT_VARIABLE}=0)")
    if stale := stale_modules(directory, modules):
        changed = ", ".join(f"{name}.py" for name in stale)
        return Choice(False, f"source ({changed} changed since it was compiled: make setup compiles it again)", True)
    return Choice(True, "compiled with mypyc")


class SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' source files, ahead of the extensions beside them."""

    def __init__(self, package: str, directory: Path, modules: Sequence[str]) -> None:
        self.paths = {f"{package}.{name}": directory / f"{name}.py" for name in modules}

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        source = self.paths.get(fullname)
        return importlib.util.spec_from_file_location(fullname, source) if source else None


def select_build() -> str:
    """Make the coming imports load the build chosen; return its description. Idempotent."""
    choice = choose_build(PACKAGE_DIR, os.environ)
    if not choice.compiled and not any(isinstance(finder, SourceFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, SourceFinder(PACKAGE, PACKAGE_DIR, COMPILED_MODULES))
        if choice.stale:
            warnings.warn(f"matcher engine: {choice.description}", RuntimeWarning, stacklevel=2)
    return choice.description
