"""Downloading watchlist files: against a real HTTP server on 127.0.0.1, one failure at a time."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.watchlist import fetch
from services.watchlist.demo_source import BUNDLED_OFAC_DIR
from services.watchlist.fetch import FetchError, RemoteFile
from tests.local_http import Publisher, QuietHandler, serving
from tests.support import free_port

SDN = BUNDLED_OFAC_DIR / "sdn.csv"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[Publisher]:
    with serving(tmp_path / "www") as running:
        yield running


class UnannouncedLengthHandler(QuietHandler):
    """Sends 100 KiB with no Content-Length, as a streaming server does: only counting can stop it."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x" * 100 * 1024)


class StallingHandler(QuietHandler):
    """Sends the headers and a few bytes, then nothing for longer than the client waits."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"partial")
        self.wfile.flush()
        time.sleep(2)


class TruncatingHandler(QuietHandler):
    """Announces 1000 bytes, sends 10 and closes the connection."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        self.wfile.write(b"0123456789")


def test_streams_the_file_and_reports_its_size_and_checksum(publisher: Publisher, tmp_path: Path) -> None:
    publisher.publish(SDN, "SDN.CSV")
    destination = tmp_path / "sdn.csv"
    downloaded = fetch.download(publisher.base_url + "SDN.CSV", destination, timeout=5, max_bytes=10**6)
    assert destination.read_bytes() == SDN.read_bytes()
    assert (downloaded.size, downloaded.sha256) == (SDN.stat().st_size, sha256_of(SDN))
    assert downloaded.name == "sdn.csv"


def test_download_all_saves_each_file_under_the_name_the_importer_expects(publisher: Publisher, tmp_path: Path) -> None:
    for remote in fetch.OFAC_SDN_FILES:
        publisher.publish(BUNDLED_OFAC_DIR / remote.local_name, remote.remote_name)
    started: list[str] = []
    done: list[fetch.Downloaded] = []
    checksums = {"sdn.csv": sha256_of(SDN)}
    result = fetch.download_all(
        publisher.base_url.rstrip("/"), fetch.OFAC_SDN_FILES, tmp_path, checksums=checksums,
        on_start=started.append, on_done=done.append,
    )
    assert [item.name for item in result] == ["sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"]
    assert started == [publisher.base_url + remote.remote_name for remote in fetch.OFAC_SDN_FILES]
    assert done == result
    for item in result:
        assert item.path.read_bytes() == (BUNDLED_OFAC_DIR / item.name).read_bytes()


def test_http_error_names_the_url_and_status(publisher: Publisher, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"/exports/SDN\.CSV: HTTP 404 File not found"):
        fetch.download(publisher.base_url + "SDN.CSV", tmp_path / "sdn.csv", timeout=5, max_bytes=10**6)


def test_wrong_checksum_is_refused(publisher: Publisher, tmp_path: Path) -> None:
    publisher.publish(SDN, "SDN.CSV")
    with pytest.raises(FetchError, match=f"SHA-256 is {sha256_of(SDN)}, expected {'0' * 64}"):
        fetch.download(
            publisher.base_url + "SDN.CSV", tmp_path / "sdn.csv", timeout=5, max_bytes=10**6, expected_sha256="0" * 64
        )


def test_announced_size_over_the_limit_is_refused_before_reading(publisher: Publisher, tmp_path: Path) -> None:
    publisher.publish(SDN, "SDN.CSV")
    with pytest.raises(FetchError, match="bytes announced, more than the limit of 1,000"):
        fetch.download(publisher.base_url + "SDN.CSV", tmp_path / "sdn.csv", timeout=5, max_bytes=1000)


def test_unannounced_size_over_the_limit_is_cut_off(tmp_path: Path) -> None:
    with (
        serving(tmp_path / "www", UnannouncedLengthHandler) as publisher,
        pytest.raises(FetchError, match="more than the limit of 50,000 bytes"),
    ):
        fetch.download(publisher.base_url + "big", tmp_path / "big", timeout=5, max_bytes=50_000)


def test_empty_file_is_refused(publisher: Publisher, tmp_path: Path) -> None:
    (publisher.root / "SDN.CSV").write_bytes(b"")
    with pytest.raises(FetchError, match="empty file"):
        fetch.download(publisher.base_url + "SDN.CSV", tmp_path / "sdn.csv", timeout=5, max_bytes=10**6)


def test_a_stalled_download_times_out(tmp_path: Path) -> None:
    with serving(tmp_path / "www", StallingHandler) as publisher:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"no data for 0\.3 s"):
            fetch.download(publisher.base_url + "slow", tmp_path / "slow", timeout=0.3, max_bytes=10**6)
        assert time.monotonic() - started < 1.5


def test_a_truncated_download_is_refused(tmp_path: Path) -> None:
    with (
        serving(tmp_path / "www", TruncatingHandler) as publisher,
        pytest.raises(FetchError, match="download interrupted after 10 of 1,000 bytes"),
    ):
        fetch.download(publisher.base_url + "short", tmp_path / "short", timeout=5, max_bytes=10**6)


def test_no_server_is_a_connection_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/SDN.CSV"
    with pytest.raises(FetchError, match="cannot connect"):
        fetch.download(url, tmp_path / "sdn.csv", timeout=5, max_bytes=10**6)


@pytest.mark.parametrize("base_url", ["ftp://example.org/", "file:///etc/", "example.org/exports", "http://"])
def test_only_http_urls_are_accepted(base_url: str) -> None:
    with pytest.raises(ValueError, match="http:// or https://"):
        fetch.check_base_url(base_url)


def test_base_url_joins_with_or_without_a_trailing_slash() -> None:
    remote = RemoteFile("SDN.CSV", "sdn.csv")
    assert fetch.file_url("https://example.org/exports", remote) == "https://example.org/exports/SDN.CSV"
    assert fetch.file_url("https://example.org/exports/", remote) == "https://example.org/exports/SDN.CSV"


def test_checksums_by_local_or_remote_name() -> None:
    digest = "AB" * 32
    checksums = fetch.parse_checksums([f"sdn.csv={digest}", f"ALT.CSV={'cd' * 32}"], fetch.OFAC_SDN_FILES)
    assert checksums == {"sdn.csv": "ab" * 32, "alt.csv": "cd" * 32}
    assert fetch.parse_checksums(["ef" * 32], fetch.UN_CONSOLIDATED_FILES) == {"consolidated.xml": "ef" * 32}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("ab" * 32, "give NAME=SHA256"),  # four files: which one?
        (f"other.csv={'ab' * 32}", "not a file of this list"),
        ("sdn.csv=abc", "64 hexadecimal digits"),
        (f"sdn.csv={'zz' * 32}", "64 hexadecimal digits"),
    ],
)
def test_wrong_checksum_options_are_explained(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        fetch.parse_checksums([value], fetch.OFAC_SDN_FILES)


def test_two_different_checksums_for_one_file_are_refused() -> None:
    with pytest.raises(ValueError, match=r"two different checksums for sdn\.csv"):
        fetch.parse_checksums([f"sdn.csv={'ab' * 32}", f"SDN.CSV={'cd' * 32}"], fetch.OFAC_SDN_FILES)
