"""Two things of a question with their roles swapped, found from the key points alone.

A question that compares things ("L1 and L2", "random forests and gradient boosting", the gates
of an LSTM) has key points that bind words to each of them: "L1 ... absolute values ... sparse",
"L2 ... squared weights ... dense". An answer clause that names one thing and says only words
the key points bind to the other ("L1 adds the squared weights") has swapped their roles, even
when no word of it is an antonym of the point's. No word lists: the things are the points'
sub-headings and the names the question uses, and their words are whatever the points say.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from app.grading.contradiction import NAME, is_negation
from app.grading.key_points import drop_brackets, split_heading
from app.grading.text import is_content_word, normalise, stem, words

# Where an answer or a point changes subject: end punctuation, a colon or semicolon, a comma,
# a contrast. An "and" between two clauses about two things is split apart further below.
_UNIT_BREAK = re.compile(
    r"[.;:!?](?:\s+|$)|,\s*|\s(?:while|whereas|but|unlike|instead of|rather than)\s", re.I
)
_AND = re.compile(r"(\s(?:and|or)\s)", re.I)
# A clause must say this many words beyond the names and the question's to be read as a claim
# ("recall when false negatives are" is half of one).
MIN_CLAUSE_WORDS = 3
# Words a clause must say that the points bind to the other thing and not to the one it names,
# when another thing's clauses say them too (one suffices when only the other's do).
PAIR_WORDS = 2
# How many words may come before the thing a clause of a point is about ("and then the input
# gate"); named later, it is an object.
SUBJECT_WITHIN = 3


@dataclass(frozen=True)
class _Thing:
    """One thing a question compares: the word sequences that name it (`_as_name` words)."""

    forms: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class RoleBindings:
    """What the key points of one question bind to each thing they compare."""

    things: tuple[_Thing, ...]
    # Pairs of things the question compares (both named in it, or sibling sub-headings).
    pairs: frozenset[tuple[int, int]]
    # Content stems each thing's clauses say, and the points that say them.
    bound: tuple[frozenset[str], ...]
    # Of those, the ones another thing's clauses say too.
    shared: tuple[frozenset[str], ...]
    points_of: tuple[dict[int, frozenset[str]], ...]
    question_stems: frozenset[str]
    name_stems: frozenset[str]
    # The thing each point's sub-heading names, or None.
    own_thing: tuple[int | None, ...] = ()


def _stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in words(text))


def _as_name(word: str) -> str:
    """A word as names are matched: lower case, a plural "s" dropped ("LSTMs", "gates"), a
    number said in words as its digits ("stage one" names "Stage 1", as a spoken or
    transcribed answer says it); not its stem, as "retrieved" does not name "Retrieval"."""
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _name_form(text: str) -> tuple[str, ...]:
    return tuple(_as_name(w) for w in words(text) if w)


_ARTICLES = frozenset({"the", "a", "an"})


def _unarticled(form: tuple[str, ...]) -> tuple[str, ...]:
    """A name without its leading article: the question's "GRU" heads "The GRU"."""
    return form[1:] if len(form) > 1 and form[0] in _ARTICLES else form


def _heading_forms(point: str) -> list[tuple[str, ...]]:
    """The sub-heading of a point and the names in its brackets ("L1 Regularization (Lasso)"
    gives "L1 Regularization" and "Lasso"; "(e.g., Word2Vec, GloVe)" gives both models)."""
    heading, _ = split_heading(point)
    if heading is None:
        return []
    raw = point.split(":", 1)[0]
    forms = [_name_form(drop_brackets(heading))]
    for inside in re.findall(r"\(([^)]*)\)", raw):
        for item in inside.split(","):
            item = re.sub(r"^\s*(?:e\.g\.|i\.e\.)\s*", "", item).strip()
            if item[:1].isupper() and len(item.split()) <= 3:
                forms.append(_name_form(item))
    return [f for f in forms if any(is_content_word(w) for w in f)]


# The shortest a name's last word may be cut to and still name it ("batch norm").
SHORT_FORM = 4


# Words that name a part of a whole, one as good as another: "the depthwise part" is "The
# Depthwise Step".
_PART_WORDS = frozenset("step part stage phase layer block component module half".split())  # noqa: SIM905


def _says_form(window: Sequence[str], form: tuple[str, ...]) -> bool:
    """Whether words say a name: as written, with the last of two or more words cut short
    ("batch norm" for "Batch Normalization", "gradient boost" for "Gradient Boosting"), or
    with one word for a part put for another ("depthwise part" for "Depthwise Step")."""
    if tuple(window) == form:
        return True
    last = window[-1] if window else ""
    return (
        len(form) >= 2
        and tuple(window[:-1]) == form[:-1]
        and (
            (len(last) >= SHORT_FORM and form[-1].startswith(last))
            or (last in _PART_WORDS and form[-1] in _PART_WORDS)
        )
    )


