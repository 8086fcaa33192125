"""The offline grader: key-point coverage from sentence and token embeddings, with guards."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from app.grading.base import (
    Grade,
    GradingQuestion,
    KeyPointResult,
    PointStatus,
    verdict_for,
)
from app.grading.embedder import Embedder, SentenceTransformerEmbedder, TokenEmbedding
from app.grading.key_points import extract_key_points

if TYPE_CHECKING:
    from app.config import Settings

GRADER_VERSION = "embedding-1.1"

# Key-point status thresholds on the 0-1 coverage of one point.
COVERED_AT = 0.6
PARTIAL_POINT_AT = 0.35

# Calibration anchors (lo -> 0, hi -> 1) of each similarity, set by hand: `lo` just above
# what unrelated text reaches (sentence cosine about 0.0, token recall about 0.15 on the day-1
# off-topic cases), `hi` near a faithful paraphrase. Checked, not fitted, on mohler.csv.
SENTENCE_LO, SENTENCE_HI = 0.10, 0.90
POINT_LO, POINT_HI = 0.15, 0.80
TOKEN_LO, TOKEN_HI = 0.25, 0.95

# Weights of the four components of the raw score: round numbers, not fitted (a weight grid
# chosen by question-level cross-validation on mohler.csv did no better; docs/grading.md).
W_COVERAGE, W_SENTENCE, W_TOKEN, W_LEXICAL = 0.25, 0.2, 0.35, 0.2

# Share of the key points, best covered first, that the score averages over.
TOP_SHARE = 0.6

# The raw score a faithful paraphrase of the whole reference reaches: maps to 100.
RAW_FULL = 0.85

# Guards: thresholds on similarities and on the 0-1 raw score.
RESTATED_SIM = 0.5
RESTATED_MARGIN = 0.1
OFF_TOPIC_SIM = 0.15

# Caps applied by the guards, on the 0-100 scale.
CAP_RESTATED = 20.0
CAP_KEYWORDS = 35.0
CAP_CONTRADICTED = 35.0
CAP_MOSTLY_CONTRADICTED = 20.0
CAP_OFF_TOPIC = 10.0
CAP_TOO_SHORT = 59.0  # the top of partially_correct: two words are never a full interview answer
MIN_WORDS = 3
KEYWORD_LIST_MIN_WORDS = 5
KEYWORD_LIST_MIN_ITEMS = 4
NEGATION_SCOPE = 2

_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_SPAN_BREAK = re.compile(r"(?<=[.!?;:])\s+|\n+|(?<=[.!?])(?=[A-Z])")
_CLAUSE_BREAK = re.compile(
    r",\s+(?=(?:but|while|whereas|although|though|and|so|which|because)\b)|\s+(?=(?:but|whereas|while)\s)",
    re.IGNORECASE,
)
_LIST_SEPARATOR = re.compile(r"[,;/\n•|]|\s-\s|\band\b|\bor\b")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "either",
        "etc",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "like",
        "many",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "per",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yet",
        "you",
        "your",
        "e.g",
        "i.e",
        "eg",
        "ie",
        "one",
    ]
)
# Words prose cannot do without (articles, auxiliaries, pronouns, prepositions); a list of
# terms has next to none of them.
_PROSE_MARKER_WORDS = """a an the is are was were be been being it its this that these those
    they we you i he she
    of to in on at for with by from as into than which who when where because so if then can
    could will would should does do did has have had there their our your"""
_PROSE_MARKERS = frozenset(_PROSE_MARKER_WORDS.split())
NEGATIONS = frozenset(
    """not no never none nothing neither nor cannot cant can't don't doesn't didn't isn't aren't
    wasn't weren't won't wouldn't shouldn't couldn't hasn't haven't hadn't without lacks lack
    fails""".replace("'", "").split()
)


@functools.lru_cache(maxsize=65536)
@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """A light suffix-stripping stem, enough to match 'overfits' with 'overfitting'."""
    word = word.lower().replace("’", "'")
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "es", "ed", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if (
                suffix in ("ing", "ings", "ed")
                and word[-1] == word[-2]
                and word[-1] not in "aeiosl"
            ):
                word = word[:-1]  # "fitting" -> "fit", not "fitt"
            break
    return word


def words(text: str) -> list[str]:
    """The lower-cased words of a text."""
    return _WORD.findall(text.lower().replace("’", "'"))


def content_stems(text: str) -> set[str]:
    """Stems of the words that carry meaning (no stop words, no single letters)."""
    return {stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1}


def prose_share(text: str) -> float:
    """Share of a text's words that only prose uses (articles, auxiliaries, prepositions)."""
    ws = words(text)
    return sum(w in _PROSE_MARKERS for w in ws) / len(ws) if ws else 0.0


