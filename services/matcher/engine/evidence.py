"""What the engine found about one entry, and the one function that turns it into a score.

A finding either supports the match (a probability that it is the listed entry, from the name, an
identifier, a date of birth...) or contradicts it (a factor the score keeps). `fuse` is the only
place scores are combined: the engine's upper bound on an entry's score is `fuse` of the same
findings with every corroboration assumed to agree, so bound and score cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(slots=True, frozen=True)
class Finding:
    """One reason for or against a match, before it becomes an alert's Evidence."""

    strength: float  # a probability when it supports, the factor kept when it contradicts
    method: str  # "name:exact", "identifier:imo", "corroboration:dob", "contradiction:kind"...
    query_value: str
    listed_value: str
    words: str  # what it means, for a desk officer ("" when only the score is wanted)
    contradicts: bool = False


def fuse(findings: Sequence[Finding]) -> list[float]:
    """The score after each finding, in order; the last is the score.

    Supports are fused as independent probabilities (1 - (1-a)(1-b)), so scores rank and never
    saturate at 1.0; contradictions then scale the result. Supports must come first: a
    contradiction weighs on everything supported, whatever the order they were found in.
    """
    score = 0.0
    running: list[float] = []
    contradicted = False
    for finding in findings:
        if finding.contradicts:
            contradicted = True
            score *= finding.strength
        else:
            if contradicted:
                raise ValueError("supporting findings must come before contradictions")
            score = 1.0 - (1.0 - score) * (1.0 - finding.strength)
        running.append(score)
    return running
