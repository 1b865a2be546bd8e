"""Every reason ingest can dead-letter a message for is catalogued, and the README explains it.

Found by reading the source: a reason raised anywhere in services/ingest that is missing from
services.ingest.errors.REJECTION_REASONS (or from the README) fails here.
"""

from __future__ import annotations

import re

from services.ingest.errors import REJECTION_REASONS
from services.shared.settings import PROJECT_ROOT

RAISED = re.compile(r'(?:FormatError|InvalidManifest)\(\s*"([a-z_]+)"')
RAISED_BY_NAME = re.compile(r"(?:FormatError|InvalidManifest)\(\s*([A-Z_]+)\b")
CONSTANT = re.compile(r'^([A-Z_]+) = "([a-z_]+)"', re.MULTILINE)
CHOSEN = re.compile(r'reason = "([a-z_]+)" if .* else "([a-z_]+)"')


def raised_reasons() -> set[str]:
    found: set[str] = set()
    for path in (PROJECT_ROOT / "services" / "ingest").rglob("*.py"):
        text = path.read_text()
        constants = dict(CONSTANT.findall(text))
        found |= set(RAISED.findall(text))
        found |= {constants[name] for name in RAISED_BY_NAME.findall(text) if name in constants}
        found |= {reason for pair in CHOSEN.findall(text) for reason in pair}
    return found


def test_every_reason_raised_is_catalogued() -> None:
    reasons = raised_reasons()
    assert len(reasons) > 10, "the source scan found too few reasons to be reading the right files"
    assert reasons - set(REJECTION_REASONS) == set()


def test_every_catalogued_reason_is_in_the_readme() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    missing = [reason for reason in REJECTION_REASONS if f"| `{reason}` |" not in readme]
    assert missing == []