def is_keyword_list(text: str) -> bool:
    """True for a bare list of terms: several short items and next to no function words."""
    ws = words(text)
    items = [i for i in _LIST_SEPARATOR.split(text) if i and i.strip(" .-*")]
    # "push and pop" answers a question that asks for two things; four or more bare terms
    # are a list of keywords. Prose runs at 25-40% function words, a list near 0.
    return (
        len(ws) >= KEYWORD_LIST_MIN_WORDS
        and len(items) >= KEYWORD_LIST_MIN_ITEMS
        and len(ws) / len(items) <= 3.5
        and prose_share(text) < 0.1
    )


# Opposites, as pairs of synonym groups. "Concept" opposites flip a claim wherever they sit;
# "scalar" ones (more/less) only when they modify the same word on both sides, so that
# "more data" does not contradict "a less complex model".
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
)
_SCALAR_OPPOSITES = (
    (
        "increase increases raise raises grow grows rise rises",
        "decrease decreases reduce reduces lower lowers shrink shrinks drop drops",
    ),
    ("more higher", "less fewer lower"),
    ("high", "low"),
    ("large larger big bigger", "small smaller"),
    ("fast faster", "slow slower"),
    ("cheap cheaper", "expensive"),
    ("maximize maximum", "minimize minimum"),
    ("add adds", "remove removes"),
)


def _groups(
    pairs: tuple[tuple[str, str], ...],
) -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    return tuple(
        (frozenset(map(stem, a.split())), frozenset(map(stem, b.split()))) for a, b in pairs
    )


CONCEPT_OPPOSITES = _groups(_CONCEPT_OPPOSITES)
SCALAR_OPPOSITES = _groups(_SCALAR_OPPOSITES)


def _is_negation(word: str) -> bool:
    return word.replace("'", "") in NEGATIONS or word.endswith("n't")


