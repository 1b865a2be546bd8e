"""`interdict watchlist ...`: administrators import, inspect and edit the watchlists in Redis."""

from __future__ import annotations

import shlex
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from services.admin.identity import CommandIdentity, IdentityRefused, token_option
from services.shared.models.watchlist import Sharing, SharingScope, WatchlistEntry
from services.shared.settings import PARTNER_COUNTRIES, get_settings
from services.watchlist import fetch
from services.watchlist.errors import ListNotFound, WatchlistError, WatchlistFileError
from services.watchlist.events import ImportReport
from services.watchlist.operations import (
    ListDiff,
    SharingOptionError,
    audit_trail,
    change_kind,
    changed_fields,
    diff_list,
    format_sharing,
    is_shared_with,
    parse_sharing,
)
from services.watchlist.operations import entry_changes as entry_changes  # was defined here; callers import it
from services.watchlist.reader import WatchlistReader
from services.watchlist.writer import WatchlistWriter

watchlist_app = typer.Typer(no_args_is_help=True, help="Watchlists: import, inspect and edit them live.")
import_app = typer.Typer(no_args_is_help=True, help="Replace a whole list from a file; unchanged content is a no-op.")
watchlist_app.add_typer(import_app, name="import")
fetch_app = typer.Typer(
    no_args_is_help=True, help="Download a list from its publisher (needs internet), then import it as `import` does."
)
watchlist_app.add_typer(fetch_app, name="fetch")

console = Console()
errors = Console(stderr=True)

#: Exit code of a rejected file or a refused change (1 is left to unexpected failures).
EXIT_REJECTED = 2
#: Exit code of a download that failed or brought the wrong file (nothing was imported).
EXIT_FETCH_FAILED = 3

TOKEN = token_option()


def _reader() -> WatchlistReader:
    return WatchlistReader.from_settings(get_settings())


def _writer() -> WatchlistWriter:
    return WatchlistWriter.from_settings(get_settings())


def _caller(token: str | None, command: str) -> CommandIdentity:
    """The holder of `token`, who the audit trail names; refused (exit status 2, recorded) without one."""
    try:
        return CommandIdentity(get_settings(), token, f"watchlist {command}")
    except IdentityRefused as error:
        raise _refused(error) from error


def _acting_owner(token: str | None, owner: str, what: str, command: str) -> str:
    """The name of the holder of `token` if they administer `owner`, the country owning `what`."""
    caller = _caller(token, command)
    try:
        caller.require_owner(owner, what)
    except IdentityRefused as error:
        raise _refused(error) from error
    return caller.principal.name


def _refused(error: IdentityRefused) -> typer.Exit:
    errors.print(f"[red]refused:[/red] {error}", highlight=False)
    return typer.Exit(EXIT_REJECTED)


def parse_share(value: str) -> Sharing:
    """'all', 'owner' or 'countries:CO,MX', refused as a bad option value."""
    try:
        return parse_sharing(value)
    except SharingOptionError as error:
        raise typer.BadParameter(str(error)) from error


def parse_owner(value: str) -> str:
    """A partner country code: the owner of a list receives its alerts on its own desk."""
    code = value.strip().upper()
    if code not in PARTNER_COUNTRIES:
        raise typer.BadParameter(f"{value!r} is not a partner country ({', '.join(PARTNER_COUNTRIES)})")
    return code


def _reject(error: WatchlistFileError | WatchlistError | ValidationError) -> typer.Exit:
    if isinstance(error, WatchlistFileError):
        errors.print(f"[red]rejected:[/red] {len(error.problems)} problem(s); nothing was imported")
        for problem in error.problems:
            errors.print(f"  {problem}", markup=False, highlight=False)
    else:
        errors.print(f"[red]refused:[/red] {error}", highlight=False)
    return typer.Exit(EXIT_REJECTED)