def _occurrences(tokens: Sequence[str], forms: Sequence[tuple[str, ...]]) -> list[tuple[int, int]]:
    return [
        (i, i + len(form))
        for form in forms
        for i in range(len(tokens) - len(form) + 1)
        if _says_form(tokens[i : i + len(form)], form)
    ]


def _named(ws: Sequence[str], things: Sequence[_Thing]) -> list[tuple[int, int, int]]:
    """Which things a text's words name, and where: the longest name wins an overlap
    ("parameter-efficient fine-tuning" names that method, not "fine-tuning")."""
    tokens = [_as_name(w) for w in ws]
    found = sorted(
        (
            (start, end, k)
            for k, t in enumerate(things)
            for start, end in _occurrences(tokens, t.forms)
        ),
        key=lambda hit: (hit[0] - hit[1], hit[0]),
    )
    kept: list[tuple[int, int, int]] = []
    for start, end, k in found:
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, k))
    return sorted(kept)


def _things_named(ws: Sequence[str], things: Sequence[_Thing]) -> set[int]:
    return {k for *_, k in _named(ws, things)}


def _units(text: str, things: Sequence[_Thing]) -> list[tuple[str, list[str], set[int]]]:
    """A text cut where it changes subject, each piece with its words and the things it names.

    "L1 adds the squared weights and L2 their absolute values" is two pieces: an "and" splits
    when each side names one thing, not the same, and says something of it ("L1 and L2 add a
    penalty" stays one)."""
    units: list[tuple[str, list[str], set[int]]] = []
    for piece in _UNIT_BREAK.split(normalise(text)):
        parts = _AND.split(piece)
        current = parts[0]
        for joint, part in zip(parts[1::2], parts[2::2], strict=True):
            left = _things_named(words(current), things)
            right = _things_named(words(part), things)
            if (
                len(left) == 1
                and len(right) == 1
                and left != right
                and len(_said(words(current), things)) >= 2
                and _opens_clause(part, things)
            ):
                units.append((current, words(current), left))
                current = part
            else:
                current = f"{current}{joint}{part}"
        ws = words(current)
        units.append((current, ws, _things_named(ws, things)))
    return units


# Pronouns that open a piece said of the thing named just before: "it", "it's", "its".
_CARRYING = frozenset({"it", "it's", "its", "they", "they're"})
_SEGMENT_BREAK = re.compile(
    r"[.;!?](?:\s+|$)|\s(?:while|whereas|but|unlike|instead of|rather than)\s", re.I
)


def _claims(text: str, things: Sequence[_Thing]) -> list[tuple[str, list[str], set[int]]]:
    """`_units` of an answer, where a piece that names nothing and opens with "it" or "they"
    (`_CARRYING`) or follows a colon is said of the one thing the piece before it names, up to
    the end of the sentence or a contrast: "UCB is the Bayesian one: it keeps a posterior for
    each arm" says the posterior of UCB, "real-time inference is the throughput one: a nightly
    job scores every user" the nightly job of real-time inference."""
    claims: list[tuple[str, list[str], set[int]]] = []
    for segment in _SEGMENT_BREAK.split(normalise(text)):
        carried: int | None = None
        for part_at, part in enumerate(re.split(r":\s+", segment)):
            for unit_at, (clause, ws, named) in enumerate(_units(part, things)):
                # What follows a colon explains what comes before it.
                explains = part_at > 0 and unit_at == 0
                opens = bool(ws) and ws[0] in _CARRYING
                if not named and carried is not None and (explains or opens):
                    named = {carried}
                carried = next(iter(named)) if len(named) == 1 else None
                claims.append((clause, ws, named))
    return claims


def _opens_clause(text: str, things: Sequence[_Thing]) -> bool:
    """Whether a piece after an "and" is a clause of its own about a thing: it names the thing
    at once and says something of it ("and L2 their absolute values", not "and recall")."""
    ws = words(text)
    hits = _named(ws, things)
    return bool(hits) and hits[0][0] <= 2 and len(_said(ws, things)) >= 2


# Numbers said in words, read as their digits: "five exponent bits" says what "5 exponent
# bits" does.
_NUMBER_WORDS = {
    w: str(n)
    for n, w in enumerate(
        """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
        fifteen sixteen seventeen eighteen nineteen twenty""".split()  # noqa: SIM905
    )
}