@functools.lru_cache(maxsize=8_192)
def _negation_scope(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """Content stems said under a negation (the next few, up to a comma), and the rest."""
    negated: set[str] = set()
    plain: set[str] = set()
    for piece in text.split(","):
        scope = 0
        for w in words(piece):
            if _is_negation(w):
                scope = NEGATION_SCOPE
                continue
            if w in STOPWORDS or len(w) < 2:
                continue
            (negated if scope else plain).add(stem(w))
            scope = max(scope - 1, 0)
    return frozenset(negated), frozenset(plain)


def _neighbours(stems: list[str], group: frozenset[str]) -> set[str]:
    """Content stems next to any word of a group: what a scalar word modifies."""
    near: set[str] = set()
    for i, st in enumerate(stems):
        if st in group:
            near.update(stems[max(i - 2, 0) : i] + stems[i + 1 : i + 3])
    return near - group


def _flips(p_stems: list[str], s_stems: list[str]) -> list[str]:
    """Opposites the span uses where the point uses the other side of the pair."""
    p_set, s_set = set(p_stems), set(s_stems)
    found: list[str] = []
    for groups, scalar in ((CONCEPT_OPPOSITES, False), (SCALAR_OPPOSITES, True)):
        for a, b in groups:
            for mine, theirs in ((a, b), (b, a)):
                if not (p_set & mine) or p_set & theirs or not (s_set & theirs) or s_set & mine:
                    continue
                if scalar and not _neighbours(p_stems, mine) & _neighbours(s_stems, theirs):
                    continue
                found.append(f"{sorted(s_set & theirs)[0]!r} for {sorted(p_set & mine)[0]!r}")
    return found


def _first_content_stem(ws: list[str]) -> str | None:
    return next((stem(w) for w in ws if w not in STOPWORDS and len(w) > 1), None)


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
        clause_words = words(clause)
        content = [stem(w) for w in clause_words if w not in STOPWORDS and len(w) > 1]
        analysed.append((clause, clause_words, content))
    return tuple(analysed)


def contradiction(point: str, span: str) -> str | None:
    """Why an aligned answer span contradicts a key point, or None: a negation or antonym flip."""
    # Clause by clause: a 'not' three clauses away says nothing about this claim.
    span_clauses = _analysed_clauses(span)
    for point_clause, p_words, p_content in _analysed_clauses(point):
        p_stems = set(p_content)
        if len(p_stems) < 2:
            continue
        for span_clause, s_words, s_content in span_clauses:
            # Only a clause that makes much the same claim can contradict it.
            if len(p_stems & set(s_content)) < max(2, 0.5 * len(p_stems)):
                continue
            reasons = _flips(p_content, s_content)
            if _same_subject(p_words, s_words):
                p_neg, p_plain = _negation_scope(point_clause)
                s_neg, s_plain = _negation_scope(span_clause)
                if (s_neg & p_plain) - s_plain:
                    reasons.append("a 'not' the reference does not have")
                elif (p_neg & s_plain) - p_plain:
                    reasons.append("no 'not' where the reference has one")
            # Two flips cancel: "unsupervised ... unlabeled" against "supervised ... labeled".
            if len(reasons) % 2 == 1:
                return "says " + "; ".join(reasons)
    return None


def _calibrate(value: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (value - lo) / (hi - lo))))


@dataclass(frozen=True)
class _Tokens:
    """Unit token vectors of a text's content words, with their stems."""

    vectors: np.ndarray  # (n, dim), L2-normalised
    stems: tuple[str, ...]


def _content_tokens(emb: TokenEmbedding) -> _Tokens:
    """The token vectors of an embedding that fall inside content words."""
    matches = list(_WORD.finditer(emb.text))
    if not matches:
        return _Tokens(np.zeros((0, emb.tokens.shape[1]), dtype=np.float32), ())
    word_starts = np.fromiter((m.start() for m in matches), dtype=np.int64, count=len(matches))
    word_ends = np.fromiter((m.end() for m in matches), dtype=np.int64, count=len(matches))
    starts, ends = emb.offsets[:, 0], emb.offsets[:, 1]
    # The word each token starts in: the first word ending after the token's start.
    word_of = np.searchsorted(word_ends, starts, side="right")
    inside = (ends > starts) & (word_of < len(matches))  # not special tokens, not past the end
    inside[inside] &= word_starts[word_of[inside]] <= starts[inside]  # not punctuation
    # Per word, not per token: whether it carries meaning, and its stem.
    lowered = [m.group().lower().replace("’", "'") for m in matches]
    content = np.fromiter(
        (w not in STOPWORDS and len(w) > 1 for w in lowered), dtype=bool, count=len(lowered)
    )
    inside[inside] &= content[word_of[inside]]
    keep = np.flatnonzero(inside)
    stems = [stem(lowered[j]) for j in word_of[keep].tolist()]
    if not len(keep):
        return _Tokens(np.zeros((0, emb.tokens.shape[1]), dtype=np.float32), ())
    vectors = emb.tokens[keep]
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return _Tokens(vectors.astype(np.float32), tuple(stems))


@dataclass(frozen=True)
class _PointTokens:
    """Every key point's content-token vectors in one matrix, weighted against the question."""

    vectors: np.ndarray  # (total tokens, dim), L2-normalised
    weights: np.ndarray  # (total tokens,)
    bounds: tuple[tuple[int, int], ...]  # each point's rows


