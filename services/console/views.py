"""What the console's pages show, beyond the alert itself: the route as stops, the entries as the
desk may see them, and the templates (Jinja2, autoescaped: a party named `<script>` is text).

Everything a page needs is served by the console (templates/, static/): no map tiles, fonts or
scripts from elsewhere, so a desk on a closed network sees the same page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fastapi.templating import Jinja2Templates

from services.shared.codes.countries import country_name
from services.shared.codes.ports import PortDirectory
from services.shared.i18n import Translator
from services.shared.models import Alert, AlertMatch, ManifestRef, WatchlistEntry
from services.shared.settings import Settings
from services.watchlist.errors import WatchlistNotFound
from services.watchlist.operations import is_shared_with
from services.watchlist.reader import WatchlistReader

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
STATIC = HERE / "static"


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "-"


templates.env.filters["when"] = when


def translator_for(settings: Settings, desk: str) -> Translator:
    return Translator(settings.desk_language(desk) if desk else "en")


# -- the route -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """A port on the route diagram; `roles` say what it is for this voyage (loading, last, next...)."""

    code: str
    name: str
    country: str
    roles: tuple[str, ...]
    eta: datetime | None = None


def route_stops(manifest: ManifestRef, ports: PortDirectory) -> list[Stop]:
    """The ports in voyage order: the route as declared, with the last and next ports the feed
    reported placed where they fall (added if the route does not name them)."""
    codes = list(dict.fromkeys(manifest.route_ports))
    if manifest.last_port and manifest.last_port not in codes:
        codes.insert(_index_before(codes, manifest.next_port), manifest.last_port)
    if manifest.next_port and manifest.next_port not in codes:
        codes.insert(_index_after(codes, manifest.last_port), manifest.next_port)
    stops = []
    for index, code in enumerate(codes):
        roles = []
        if index == 0 and len(codes) > 1 and code in manifest.route_ports:
            roles.append("loading")
        if index == len(codes) - 1 and len(codes) > 1 and code in manifest.route_ports:
            roles.append("discharge")
        if code == manifest.last_port:
            roles.append("last_port")
        if code == manifest.next_port:
            roles.append("next_port")
        eta = manifest.eta if code == manifest.next_port else None
        stops.append(Stop(code, ports.name_of(code) or "", country_name(code[:2]) or code[:2], tuple(roles), eta))
    return stops


def _index_before(codes: list[str], later: str | None) -> int:
    return codes.index(later) if later in codes else len(codes)


def _index_after(codes: list[str], earlier: str | None) -> int:
    return codes.index(earlier) + 1 if earlier in codes else len(codes)


# -- the entries, as far as their sharing lets this desk see them ------------------------------------------


@dataclass(frozen=True)
class EntryView:
    """What the watchlist holds on a matched entry now, for one desk: `entry` is None when the entry
    is gone from its list or its sharing scope withholds it from the desk (`withheld`)."""

    subject_id: str
    entry: WatchlistEntry | None
    withheld: bool


def entry_views(alert: Alert, desk: str, watchlists: WatchlistReader) -> dict[str, EntryView]:
    return {match.subject_id: entry_view(match, desk, watchlists) for match in alert.matches if match.entry}


def entry_view(match: AlertMatch, desk: str, watchlists: WatchlistReader) -> EntryView:
    assert match.entry is not None
    try:
        entry = watchlists.get(match.entry.entry_id)
        listed = watchlists.info(entry.list_id)
    except WatchlistNotFound:
        return EntryView(match.subject_id, None, withheld=False)
    if not (is_shared_with(desk, entry) and is_shared_with(desk, listed)):
        return EntryView(match.subject_id, None, withheld=True)
    return EntryView(match.subject_id, entry, withheld=False)
