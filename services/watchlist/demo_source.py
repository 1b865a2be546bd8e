"""Where the demo reads the OFAC SDN list from: the full snapshot beside the checkout, else a bundled subset.

The project's reference data lives outside the repository, in `../shared/data` beside the
checkout (its README says not to copy it in). Developers of the project have it; a user who only
cloned the repository does not, and the demo must still run for them. So the project ships a
small, credited subset of the same snapshot (`demo_data/ofac-sdn`, rebuilt by
`scripts/make_demo_watchlist.py`) holding every entry the sample feed is written to hit, and the
demo falls back to it. The full snapshot is preferred whenever present, because matching against
8,976 entries is what the project's figures and tests describe; the subset only keeps the demo's
alerts the same.
"""

from __future__ import annotations

from pathlib import Path

from services.shared.settings import PROJECT_ROOT

#: The reference data folder the project expects beside its checkout.
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"
#: The subset shipped as package data (a plain directory: the package is never installed zipped).
BUNDLED_OFAC_DIR = Path(__file__).resolve().parent / "demo_data" / "ofac-sdn"


def demo_ofac_dir(shared_data: Path | None = None) -> Path:
    """The folder of OFAC SDN legacy CSV files the demo should import.

    `shared_data/ofac-sdn` (default: `../shared/data/ofac-sdn` beside the checkout) when it holds an
    `sdn.csv`, so an empty or half-made folder does not win over the bundled subset; otherwise the
    subset bundled with the project.
    """
    full = (SHARED_DATA if shared_data is None else shared_data) / "ofac-sdn"
    return full if (full / "sdn.csv").is_file() else BUNDLED_OFAC_DIR
