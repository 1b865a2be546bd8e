"""Compile the matcher engine's hot modules with mypyc, in place, and stamp the build.

    python scripts/compile_matcher.py           # from the project root (make setup runs it)
    python scripts/compile_matcher.py --clean   # remove the build: the engine runs from source

mypyc (part of mypy) type-checks the modules with the project's mypy settings and turns them into
C extensions, written beside their source (services/matcher/engine/*.so) together with
`compiled.json`, a hash of each source the build was made from. services/matcher/engine/
compilation.py reads it and loads the source instead of a build that no longer matches it.

Why mypyc and not a rewrite in C or Rust: the engine stays one Python source, read, tested and
type-checked as before, and the compiled build answers exactly as the source does (the tests run
on the build, and `make test` runs the matching tests on the source as well). It needs a C
compiler and Python's headers, which `make setup` needs anyway to build PyICU.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

# compilation.py imports nothing of the project's, and importing it alone (not the package, whose
# __init__ would import the modules about to be rebuilt) keeps this script free of the old build
from importlib.util import module_from_spec, spec_from_file_location  # noqa: E402

_spec = spec_from_file_location("_engine_compilation", PROJECT_ROOT / "services/matcher/engine/compilation.py")
assert _spec and _spec.loader
compilation = module_from_spec(_spec)
_spec.loader.exec_module(compilation)

ENGINE_DIR = PROJECT_ROOT / "services" / "matcher" / "engine"
#: one shared library for the group, inside the package (not at the top of sys.path)
GROUP = "services.matcher.engine.native"


def built_files() -> list[Path]:
    names = [*compilation.COMPILED_MODULES, GROUP.rpartition(".")[2] + "__mypyc"]
    return [path for name in names for path in compilation.extension_files(ENGINE_DIR, name)]


def clean() -> None:
    for path in [*built_files(), ENGINE_DIR / compilation.STAMP_NAME]:
        path.unlink(missing_ok=True)


def compile_engine() -> None:
    from mypyc.build import mypycify  # mypy is a dev dependency: imported only when compiling
    from setuptools import setup

    # setuptools calls its reading of pyproject.toml's [tool.setuptools] "beta": nothing to act on
    warnings.filterwarnings("ignore", message=".*tool.setuptools.*", category=UserWarning)

    sources = [f"services/matcher/engine/{name}.py" for name in compilation.COMPILED_MODULES]
    with tempfile.TemporaryDirectory(prefix="interdict-mypyc-") as work:
        os.chdir(PROJECT_ROOT)  # mypy and mypyc name modules by their path from the root
        # --no-warn-unused-configs: the project's mypy settings name modules that this check,
        # of a few files, never meets (nomenklatura), which would fail it
        extensions = mypycify([*sources, "--no-warn-unused-configs"], opt_level="3", group_name=GROUP,
                              target_dir=str(Path(work) / "c"))
        setup(name="interdict-matcher-engine", ext_modules=extensions,
              script_args=["--quiet", "build_ext", "--build-temp", str(Path(work) / "temp"),
                           "--build-lib", str(Path(work) / "lib")])
        clean()
        for built in (Path(work) / "lib").rglob("*.so"):
            target = PROJECT_ROOT / built.relative_to(Path(work) / "lib")
            shutil.copy2(built, target)
    stamp = {"sources": compilation.source_hashes(ENGINE_DIR)}
    (ENGINE_DIR / compilation.STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clean", action="store_true", help="remove the compiled build")
    args = parser.parse_args()
    if args.clean:
        clean()
        print("compile-matcher: removed the compiled build; the engine runs from source")
        return 0
    started = time.monotonic()
    print("compile-matcher: compiling the matcher engine with mypyc (about a minute)...", flush=True)
    compile_engine()
    print(f"compile-matcher: {len(built_files())} extensions built in {time.monotonic() - started:.0f} s "
          f"({', '.join(compilation.COMPILED_MODULES)})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