def _claim_word(word: str) -> str | None:
    """The stem a word binds to a thing, or None: a number, in digits or words, counts; an
    "-able" word binds its verb."""
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    if word.isdigit():
        return word
    if not is_content_word(word):
        return None
    # What a thing is able to do is what it does: "learnable" binds "learn".
    stemmed = stem(word)
    return stemmed[:-3] if len(stemmed) >= 7 and stemmed.endswith(("abl", "ibl")) else stemmed


def _said(ws: Sequence[str], things: Sequence[_Thing]) -> set[str]:
    """Content stems a piece says of its subject: not the names, nor the word before a name
    ("full" of "full fine-tuning", "the input gate"); numbers as digits."""
    skip = {i for start, end, _ in _named(ws, things) for i in range(max(start - 1, 0), end)}
    # "One" before no content word is a pronoun: "the one with the cell state".
    skip |= {
        i
        for i, w in enumerate(ws)
        if w == "one" and not (i + 1 < len(ws) and is_content_word(ws[i + 1]))
    }
    said = (_claim_word(w) for i, w in enumerate(ws) if i not in skip)
    return {w for w in said if w is not None}


def _kind_of(kind: _Thing, thing: _Thing) -> bool:
    """Whether one thing's name says the other's whole name: "post pruning" is a kind of
    "pruning", "gradient boosting" of "boosting", and "how early stopping regularizes" an
    aspect of "early stopping"."""
    return any(
        len(short) < len(long)
        and any(long[at : at + len(short)] == short for at in range(len(long) - len(short) + 1))
        for long in kind.forms
        for short in thing.forms
    )


def _things_of(
    points: tuple[str, ...], question: str
) -> tuple[list[_Thing], dict[int, int], set[int], set[frozenset[int]]]:
    """The things: each point's sub-heading with its bracketed names, then the names the
    question writes ("L1", "LoRA", "fine-tuning"); which point each heading is; which things
    the question names, and which two it names as one ("learning-rate warmup"). A question
    name that starts a sub-heading is that heading's thing ("L1" of "L1 Regularization")."""
    heading_of: dict[int, int] = {}
    things: list[_Thing] = []
    for i, point in enumerate(points):
        forms = _heading_forms(point)
        if forms:
            heading_of[i] = len(things)
            things.append(_Thing(tuple(forms)))
    # A heading's article is no part of its name when the question says the name without it
    # ("The Reward Model", "The GRU"); "The Fixed-Size State" keeps it, so "a fixed-size
    # state" in an answer does not name that heading.
    asked = [_as_name(w) for w in words(question)]
    for k, t in enumerate(things):
        bare = _unarticled(t.forms[0])
        if bare != t.forms[0] and _occurrences(asked, [bare]):
            things[k] = _Thing((bare, *t.forms[1:]))
    for name in NAME.findall(normalise(question)):
        form = _name_form(name)
        if not any(is_content_word(w) for w in form):
            continue
        heads = [k for k, t in enumerate(things) if t.forms[0][: len(form)] == form]
        for k in heads:
            if form not in things[k].forms:
                things[k] = _Thing((*things[k].forms, form))
        if not heads and form not in [f for t in things for f in t.forms]:
            things.append(_Thing((form,)))
    in_question = _things_named(words(question), things)
    compounds = {
        frozenset((k, m))
        for piece in re.split(r"[,;:()/]", normalise(question))
        for (_, end, k), (start, _, m) in itertools.pairwise(_named(words(piece), things))
        if end == start and k != m
    }
    return things, heading_of, in_question, compounds


