"""Split a reference answer into the key points a good answer should cover."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.grading.text import STOPWORDS, content_stems, split_glued_headings

# "Self-Attention: This is the core..." -> a labelled point. The label is short and title-like;
# long clauses before a colon ("Mathematically, it's often described as:") are not labels.
# A label opens with a capital or a digit, or with one lower-case letter before a capital
# ("nDCG (normalized Discounted Cumulative Gain): ...", "kNN: ...").
_LABEL_START = r"(?:[A-Z0-9]|[a-z](?=[A-Z]))"
_LABELLED = re.compile(rf"^(?P<label>{_LABEL_START}[^:.!?]{{1,60}}?)\s*:\s+(?P<body>\S.*)$")
# The space after end punctuation (and a closing quote or bracket, which stays with its
# sentence: "called a 'head.' Each head" keeps its quote).
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[A-Z0-9\"'“‘(])")
# Sentences that only elaborate the one before (a pronoun, an example) stay with it, so a
# point is a claim an answer can cover, not an example it may rightly skip.
_CONTINUATION = re.compile(
    r"^(?:This|These|That|Those|It|Its|They|Such|Here|Meaning|In other words|Mathematically"
    r"|While|Where|For example|For instance|E\.g\.|A (?:classic|common|typical) example)\b"
)
# "For instance:" at the end of a line: the lines after it are examples, not claims.
_EXAMPLES_FOLLOW = re.compile(
    r"\b(?:for (?:instance|example)|e\.g\.|such as|like this)\s*:\s*$", re.I
)
# A sub-heading at the start of a point as a grader sees it ("Label: text"); looser than
# _LABELLED, which decides what is a heading in the notes, as a point may carry "e.g." in it.
_HEADING = re.compile(
    rf"^(?P<label>{_LABEL_START}[^:\n]{{0,80}}?)\s*:\s+(?P<body>\S.*)$", re.DOTALL
)
_ASIDE = re.compile(r"\s*\((?:e\.g\.|i\.e\.|like|such as)[^)]*\)", re.IGNORECASE)
_BRACKETS = re.compile(r"\s*\([^)]*\)")
# Words a sub-heading cannot end on: "Mathematically, it's often described as: …" is a lead-in.
_OPEN_ENDS = frozenset(
    "as is are was be by of to for with from and or the a an like that such".split()  # noqa: SIM905
)
# A heading names a thing; with one of these verbs it is a claim ("Bagging uses bootstraps: …").
_CLAIM_VERB = re.compile(r"\b(?:is|are|was|were|uses|means|has|have|does|can|will|makes)\b", re.I)
_MIN_WORDS = 5
_MAX_LABEL_WORDS = 7
# A sentence ending in a colon with at most this many content words only leads in to a list
# ("The main evolution in embeddings has been the shift from static to contextual:").
_LEAD_IN_MAX_WORDS = 8
# Where a point's first clause ends, for a label of a point the notes gave no sub-heading.
_CLAUSE_END = re.compile(r"[,;:()\u2013\u2014]|\s-\s|[.!?](?:\s|$)")
# Sentences about the speaker or the answer itself, not claims about the topic: "I'm familiar
# with several core algorithms.", "Here are the main ones.", "Let me explain."
_FILLER = re.compile(
    r"^(?:I\b|I['’]|My\b|We\b|Here (?:is|are)\b|Let me\b|Let's\b"
    r"|There are (?:several|many|a few|some|two|three|four)\b)",
)


@dataclass(frozen=True)
class KeyPoint:
    """One point of a reference answer: an optional label (the notes' sub-heading) and its text."""

    text: str
    label: str | None = None

    @property
    def display(self) -> str:
        """The point as shown to a person: 'Label: text' or the text alone."""
        return f"{self.label}: {self.text}" if self.label else self.text


def label_and_text(point: str) -> tuple[str, str]:
    """A point's short label and its full text: its sub-heading, or its first clause."""
    heading, text = split_heading(point)
    return heading or first_clause(text), text


def drop_brackets(text: str) -> str:
    """A text without what it says in brackets: "L1 Regularization (Lasso)" -> "L1
    Regularization"."""
    return _BRACKETS.sub("", text)


def split_heading(point: str) -> tuple[str | None, str]:
    """A point's sub-heading ("Static Embeddings" of "Static Embeddings (e.g., …): These…")
    and the text after it; (None, point) when it starts with no sub-heading."""
    point = point.strip()
    match = _HEADING.match(point)
    if not match:
        return None, point
    # An aside in brackets ("(e.g., Word2Vec, GloVe)") is not part of the name.
    label = _ASIDE.sub("", match["label"]).strip()
    # Other brackets are the name's other names ("L2 Regularization (Ridge, or weight
    # decay)"): kept in the label, but not read as a lead-in's commas or words.
    bare = drop_brackets(label).strip()
    words = bare.split()
    if (
        not words
        or len(words) > _MAX_LABEL_WORDS
        or "," in bare
        or words[-1] in _OPEN_ENDS
        or _CLAIM_VERB.search(bare)
    ):
        return None, point
    return label, match["body"].strip()


def first_clause(text: str, max_words: int = _MAX_LABEL_WORDS) -> str:
    """The first clause of a text, cut to a few words between words ("Overfitting happens…")."""
    clause = _CLAUSE_END.split(text.strip(), maxsplit=1)[0].strip()
    words = clause.split()
    if len(words) <= max_words:
        return clause
    words = words[:max_words]
    # End on a word that carries meaning: "...learns the…" reads worse than "...learns…".
    while len(words) > 1 and words[-1].lower() in STOPWORDS:
        words.pop()
    return " ".join(words) + "…"


def is_filler(text: str) -> bool:
    """True for a sentence about the speaker or the answer, not a claim a candidate must make."""
    return bool(_FILLER.match(text.strip())) or len(content_stems(text)) < 2


def split_sentences(text: str) -> list[str]:
    """Split prose into sentences on end punctuation followed by a capital or a digit."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _is_lead_in(sentence: str) -> bool:
    """A sentence that ends in a colon and says little by itself: "Mathematically, it's often
    described as:", "There are several ways to prevent it:"."""
    if not sentence.endswith(":"):
        return False
    # A sub-heading before it ("Prevention: There are several ways to combat it:") is not
    # what the sentence says.
    said = sentence.split(": ", 1)[1] if ": " in sentence else sentence
    return len(content_stems(said)) <= _LEAD_IN_MAX_WORDS


def extract_key_points(reference_answer: str) -> list[KeyPoint]:
    """Key points of a reference answer: its labelled sub-headings, else its sentences."""
    # Notes pasted from a chat often lose the line break before a sub-heading.
    lines = split_glued_headings(reference_answer).splitlines()
    labels = [_label(line) for line in lines]
    # A label used on several lines ("Text: ...", "Text: ...") is an example's field, not a
    # sub-heading.
    headings = {label for label in labels if label and labels.count(label) == 1}
    points: list[KeyPoint] = []
    in_examples = False
    for raw_line, label in zip(lines, labels, strict=True):
        if in_examples and label not in headings:
            continue  # an example of the point before; an answer may rightly skip it
        in_examples = bool(_EXAMPLES_FOLLOW.search(raw_line.strip()))
        # A lead-in ending in a colon only introduces a list or a formula that is not here; a
        # sentence that makes a claim before its list keeps it ("Besides the hidden state, an
        # LSTM keeps a separate cell state ... controlled by gates:").
        line = " ".join(s for s in split_sentences(raw_line) if not _is_lead_in(s))
        if not line:
            continue
        match = _LABELLED.match(line)
        if match and label in headings:
            points.append(KeyPoint(text=match["body"].strip(), label=match["label"].strip()))
            continue
        for sentence in split_sentences(line):
            if len(sentence.split()) < _MIN_WORDS:
                continue
            if points and _CONTINUATION.match(sentence):
                last = points[-1]
                points[-1] = KeyPoint(text=f"{last.text} {sentence}", label=last.label)
            else:
                points.append(KeyPoint(text=sentence))
    if not points and reference_answer.strip():
        points.append(KeyPoint(text=reference_answer.strip()))
    return points


def _label(line: str) -> str | None:
    """The sub-heading a line starts with ("Self-Attention"), if it has one."""
    match = _LABELLED.match(line.strip())
    if match and len(match["label"].split()) <= _MAX_LABEL_WORDS:
        return match["label"].strip()
    return None
