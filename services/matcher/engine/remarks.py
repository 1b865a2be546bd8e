"""Aliases that a list hides in free-text remarks (OFAC writes its weak aliases as "a.k.a. 'BNC'")."""

from __future__ import annotations

import re

from services.shared.models.watchlist import EntryName, NameType, WatchlistEntry

_QUOTED_ALIAS = re.compile(r"\b([afn])\.?k\.?a\.?,?\s*['\"‘“]([^'\"’”]{2,120})['\"’”]", re.IGNORECASE)
_ALIAS_TYPES = {"a": NameType.WEAK, "f": NameType.FKA, "n": NameType.NKA}


def remark_aliases(entry: WatchlistEntry) -> list[EntryName]:
    """Quoted a.k.a./f.k.a./n.k.a. names from the remarks that the entry's names do not already hold.

    OFAC marks its "weak" aliases (too generic to alert on alone) by quoting them in remarks, so a
    quoted a.k.a. is treated as weak; an f.k.a./n.k.a. is a real former or new name.
    """
    if not entry.remarks:
        return []
    known = {name.name.casefold() for name in entry.names}
    found: list[EntryName] = []
    for prefix, alias in _QUOTED_ALIAS.findall(entry.remarks):
        alias = alias.strip().rstrip(".,;")
        if alias and alias.casefold() not in known:
            known.add(alias.casefold())
            found.append(EntryName(name=alias, name_type=_ALIAS_TYPES[prefix.lower()]))
    return found
