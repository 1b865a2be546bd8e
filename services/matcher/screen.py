"""`interdict screen`: screen one name, or a JSONL file of queries, against the live watchlists.

    interdict screen --name "Juan Abrego Garcia" --kind person --country MX --dob 1962-04-12
    interdict screen --file queries.jsonl --json     # one JSON result per line, in input order

Each line of a queries file is a JSON object with the same fields as the options: name, kind,
country (a list, or one code), dob, and optionally identifiers ([{"scheme": "imo", "value": ...}]).

The engine is built once per watchlist version and kept in `<state dir>/screen-cache/` (see
snapshot_cache): a call with the watchlists unchanged loads it instead of rebuilding it;
`--verbose` says which happened, `--no-cache` rebuilds it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from services.admin.identity import CommandIdentity, IdentityRefused, token_option
from services.admin.tokens import Principal
from services.matcher.engine import EntryMatch, MatchingEngine, ScreeningQuery
from services.matcher.snapshot_cache import LoadedEngine, RedisWatchlistSource, WatchlistSource, load_engine
from services.shared.models.common import EntityKind, Identifier
from services.shared.settings import Settings, get_settings
from services.watchlist.operations import is_shared_with

#: Exit status of a call without a known token (as the desk and watchlist commands).
EXIT_REFUSED = 2


class QueryLineError(ValueError):
    """A line of the queries file is not a valid query."""


def watchlist_source(settings: Settings) -> WatchlistSource:
    """The live watchlists: the store in Redis (tests put a stub in its place)."""
    return RedisWatchlistSource(settings)


def engine_for(settings: Settings, *, read_cache: bool = True) -> LoadedEngine:
    """The engine over the live entries of the enabled lists, from the cache when it is current."""
    return load_engine(settings, watchlist_source(settings), read_cache=read_cache)


def query_from_mapping(fields: dict[str, Any]) -> ScreeningQuery:
    """A query from the command's fields: name, kind, country (list or str), dob, identifiers."""
    unknown = set(fields) - {"name", "kind", "country", "countries", "dob", "date_of_birth", "identifiers", "where"}
    if unknown:
        raise QueryLineError(f"unknown field(s): {', '.join(sorted(unknown))}")
    countries = fields.get("country", fields.get("countries")) or []
    if isinstance(countries, str):
        countries = [countries]
    try:
        return ScreeningQuery(
            name=fields.get("name") or None,
            kind=EntityKind(fields.get("kind") or EntityKind.UNKNOWN),
            countries=[str(country).upper() for country in countries],
            date_of_birth=fields.get("dob", fields.get("date_of_birth")) or None,
            identifiers=[Identifier.model_validate(item) for item in fields.get("identifiers") or []],
            where=fields.get("where") or "",
        )
    except (ValidationError, ValueError) as error:
        raise QueryLineError(str(error).splitlines()[0]) from error


def read_queries(path: Path) -> Iterator[ScreeningQuery]:
    """Every query of a JSONL file; a bad line stops with its line number (nothing is skipped)."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                fields = orjson.loads(line)
                if not isinstance(fields, dict):
                    raise QueryLineError("a line must hold a JSON object")
                query = query_from_mapping(fields)
            except (orjson.JSONDecodeError, QueryLineError) as error:
                raise QueryLineError(f"{path}:{number}: {error}") from error
            if query.name is None and not query.identifiers:
                raise QueryLineError(f"{path}:{number}: a query needs a name or identifiers")
            yield query


def result_document(query: ScreeningQuery, matches: list[EntryMatch], problems: list[str]) -> dict[str, Any]:
    return {
        "query": query.model_dump(mode="json", exclude_defaults=True),
        "identifier_problems": problems,
        "matches": [
            {
                "entry_id": match.entry.entry_id,
                "list_id": match.entry.list_id,
                "source_ids": match.entry.source_ids,
                "kind": match.entry.kind.value,
                "names": [name.name for name in match.entry.names],
                "score": match.score,
                "explanation": match.explanation,
                "evidence": [item.model_dump(mode="json") for item in match.evidence],
            }
            for match in matches
        ],
    }


def shown_to(engine: MatchingEngine, country: str) -> set[str]:
    """The entries a caller of `country` may see: their sharing scopes decide, as for the desks."""
    return {entry.entry_id for entry in engine.entries() if is_shared_with(country, entry)}


def screen_all(
    engine: MatchingEngine, queries: Iterator[ScreeningQuery], limit: int, country: str
) -> Iterator[dict[str, Any]]:
    """Each query's matches among the entries shared with `country` (the caller's): an entry its
    scope withholds is never scored into the answer, so it neither shows nor takes a place in it."""
    visible = shown_to(engine, country)
    for query in queries:
        matches = engine.screen(query, limit=limit, among=visible)
        yield result_document(query, matches, engine.validate_identifiers(query.identifiers))


def identify_caller(settings: Settings, token: str | None) -> Principal:
    """The holder of the token, from the admin API's token store (tests put a stub in its place)."""
    return CommandIdentity(settings, token, "screen").principal


def _print_table(console: Console, document: dict[str, Any]) -> None:
    query = document["query"]
    title = query.get("name") or ", ".join(item["value"] for item in query.get("identifiers", []))
    for problem in document["identifier_problems"]:
        console.print(f"[yellow]warning:[/] {problem}")
    if not document["matches"]:
        console.print(f"{title}: no watchlist entry reaches the threshold")
        return
    table = Table(title=title, show_lines=True)
    for column in ("score", "entry", "names", "why"):
        table.add_column(column)
    for match in document["matches"]:
        table.add_row(f"{match['score']:.3f}", match["entry_id"], "\n".join(match["names"][:4]), match["explanation"])
    console.print(table)


def screen(
    name: Annotated[str | None, typer.Option("--name", help="the name to screen")] = None,
    kind: Annotated[EntityKind, typer.Option("--kind", help="what the name is")] = EntityKind.UNKNOWN,
    country: Annotated[
        list[str] | None, typer.Option("--country", help="ISO alpha-2: nationality, address or flag (repeatable)")
    ] = None,
    dob: Annotated[str | None, typer.Option("--dob", help="date of birth, ISO or partial (1960, 1960-04)")] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help="JSONL file, one query per line", exists=True, dir_okay=False, readable=True),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="one JSON result per line")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="most matches per query")] = 10,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="rebuild the engine from Redis (and the cache with it)")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="say on stderr whether the cached engine was used")
    ] = False,
    token: str | None = token_option(),
) -> None:
    """Screen a name (or a file of queries) against the live watchlists held in Redis, as the holder of
    a token: only the entries shared with the token's country are shown."""
    if (name is None) == (file is None):
        raise typer.BadParameter("give exactly one of --name or --file")
    settings = get_settings()
    try:
        caller = identify_caller(settings, token)
    except IdentityRefused as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(EXIT_REFUSED) from error
    if file is not None:
        try:
            queries = list(read_queries(file))  # read all first: a bad line fails before any output
        except QueryLineError as error:
            raise typer.BadParameter(str(error), param_hint="--file") from error
    else:
        try:
            queries = [query_from_mapping({"name": name, "kind": kind.value, "country": country or [], "dob": dob})]
        except QueryLineError as error:
            raise typer.BadParameter(str(error)) from error
    loaded = engine_for(settings, read_cache=not no_cache)
    if verbose:
        typer.echo(loaded.describe(), err=True)
    console = Console()
    for document in screen_all(loaded.engine, iter(queries), limit, caller.country):
        if json_output:
            typer.echo(orjson.dumps(document).decode())
        else:
            _print_table(console, document)
