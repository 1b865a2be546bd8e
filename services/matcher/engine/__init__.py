"""The matching engine: screens names and identifiers from manifests against watchlist entries.

Library choices (why each):

- **rigour** (OpenSanctions' name toolkit) for legal forms and object prefixes:
  `rigour.names.remove_org_types` knows S.A., S.A.S., S.A. de C.V., S. de R.L., Ltda., LLC, GmbH and
  hundreds more in many languages, and `remove_obj_prefixes` strips MV / M/V / MT from vessel names;
  `rigour.text.metaphone` gives the sound-alike key for transliteration variants. Writing these
  lists ourselves would be worse and never finished. A short list of our own in `normalize`
  covers what rigour leaves once punctuation is gone ("S A", "CO", "CORP").
- **normality** (`ascii_text`) transliterates through ICU, so Cyrillic, Arabic, Greek, CJK and
  accented Latin all become comparable ASCII. rigour uses normality itself; we call it directly
  because it is the one step every name goes through.
- **rapidfuzz** (`distance.OSA` with `score_cutoff`, `fuzz.ratio`) verifies typo neighbours in C:
  the candidate tokens come from our own deletion-key index over the vocabulary, and rapidfuzz
  only confirms the few it proposes, so no query ever scans the list.
- **pyroaring** (Roaring bitmaps, the compressed sets behind Lucene, Spark and Druid) holds the
  postings, the names holding each token. Intersections and unions of a common word's posting
  (GARCIA, JUAN: tens of thousands of names in a list of a million) run in C with SIMD, about
  25 times faster than Python sets, and take a few bytes per name instead of about forty.
- **python-stdnum** validates and compacts IMO numbers, ISO 6346 container numbers, Colombian NIT,
  Mexican RFC and CURP, US EIN (check digits included); schemes it lacks (MMSI, cedula, call signs)
  get small explicit checks in `identifiers`.

Design: token inverted index with IDF weights (generic words such as TRADING or INTERNATIONAL weigh
little), candidates fetched only through the query's rarest tokens (prefix filtering) and, when one
shared word cannot reach the threshold, only names sharing two words with the query; a name score
that blends query coverage and listed-name coverage, then evidence fused as independent
probabilities so scores rank and never saturate at 1.0. Entries are scored in full (evidence and
explanation) best bound first, and only until the top `limit` is settled.

Speed: the modules a lookup spends its time in are compiled with **mypyc** by `make setup` (the
same source, already type-checked by `make check`, as C extensions: about 1.8 times the lookups
per second on OFAC and 1.4 times at a million entries). `compilation.py` makes sure an outdated
build never runs.
"""

from services.matcher.engine.compilation import select_build

#: What runs in this process (`make bench-matcher`, /readyz, the screen cache's key). First: it
#: decides whether the modules below load compiled or from source (see compilation.py).
BUILD = select_build()

from services.matcher.engine.matcher import MatchingEngine  # noqa: E402
from services.matcher.engine.models import EntryMatch, ScreeningQuery  # noqa: E402

__all__ = ["BUILD", "EntryMatch", "MatchingEngine", "ScreeningQuery"]
