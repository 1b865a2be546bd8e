"""deploy/Dockerfile cannot be built here (no Docker engine), but its build context can be checked:
every file it copies passes its .dockerignore, a local build of the engine does not, and the image
compiles the engine the way `make setup` does."""

from __future__ import annotations

import fnmatch
import re
from pathlib import PurePosixPath

from services.matcher.engine import compilation
from services.shared.settings import PROJECT_ROOT

DOCKERFILE = PROJECT_ROOT / "deploy" / "Dockerfile"
IGNORE = PROJECT_ROOT / "deploy" / "Dockerfile.dockerignore"


def ignored(path: str) -> bool:
    """Docker's rule: the last pattern matching the path (or a folder above it) decides; `!` re-includes."""
    verdict = False
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: end + 1]) for end in range(len(parts))]
    for line in IGNORE.read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        include = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        pattern = pattern.replace("**/", "*") if pattern.startswith("**/") else pattern
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            verdict = not include
    return verdict


def copied_sources() -> list[str]:
    sources: list[str] = []
    for line in DOCKERFILE.read_text().splitlines():
        match = re.match(r"COPY\s+(?!--from)(.+)\s+\S+$", line.strip())
        if match:
            sources += match.group(1).split()
    return sources


def test_every_file_the_image_copies_is_in_its_build_context() -> None:
    sources = copied_sources()
    assert "scripts/compile_matcher.py" in sources
    kept_out = [source for source in sources if ignored(source)]
    assert not kept_out, f"COPY sources the .dockerignore leaves out: {kept_out}"


def test_a_local_engine_build_stays_out_of_the_image() -> None:
    assert ignored("services/matcher/engine/index.cpython-311-x86_64-linux-gnu.so")
    assert ignored(f"services/matcher/engine/{compilation.STAMP_NAME}")
    assert not ignored("services/matcher/engine/index.py")


def test_the_image_compiles_the_engine_before_building_its_wheel() -> None:
    steps = DOCKERFILE.read_text()
    compile_at = steps.index("python scripts/compile_matcher.py")
    assert compile_at < steps.index("pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .")
    pyproject = (PROJECT_ROOT / "pyproject.toml").read_text()
    assert '"services.matcher.engine" = ["*.so", "compiled.json"]' in pyproject