def _matmul_t(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b.T for small matrices, on torch's thread pool.

    numpy's multi-threaded OpenBLAS, once torch has started its own threads, takes ~5 ms for
    a 150x384 by 384x60 product that torch does in 0.1 ms; per answer that was most of the
    grading time beyond the model.
    """
    return torch.from_numpy(np.ascontiguousarray(a)).matmul(torch.from_numpy(b).T).numpy()


def _point_tokens(points: list[_Tokens], question: _Tokens, dim: int) -> _PointTokens:
    """Stack the points' tokens; weigh each by how little the question already gives it away."""
    bounds = []
    start = 0
    for p in points:
        bounds.append((start, start + len(p.stems)))
        start += len(p.stems)
    vectors = (
        np.concatenate([p.vectors for p in points])
        if start
        else np.zeros((0, dim), dtype=np.float32)
    )
    if start and len(question.stems):
        given = np.clip(_matmul_t(vectors, question.vectors).max(axis=1), 0.0, 1.0)
        # A floor keeps a point that only uses the question's words from weighing nothing.
        weights = np.maximum(1.0 - given, 0.15)
    else:
        weights = np.ones(start, dtype=np.float32)
    return _PointTokens(vectors, weights.astype(np.float32), tuple(bounds))


def _weighted_recalls(points: _PointTokens, answer: _Tokens) -> list[float]:
    """Per point: how well answer tokens cover its tokens, discounting what the question gives."""
    if not len(answer.stems) or not len(points.weights):
        return [0.0] * len(points.bounds)
    best = _matmul_t(points.vectors, answer.vectors).max(axis=1) * points.weights
    return [
        float(best[s:e].sum() / points.weights[s:e].sum()) if e > s else 0.0
        for s, e in points.bounds
    ]


def answer_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of an answer's sentences and clauses, in order, without duplicates."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for piece in [*_SPAN_BREAK.split(text), ""]:
        start = text.find(piece, pos) if piece else -1
        if start < 0:
            continue
        end = start + len(piece)
        pos = end
        s, e = _strip_span(text, start, end)
        if e <= s:
            continue
        spans.append((s, e))
        sentence = text[s:e]
        cpos = 0
        clauses = [c for c in _CLAUSE_BREAK.split(sentence) if c]
        if len(clauses) > 1:
            for clause in clauses:
                cstart = sentence.find(clause, cpos)
                cpos = cstart + len(clause)
                cs, ce = _strip_span(text, s + cstart, s + cpos)
                if len(words(text[cs:ce])) >= MIN_WORDS and (cs, ce) not in spans:
                    spans.append((cs, ce))
    return spans


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or text[start] in ",;-•*"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _span_vectors(emb: TokenEmbedding, spans: list[tuple[int, int]]) -> np.ndarray:
    """Mean-pool the answer's contextual token vectors over each span ("late chunking")."""
    starts, ends = emb.offsets[:, 0], emb.offsets[:, 1]
    bounds = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
    # (spans x tokens) membership, then one product pools every span at once.
    member = (
        (ends > starts)[None, :]
        & (starts[None, :] >= bounds[:, :1])
        & (ends[None, :] <= bounds[:, 1:])
    ).astype(np.float32)
    counts = member.sum(axis=1, keepdims=True)
    pooled = (member @ emb.tokens) / np.maximum(counts, 1.0)
    # A span with no tokens of its own falls back to the whole text.
    pooled[counts[:, 0] == 0] = emb.vector
    norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return (pooled / norms).astype(np.float32)


@dataclass(frozen=True)
class _Reference:
    """Everything about a question that does not depend on the answer; cached."""

    points: tuple[str, ...]
    question: TokenEmbedding
    reference: TokenEmbedding
    point_embeddings: tuple[TokenEmbedding, ...]
    point_tokens: _PointTokens
    point_matrix: np.ndarray  # (points, dim) sentence vectors of the key points
    question_stems: frozenset[str]
    point_new_stems: tuple[frozenset[str], ...]
    question_raw: float = 0.0


@dataclass(frozen=True)
class _PointMatch:
    """The answer span that best matches one key point, and how well it covers it."""

    span: tuple[int, int] | None
    similarity: float
    coverage: float
    recall: float
    lexical: float
    value: float


@dataclass(frozen=True)
class _Assessment:
    """The similarity components of one answer to one question."""

    raw: float
    sentence_sim: float
    question_sim: float
    token_recall: float
    lexical: float
    coverage: float
    points: tuple[_PointMatch, ...]


def _points_of(question: GradingQuestion) -> tuple[str, ...]:
    if question.key_points:
        return tuple(question.key_points)
    return tuple(p.display for p in extract_key_points(question.reference_answer))


def _reference_key(question: GradingQuestion) -> str:
    if question.content_hash:
        return question.content_hash
    digest = hashlib.sha256()
    for part in (question.question, question.reference_answer, *question.key_points):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


class EmbeddingGrader:
    """Grades an answer by the reference's key points it covers, judged from embeddings."""

    name = "embedding"
    version = GRADER_VERSION

    def __init__(self, embedder: Embedder, *, cache_size: int = 2048) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, _Reference] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddingGrader:
        """Build the grader on the configured model, loading it in the background if asked."""
        embedder = SentenceTransformerEmbedder(
            settings.embedding_model, precision=settings.embedding_precision
        )
        if settings.embedding_warmup:
            embedder.start_background_load()
        return cls(embedder)

    def is_ready(self) -> bool:
        """True once the embedding model is loaded."""
        return self.embedder.is_ready()

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer to one question."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers with one model pass over every text not yet cached."""
        started = time.perf_counter()
        keys = [_reference_key(q) for q, _ in items]
        with self._lock:
            missing = {k: q for k, (q, _) in zip(keys, items, strict=True) if k not in self._cache}
        # Each question's reference side is encoded in a pass of its own: a vector must not
        # depend on which other texts shared its batch (padding moves the last digits, more so
        # in bfloat16), or grading the same answer cold and warm would differ.
        for key, q in missing.items():
            reference_texts = list(dict.fromkeys([q.question, q.reference_answer, *_points_of(q)]))
            reference = dict(
                zip(reference_texts, self.embedder.encode_tokens(reference_texts), strict=True)
            )
            self._remember(key, self._build_reference(q, reference))
        unique = list(dict.fromkeys(a.strip() for _, a in items if words(a)))
        encoded = dict(zip(unique, self.embedder.encode_tokens(unique), strict=True))
        with self._lock:
            refs = [self._cache[k] for k in keys]
        elapsed_each = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        grades = []
        for (_, answer), ref in zip(items, refs, strict=True):
            emb = encoded.get(answer.strip()) if words(answer) else None
            grades.append(self._judge(answer, ref, emb, elapsed_each))
        return grades

    def _remember(self, key: str, ref: _Reference) -> None:
        with self._lock:
            self._cache[key] = ref
            self._cache.move_to_end(key)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _build_reference(
        self, q: GradingQuestion, encoded: dict[str, TokenEmbedding]
    ) -> _Reference:
        points = _points_of(q)
        question_stems = frozenset(content_stems(q.question))
        ref = _Reference(
            points=points,
            question=encoded[q.question],
            reference=encoded[q.reference_answer],
            point_embeddings=tuple(encoded[p] for p in points),
            point_matrix=np.stack([encoded[p].vector for p in points]).astype(np.float32),
            point_tokens=_point_tokens(
                [_content_tokens(encoded[p]) for p in points],
                _content_tokens(encoded[q.question]),
                encoded[q.question].tokens.shape[1],
            ),
            question_stems=question_stems,
            point_new_stems=tuple(frozenset(content_stems(p) - question_stems) for p in points),
        )
        # What the question alone would score as an answer: the floor a restatement sits on.
        return replace(ref, question_raw=self._assess(ref, encoded[q.question]).raw)

    def _assess(self, ref: _Reference, emb: TokenEmbedding) -> _Assessment:
        """Similarity components of one answer, before any judgement."""
        answer_stems = content_stems(emb.text)
        answer_tokens = _content_tokens(emb)
        spans = answer_spans(emb.text)
        span_vecs = _span_vectors(emb, spans) if spans else np.zeros((0, emb.vector.shape[0]))
        points: list[_PointMatch] = []
        recalls = _weighted_recalls(ref.point_tokens, answer_tokens)
        # (spans + whole answer) x points similarities in one product.
        candidates = np.vstack([span_vecs, emb.vector[None, :]]) if spans else emb.vector[None, :]
        sim_table = _matmul_t(candidates.astype(np.float32), ref.point_matrix)
        for k, (recall, new_stems) in enumerate(zip(recalls, ref.point_new_stems, strict=True)):
            sims = sim_table[:-1, k]
            whole = float(sim_table[-1, k])
            best = int(np.argmax(sims)) if spans else -1
            span_sim = max(whole, float(sims[best])) if best >= 0 else whole
            # Words of the point the question does not already give away, said in the answer.
            lexical = len(new_stems & answer_stems) / len(new_stems) if new_stems else 0.0
            coverage = 0.5 * _calibrate(span_sim, POINT_LO, POINT_HI) + 0.5 * _calibrate(
                recall, TOKEN_LO, TOKEN_HI
            )
            value = (
                W_COVERAGE * coverage
                + W_TOKEN * _calibrate(recall, TOKEN_LO, TOKEN_HI)
                + W_LEXICAL * float(np.sqrt(lexical))
            ) / (W_COVERAGE + W_TOKEN + W_LEXICAL)
            span = spans[best] if best >= 0 else None
            points.append(_PointMatch(span, span_sim, coverage, recall, lexical, value))
        # A good answer makes the main points, not every example of a long reference: the
        # best-covered share of the points counts.
        top = sorted(points, key=lambda p: p.value, reverse=True)[
            : max(1, math.ceil(TOP_SHARE * len(points)))
        ]
        sentence_sim = float(emb.vector @ ref.reference.vector)
        raw = (1 - W_SENTENCE) * float(np.mean([p.value for p in top])) + W_SENTENCE * _calibrate(
            sentence_sim, SENTENCE_LO, SENTENCE_HI
        )
        return _Assessment(
            raw=raw,
            sentence_sim=sentence_sim,
            question_sim=float(emb.vector @ ref.question.vector),
            token_recall=float(np.mean([p.recall for p in top])),
            lexical=float(np.mean([p.lexical for p in top])),
            coverage=float(np.mean([p.coverage for p in top])),
            points=tuple(points),
        )

    def _judge(
        self,
        answer: str,
        ref: _Reference,
        emb: TokenEmbedding | None,
        elapsed_ms: float,
    ) -> Grade:
        if emb is None:
            return self._grade(
                0.0,
                [KeyPointResult(p, "missed") for p in ref.points],
                "No answer given. Cover: " + _list_points(ref.points) + ".",
                elapsed_ms,
                {"flags": ["empty"]},
            )
        text = emb.text
        offset = answer.find(text)
        a = self._assess(ref, emb)

        results: list[KeyPointResult] = []
        reasons: list[str] = []
        for point, match in zip(ref.points, a.points, strict=True):
            evidence = None
            if match.span is not None:
                evidence = answer[offset + match.span[0] : offset + match.span[1]]
            status: PointStatus = (
                "covered"
                if match.coverage >= COVERED_AT
                else "partial"
                if match.coverage >= PARTIAL_POINT_AT
                else "missed"
            )
            if evidence and status != "missed":
                why = contradiction(point, evidence)
                if why:
                    status = "contradicted"
                    reasons.append(f"{_short(point)}: {why}")
            if status == "missed":
                evidence = None
            results.append(KeyPointResult(point, status, evidence, round(match.similarity, 4)))

        score = 100.0 * min(1.0, a.raw / RAW_FULL)
        flags: list[str] = []
        answer_stems = content_stems(text)
        novel = answer_stems - ref.question_stems
        # A restatement covers the reference no better than the question itself does.
        if not novel or (
            a.question_sim >= RESTATED_SIM
            and a.question_sim > a.sentence_sim + 0.05
            and a.raw < ref.question_raw + RESTATED_MARGIN
        ):
            flags.append("restates_question")
            score = min(score, CAP_RESTATED)
        # A list is only a dodge when the reference explains in prose.
        if is_keyword_list(text) and prose_share(ref.reference.text) >= 0.15:
            flags.append("keyword_list")
            score = min(score, CAP_KEYWORDS)
        n_contradicted = sum(r.status == "contradicted" for r in results)
        if n_contradicted:
            flags.append("contradicts_reference")
            mostly = n_contradicted * 2 > len(results)
            score = min(score, CAP_MOSTLY_CONTRADICTED if mostly else CAP_CONTRADICTED)
        if a.sentence_sim < OFF_TOPIC_SIM and a.question_sim < OFF_TOPIC_SIM and a.coverage < 0.2:
            flags.append("off_topic")
            score = min(score, CAP_OFF_TOPIC)
        if len(words(text)) < MIN_WORDS:
            flags.append("too_short")
            score = min(score, CAP_TOO_SHORT)

        details = {
            "flags": flags,
            "raw": round(a.raw, 4),
            "question_raw": round(ref.question_raw, 4),
            "sentence_similarity": round(a.sentence_sim, 4),
            "question_similarity": round(a.question_sim, 4),
            "token_recall": round(a.token_recall, 4),
            "lexical_recall": round(a.lexical, 4),
            "coverage": round(a.coverage, 4),
            "contradictions": reasons,
        }
        feedback = _feedback(results, flags, reasons)
        return self._grade(round(score, 1), results, feedback, elapsed_ms, details)

    def _grade(
        self,
        score: float,
        points: list[KeyPointResult],
        feedback: str,
        elapsed_ms: float,
        details: dict[str, Any],
    ) -> Grade:
        verdict = verdict_for(score)
        return Grade(
            score=score,
            verdict=verdict,
            key_points=points,
            feedback=feedback,
            grader=self.name,
            grader_version=self.version,
            elapsed_ms=round(elapsed_ms, 2),
            details=details,
        )


