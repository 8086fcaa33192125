"""When an answer says the opposite of a key point: a negation or an antonym, clause by clause."""

from __future__ import annotations

import functools
import re

from app.grading.key_points import drop_brackets, split_heading
from app.grading.text import WORD, is_content_word, normalise, stem, words

# How many content words after a "not" it negates.
NEGATION_SCOPE = 2
NEGATIONS = frozenset(
    """not no never none nothing neither nor cannot cant can't don't doesn't didn't isn't aren't
    wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't without lacks lack
    nobody nowhere barely hardly scarcely""".replace("'", "").split()
)

# Words right after a negation that are part of it, not what it denies: "no longer", "not
# really", "not even".
NEGATION_TAILS = frozenset("longer really even actually ever yet anymore".split())  # noqa: SIM905
# Words after a "not" that make it limit a degree rather than deny: "not only", "not so".
DEGREE_WORDS = frozenset("only just so too as merely simply necessarily always".split())  # noqa: SIM905

_CONCEPT_OPPOSITES = (
    ("supervised", "unsupervised"),
    ("labeled labelled", "unlabeled unlabelled"),
    ("overfitting overfit overfits", "underfitting underfit underfits"),
    ("static fixed", "contextual dynamic"),
    ("encoder", "decoder"),
    ("classification", "regression"),
    ("sequential sequentially", "parallel"),
    ("continuous", "discrete categorical"),
    ("same identical", "different"),
    ("simple simpler", "complex"),
    ("positive", "negative"),
    ("true", "false"),
    ("correct", "incorrect wrong"),
    ("deterministic", "random stochastic"),
    ("dependent", "independent"),
    ("linear", "nonlinear"),
    ("lifo", "fifo"),
    ("minority", "majority"),
    ("optimistic optimistically", "pessimistic pessimistically"),
    ("sparse", "dense"),
    ("global", "local"),
    ("lazy", "eager"),
)
# Verbs of change: they modify their subject or object, not whatever words sit near them.
_VERB_OPPOSITES = (
    (
        "increase increases raise raises grow grows rise rises",
        "decrease decreases reduce reduces lower lowers shrink shrinks drop drops",
    ),
    ("add adds", "remove removes"),
)
_SCALAR_OPPOSITES = (
    *_VERB_OPPOSITES,
    ("more higher greater", "less fewer lower"),
    ("high", "low"),
    ("large larger big bigger", "small smaller"),
    # Superlatives keep their ending under the Snowball stemmer.
    ("largest biggest greatest highest", "smallest least fewest lowest"),
    ("fast faster fastest", "slow slower slowest"),
    ("cheap cheaper", "expensive"),
    ("maximize maximum", "minimize minimum"),
)


def _groups(
    pairs: tuple[tuple[str, str], ...],
) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    return tuple(
        (frozenset(map(stem, a.split())), frozenset(map(stem, b.split()))) for a, b in pairs
    )


CONCEPT_OPPOSITES = _groups(_CONCEPT_OPPOSITES)
SCALAR_OPPOSITES = _groups(_SCALAR_OPPOSITES)
VERB_OPPOSITES = _groups(_VERB_OPPOSITES)
_VERB_STEMS = frozenset().union(*(a | b for a, b in VERB_OPPOSITES))

# The concept words as listed: an "-ed" or "-ing" form not among them is a verb of the same
# stem ("mistakes get corrected" says nothing of "correct" against "wrong").
_CONCEPT_FORMS = frozenset(w for pair in _CONCEPT_OPPOSITES for side in pair for w in side.split())


def _concept_stems(ws: list[str]) -> frozenset[str]:
    """Stems of a clause's words that may be concept words: listed, or not a verb form."""
    return frozenset(stem(w) for w in ws if w in _CONCEPT_FORMS or not w.endswith(("ed", "ing")))


# "unscaled", "nonzero", "unregularized": a word that denies its own stem. Not "under", "unit",
# "unique", "until", "unless"; not a word of an opposite pair ("unsupervised", "nonlinear").
_PRIVATIVE = re.compile(r"(?:un(?!der|i|til|less)|non-?)[a-z]{4,}")
_OVER_UNDER = re.compile(r"(over|under)([a-z]{4,})")
_PAIRED_STEMS = frozenset().union(*(a | b for a, b in (*CONCEPT_OPPOSITES, *SCALAR_OPPOSITES)))


def _privative(ws: list[str]) -> bool:
    """Whether a clause has a word that denies its own stem ("unscaled features")."""
    return any(_PRIVATIVE.fullmatch(w) and stem(w) not in _PAIRED_STEMS for w in ws)


# A verb's object follows it, articles and determiners aside; after a preposition comes
# something else ("remove from the cell state": the cell state is not what is removed).
PREPOSITIONS = frozenset(
    """about across against along among at between by during for from in into of off on onto
    out over through to toward towards under until upon with within without""".split()  # noqa: SIM905
)
# A negation that stands for the object denies the verb before it: "knows nothing about
# private data" is "does not know private data".
OBJECT_NEGATIONS = frozenset({"nothing"})
# Those and "no", which may instead open a clause of its own (`_denied_by_its_object`).
_OBJECT_NEGATIONS_OR_NO = OBJECT_NEGATIONS | {"no"}


