"""The same query against the same list gives the same matches, scores and explanations in every
process: Python salts string hashes per process (PYTHONHASHSEED), so nothing the engine reports may
follow the order of a set or of a dict filled from one. Two matcher workers, or one restarted,
must write the same alert for the same manifest."""

from __future__ import annotations

import os
import subprocess
import sys

from services.shared.settings import PROJECT_ROOT

# Names in Arabic script whose consonants meet several listed words equally well (the words of
# equal similarity and rarity came out in set order, and the explanation's order with them).
PROGRAM = """
from services.matcher.engine import MatchingEngine, ScreeningQuery
from services.shared.models.common import EntityKind
from services.shared.models.watchlist import EntryName, WatchlistEntry
names = ["IYAD AG GHALI", "ADIB SHABAN AL-ANI", "ABDUL BAQI BASIR AWAL SHAH", "ABDUL RAZAQ AKHUND LALA AKHUND"]
engine = MatchingEngine()
engine.load([WatchlistEntry(entry_id=f"t:{number}", list_id="t", kind=EntityKind.PERSON, names=[EntryName(name=name)],
                            owner_country="US") for number, name in enumerate(names)])
for query in ["اياد اغ غالي", "أديب شعبـان العانــي", "عبد الباقي بصير أول شاه", "عبد الرزاق آخوند لا لا آخوند"]:
    for match in engine.screen(ScreeningQuery(name=query)):
        print(match.entry.entry_id, match.score, match.explanation)
"""


def screened_with_hash_seed(seed: int) -> str:
    environment = {**os.environ, "PYTHONHASHSEED": str(seed)}
    done = subprocess.run([sys.executable, "-c", PROGRAM], cwd=PROJECT_ROOT, env=environment, capture_output=True,
                          text=True, timeout=120, check=True)
    return done.stdout


def test_matches_and_explanations_do_not_depend_on_the_hash_seed() -> None:
    first = screened_with_hash_seed(0)
    assert first.count("\n") == 4, first  # every query matched: the comparison is not of nothing
    for seed in (1, 2, 3):
        assert screened_with_hash_seed(seed) == first, f"PYTHONHASHSEED={seed} changed the output"