@functools.lru_cache(maxsize=1_024)
def role_bindings(question: str, points: tuple[str, ...]) -> RoleBindings:
    """The things a question's key points compare and the words they bind to each."""
    things, heading_of, in_question, compounds = _things_of(points, question)
    bound: list[set[str]] = [set() for _ in things]
    points_of: list[dict[int, set[str]]] = [defaultdict(set) for _ in things]
    for i, point in enumerate(points):
        heading, body = split_heading(point)
        own = heading_of.get(i) if heading else None
        subject = own
        for _, ws, named in _units(body, things):
            subjects: set[int] = set()
            if own is not None and (own in named or len(named) > 1):
                # Under a sub-heading its thing is the subject; the others it names are
                # objects ("F1 Score: The harmonic mean of precision and recall").
                subject = own
            elif len(named) > 1:
                # What a clause says of several things is said of each: "L1 and L2 add a
                # penalty" makes "penalty" no one's own.
                subject = None
                subjects = named
            elif named and (own is None or _named(ws, things)[0][0] <= SUBJECT_WITHIN):
                # Another thing opens the clause: the clause is about it. Named later, it is
                # an object of the heading's thing ("its goal is to produce samples the
                # discriminator classifies as real" is the generator's).
                subject = next(iter(named))
            elif named:
                subject = own
            if subject is not None:
                subjects = {subject}
            said = _said(ws, things)
            for k in subjects:
                bound[k] |= said
                points_of[k][i] |= said
    head_words = [{w for f in t.forms for w in f if is_content_word(w)} for t in things]
    headings = set(heading_of.values())
    pairs = frozenset(
        (a, b)
        for a in range(len(things))
        for b in range(len(things))
        if a != b
        and (
            # Two names the question compares; not two words of one name ("learning-rate
            # warmup").
            (a in in_question and b in in_question and frozenset((a, b)) not in compounds)
            # Sibling sub-headings: "Forget Gate", "Input Gate"; "Pooling Layers",
            # "Convolutional Layers".
            or bool(head_words[a] & head_words[b])
        )
        # A sub-heading for a kind or an aspect of another's thing is no rival of it:
        # "Post-Pruning" and "Pruning", "How Early Stopping Regularizes" and "Early
        # Stopping". (A name the question uses may stand for one side: "full fine-tuning
        # and parameter-efficient fine-tuning".)
        and not (
            {a, b} <= headings
            and (_kind_of(things[a], things[b]) or _kind_of(things[b], things[a]))
        )
    )
    return RoleBindings(
        things=tuple(things),
        pairs=pairs,
        bound=tuple(frozenset(b) for b in bound),
        shared=tuple(
            frozenset(b & set().union(*(o for j, o in enumerate(bound) if j != k)))
            for k, b in enumerate(bound)
        ),
        points_of=tuple({i: frozenset(s) for i, s in p.items()} for p in points_of),
        question_stems=frozenset(_stems(question)),
        name_stems=frozenset(stem(w) for h in head_words for w in h),
        own_thing=tuple(heading_of.get(i) for i in range(len(points))),
    )


def speaks_of_another(
    question: str, points: tuple[str, ...], index: int, text: str, lead_in: str = ""
) -> bool:
    """Whether a text is about another thing than the point's sub-heading names: it names
    things of the question's points, and not the point's own ("layer norm ... is batch-
    independent" against the Batch Normalization point; "a Type I error is a false positive"
    against the Type II Error point). Such a text neither states nor denies the point.

    A text that names no thing is about the subject of its sentence (`lead_in`, the words
    before it), a thing named within its first words: "you reject the null when it is true"
    after "A Type I error is a false positive:"."""
    rb = role_bindings(question, tuple(points))
    own = rb.own_thing[index] if index < len(rb.own_thing) else None
    if own is None:
        return False
    named = _things_named(words(normalise(text)), rb.things)
    if not named and lead_in:
        before = _named(words(normalise(lead_in)), rb.things)
        named = {before[0][2]} if before and before[0][0] <= SUBJECT_WITHIN else set()
    return bool(named) and own not in named


def swapped_roles(question: str, points: tuple[str, ...], answer: str) -> dict[int, str]:
    """Key points (by index) an answer contradicts by swapping two things' roles, each with the
    answer clause that does: it names one thing and says words the points bind only to the
    other, and none they bind only to its own."""
    rb = role_bindings(question, tuple(points))
    if not rb.pairs:
        return {}
    ignore = rb.question_stems | rb.name_stems
    found: dict[int, str] = {}
    for clause, ws, named in _claims(answer, rb.things):
        # A clause naming both things, or denying something, is no swap.
        if len(named) != 1 or any(is_negation(w) for w in ws):
            continue
        (a,) = named
        said = _said(ws, rb.things) - ignore
        if len(said) < MIN_CLAUSE_WORDS:
            continue
        for b in sorted(b for first, b in rb.pairs if first == a):
            mine = rb.bound[a] - rb.bound[b] - ignore
            if not mine or said & mine:
                continue
            # Words of the other thing's clauses and not this one's: one will do when no
            # other thing's clauses say it either, else it takes two.
            theirs = said & (rb.bound[b] - rb.bound[a])
            if not (theirs - rb.shared[b] or len(theirs) >= PAIR_WORDS):
                continue
            # The first point that says what is the named thing's own is the one denied: its
            # sub-heading's, or the one that introduces it ("Full fine-tuning updates all…").
            point = next(i for i, stems in rb.points_of[a].items() if stems & mine)
            found.setdefault(point, clause.strip())
    return found
