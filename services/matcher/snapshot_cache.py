"""A built MatchingEngine kept on local disk, so `interdict screen` does not rebuild it on every call.

The cache file holds the engine as `pickle` (protocol 5) after a small header with two keys:

- the **watchlists' position**: every list's version and the change feed's last id, read in one
  Redis round trip (one MULTI). Every store write bumps a list's version or adds a feed event, so
  a position that is unchanged means the same snapshot. Entries can also leave the snapshot
  without a write, when their expiry passes: the header keeps the earliest expiry among the
  cached entries, and from that moment the cache is stale;
- the **engine's fingerprint**: a hash of the engine's source and build (services/matcher/engine/,
  compiled or not), of the models pickled with it (services/shared/models/), of the match
  threshold, and of the versions of Python and of the libraries whose data shape the index. A
  changed engine never loads a pickle of the old one.

On a matching header the engine is unpickled; on anything else it is rebuilt from a snapshot
(whose own position becomes the new header) and the file is replaced atomically (a temporary
file, then os.replace), so a reader never sees half a file and concurrent rebuilds just race to
write the same thing.

Unpickling runs whatever code the file names, so the file must be as trustworthy as this
program: it is written with mode 0600 into a directory of ours with mode 0700, and a file or
directory owned by another user, or writable by group or others, is refused (the engine is
rebuilt) rather than read. The file is opened with O_NOFOLLOW and checked on the open descriptor,
so a symlink or a swap between the check and the read cannot slip another file in.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import stat
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import orjson

from services.matcher import engine as engine_package
from services.matcher.engine import BUILD as ENGINE_BUILD
from services.matcher.engine import MatchingEngine
from services.shared import models as models_package
from services.shared.settings import Settings
from services.watchlist.events import StorePosition, WatchlistSnapshot

#: Bump when the file layout below changes.
FORMAT = 1
_MAGIC = b"interdict-screen-cache\n"
_HEADER_LENGTH = struct.Struct(">Q")

#: What the engine's fingerprint hashes: its code and the models pickled inside it (the engine
#: imports nothing else of the project's).
ENGINE_SOURCES: tuple[Path, ...] = (
    Path(engine_package.__file__).parent,
    Path(models_package.__file__).parent,
)
#: Libraries whose code or data decide how names are normalised and indexed, or how the pickle reads.
ENGINE_DISTRIBUTIONS = (
    "interdict",
    "pydantic",
    "pydantic-core",
    "pyroaring",
    "rapidfuzz",
    "rigour",
    "normality",
    "python-stdnum",
    "PyICU",
)

Status = Literal["hit", "miss"]


class WatchlistSource(Protocol):
    def position(self) -> StorePosition: ...

    def snapshot(self) -> WatchlistSnapshot: ...


class RedisWatchlistSource:
    """The watchlist store in Redis, as the cache reads it."""

    def __init__(self, settings: Settings) -> None:
        from services.watchlist.reader import WatchlistReader

        self._reader = WatchlistReader.from_settings(settings)

    def position(self) -> StorePosition:
        return self._reader.position()

    def snapshot(self) -> WatchlistSnapshot:
        return self._reader.snapshot()


@dataclass(frozen=True)
class LoadedEngine:
    engine: MatchingEngine
    status: Status  # hit: unpickled from the cache; miss: rebuilt from Redis (and cached)
    reason: str  # why a miss, in words
    path: Path
    seconds: float
    entries: int

    def describe(self) -> str:
        return f"cache: {self.status}: {self.reason}; {self.entries} entries in {self.seconds:.2f} s ({self.path})"


def cache_dir(settings: Settings) -> Path:
    return Path(settings.state_dir) / "screen-cache"


def cache_path(settings: Settings) -> Path:
    """One file per Redis namespace (server and key prefix): tests and benchmarks do not share it."""
    namespace = hashlib.sha256(f"{settings.redis_url}\0{settings.redis_key_prefix}".encode()).hexdigest()[:16]
    return cache_dir(settings) / f"engine-{namespace}.pickle"


def engine_fingerprint(settings: Settings, sources: tuple[Path, ...] = ENGINE_SOURCES) -> str:
    digest = hashlib.sha256()
    digest.update(f"format {FORMAT}\0python {sys.version}\0threshold {settings.match_threshold!r}\0".encode())
    # the compiled engine's classes pickle otherwise than their source's (engine/compilation.py)
    digest.update(f"build {ENGINE_BUILD}\0".encode())
    for distribution in ENGINE_DISTRIBUTIONS:
        try:
            version = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{distribution} {version}\0".encode())
    for root in sources:
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                digest.update(f"{path.relative_to(root.parent)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def store_key(settings: Settings, position: StorePosition) -> str:
    """The watchlists' position as one digest (the Redis URL may hold a password: it is only hashed)."""
    document = {
        "redis": settings.redis_url,
        "prefix": settings.redis_key_prefix,
        "versions": position.versions,
        "cursor": position.cursor,
    }
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


