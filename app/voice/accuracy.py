"""Word error rate: how far a transcript is from what was said, for tests and benchmarks."""

from __future__ import annotations

import re

_NUMBERS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
    "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten",
}  # fmt: skip
_NOT_WORD = re.compile(r"[^a-z0-9' ]+")


def normalise_words(text: str) -> list[str]:
    """Lower-case words without punctuation; hyphens split words; small digits spelled out."""
    text = text.lower().replace("-", " ").replace("’", "'")
    words = _NOT_WORD.sub(" ", text).split()
    return [_NUMBERS.get(word, word) for word in (w.strip("'") for w in words) if word]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / words in the reference."""
    ref = normalise_words(reference)
    hyp = normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, start=1):
        current = [i] + [0] * len(hyp)
        for j, hyp_word in enumerate(hyp, start=1):
            cost = 0 if ref_word == hyp_word else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
        previous = current
    return previous[-1] / len(ref)