def is_negation(word: str) -> bool:
    """Whether a word denies what follows it: "not", "never", "without", "doesn't"."""
    return word.replace("'", "") in NEGATIONS or word.endswith("n't")


# Words that open a clause of their own: a "not" before them denies nothing after them ("can't
# be compared unless you normalise" denies comparing, not normalising).
_SCOPE_ENDS = frozenset(
    "unless if because although though since whereas while when until so".split()  # noqa: SIM905
)
# A "not" before them denies no claim: "isn't the same thing as the padding mask" says two
# things differ.
_SAMENESS = frozenset({"same", "identical"})
# "Fails to" denies what follows as "not" does; "fails" alone is a verb ("if a node fails").
_FAILS_TO = re.compile(r"\bfail(?:s|ed|ing)?\s+to\b", re.I)


# Idioms that deny what follows them as a "not" does: "is unrelated to availability", "has
# nothing to do with the slowest shard", "does nothing for read throughput".
_DENYING_IDIOM = re.compile(
    r"\b(?:(?:is|are|was|were)\s+)?unrelated\s+to\b"
    r"|\b(?:has|have|had)\s+(?:nothing|little)\s+to\s+do\s+with\b"
    r"|\b(?:does|do|did)\s+nothing\s+(?:for|to)\b",
    re.I,
)


def negation_words(text: str) -> list[str]:
    """A text's words as negations are read: "fails to converge" is "not converge", "is
    unrelated to availability" is "not availability", and a node that "fails" is no
    negation."""
    return _negation_reading(text)[0]


def _negation_reading(text: str) -> tuple[list[str], list[bool]]:
    """`negation_words(text)`, and for each word whether a hyphen joins it to the next one: a
    "not" reaches the whole of "no pre-period history", a compound being one word of its
    scope."""
    read = normalise(_DENYING_IDIOM.sub("not", _FAILS_TO.sub("not", text)))
    found = list(WORD.finditer(read))
    hyphened = [
        i + 1 < len(found) and read[m.end() : found[i + 1].start()] == "-"
        for i, m in enumerate(found)
    ]
    return [m.group().lower().replace("’", "'") for m in found], hyphened


# Words that make a "not" before them wait for a condition: "do not step until k micro-batches
# are in" says when to step, "can't be compared unless they are scaled" when to compare, and
# "can't remove the stop-gradient without it collapsing" what removing it does.
_CONDITIONS = frozenset("until till unless without".split())  # noqa: SIM905


def is_conditional(piece_words: list[str], i: int) -> bool:
    """Whether the negation at `i` waits for a condition later in its phrase (a "not ...
    until", "not ... unless", "can't ... without"), or is the "without" of such a pair.
    What it reaches is then neither denied nor said plainly."""
    if piece_words[i] == "without" and any(map(is_negation, piece_words[:i])):
        return True
    for w in piece_words[i + 1 :]:
        if w in _CONDITIONS:
            return True
        # "does not saturate and gradients pass without shrinking": another claim begins.
        if w in _SCOPE_ENDS or w in {"and", "but"} or is_negation(w):
            return False
    return False


def _scope_after(piece_words: list[str], i: int) -> int:
    """How many content words the negation at `i` denies: none before a degree word ("not
    only") or a sameness ("not the same thing as"), else `NEGATION_SCOPE`."""
    following = [w for w in piece_words[i + 1 : i + 4] if w not in {"the", "a", "an", "quite"}]
    if following[:1] and (following[0] in DEGREE_WORDS or following[0] in _SAMENESS):
        return 0
    return NEGATION_SCOPE


# A word that stands for what a "not" denies the verb of: "does not add anything to the
# embeddings" denies adding (to the embeddings).
_INDEFINITES = frozenset("anything something everything anyone someone".split())  # noqa: SIM905


def _denies_verb(piece_words: list[str], i: int, negations: frozenset[str]) -> bool:
    """Whether the negation at `i` (one of `negations`) stands for the object of the content
    word before it: "adds nothing to", "uses no labels"; not "no longer"."""
    if piece_words[i] not in negations or not i:
        return False
    following = piece_words[i + 1] if i + 1 < len(piece_words) else ""
    return is_content_word(piece_words[i - 1]) and following not in NEGATION_TAILS


@functools.lru_cache(maxsize=8_192)
def _denied_by_its_object(text: str) -> frozenset[str]:
    """Stems of words a "no" or "nothing" right after them may deny: "adds no latency" may be
    "does not add latency", or the "no" may open a clause of its own ("for data drift no
    labels are needed"). Only ever used to keep a word from counting as said plainly."""
    found: set[str] = set()
    for piece in re.split(r"[,;:()]", text):
        piece_words = words(piece)
        for i in range(len(piece_words)):
            if _denies_verb(piece_words, i, _OBJECT_NEGATIONS_OR_NO):
                found.add(stem(piece_words[i - 1]))
    return frozenset(found)