def _print_report(report: ImportReport) -> None:
    if report.is_unchanged:
        console.print(f"{report.list_id}: unchanged at version {report.version} ({len(report.unchanged)} entries)")
        return
    table = Table(title=f"{report.list_id}: version {report.previous_version} -> {report.version}")
    for column in ("added", "changed", "removed", "unchanged"):
        table.add_column(column, justify="right")
    table.add_row(*(str(len(getattr(report, column))) for column in ("added", "changed", "removed", "unchanged")))
    console.print(table)


def _import(
    list_id: str,
    load: Callable[[], list[WatchlistEntry]],
    owner: str,
    share: Sharing | None,
    title: str,
    token: str | None,
) -> None:
    actor = _acting_owner(token, owner, f"list {list_id!r}", "import")
    try:
        entries = load()
        report = _writer().import_list(list_id, entries, owner_country=owner, sharing=share, title=title, actor=actor)
    except (WatchlistFileError, WatchlistError) as error:
        raise _reject(error) from error
    _print_report(report)


@import_app.command("ofac-sdn")
def import_ofac_sdn(
    directory: Path = typer.Argument(
        ..., exists=True, file_okay=False, help="folder with sdn.csv, alt.csv, add.csv, sdn_comments.csv"
    ),
    token: str | None = TOKEN,
) -> None:
    """OFAC's SDN list in its legacy CSV form, as list 'ofac-sdn' owned by US and shared with all."""
    _import_ofac_sdn(directory, token)


def _import_ofac_sdn(directory: Path, token: str | None) -> None:
    from services.watchlist.importers import ofac_sdn

    _import(
        ofac_sdn.LIST_ID, lambda: ofac_sdn.parse_ofac_sdn(directory), ofac_sdn.OWNER_COUNTRY,
        Sharing(scope=SharingScope.ALL_PARTNERS), "OFAC Specially Designated Nationals", token,
    )


@import_app.command("jsonl")
def import_jsonl(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="one WatchlistEntry JSON object per line"),
    list_id: str = typer.Option(..., "--list-id", help="the list the file replaces"),
    owner: str = typer.Option(..., "--owner", help="owner country code, for lines that do not give one"),
    share: str = typer.Option("all", "--share", help="all | owner | countries:CO,MX (for lines without sharing)"),
    title: str = typer.Option("", "--title"),
    token: str | None = TOKEN,
) -> None:
    """A list in the project's JSON Lines format (see services/watchlist/FORMATS.md)."""
    from services.watchlist.importers.jsonl import parse_jsonl

    _import_project_format(parse_jsonl, file, list_id, owner, share, title, token)


@import_app.command("un-consolidated")
def import_un_consolidated(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the UN Security Council Consolidated List XML"),
    owner: str = typer.Option(
        ..., "--owner",
        help="partner country whose administrators maintain this copy of the UN list (the UN is not a partner)",
    ),
    share: str = typer.Option("all", "--share", help="all | owner | countries:CO,MX"),
    token: str | None = TOKEN,
) -> None:
    """The UN Security Council Consolidated List (XML), as list 'un-sc'."""
    _import_un_consolidated(file, owner.upper(), parse_share(share), token)


def _import_un_consolidated(file: Path, owner_code: str, sharing: Sharing, token: str | None) -> None:
    from services.watchlist.importers import un_consolidated

    _import(
        un_consolidated.LIST_ID,
        lambda: un_consolidated.parse_un_consolidated(file, owner_country=owner_code, sharing=sharing),
        owner_code, sharing, un_consolidated.TITLE, token,
    )


@import_app.command("csv")
def import_csv(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="one entry per row under a header row"),
    list_id: str = typer.Option(..., "--list-id", help="the list the file replaces"),
    owner: str = typer.Option(..., "--owner", help="owner country code of the list and its entries"),
    share: str = typer.Option("all", "--share", help="all | owner | countries:CO,MX"),
    title: str = typer.Option("", "--title"),
    token: str | None = TOKEN,
) -> None:
    """A national list in the project's CSV format (see services/watchlist/FORMATS.md)."""
    from services.watchlist.importers.csv_format import parse_csv

    _import_project_format(parse_csv, file, list_id, owner, share, title, token)


