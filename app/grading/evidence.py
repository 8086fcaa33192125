"""Which answer spans state a key point: its subject, its named terms, the words of its claim."""

from __future__ import annotations

import functools
import re

from app.grading.contradiction import CONCEPT_OPPOSITES, NAME
from app.grading.key_points import split_heading
from app.grading.text import content_stems, is_content_word, normalise, stem, words

# A covered point's evidence says this many words of the point's claim (beyond its name and
# the question), or all of them when the claim has fewer.
MIN_CLAIM_STEMS = 2


def _subject(text: str) -> str | None:
    return next((stem(w) for w in words(text) if is_content_word(w)), None)


@functools.lru_cache(maxsize=8_192)
def speaks_of_the_opposite(point: str, span: str) -> bool:
    """True when the span is about the opposite concept of the point's subject.

    "Supervised learning uses labelled data" states nothing about "Unsupervised learning uses
    unlabeled data", though it reads as its near-copy.
    """
    heading, body = split_heading(point)
    mine, theirs = _subject(heading or body), _subject(span)
    if mine is None or theirs is None or mine == theirs:
        return False
    if mine in content_stems(span):
        return False
    return any(
        (mine in a and theirs in b) or (mine in b and theirs in a) for a, b in CONCEPT_OPPOSITES
    )


@functools.lru_cache(maxsize=8_192)
def named_terms(point: str, question: str) -> tuple[str, ...]:
    """What the point is about, as a candidate would name it: its sub-heading, and names in it
    ("K-Means", "PCA") that the question does not already give."""
    heading, body = split_heading(point)
    asked = set(words(question))
    names = [n for n in NAME.findall(normalise(body)) if n.lower() not in asked]
    if heading and not content_stems(heading) <= content_stems(question):
        names.insert(0, heading)
    return tuple(dict.fromkeys(names))


def names_point(point: str, question: str, answer: str) -> bool:
    """True when the answer names what the point is about: one of its names, word for word."""
    said = [stem(w) for w in words(answer)]
    return any(_says(said, name) for name in named_terms(point, question))


def _says(said: list[str], name: str) -> bool:
    """Whether the stemmed words of a name follow each other in the answer (one word between
    two of them allowed: "get more training data" says "Get More Data")."""
    wanted = [stem(w) for w in words(re.sub(r"\([^)]*\)", " ", name))]
    if not wanted or not any(is_content_word(w) for w in wanted):
        return False
    for start, word in enumerate(said):
        if word != wanted[0]:
            continue
        at = start
        for next_word in wanted[1:]:
            window = said[at + 1 : at + 3]
            if next_word not in window:
                break
            at += 1 + window.index(next_word)
        else:
            return True
    return False


def states_the_claim(point: str, question: str, span: str) -> bool:
    """True when the span says words of the point's claim, not only its name."""
    heading, body = split_heading(point)
    claim = content_stems(body) - content_stems(question) - content_stems(heading or "")
    if not claim:
        return True
    return len(claim & content_stems(span)) >= min(MIN_CLAIM_STEMS, len(claim))
