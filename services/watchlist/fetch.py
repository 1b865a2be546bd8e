"""Downloading watchlists from their publishers, for `interdict watchlist fetch`.

Each file is streamed to disk in a folder of the caller's choosing (a temporary one), hashed with
SHA-256 as it arrives, and checked against a checksum when the administrator gives one (from a
colleague's download or a publisher's announcement). A download that fails in any way (HTTP
error, stall, too large, empty, wrong checksum) raises FetchError with one line that says which
URL and why; the caller imports only once every file of a list has arrived whole, so a failed
fetch imports nothing and leaves the live list as it was.

The standard library's urllib is enough for a handful of streamed GETs: httpx is only a test
dependency of the project, and a download is no reason to add a runtime one.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: OFAC's Sanctions List Service: the legacy SDN CSV files (it redirects to the current copy).
OFAC_SDN_BASE_URL = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/"
#: The UN Security Council's Consolidated List, in English.
UN_CONSOLIDATED_BASE_URL = "https://scsanctions.un.org/resources/xml/en/"

#: The longest wait for a connection or for the next bytes: a stall, not the whole download,
#: whose length depends on the line.
DEFAULT_TIMEOUT_SECONDS = 60.0
#: Far above any real list (OFAC's SDN.CSV is a few MB, the UN XML about 2 MB), low enough that a
#: wrong URL serving something endless cannot fill the disk.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
CHUNK_BYTES = 64 * 1024
USER_AGENT = "interdict-watchlist-fetch/1 (Python urllib)"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class RemoteFile:
    """A file as the publisher names it, and as the importer expects it on disk."""

    remote_name: str
    local_name: str


OFAC_SDN_FILES: tuple[RemoteFile, ...] = (
    RemoteFile("SDN.CSV", "sdn.csv"),
    RemoteFile("ALT.CSV", "alt.csv"),
    RemoteFile("ADD.CSV", "add.csv"),
    RemoteFile("SDN_COMMENTS.CSV", "sdn_comments.csv"),
)
UN_CONSOLIDATED_FILES: tuple[RemoteFile, ...] = (RemoteFile("consolidated.xml", "consolidated.xml"),)


class FetchError(Exception):
    """A file could not be downloaded whole, or is not the file expected."""


@dataclass(frozen=True)
class Downloaded:
    name: str
    url: str
    path: Path
    size: int
    sha256: str


def check_base_url(base_url: str) -> str:
    """The base URL with one trailing slash; ValueError unless it is an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http:// or https:// URL, got {base_url!r}")
    return base_url.rstrip("/") + "/"


def file_url(base_url: str, remote: RemoteFile) -> str:
    return check_base_url(base_url) + urllib.parse.quote(remote.remote_name)


def parse_checksums(values: Iterable[str], files: tuple[RemoteFile, ...]) -> dict[str, str]:
    """`--sha256` values as local file name -> lower-case hex digest; ValueError when one is wrong.

    Each value is NAME=HEX, NAME being the file's local or remote name (sdn.csv or SDN.CSV); a
    bare HEX is accepted when the list has a single file.
    """
    names = {name.lower(): remote.local_name for remote in files for name in (remote.local_name, remote.remote_name)}
    checksums: dict[str, str] = {}
    for value in values:
        name, separator, digest = value.rpartition("=")
        if not separator:
            if len(files) != 1:
                known = ", ".join(remote.local_name for remote in files)
                raise ValueError(f"{value!r}: give NAME=SHA256, NAME one of {known}")
            name = files[0].local_name
        local_name = names.get(name.strip().lower())
        if local_name is None:
            raise ValueError(f"{name!r} is not a file of this list ({', '.join(r.local_name for r in files)})")
        digest = digest.strip().lower()
        if not _SHA256_HEX.fullmatch(digest):
            raise ValueError(f"{value!r}: a SHA-256 checksum is 64 hexadecimal digits")
        if checksums.get(local_name, digest) != digest:
            raise ValueError(f"two different checksums for {local_name}")
        checksums[local_name] = digest
    return checksums


def download_all(
    base_url: str,
    files: tuple[RemoteFile, ...],
    folder: Path,
    *,
    checksums: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_start: Callable[[str], None] = lambda url: None,
    on_done: Callable[[Downloaded], None] = lambda downloaded: None,
) -> list[Downloaded]:
    """Every file of a list into `folder`, one after the other; FetchError at the first failure."""
    expected = checksums or {}
    downloaded = []
    for remote in files:
        url = file_url(base_url, remote)
        on_start(url)
        result = download(
            url, folder / remote.local_name, timeout=timeout, max_bytes=max_bytes,
            expected_sha256=expected.get(remote.local_name),
        )
        on_done(result)
        downloaded.append(result)
    return downloaded


def download(
    url: str, destination: Path, *, timeout: float, max_bytes: int, expected_sha256: str | None = None
) -> Downloaded:
    """Stream one URL to `destination`, hashing it; FetchError (one readable line) if anything is wrong."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            announced = _announced_size(url, response.headers.get("Content-Length"), max_bytes)
            with destination.open("wb") as sink:
                size, sha256 = _stream(url, response, sink, max_bytes)
    except urllib.error.HTTPError as error:
        raise FetchError(f"{url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        raise FetchError(f"{url}: cannot connect ({_reason(error.reason)})") from None
    except TimeoutError:
        raise FetchError(f"{url}: no data for {timeout:g} s; gave up") from None
    except (OSError, http.client.HTTPException) as error:
        raise FetchError(f"{url}: download interrupted ({_reason(error)})") from None
    if announced is not None and size != announced:
        # http.client ends a body cut short by the server quietly, as if it were complete.
        raise FetchError(f"{url}: download interrupted after {size:,} of {announced:,} bytes")
    if size == 0:
        # An empty sdn.csv would import as an empty list and remove every entry.
        raise FetchError(f"{url}: the server sent an empty file")
    if expected_sha256 is not None and sha256 != expected_sha256.lower():
        raise FetchError(f"{url}: SHA-256 is {sha256}, expected {expected_sha256}: not the file expected")
    return Downloaded(name=destination.name, url=url, path=destination, size=size, sha256=sha256)


def _announced_size(url: str, content_length: str | None, max_bytes: int) -> int | None:
    """The Content-Length, if any; FetchError at once when it is over the limit."""
    if content_length is None or not content_length.strip().isdigit():
        return None
    announced = int(content_length)
    if announced > max_bytes:
        raise FetchError(f"{url}: {announced:,} bytes announced, more than the limit of {max_bytes:,}")
    return announced


def _stream(url: str, response: IO[bytes], sink: IO[bytes], max_bytes: int) -> tuple[int, str]:
    """Copy the body chunk by chunk; the limit is enforced on what arrives, not on what was announced."""
    digest = hashlib.sha256()
    size = 0
    while chunk := response.read(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"{url}: more than the limit of {max_bytes:,} bytes; gave up")
        digest.update(chunk)
        sink.write(chunk)
    return size, digest.hexdigest()


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