# Phrases that deny what follows as "without" does: "isolates anomalies instead of modelling
# normal data", "scored independently of any model".
_DENYING_PHRASE = re.compile(
    r"\b(?:instead\s+of|rather\s+than|independently\s+of|independent\s+of|regardless\s+of)\b",
    re.I,
)


# How many words an item of a list may have: "instead of the LSTM's forget, input and output
# gates" sets aside all three.
LIST_ITEM_WORDS = 4


def _listed(rest: str) -> str:
    """The phrase that opens a text, to the end of its clause, a list's items included."""
    pieces = re.split(r"(?:[;:()]|[.!?](?:\s|$))", rest, maxsplit=1)[0].split(",")
    phrase = pieces[0]
    for item in pieces[1:]:
        item_words = words(item)
        if not item_words or len(item_words) > LIST_ITEM_WORDS or item_words[0] in _SCOPE_ENDS:
            break
        if item_words[0] in {"which", "that", "but", "who", "where"}:
            break
        phrase = f"{phrase},{item}"
    return phrase


def _phrase_stems(rest: str) -> list[str]:
    """The content stems of the phrase that opens a text (`_listed`), degree words aside."""
    return [stem(w) for w in words(_listed(rest)) if is_content_word(w) and w not in DEGREE_WORDS]


@functools.lru_cache(maxsize=8_192)
def _phrases_denied(text: str) -> tuple[frozenset[str], ...]:
    """What "instead of", "independently of" and the like set aside in a text, phrase by
    phrase: the content stems from the phrase to the end of its clause ("instead of only a
    long product of Jacobians that can shrink" sets aside the shrinking product too)."""
    phrases: list[frozenset[str]] = []
    for found in _DENYING_PHRASE.finditer(text):
        stems = frozenset(_phrase_stems(text[found.end() :]))
        if stems:
            phrases.append(stems)
    return tuple(phrases)


def _excused(denied: frozenset[str], point: str) -> frozenset[str]:
    """Words of an answer's denial that the point denies with "instead of" and the like: the
    answer agrees with it ("doesn't model normal data" against "isolates anomalies instead of
    modelling normal data"). The denial must say the phrase, two of its words or all of a
    shorter one: "don't change what the model learns" is not "instead of changing the data".
    Only ever used to excuse an answer's "not": "across thresholds" says nothing against
    "independent of any one threshold"."""
    found: set[str] = set()
    for phrase in _phrases_denied(point):
        if len(phrase & denied) >= min(2, len(phrase)) or (denied and denied <= phrase):
            found |= phrase
    return frozenset(found)


# "X, not Y" after a claim ("not only" limits a degree instead).
_COMMA_NOT = re.compile(
    r"(?<=\w),\s+(?:and\s+)?not\b(?!\s+(?:only|just|merely|simply|necessarily|always)\b)", re.I
)


def _preferred_over(point_clause: str, said: frozenset[str]) -> frozenset[str]:
    """What a point's "X, not Y" sets aside when an answer's clause says X: "counted in
    optimizer steps, not in micro-batches" against "counted in optimizer steps" has the answer
    on the point's side, whatever it says of micro-batches elsewhere ("micro-batch size
    times k"). An answer that says Y without X ("coverage is guaranteed for every input",
    against "on average over test points, not for every input") keeps the point's "not"."""
    found: set[str] = set()
    for match in _COMMA_NOT.finditer(point_clause):
        set_aside = _phrase_stems(point_clause[match.end() :])
        # X is as many content words before the comma as Y has: "optimizer steps" for "in
        # micro-batches", not the whole "the warmup is counted in optimizer steps".
        before = re.split(r"[,;:()]", point_clause[: match.start()])[-1]
        preferred = [stem(w) for w in words(before) if is_content_word(w)]
        preferred = preferred[-max(len(set_aside), 1) :]
        if set_aside and preferred and set(preferred) <= said:
            found |= set(set_aside)
    return frozenset(found)


def _set_aside(text: str) -> frozenset[str]:
    """Every stem a text sets aside with "instead of", "rather than" and the like."""
    return frozenset().union(*_phrases_denied(text))


# Verbs that say their object is kept away: "avoids checkerboard artifacts" says there are
# none, as "no checkerboard" does.
_AVOIDING = re.compile(r"\b(?:avoid|prevent|eliminat)(?:s|es|e|ed|ing)?\b", re.I)


@functools.lru_cache(maxsize=8_192)
def _point_denies(point: str) -> frozenset[str]:
    """Words a point denies anywhere: under a "not", or kept away by "avoids", "prevents"."""
    denied = _negation_scope(point)[0]
    if _AVOIDING.search(point):
        denied |= frozenset().union(
            *map(frozenset, _negated_phrases(_AVOIDING.sub("without", point)))
        )
    return denied