def _short(point: str, limit: int = 60) -> str:
    """A point's label, or its first words up to `limit` characters, cut between words."""
    label, sep, _ = point.partition(": ")
    if sep and len(label) <= limit:
        return label
    if len(point) <= limit:
        return point.rstrip(".")
    return point[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.") + "…"


_FEEDBACK_POINTS = 3


def _list_points(points: Sequence[str]) -> str:
    """The first few points, shortened, and how many more: feedback is read at a glance."""
    listed = "; ".join(_short(p) for p in points[:_FEEDBACK_POINTS])
    more = len(points) - _FEEDBACK_POINTS
    listed = f"{listed} (and {more} more)" if more > 0 else listed
    return listed if listed.endswith("…") else listed + "."


def _feedback(results: list[KeyPointResult], flags: list[str], reasons: list[str]) -> str:
    """One or two short sentences: what to fix first, then what to add."""
    parts: list[str] = []
    if "off_topic" in flags:
        parts.append("This does not answer the question.")
    if "restates_question" in flags:
        parts.append("This restates the question; explain the answer itself.")
    if "keyword_list" in flags:
        parts.append("Explain how the terms connect in full sentences, not a list of keywords.")
    if reasons:
        parts.append("Fix: " + "; ".join(reasons) + ".")
    missed = [r.point for r in results if r.status == "missed"]
    partial = [r.point for r in results if r.status == "partial"]
    if missed and len(missed) == len(results) and not parts:
        parts.append("This does not cover the key points yet. Start with: " + _list_points(missed))
    elif missed:
        parts.append("Add: " + _list_points(missed))
    if partial:
        parts.append("Expand on: " + _list_points(partial))
    if not parts:
        parts.append("Covers every key point.")
    return " ".join(parts)