def load_engine(
    settings: Settings,
    source: WatchlistSource | None = None,
    *,
    read_cache: bool = True,
    path: Path | None = None,
    fingerprint: Callable[[Settings], str] = engine_fingerprint,
) -> LoadedEngine:
    """The engine over the live watchlists: from the cache when it is current, else rebuilt and cached.

    With read_cache=False (`--no-cache`) the cached engine is not looked at: the engine is rebuilt
    and the cache rewritten with it.
    """
    started = time.perf_counter()
    source = source if source is not None else RedisWatchlistSource(settings)
    path = path if path is not None else cache_path(settings)
    engine_key = fingerprint(settings)
    if read_cache:
        engine_or_reason = _read(path, engine_key, store_key(settings, source.position()))
        if isinstance(engine_or_reason, MatchingEngine):
            engine = engine_or_reason
            return LoadedEngine(engine, "hit", "watchlists unchanged", path, time.perf_counter() - started, len(engine))
        reason = engine_or_reason
    else:
        reason = "--no-cache"
    engine, snapshot = _build(settings, source)
    # Keyed by the snapshot's own position, read in the snapshot's transaction: a change made after
    # the position above was read is in the entries and in the key alike.
    built_from = store_key(settings, StorePosition(snapshot.versions, snapshot.cursor))
    problem = _write(path, engine, snapshot, engine_key, built_from)
    if problem is not None:
        reason = f"{reason}; not cached: {problem}"
    return LoadedEngine(engine, "miss", reason, path, time.perf_counter() - started, len(engine))


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Building or unpickling the engine creates about a million objects and frees none: the cyclic
    garbage collector would walk them again and again for nothing (40% of a build, 70% of an
    unpickling). They live as long as the engine, so they are then frozen (moved to the permanent
    generation) rather than walked by the first collection after; refcounting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _build(settings: Settings, source: WatchlistSource) -> tuple[MatchingEngine, WatchlistSnapshot]:
    with _gc_paused():
        snapshot = source.snapshot()
        engine = MatchingEngine(threshold=settings.match_threshold)
        engine.load(snapshot.entries)
    return engine, snapshot


def _unsafe(info: os.stat_result, what: str) -> str | None:
    """Why a file or directory may not be trusted with code execution; None when it may."""
    if info.st_uid != os.getuid():
        return f"{what} is owned by uid {info.st_uid}, not by this user ({os.getuid()})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"{what} is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    return None


def _read(path: Path, engine_key: str, wanted: str) -> MatchingEngine | str:
    """The cached engine when the file is safe and current, else why not."""
    try:
        directory_problem = _unsafe(os.stat(path.parent), "the cache directory")
    except FileNotFoundError:
        return "no cache yet"
    if directory_problem:
        return f"refused: {directory_problem}"
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return "no cache yet"
    except OSError as error:  # ELOOP: a symlink
        return f"refused: cannot open the cache file safely ({error.strerror})"
    with os.fdopen(descriptor, "rb") as file:
        info = os.fstat(file.fileno())
        problem = _unsafe(info, "the cache file") or (None if stat.S_ISREG(info.st_mode) else "not a regular file")
        if problem:
            return f"refused: {problem}"
        try:
            header = _read_header(file)
        except ValueError as error:
            return f"unreadable cache file ({error})"
        if header.get("engine") != engine_key:
            return "the engine's code, settings or libraries changed"
        if header.get("store") != wanted:
            return "the watchlists changed"
        expires_next = header.get("expires_next")
        if expires_next is not None and time.time() >= float(expires_next):
            return "a cached entry has expired since"
        try:
            payload = file.read()  # one read: pickle.load on the file would read it piece by piece, slower
            with _gc_paused():
                engine = pickle.loads(payload)
        except Exception as error:  # a truncated or foreign pickle: rebuild, whatever it raised
            return f"unreadable cache file ({type(error).__name__}: {error})"
    if not isinstance(engine, MatchingEngine):
        return f"unreadable cache file (holds a {type(engine).__name__})"
    return engine


def _read_header(file: Any) -> dict[str, Any]:
    if file.read(len(_MAGIC)) != _MAGIC:
        raise ValueError("not a screen cache file")
    raw_length = file.read(_HEADER_LENGTH.size)
    if len(raw_length) != _HEADER_LENGTH.size:
        raise ValueError("truncated header")
    (length,) = _HEADER_LENGTH.unpack(raw_length)
    if length > 1 << 20:
        raise ValueError("header too long")
    try:
        header = orjson.loads(file.read(length))
    except orjson.JSONDecodeError as error:
        raise ValueError(f"header: {error}") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError("another format")
    return cast("dict[str, Any]", header)


def _write(path: Path, engine: MatchingEngine, snapshot: WatchlistSnapshot, engine_key: str, key: str) -> str | None:
    """Write the cache atomically; None when written, else why not (screening goes on without it)."""
    try:
        payload = pickle.dumps(engine, protocol=5)
    except Exception as error:  # an engine holding something pickle cannot take (a lock, a lambda)
        return f"the engine cannot be pickled ({type(error).__name__}: {error})"
    expiries = [entry.expires_at.timestamp() for entry in snapshot.entries if entry.expires_at is not None]
    header = orjson.dumps(
        {
            "format": FORMAT,
            "engine": engine_key,
            "store": key,
            "expires_next": min(expiries) if expiries else None,
            "entries": len(snapshot.entries),
            "cursor": snapshot.cursor,
            "built_at": datetime.now(UTC).isoformat(),
        }
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        problem = _unsafe(os.stat(path.parent), "the cache directory")
        if problem:
            return problem
        # mkstemp creates the file with mode 0600, readable and writable by this user only.
        descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(_MAGIC + _HEADER_LENGTH.pack(len(header)) + header)
                file.write(payload)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    except OSError as error:
        return f"cannot write {path}: {error.strerror or error}"
    return None