def _import_project_format(
    parse: Callable[..., list[WatchlistEntry]], file: Path, list_id: str, owner: str, share: str, title: str,
    token: str | None,
) -> None:
    """JSON Lines and CSV lists: any list id, the owner and sharing given on the command line."""
    sharing = parse_share(share)
    owner_code = owner.upper()
    _import(list_id, lambda: parse(file, list_id=list_id, owner_country=owner_code, sharing=sharing), owner_code,
            sharing, title, token)


BASE_URL_HELP = "where the publisher's files are (a mirror, or a local server in tests)"
SHA256 = typer.Option(
    [], "--sha256", metavar="NAME=HEX",
    help="refuse the download unless the file has this SHA-256 checksum (repeatable; a bare HEX for a one-file list)",
)
TIMEOUT = typer.Option(
    fetch.DEFAULT_TIMEOUT_SECONDS, "--timeout", min=0.1, help="seconds to wait for a connection or for more data"
)
MAX_MIB = typer.Option(
    fetch.DEFAULT_MAX_BYTES // 2**20, "--max-mib", min=1, help="refuse any file larger than this many MiB"
)


@fetch_app.command("ofac-sdn")
def fetch_ofac_sdn(
    base_url: str = typer.Option(fetch.OFAC_SDN_BASE_URL, "--base-url", help=BASE_URL_HELP),
    sha256: list[str] = SHA256,
    timeout: float = TIMEOUT,
    max_mib: int = MAX_MIB,
    token: str | None = TOKEN,
) -> None:
    """OFAC's SDN list (SDN.CSV, ALT.CSV, ADD.CSV, SDN_COMMENTS.CSV), then `import ofac-sdn` of them."""
    with _downloaded(fetch.OFAC_SDN_FILES, base_url, sha256, timeout, max_mib) as folder:
        _import_ofac_sdn(folder, token)


@fetch_app.command("un-consolidated")
def fetch_un_consolidated(
    owner: str = typer.Option(
        ..., "--owner",
        help="partner country whose administrators maintain this copy of the UN list (the UN is not a partner)",
    ),
    share: str = typer.Option("all", "--share", help="all | owner | countries:CO,MX"),
    base_url: str = typer.Option(fetch.UN_CONSOLIDATED_BASE_URL, "--base-url", help=BASE_URL_HELP),
    sha256: list[str] = SHA256,
    timeout: float = TIMEOUT,
    max_mib: int = MAX_MIB,
    token: str | None = TOKEN,
) -> None:
    """The UN Security Council Consolidated List (consolidated.xml), then `import un-consolidated` of it."""
    owner_code, sharing = owner.upper(), parse_share(share)  # refused before anything is downloaded
    with _downloaded(fetch.UN_CONSOLIDATED_FILES, base_url, sha256, timeout, max_mib) as folder:
        _import_un_consolidated(folder / fetch.UN_CONSOLIDATED_FILES[0].local_name, owner_code, sharing, token)


@contextmanager
def _downloaded(
    files: tuple[fetch.RemoteFile, ...], base_url: str, sha256: list[str], timeout: float, max_mib: int
) -> Iterator[Path]:
    """A temporary folder holding every file of a list, each reported with its size and checksum."""
    try:
        fetch.check_base_url(base_url)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--base-url") from error
    try:
        checksums = fetch.parse_checksums(sha256, files)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--sha256") from error
    with tempfile.TemporaryDirectory(prefix="interdict-fetch-") as folder:
        try:
            fetch.download_all(
                base_url, files, Path(folder), checksums=checksums, timeout=timeout, max_bytes=max_mib * 2**20,
                on_start=lambda url: console.print(f"downloading {url}", highlight=False, soft_wrap=True),
                on_done=_print_downloaded,
            )
        except fetch.FetchError as error:
            errors.print(f"[red]download failed:[/red] {error}", highlight=False, soft_wrap=True)
            errors.print("nothing was imported")
            raise typer.Exit(EXIT_FETCH_FAILED) from error
        yield Path(folder)


