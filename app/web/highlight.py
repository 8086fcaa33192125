"""Marking the phrases of an answer that covered key points, on escaped text."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from app.grading.text import find_phrase


def highlight_evidence(text: str, evidence: Sequence[tuple[int, str | None]]) -> Markup:
    """The answer, escaped, with each (key point number, evidence) phrase found in a <mark>."""
    spans: list[tuple[int, int, int]] = []
    for number, phrase in evidence:
        found = find_phrase(text, phrase or "")
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
