"""Watchlist operations that both front ends take: the `interdict watchlist` CLI and the admin API.

- the sharing option's text, `all | owner | countries:CO,MX`, as --share and ?share= read it;
- whether a list, an entry or an audit record is shared with a country;
- the audit trail, whole or as one country may see it;
- the diff of a list between two versions, entry by entry and field by field.

One copy of each, so the CLI and the API cannot drift apart. Nothing here knows about HTTP or
the terminal: a refusal is an exception (SharingOptionError, WatchlistError) for each front end
to report in its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from services.shared.models.watchlist import Sharing, SharingScope, WatchlistEntry, WatchlistInfo
from services.watchlist.events import AuditRecord

#: The forms of the sharing option, as its error messages name them.
SHARING_FORMS = "all, owner or countries:CC,CC"


class ListsAndHistory(Protocol):
    """What these operations read: the lists and the audit trail (WatchlistWriter has both)."""

    def lists(self) -> list[WatchlistInfo]: ...

    def info(self, list_id: str) -> WatchlistInfo: ...

    def history(
        self,
        entry_id: str | None = None,
        list_id: str | None = None,
        actor: str | None = None,
        limit: int | None = None,
    ) -> list[AuditRecord]: ...


# --- the sharing option --------------------------------------------------------------------------


class SharingOptionError(ValueError):
    """The text of a sharing option is none of its forms; the message says what is wrong with it."""


def parse_sharing(text: str) -> Sharing:
    """'all', 'owner' or 'countries:CO,MX' as a Sharing; SharingOptionError says what else it is."""
    scope, _, countries = text.partition(":")
    if scope == SharingScope.NAMED_COUNTRIES.value:
        return _named_countries(text, countries)
    # Checked before the scope, so 'friends:MX' is told that only 'countries' takes a list.
    if countries:
        raise SharingOptionError(f"only 'countries' takes a list: {text!r}")
    try:
        return Sharing(scope=SharingScope(scope))
    except ValueError as error:
        raise SharingOptionError(f"expected {SHARING_FORMS}; got {text!r}") from error


def _named_countries(text: str, countries: str) -> Sharing:
    codes = [code.strip() for code in countries.split(",") if code.strip()]
    if not codes:
        # Sharing would take it and share with the owner alone, which `owner` says plainly: a slip.
        raise SharingOptionError(f"countries:CC,CC needs at least one country code; got {text!r}")
    try:
        return Sharing(scope=SharingScope.NAMED_COUNTRIES, countries=codes)
    except ValidationError as error:
        bad = ", ".join(repr(detail["input"]) for detail in error.errors())
        raise SharingOptionError(f"not a two-letter country code: {bad} (in {text!r})") from error


def format_sharing(sharing: Sharing) -> str:
    """The option text of a sharing scope: the inverse of parse_sharing."""
    if sharing.scope is SharingScope.NAMED_COUNTRIES:
        return f"{sharing.scope.value}:{','.join(sharing.countries)}"
    return sharing.scope.value


def is_shared_with(country: str, item: WatchlistInfo | WatchlistEntry) -> bool:
    """Whether a list or an entry may be shown to a country: its owner's, or shared with it."""
    return item.sharing.allows(item.owner_country, country)


# --- the audit trail -----------------------------------------------------------------------------


def audit_trail(
    store: ListsAndHistory,
    *,
    entry_id: str | None = None,
    list_id: str | None = None,
    actor: str | None = None,
    limit: int = 0,
    seen_by: str | None = None,
) -> list[AuditRecord]:
    """Audit records matching every filter given, oldest first, the latest `limit` of them (0: all).

    seen_by, a country, keeps only the records of lists and entries shared with it, and takes the
    latest `limit` of those: a record the country may not see does not use up the limit.
    """
    if seen_by is None:
        return store.history(entry_id=entry_id, list_id=list_id, actor=actor, limit=limit or None)
    lists = {info.list_id: info for info in store.lists()}
    records = store.history(entry_id=entry_id, list_id=list_id, actor=actor)
    shown = [record for record in records if _record_shared_with(seen_by, record, lists)]
    return shown[-limit:] if limit else shown


def _record_shared_with(country: str, record: AuditRecord, lists: dict[str, WatchlistInfo]) -> bool:
    """A record is shown only if its list and both states of its entry are (the list may be gone)."""
    info = lists.get(record.list_id)
    if info is None or not is_shared_with(country, info):
        return False
    return all(is_shared_with(country, entry) for entry in (record.before, record.after) if entry is not None)


# --- the diff between two versions --------------------------------------------------------------

#: An entry at the lower and at the upper version (None: not in the list then).
EntryStates = tuple[WatchlistEntry | None, WatchlistEntry | None]


@dataclass(frozen=True)
class ListDiff:
    list_id: str
    lower: int
    upper: int
    changes: dict[str, EntryStates]


def diff_list(
    store: ListsAndHistory,
    list_id: str,
    from_version: int | None = None,
    to_version: int | None = None,
    seen_by: str | None = None,
) -> ListDiff:
    """What changed in a list from one version to another; by default, the live one and the one before.

    seen_by, a country, keeps only the entries shared with it (in either version).
    Raises WatchlistNotFound if there is no such list.
    """
    live = store.info(list_id).version
    upper = live if to_version is None else to_version
    lower = upper - 1 if from_version is None else from_version
    changes = entry_changes(store.history(list_id=list_id), lower, upper)
    if seen_by is not None:
        changes = {
            entry_id: states
            for entry_id, states in changes.items()
            if any(state is not None and is_shared_with(seen_by, state) for state in states)
        }
    return ListDiff(list_id, lower, upper, changes)


def entry_changes(records: list[AuditRecord], lower: int, upper: int) -> dict[str, EntryStates]:
    """Per entry, its state at version `lower` and at `upper` (None: not in the list); unchanged ones left out."""
    states: dict[str, EntryStates] = {}
    for record in records:  # oldest first
        if record.entry_id is None or not lower < record.version <= upper:
            continue
        if record.before is None and record.after is None:  # an expiry: says nothing of content
            continue
        first_before = states[record.entry_id][0] if record.entry_id in states else record.before
        states[record.entry_id] = (first_before, record.after)
    return {entry_id: pair for entry_id, pair in states.items() if pair[0] != pair[1]}


def change_kind(before: WatchlistEntry | None, after: WatchlistEntry | None) -> str:
    """'added', 'removed' or 'changed': how an entry's two states differ."""
    return "added" if before is None else "removed" if after is None else "changed"


def changed_fields(before: WatchlistEntry | None, after: WatchlistEntry | None) -> list[str]:
    """The names of the fields that differ between two states of an entry, in the model's order."""
    old = before.model_dump() if before else {}
    new = after.model_dump() if after else {}
    return [name for name in WatchlistEntry.model_fields if old.get(name) != new.get(name)]
