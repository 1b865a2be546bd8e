"""A false-positive decision is remembered: the same party against the same entry, on the same desk.

When an officer closes an alert as a false positive, the close event names every party of the
alert and the entry each matched (DeskAction.dismissed). A later alert of that desk where the same
name matches the same entry is *marked* as previously dismissed, by whom and when: never hidden,
since the next one may be the real one, but the officer starts from the colleague's conclusion.

Names are compared as people read them: case, accents, punctuation and spacing aside.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from services.shared.models import Alert
from services.shared.models.desk import ClosingOutcome, DeskAction, Dismissal, PreviousDismissal


def party_key(name: str) -> str:
    """'Distribuidora Imperial, S.A.' and 'DISTRIBUIDORA  IMPERIAL SA' are one party."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return re.sub(r"[\W_]+", " ", plain.replace(".", "")).strip()


def dismissals_of(alert: Alert) -> list[Dismissal]:
    """What closing `alert` as a false positive dismisses: each party against the entry it matched."""
    pairs = {(match.subject_id, party.name) for match in alert.matches for party in match.parties}
    return [Dismissal(subject_id=subject, party=party) for subject, party in sorted(pairs)]


#: Finds the dismissals of a party (by party_key) against an entry: the store's query, or memory's.
Finder = Callable[[str, str], list[PreviousDismissal]]


def previously_dismissed(alert: Alert, find: Finder) -> dict[str, list[PreviousDismissal]]:
    """Per match of `alert`, the dismissals of its parties against its entry in *other* alerts."""
    found: dict[str, list[PreviousDismissal]] = {}
    for match in alert.matches:
        keys = dict.fromkeys(party_key(party.name) for party in match.parties)
        remembered = [item for key in keys for item in find(match.subject_id, key) if item.alert_id != alert.alert_id]
        if remembered:
            found[match.subject_id] = sorted(remembered, key=lambda item: item.at)
    return found


class DismissalMemory:
    """The dismissals read so far, in memory (`desk watch`); the store keeps its own in SQLite."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], list[PreviousDismissal]] = defaultdict(list)

    def remember(self, action: DeskAction) -> None:
        """Keep what an *applied* close (lifecycle.apply said so) dismissed."""
        if action.outcome is not ClosingOutcome.FALSE_POSITIVE:
            return
        for dismissal in action.dismissed:
            key = (dismissal.subject_id, party_key(dismissal.party))
            self._by_key[key].append(PreviousDismissal(
                subject_id=dismissal.subject_id, party=dismissal.party, actor=action.actor, at=action.at,
                alert_id=action.alert_id,
            ))

    def find(self, subject_id: str, key: str) -> list[PreviousDismissal]:
        return list(self._by_key.get((subject_id, key), []))