@functools.lru_cache(maxsize=8_192)
def _negation_scope(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """Content stems said under a negation (the next few, up to a comma), and the rest."""
    negated: set[str] = set()
    plain: set[str] = set()
    # A "not" reaches no further than its phrase: "(spam/not spam) and Regression".
    for piece in re.split(r"[,;:()]", text):
        scope = waiting = 0
        piece_words, hyphened = _negation_reading(piece)
        for i, w in enumerate(piece_words):
            if _denies_verb(piece_words, i, OBJECT_NEGATIONS):
                before = stem(piece_words[i - 1])
                plain.discard(before)
                negated.add(before)
            if is_negation(w):
                # "not only X but also Y", "not so complex that…" limit a degree, they do
                # not deny the claim; "not X until Y" says when, neither yes nor no.
                if is_conditional(piece_words, i):
                    scope, waiting = 0, NEGATION_SCOPE
                else:
                    scope, waiting = _scope_after(piece_words, i), 0
                continue
            if w in _SCOPE_ENDS or w == "too":
                # "not ... too many tools" warns of an excess: it denies no claim after it.
                scope = 0
            if scope and w in _INDEFINITES:
                # "does not add anything to the latency" denies adding to the latency, as
                # "adds nothing to the latency" does: the indefinite stands for the object.
                scope = NEGATION_SCOPE
                continue
            if not is_content_word(w):
                continue
            if waiting:
                waiting -= 0 if hyphened[i] else 1
                continue
            (negated if scope else plain).add(stem(w))
            if not hyphened[i]:
                scope = max(scope - 1, 0)
    return frozenset(negated), frozenset(plain)


# Where what an answer's "not" denies ends: a preposition, or a word that opens a clause of
# its own ("don't change what the model learns" denies changing).
_PHRASE_ENDS = PREPOSITIONS | frozenset("what which that who how when where why".split())  # noqa: SIM905


@functools.lru_cache(maxsize=8_192)
def _negated_phrases(text: str, *, bounded: bool = False) -> tuple[tuple[str, ...], ...]:
    """The content stems each negation of a text denies, in order: "not the probability that
    the null hypothesis is true" denies ("probabl", "null"). `bounded` ends a phrase at a
    preposition or a word that opens a clause: "not fixed in CLIP" denies ("fix",)."""
    phrases: list[tuple[str, ...]] = []
    for piece in re.split(r"[,;:()]", text):
        piece_words = negation_words(piece)
        phrase: list[str] = []
        scope = 0
        for i, w in enumerate(piece_words):
            if _denies_verb(piece_words, i, OBJECT_NEGATIONS):
                phrases.append((stem(piece_words[i - 1]),))
            if is_negation(w):
                if phrase:
                    phrases.append(tuple(phrase))
                scope = 0 if is_conditional(piece_words, i) else _scope_after(piece_words, i)
                phrase = []
                continue
            if scope and w == "too":
                # "not offer too many tools": advice against an excess denies no claim.
                scope, phrase = 0, []
                continue
            if w in _SCOPE_ENDS or (
                phrase and (w in _INDEFINITES or (bounded and w in _PHRASE_ENDS))
            ):
                scope = 0
            if scope and is_content_word(w) and not (not phrase and w in NEGATION_TAILS):
                phrase.append(stem(w))
                scope -= 1
        if phrase:
            phrases.append(tuple(phrase))
    return tuple(phrases)


def _says_phrase(content: list[str], phrase: tuple[str, ...]) -> bool:
    """Whether a clause says a phrase's stems together: its first, then the others within a
    few content words of it."""
    for i, st in enumerate(content):
        if st == phrase[0] and set(phrase[1:]) <= set(content[i + 1 : i + 2 + len(phrase)]):
            return True
    return False


def _denies_plainly(
    negating: str,
    only_neg: frozenset[str],
    other_content: list[str],
    other_plain: frozenset[str],
    *,
    whole: bool,
    agreed: frozenset[str] = frozenset(),
) -> bool:
    """Whether one side denies a word the other says plainly (with `whole`, every word one
    negation denies, said together). The reference's own "not" is read whole: "is not the
    probability that the null hypothesis is true" is not denied by "is the probability of
    seeing a difference this large if there were no difference ... under the null". An
    answer's "not" is read by its words, as a denial may put them in another order; the last
    word it denies before a preposition or a new clause must be the other side's: "not fixed
    in CLIP" denies nothing of "CLIP learns it", "don't need any labels" nothing of "it needs
    large batches"."""
    if not whole:
        # A denial of what the other side denies too agrees with it, whatever its object:
        # "fail to reject a false null" against "failing to reject the null when it is false".
        return any(
            phrase[-1] in only_neg & other_plain and phrase[0] not in agreed
            for phrase in _negated_phrases(negating, bounded=True)
        )
    return any(
        set(phrase) & only_neg
        and set(phrase) <= other_plain
        and _says_phrase(other_content, phrase)
        for phrase in _negated_phrases(negating)
    )


def _neighbours(stems: list[str], group: frozenset[str]) -> set[str]:
    """Content stems next to any word of a group: what a scalar word modifies."""
    near: set[str] = set()
    for i, st in enumerate(stems):
        if st in group:
            near.update(stems[max(i - 2, 0) : i] + stems[i + 1 : i + 3])
    return near - group


def _arguments(ws: list[str], group: frozenset[str]) -> set[str]:
    """What a verb of change acts on: the content word before it (its subject) and the one
    right after it (its object), unless a preposition comes first."""
    found: set[str] = set()
    for i, w in enumerate(ws):
        if stem(w) not in group:
            continue
        before = next((stem(v) for v in reversed(ws[:i]) if is_content_word(v)), None)
        if before is not None:
            found.add(before)
        for v in ws[i + 1 :]:
            if v in PREPOSITIONS:
                break
            if is_content_word(v):
                found.add(stem(v))
                break
    return found - group


def _flips(
    p_stems: list[str],
    s_stems: list[str],
    p_negated: frozenset[str],
    s_negated: frozenset[str],
    p_words: list[str],
    s_words: list[str],
    point_says: frozenset[str] = frozenset(),
) -> list[str]:
    """Opposites the span uses where the point uses the other side of the pair.

    Words in `point_says` are no flip: a clause that says part of a long point may be saying
    what another clause of the point says ("gradient one for positive inputs" against "every
    negative input gives exactly zero" of a point that speaks of positive inputs too).

    An opposite said under a negation is no flip: "data without labels" is "unlabeled data".
    A scalar word flips only when both sides say it of the same thing: a verb of change of
    the same subject or object ("reduce variance" against "increase variance", not "grow
    deep trees" against "deep trees that reduce variance"), another scalar word of a word
    near it.
    """
    p_set, s_set = set(p_stems) - p_negated, set(s_stems) - s_negated
    # "oversampling" and "undersampling", "overestimates" and "underestimates": opposites
    # by their prefix, whatever the word.
    prefixed = tuple(
        (frozenset({f"over{rest}"}), frozenset({f"under{rest}"}))
        for rest in {m.group(2) for w in p_set for m in [_OVER_UNDER.fullmatch(w)] if m}
        if f"over{rest}" not in _PAIRED_STEMS
    )
    # One side speaks of the "unscaled" case, the other of the scaled one: "unscaled features
    # make convergence slow" is "scaling makes it faster", so a degree flips with it.
    one_side_privative = _privative(p_words) != _privative(s_words)
    found: list[str] = []
    concept_words = _concept_stems(p_words), _concept_stems(s_words)
    for groups, scalar in (
        (CONCEPT_OPPOSITES, False),
        (prefixed, False),
        (SCALAR_OPPOSITES, True),
    ):
        if scalar and one_side_privative:
            continue
        # Concept words count in their listed forms: "corrected" is no "correct".
        p_says, s_says = concept_words if groups is CONCEPT_OPPOSITES else (p_set, s_set)
        for a, b in groups:
            for mine, theirs in ((a, b), (b, a)):
                if not (p_set & p_says & mine) or p_set & theirs:
                    continue
                if not (s_set & s_says & theirs) or s_set & mine:
                    continue
                if s_set & theirs <= point_says:
                    continue
                if scalar and (a | b) <= _VERB_STEMS:
                    if not _arguments(p_words, mine) & _arguments(s_words, theirs):
                        continue
                elif scalar and not _neighbours(p_stems, mine) & _neighbours(s_stems, theirs):
                    continue
                said, stated = s_set & s_says & theirs, p_set & p_says & mine
                found.append(f"{sorted(said)[0]!r} for {sorted(stated)[0]!r}")
    return found


def _negated_opposite(negated: frozenset[str], plain: frozenset[str]) -> bool:
    """Whether one side negates a word whose opposite the other side says plainly."""
    return any(
        (negated & a and plain & b) or (negated & b and plain & a)
        for groups in (CONCEPT_OPPOSITES, SCALAR_OPPOSITES)
        for a, b in groups
    )


def _set_against(p_words: list[str], s_words: list[str]) -> bool:
    """Whether a clause's "not" is said of another thing than the point's subject, which it
    sets against it first: "unlike k-means a GMM isn't limited to spherical clusters",
    "compared with step decay there are no abrupt drops"."""
    subject = _first_content_stem(p_words)
    negation = next((i for i, w in enumerate(s_words) if is_negation(w)), None)
    if subject is None or negation is None:
        return False
    return any(
        (
            w == "unlike"
            or (w in {"compared", "relative"} and s_words[i + 1 : i + 2] in (["with"], ["to"]))
        )
        and subject in {stem(v) for v in s_words[i + 1 : min(i + 5, negation)]}
        for i, w in enumerate(s_words[:negation])
    )


def _first_content_stem(ws: list[str]) -> str | None:
    return next((stem(w) for w in ws if is_content_word(w)), None)


def _same_subject(p_words: list[str], s_words: list[str]) -> bool:
    """Whether two clauses talk about one thing: same first content word, or its opposite."""
    p_first, s_first = _first_content_stem(p_words), _first_content_stem(s_words)
    if p_first is None or s_first is None:
        return False
    if p_first == s_first:
        return True
    return any(
        (p_first in a and s_first in b) or (p_first in b and s_first in a)
        for a, b in CONCEPT_OPPOSITES
    )


def _clauses(text: str) -> list[str]:
    pieces = re.split(
        r"[.;:!?]\s+|,\s+(?:but|while|whereas|although|though)\b|\b(?:but|whereas)\b", text
    )
    return [p for p in pieces if len(words(p)) >= 2]


@functools.lru_cache(maxsize=8_192)
def _analysed_clauses(text: str) -> tuple[tuple[str, list[str], list[str]], ...]:
    """Each clause with its words and content stems; cached, as key points recur across answers."""
    analysed = []
    for clause in _clauses(text):
        clause_words = negation_words(clause)
        content = [stem(w) for w in clause_words if is_content_word(w)]
        analysed.append((clause, clause_words, content))
    return tuple(analysed)


# Words that say a clause is drawn as a contrast ("unlike RNNs, which process words one at a
# time"): a "not" next to them may be the reference's own claim, said the other way round.
_CONTRAST_WORDS = frozenset("unlike instead rather whereas while than despite compared".split())  # noqa: SIM905
# A denial must share this many content words with the point's clause, and this share of its own.
DENIAL_SHARED = 3
DENIAL_SHARE = 0.6
# Words that join a clause on to the one before it, whose subject it shares.
_JOINING_WORDS = frozenset("and or so but yet then also plus".split())  # noqa: SIM905


def _denied(clause: str) -> frozenset[str]:
    """Content stems after the first negation of a clause's phrase: what it denies."""
    for piece in re.split(r"[,;:()]", clause):
        piece_words = negation_words(piece)
        at = next((i for i, w in enumerate(piece_words) if is_negation(w)), None)
        if at is None:
            continue
        if (
            not _scope_after(piece_words, at)
            or "too" in piece_words[at + 1 :]
            or is_conditional(piece_words, at)
        ):
            return frozenset()
        after = piece_words[at + 1 :]
        end = next((k for k, w in enumerate(after) if w in _SCOPE_ENDS), len(after))
        return frozenset(stem(w) for w in after[:end] if is_content_word(w))
    return frozenset()


_PRONOUNS = frozenset("it they this that these those he she".split())  # noqa: SIM905


def _refers_back(ws: list[str], continues: bool) -> bool:
    """Whether a clause is said of something named before it in the answer: its subject is a
    pronoun and it `continues` a sentence ("..., but it doesn't adapt the rate", said of
    momentum). A sentence that opens with "It" is read as said of the question's subject ("It
    is not in the same path as the battery")."""
    first = next((w for w in ws if w not in _JOINING_WORDS), "")
    return continues and first.split("'")[0] in _PRONOUNS


def _denies(
    point_clause: tuple[str, list[str], list[str]],
    span_clause: tuple[str, list[str], list[str]],
    names: set[str],
    point_denies: frozenset[str],
) -> bool:
    """Whether an answer clause denies what a point's clause asserts, in other words than the
    point's ("Word2Vec does not assign one fixed vector to each word" against "Static
    Embeddings (e.g., Word2Vec, GloVe): These models assign a single, fixed vector to each
    word").

    The clause must be about the point (its first content word is in the point's clause or
    among the names its heading gives), share most of its words with the point's clause, and
    deny at least two of that clause's words beyond the names. Words meet by their Snowball
    stems (`text.stem`) and nothing looser: dropping a final "e" as well would merge "state"
    and "stat", "huge" and "hug". A point clause with a "not" of its own, a denial of a word
    the point denies anywhere (`point_denies`), or a clause drawn as a contrast, is left to
    `contradiction`'s stricter test: there a "not" may be the reference's own.
    """
    _, p_words, p_content = point_clause
    s_text, s_words, _ = span_clause
    said = [w for w in s_words if not is_negation(w)]
    p_set = set(p_content)
    s_set = {stem(w) for w in said if is_content_word(w)}
    shared = p_set & s_set
    if len(shared) < DENIAL_SHARED or len(shared) < DENIAL_SHARE * len(s_set):
        return False
    if _CONTRAST_WORDS & (set(p_words) | set(s_words)):
        return False
    subject = _first_content_stem(said)
    if subject is None or subject not in p_set | names:
        return False
    # "... and no ground truth is needed": a clause joined on with its denial first has its
    # subject in the clause before it, so what it denies is said of something not known here.
    opening = next(
        (i for i, w in enumerate(s_words) if is_content_word(w) and not is_negation(w)), 0
    )
    if s_words[0] in _JOINING_WORDS and any(is_negation(w) for w in s_words[:opening]):
        return False
    denied = _denied(s_text) - names
    denied -= _excused(denied, point_clause[0])
    # One denied word is enough when the clause says nothing but the point's words ("cross-
    # validation scores are never optimistic").
    enough = len(denied) >= 2 or (len(denied) == 1 and s_set <= p_set)
    return enough and denied <= p_set and not denied & point_denies


def contradiction(point: str, span: str) -> str | None:
    """Why an aligned answer span contradicts a key point, or None: a negation or antonym flip."""
    found = _flipped(point, span)
    if found is not None:
        return found
    heading, _ = split_heading(point)
    # What the heading names, with its brackets: "Static Embeddings (e.g., Word2Vec, GloVe)".
    names = set(_stems(point.split(":", 1)[0])) if heading else set()
    # Words the point itself denies anywhere: an answer that denies one of them may be
    # saying what the point says ("dropout is not used at inference time").
    point_denies = _point_denies(point)
    # Clauses that may deny the point's subject: not "..., but it doesn't..." said of another.
    span_clauses = _analysed_clauses(span)
    opens_joined = next(iter(words(span)), "") in _JOINING_WORDS
    own_subject = [
        c for at, c in enumerate(span_clauses) if not _refers_back(c[1], at > 0 or opens_joined)
    ]
    for point_clause in _point_clauses(point):
        # A clause with a "not" of its own is left to `_flipped`: "if the base case is not
        # included" against "lack of defining a base case" deny the same thing.
        if _negation_scope(point_clause[0])[0]:
            continue
        for span_clause in own_subject:
            if _denies(point_clause, span_clause, names, point_denies):
                return "says a 'not' the reference does not have"
    return None


# A name as written: a digit, or capitals inside the word ("L1", "BERT", "GloVe", "Word2Vec").
_WRITTEN_NAME = re.compile(r"[A-Za-z]*(?:\d|[A-Z][a-z]*[A-Z])[\w-]*")


@functools.lru_cache(maxsize=8_192)
def _named_subject(clause: str) -> str | None:
    """The stem of a clause's first content word when it is written as a name, or None."""
    for raw in re.findall(r"[\w'-]+", clause):
        if is_content_word(raw.lower()):
            return stem(words(raw)[0]) if _WRITTEN_NAME.fullmatch(raw) and words(raw) else None
    return None


def _flipped(point: str, span: str) -> str | None:
    """A negation or antonym flip between clauses that make much the same claim."""
    # Clause by clause: a 'not' three clauses away says nothing about this claim.
    span_clauses = _analysed_clauses(span)
    # Words the point denies somewhere: the answer denying one agrees with it ("it doesn't
    # see the real data" against "It never sees the real data ... classifies them as real").
    point_plain = _negation_scope(point)[1]
    point_denies = _point_denies(point)
    # What the point says plainly anywhere: read against a clause that says part of it.
    point_says = point_plain - point_denies
    for point_clause, p_words, p_content in _point_clauses(point):
        p_stems = set(p_content)
        if len(p_stems) < 2:
            continue
        for span_clause, s_words, s_content in span_clauses:
            s_stems = set(s_content)
            # A clause about another named thing ("L1 ... a sparse model" against the L2
            # point's "a dense model") says nothing of this claim.
            subject = _named_subject(span_clause)
            if subject is not None and subject not in p_stems:
                continue
            shared = len(p_stems & s_stems)
            # Much the same claim; or a short clause that says part of a long one (most of its
            # words are the point's), where only an antonym bound to the same words counts.
            same_claim = shared >= max(2, 0.5 * len(p_stems))
            part_claim = shared >= max(3, 0.5 * len(s_stems))
            if not (same_claim or part_claim):
                continue
            p_neg, p_plain = _negation_scope(point_clause)
            s_neg, s_plain = _negation_scope(span_clause)
            # A word a clause says both under a "not" and without one is neither.
            p_only_neg, p_only_plain = p_neg - p_plain, p_plain - p_neg
            s_only_neg, s_only_plain = s_neg - s_plain, s_plain - s_neg
            # What another clause of the point says plainly is no flip of it ("positive semi-
            # definite" against a point that speaks of negative eigenvalues too), nor what this
            # clause sets aside ("local" against "rather than global variance").
            reasons = _flips(
                p_content,
                s_content,
                p_only_neg | _set_aside(point_clause),
                s_only_neg,
                p_words,
                s_words,
                point_says,
            )
            # A "not" with an opposite says the same as the other opposite without one: "not
            # connected to the negative terminal" is "connected to the positive terminal".
            reworded = _negated_opposite(p_only_neg, s_only_plain) or _negated_opposite(
                s_only_neg, p_only_plain
            )
            if same_claim and not reworded and _same_subject(p_words, s_words):
                if not _set_against(p_words, s_words) and _denies_plainly(
                    span_clause,
                    s_only_neg - point_denies - _excused(s_only_neg, point),
                    p_content,
                    p_only_plain,
                    whole=False,
                    agreed=point_denies,
                ):
                    reasons.append("a 'not' the reference does not have")
                elif _denies_plainly(
                    point_clause,
                    p_only_neg - _preferred_over(point_clause, frozenset(s_content)),
                    s_content,
                    s_only_plain - _denied_by_its_object(span_clause) - _set_aside(span_clause),
                    whole=True,
                ):
                    reasons.append("no 'not' where the reference has one")
            # Two flips cancel: "unsupervised ... unlabeled" against "supervised ... labeled".
            if len(reasons) % 2 == 1:
                return "says " + "; ".join(reasons)
    return None


def _point_clauses(point: str) -> tuple[tuple[str, list[str], list[str]], ...]:
    """The point's clauses; a sub-heading is the subject of every clause of its body."""
    heading, body = split_heading(point)
    if heading is None:
        return _analysed_clauses(point)
    prefixed = _analysed_clauses(" ".join(f"{heading} {c}." for c in _clauses(body)))
    return _analysed_clauses(point) + prefixed


# A name written as a name: "K-Means", "PCA", "Word2Vec", "BERT", "GloVe", "L1"; found in the
# `normalise`d text, where "K‑Means" (a non-breaking hyphen) is "K-Means" too.
NAME = re.compile(
    r"\b(?:[A-Za-z]+[-/][A-Za-z0-9]+|[A-Z]{2,}[a-z]?s?|[A-Za-z]+\d\w*|[A-Z][a-z]+[A-Z]\w*)\b"
)
# How many words from a name its attribute may sit ("Word2Vec and GloVe are contextual").
BINDING_WINDOW = 6
_BINDING_BREAK = re.compile(r"[,;:.!?()]|\s(?:while|whereas|but|unlike|than|instead)\s", re.I)
_OPPOSITE_OF: dict[str, frozenset[str]] = {}
for _a, _b in CONCEPT_OPPOSITES:
    for _stem in _a:
        _OPPOSITE_OF[_stem] = _OPPOSITE_OF.get(_stem, frozenset()) | _b
    for _stem in _b:
        _OPPOSITE_OF[_stem] = _OPPOSITE_OF.get(_stem, frozenset()) | _a


def _stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def _attribute_at(tokens: list[str], i: int) -> bool:
    """Whether the stem at i is an opposite-pair word used alone, not half of a compound term
    made of two such words ("false negatives", "true positive rate")."""
    if tokens[i] not in _OPPOSITE_OF:
        return False
    return not (
        (i > 0 and tokens[i - 1] in _OPPOSITE_OF)
        or (i + 1 < len(tokens) and tokens[i + 1] in _OPPOSITE_OF)
    )


def _occurrences(tokens: list[str], name: list[str]) -> list[int]:
    n = len(name)
    return [i for i in range(len(tokens) - n + 1) if n and tokens[i : i + n] == name]


@functools.lru_cache(maxsize=8_192)
def point_names(point: str) -> tuple[str, ...]:
    """Things a point names: its sub-heading and written names ("BERT", not "Encoder-only")."""
    heading, _ = split_heading(point)
    names = [
        n for n in NAME.findall(normalise(point)) if not any(s in _OPPOSITE_OF for s in _stems(n))
    ]
    if heading:
        names.insert(0, drop_brackets(heading).strip())
    return tuple(dict.fromkeys(n for n in names if _stems(n)))


@functools.lru_cache(maxsize=8_192)
def _bound_attributes(point: str, name: str) -> frozenset[str]:
    """Opposite-pair words the point says next to a name: "static" of "Static Embeddings
    (e.g., Word2Vec", "regression" of "Linear Regression: Used for regression tasks"."""
    tokens, wanted = _stems(point), _stems(name)
    heading, _ = split_heading(point)
    # Where the body starts: a name in the body is not bound by the heading's words ("Local
    # accuracy: the SHAP values add up…" says nothing local of SHAP).
    body = len(_stems(point.split(":", 1)[0])) if heading else 0
    found: set[str] = set()
    for i in _occurrences(tokens, wanted):
        near = [
            *range(max(0 if i < body else body, i - BINDING_WINDOW), i),
            *range(i + len(wanted), min(len(tokens), i + len(wanted) + BINDING_WINDOW)),
        ]
        found.update(tokens[j] for j in near if _attribute_at(tokens, j))
    return frozenset(found)


def swapped_attribute(point: str, answer: str, other_names: frozenset[str]) -> str | None:
    """The answer clause that gives one of the point's names the opposite of what the point
    says of it ("Word2Vec produces contextual embeddings" against "Static Embeddings (e.g.,
    Word2Vec, GloVe)"), or None. The nearest such word after the name decides, within its
    clause and before anything else named; a negation between them keeps it consistent.
    A word the point itself says is no swap wherever the answer puts it ("ROC-AUC: ... the
    true positive rate ... ranks positives above negatives"), nor is half of a compound term
    ("recall matters when false negatives are costly")."""
    names = point_names(point)
    others = {tuple(_stems(n)) for n in other_names} - {tuple(_stems(n)) for n in names}
    said = frozenset(_stems(point))
    for name in names:
        attributes = _bound_attributes(point, name)
        if not attributes:
            continue
        opposite = frozenset().union(*(_OPPOSITE_OF[a] for a in attributes)) - said
        if not opposite:
            continue
        wanted = _stems(name)
        for clause in _BINDING_BREAK.split(answer):
            tokens = _stems(clause)
            for i in _occurrences(tokens, wanted):
                start = i + len(wanted)
                for j in range(start, min(len(tokens), start + BINDING_WINDOW)):
                    st = tokens[j]
                    if is_negation(st) or st in attributes:
                        break
                    if st in opposite and _attribute_at(tokens, j):
                        return clause.strip()
                    if any(tuple(tokens[j : j + len(o)]) == o for o in others):
                        break
    return None