def _print_downloaded(downloaded: fetch.Downloaded) -> None:
    line = f"  {downloaded.name}: {downloaded.size:,} bytes, sha256 {downloaded.sha256}"
    console.print(line, highlight=False, soft_wrap=True)  # one line, to copy into --sha256 or a log


@watchlist_app.command()
def create(
    list_id: str = typer.Argument(..., help="the new list's id, e.g. co-dijin"),
    owner: str = typer.Option(..., "--owner", help="partner country that owns and maintains the list"),
    share: str = typer.Option(..., "--share", help="who else may see its entries: all | owner | countries:CO,MX"),
    title: str = typer.Option("", "--title"),
    token: str | None = TOKEN,
) -> None:
    """Create an empty list, to fill it with `add` (an import creates its list by itself)."""
    owner_code, sharing = parse_owner(owner), parse_share(share)
    actor = _acting_owner(token, owner_code, f"list {list_id!r}", "create")
    try:
        version = _writer().create_list(list_id, owner_country=owner_code, sharing=sharing, title=title, actor=actor)
    except WatchlistError as error:
        raise _reject(error) from error
    console.print(f"created {list_id} (owner {owner_code}, sharing {format_sharing(sharing)}); list version {version}")


@watchlist_app.command("list")
def list_lists(token: str | None = TOKEN) -> None:
    """Every list shared with your token's country, with its owner, sharing, version and size."""
    country = _caller(token, "list").principal.country
    table = Table(title="watchlists")
    for column in ("list", "title", "owner", "sharing", "version", "entries", "enabled", "updated"):
        table.add_column(column)
    for info in (info for info in _reader().lists() if is_shared_with(country, info)):
        sharing = format_sharing(info.sharing)
        table.add_row(
            info.list_id, info.title, info.owner_country, sharing, str(info.version), str(info.entry_count),
            "yes" if info.enabled else "[red]no[/red]", info.updated_at.isoformat(timespec="seconds"),
        )
    console.print(table)


