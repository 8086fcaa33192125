"""Marking the phrases of an answer that covered key points, on escaped text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from markupsafe import Markup, escape


def _find(text: str, phrase: str) -> tuple[int, int] | None:
    words = phrase.split()
    if not words:
        return None
    # Graders may normalise spacing, so any run of whitespace between the words matches.
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, text, re.IGNORECASE)
    return (match.start(), match.end()) if match else None


def highlight_evidence(text: str, evidence: Sequence[tuple[int, str | None]]) -> Markup:
    """The answer, escaped, with each (key point number, evidence) phrase found in a <mark>."""
    spans: list[tuple[int, int, int]] = []
    for number, phrase in evidence:
        found = _find(text, phrase or "")
        if found is not None:
            spans.append((found[0], found[1], number))
    spans.sort()
    pieces: list[str] = []
    cursor = 0
    for start, end, number in spans:
        if start < cursor:  # overlaps a phrase already marked: the first one wins
            continue
        pieces.append(escape(text[cursor:start]))
        pieces.append(
            Markup('<mark data-point="{0}" title="Covers key point {0}">{1}</mark>').format(
                number, text[start:end]
            )
        )
        cursor = end
    pieces.append(escape(text[cursor:]))
    return Markup("").join(pieces)