@watchlist_app.command()
def show(
    entry_id: str,
    as_json: bool = typer.Option(False, "--json", help="print the entry as JSON"),
    token: str | None = TOKEN,
) -> None:
    """One entry shared with your token's country: names, identifiers and the rest."""
    caller = _caller(token, "show")
    try:
        entry = _reader().get(entry_id)
        if not is_shared_with(caller.principal.country, entry):
            detail = f"entry {entry_id!r} is not shared with {caller.principal.country}"
            raise caller.refuse("not-shared", 403, detail, caller.principal)
    except IdentityRefused as error:
        raise _refused(error) from error
    except WatchlistError as error:
        raise _reject(error) from error
    if as_json:
        console.print_json(entry.model_dump_json())
        return
    table = Table(title=entry.entry_id, show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value")
    table.add_row("list", entry.list_id)
    table.add_row("kind", entry.kind.value)
    table.add_row("names", "\n".join(f"{name.name} ({name.name_type.value})" for name in entry.names))
    identifiers = (f"{i.scheme.value}: {i.value}" + (f" ({i.country})" if i.country else "") for i in entry.identifiers)
    table.add_row("identifiers", "\n".join(identifiers))
    for label, values in (("dates of birth", entry.dates_of_birth), ("nationalities", entry.nationalities),
                          ("countries", entry.countries), ("programs", entry.programs)):
        table.add_row(label, ", ".join(values))
    table.add_row("addresses", "\n".join(address.full or "" for address in entry.addresses))
    table.add_row("owner / sharing", f"{entry.owner_country} / {format_sharing(entry.sharing)}")
    table.add_row("expires", entry.expires_at.isoformat() if entry.expires_at else "")
    table.add_row("remarks", entry.remarks or "")
    console.print(table)


def _read_entry(file: Path) -> WatchlistEntry:
    try:
        return WatchlistEntry.model_validate_json(file.read_bytes())
    except ValidationError as error:
        errors.print(f"[red]rejected:[/red] {file.name} is not a valid watchlist entry")
        for detail in error.errors():
            errors.print(f"  {'.'.join(str(part) for part in detail['loc'])}: {detail['msg']}", markup=False)
        raise typer.Exit(EXIT_REJECTED) from error


ENTRY_FILE = typer.Argument(..., exists=True, dir_okay=False, help="a JSON file holding one WatchlistEntry")


@watchlist_app.command()
def add(file: Path = ENTRY_FILE, token: str | None = TOKEN) -> None:
    """Add one new entry to its list (create the list first with `create`)."""
    entry = _read_entry(file)
    _edit("add", token, _list_owner(entry.list_id), lambda store, who: store.add(entry, actor=who), adding=entry)


@watchlist_app.command()
def update(file: Path = ENTRY_FILE, token: str | None = TOKEN) -> None:
    """Replace one existing entry."""
    entry = _read_entry(file)
    _edit("update", token, _list_owner(entry.list_id), lambda store, who: store.update(entry, actor=who))


@watchlist_app.command()
def remove(entry_id: str, token: str | None = TOKEN) -> None:
    """Remove one entry."""
    _edit("remove", token, _entry_owner(entry_id), lambda store, who: store.remove(entry_id, actor=who))


@watchlist_app.command()
def expire(
    entry_id: str,
    at: datetime = typer.Option(..., "--at", help="ISO time with zone, e.g. 2026-12-31T00:00:00+00:00"),
    token: str | None = TOKEN,
) -> None:
    """Let one entry expire at a given time (in the past: now)."""
    if at.tzinfo is None:
        raise typer.BadParameter("give a time zone, e.g. +00:00", param_hint="--at")
    _edit("expire", token, _entry_owner(entry_id), lambda store, who: store.expire(entry_id, at, actor=who))


@watchlist_app.command()
def enable(list_id: str, token: str | None = TOKEN) -> None:
    """Match against a list again."""
    _edit("enable", token, _list_owner(list_id), lambda store, who: store.enable_list(list_id, actor=who))


@watchlist_app.command()
def disable(list_id: str, token: str | None = TOKEN) -> None:
    """Stop matching against a list, keeping its entries."""
    _edit("disable", token, _list_owner(list_id), lambda store, who: store.disable_list(list_id, actor=who))


@watchlist_app.command("sweep-expired")
def sweep_expired(token: str | None = TOKEN) -> None:
    """Tell the matchers about entries whose expiry has passed now (the admin API does it every 30 s)."""
    caller = _caller(token, "sweep-expired")
    try:
        caller.require_admin()
    except IdentityRefused as error:
        raise _refused(error) from error
    expired = _writer().sweep_expired(actor=caller.principal.name)
    listed = f": {', '.join(expired)}" if expired else ""
    console.print(f"{len(expired)} entr{'y' if len(expired) == 1 else 'ies'} expired{listed}")


#: Who owns what a change touches: (owner country, how to name it) read from the store.
Subject = Callable[[WatchlistWriter], tuple[str, str]]


def _list_owner(list_id: str) -> Subject:
    return lambda store: (store.info(list_id).owner_country, f"list {list_id!r}")


def _entry_owner(entry_id: str) -> Subject:
    def owner(store: WatchlistWriter) -> tuple[str, str]:
        return store.info(store.get(entry_id).list_id).owner_country, f"entry {entry_id!r}"

    return owner


def _edit(
    command: str,
    token: str | None,
    subject: Subject,
    change: Callable[[WatchlistWriter, str], int],
    adding: WatchlistEntry | None = None,
) -> None:
    """Apply one change as the holder of `token`, an administrator of the country owning its subject;
    `adding` is the entry being added, to say how to create its list if missing."""
    caller = _caller(token, command)  # before reading anything: no token learns what exists
    store = _writer()
    try:
        owner, what = subject(store)
        caller.require_owner(owner, what)
        version = change(store, caller.principal.name)
    except IdentityRefused as error:
        raise _refused(error) from error
    except ListNotFound as error:
        raise _refuse_missing_list(error, adding) from error
    except WatchlistError as error:
        raise _reject(error) from error
    console.print(f"done; list version {version}")


def _refuse_missing_list(error: ListNotFound, adding: WatchlistEntry | None) -> typer.Exit:
    """Say the list is missing and how to go on: create it (for an added entry), or look at the lists."""
    errors.print(f"[red]refused:[/red] {error}", highlight=False)
    if adding is None:
        errors.print("`interdict watchlist list` shows the lists there are")
        return typer.Exit(EXIT_REJECTED)
    # The entry names its owner and sharing, which are the likely ones for its list.
    command = (
        f"interdict watchlist create {shlex.quote(error.list_id)} --owner {adding.owner_country} "
        f"--share {format_sharing(adding.sharing)}"
    )
    errors.print("Entries are added to an existing list: create it first (check owner and sharing), then add again:")
    errors.print(f"  {command}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(EXIT_REJECTED)


@watchlist_app.command()
def history(
    entry_id: str | None = typer.Option(None, "--entry"),
    list_id: str | None = typer.Option(None, "--list"),
    actor: str | None = typer.Option(None, "--actor"),
    limit: int = typer.Option(50, "--limit", help="the latest N records (0: all)"),
    token: str | None = TOKEN,
) -> None:
    """The audit trail of what is shared with your token's country: who changed what, when, oldest first."""
    country = _caller(token, "history").principal.country
    table = Table(title="watchlist history")
    for column in ("time", "actor", "operation", "list", "entry", "version", "details"):
        table.add_column(column)
    trail = audit_trail(_writer(), entry_id=entry_id, list_id=list_id, actor=actor, limit=limit, seen_by=country)
    for record in trail:
        details = ", ".join(f"{key}={value}" for key, value in record.details.items())
        table.add_row(
            record.at.isoformat(timespec="seconds"), record.actor, record.operation, record.list_id,
            record.entry_id or "", str(record.version), details,
        )
    console.print(table)


@watchlist_app.command()
def diff(
    list_id: str,
    from_version: int | None = typer.Option(None, "--from", help="compare from this version (default: the one before)"),
    to_version: int | None = typer.Option(None, "--to", help="up to this version (default: the live one)"),
    token: str | None = TOKEN,
) -> None:
    """What changed in a list between two versions, entry by entry and field by field (from the audit
    trail), among the entries shared with your token's country."""
    caller = _caller(token, "diff")
    country = caller.principal.country
    try:
        store = _writer()
        if not is_shared_with(country, store.info(list_id)):
            raise caller.refuse("not-shared", 403, f"list {list_id!r} is not shared with {country}", caller.principal)
        list_diff = diff_list(store, list_id, from_version, to_version, seen_by=country)
    except IdentityRefused as error:
        raise _refused(error) from error
    except WatchlistError as error:
        raise _reject(error) from error
    if not list_diff.changes:
        console.print(f"{list_id}: no entry changed between versions {list_diff.lower} and {list_diff.upper}")
        return
    console.print(_diff_table(list_diff))


def _diff_table(diff: ListDiff) -> Table:
    table = Table(title=f"{diff.list_id}: version {diff.lower} -> {diff.upper}")
    for column in ("entry", "change", "fields"):
        table.add_column(column)
    for entry_id, (before, after) in sorted(diff.changes.items()):
        kind = change_kind(before, after)
        table.add_row(entry_id, kind, ", ".join(changed_fields(before, after)) if kind == "changed" else "")
    return table
