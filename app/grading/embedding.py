"""The offline grader: key-point coverage from sentence and token embeddings, with guards."""

from __future__ import annotations

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

from app.grading.base import (
    CAP_KEYWORDS,
    CAP_OFF_TOPIC,
    CAP_RESTATED,
    CAP_TOO_SHORT,
    PARTIAL_FROM,
    Grade,
    GradingQuestion,
    KeyPointResult,
    PointStatus,
    contradiction_cap,
    verdict_for,
)
from app.grading.claim_judge import POINT_TOKENS, ClaimJudge, Pair, content_rows, span_rows
from app.grading.contradiction import contradiction, point_names, swapped_attribute
from app.grading.embedder import (
    DEFAULT_MODEL,
    Embedder,
    SentenceTransformerEmbedder,
    TokenEmbedding,
)
from app.grading.evidence import names_point, speaks_of_the_opposite, states_the_claim
from app.grading.feedback import compose_feedback
from app.grading.key_points import extract_key_points, label_and_text
from app.grading.role_swap import speaks_of_another, swapped_roles
from app.grading.spans import answer_spans, span_vectors
from app.grading.text import (
    asked_sentences,
    content_stems,
    is_keyword_list,
    names_terms_only,
    prose_share,
    words,
)
from app.grading.tokens import (
    PointTokens,
    content_tokens,
    matmul_t,
    point_tokens,
    weighted_recalls,
)

if TYPE_CHECKING:
    from app.config import Settings

GRADER_VERSION = "embedding-1.19"
# Memory for cached reference sides (least recently used go first): about 300 questions with
# references as long as day 1's, far more of SemEval's one-sentence ones.
CACHE_BYTES = 384 * 2**20

# Key-point status thresholds on the 0-1 coverage of one point.
COVERED_AT = 0.6
# The claim judge's doubt p (0-1) above DOUBT_FROM (about what right answers get) takes
# DOUBT_WEIGHT * (p - DOUBT_FROM) off a score, never taking an answer from partial to incorrect
# on its own; from DOUBT_NAMED_FROM the feedback names the point it doubts most. No cap: on the
# development days cross-validated by day, capping doubted answers at 40 ranked worse and
# called no fewer verdicts false (docs/claim-judge.md).
DOUBT_FROM = 0.2
DOUBT_WEIGHT = 50.0
DOUBT_NAMED_FROM = 0.7
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

# Spans within this cosine of a point's best span are read for a contradiction too.
RIVAL_MARGIN = 0.1

# Guards: thresholds on similarities and on the 0-1 raw score.
RESTATED_SIM = 0.5
RESTATED_MARGIN = 0.1
# An answer that says this many content words beyond the question's, and mostly words of its
# own, says something: however close it reads to the question, it restates nothing.
OWN_WORDS = 12
OWN_SHARE = 2 / 3
OFF_TOPIC_SIM = 0.15

# Caps applied by the guards, on the 0-100 scale.
# Fewer words than this is too short for an answer (CAP_TOO_SHORT). The caps are in base.py.
MIN_WORDS = 3


def _calibrate(value: float, lo: float, hi: float) -> float:
    return float(min(1.0, max(0.0, (value - lo) / (hi - lo))))


@dataclass(frozen=True)
class _Reference:
    """Everything about a question that does not depend on the answer; cached."""

    points: tuple[str, ...]
    question: TokenEmbedding
    reference: TokenEmbedding
    point_embeddings: tuple[TokenEmbedding, ...]
    point_tokens: PointTokens
    point_matrix: np.ndarray  # (points, dim) sentence vectors of the key points
    question_stems: frozenset[str]
    point_new_stems: tuple[frozenset[str], ...]
    question_raw: float = 0.0
    # The most that the question or one of its asking sentences scores as an answer.
    asked_raw: float = 0.0

    @property
    def nbytes(self) -> int:
        """Memory its arrays hold: mostly token vectors, ~1.2 MB for a day-1 question."""
        encoded = (self.question, self.reference, *self.point_embeddings)
        return (
            sum(e.vector.nbytes + e.tokens.nbytes + e.offsets.nbytes for e in encoded)
            + self.point_matrix.nbytes
            + self.point_tokens.vectors.nbytes
            + self.point_tokens.weights.nbytes
        )


@dataclass(frozen=True)
class _PointMatch:
    """The answer span that best matches one key point, and how well it covers it."""

    span: tuple[int, int] | None
    similarity: float
    coverage: float
    recall: float
    lexical: float
    value: float
    # False when every span of the answer is about another subject than the point's.
    evidenced: bool = True
    # Other spans nearly as close to the point as the best one: they speak of it too.
    rivals: tuple[tuple[int, int], ...] = ()


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


def _about_the_other(point: str, span: str) -> bool:
    """A span about the opposite subject that does not contradict the point says nothing of it
    ("supervised ... labelled" against "unsupervised ... unlabeled"); one that does is evidence
    of a swap."""
    return speaks_of_the_opposite(point, span) and contradiction(point, span) is None


def _says_its_own(
    novel: set[str] | frozenset[str], answer_stems: set[str] | frozenset[str]
) -> bool:
    """Whether an answer says enough of its own beyond the question's words (`novel`) to be
    no restatement, however close it reads to the question."""
    return len(novel) >= OWN_WORDS and len(novel) >= OWN_SHARE * len(answer_stems)


_SENTENCE_END = re.compile(r"[.!?](?:\s+|$)")


def _lead_in(text: str, start: int) -> str:
    """The words of a span's sentence before it: what the span may be said of."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    return text[ends[-1] if ends else 0 : start]


def _naming_span(answer: str, offset: int, text: str, point: str, question: str) -> str | None:
    """The first sentence or clause of the answer that names the point."""
    for start, end in answer_spans(text):
        if names_point(point, question, text[start:end]):
            return answer[offset + start : offset + end]
    return None


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

    def __init__(
        self,
        embedder: Embedder,
        *,
        cache_bytes: int = CACHE_BYTES,
        judge: ClaimJudge | None = None,
    ) -> None:
        self.embedder = embedder
        # The claim judge reads the default model's token vectors; None grades without it.
        self.judge = judge
        self._cache: OrderedDict[str, _Reference] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached_bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> EmbeddingGrader:
        """Build the grader on the configured model, loading it in the background if asked."""
        embedder = SentenceTransformerEmbedder(
            settings.embedding_model, precision=settings.embedding_precision
        )
        if settings.embedding_warmup:
            embedder.start_background_load()
        # The packaged judge was trained on all-MiniLM-L6-v2's vectors: another model's
        # vectors mean nothing to it.
        default_model = (settings.embedding_model or DEFAULT_MODEL) == DEFAULT_MODEL
        judge = ClaimJudge(precision=embedder.precision) if default_model else None
        return cls(embedder, judge=judge)

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
        refs_by_key = self._references(dict(zip(keys, (q for q, _ in items), strict=True)))
        unique = list(dict.fromkeys(a.strip() for _, a in items if words(a)))
        encoded = dict(zip(unique, self.embedder.encode_tokens(unique), strict=True))
        refs = [refs_by_key[k] for k in keys]
        embs = [encoded.get(a.strip()) if words(a) else None for _, a in items]
        assessed = [
            self._assess(ref, emb) if emb is not None else None
            for ref, emb in zip(refs, embs, strict=True)
        ]
        doubts = self._doubts(refs, embs, assessed)
        elapsed_each = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        return [
            self._judge(answer, ref, emb, a, doubt, elapsed_each)
            for (_, answer), ref, emb, a, doubt in zip(
                items, refs, embs, assessed, doubts, strict=True
            )
        ]

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        """Encode the reference side of each question not yet cached (question, reference,
        key points), so that its first answer is graded as fast as the next ones; how many
        were encoded."""
        wanted = {_reference_key(q): q for q in questions}
        with self._lock:
            cached = sum(k in self._cache for k in wanted)
        self._references(wanted)
        return len(wanted) - cached

    def _references(self, questions: dict[str, GradingQuestion]) -> dict[str, _Reference]:
        """The reference side of each question by key: from the cache, or encoded now."""
        with self._lock:
            found = {k: self._cache[k] for k in questions if k in self._cache}
            for key in found:
                self._cache.move_to_end(key)
        # Each question's reference side is encoded in a pass of its own: a vector must not
        # depend on which other texts shared its batch (padding moves the last digits, more so
        # in bfloat16), or grading the same answer cold and warm would differ.
        for key, q in questions.items():
            if key in found:
                continue
            reference_texts = list(dict.fromkeys([q.question, q.reference_answer, *_points_of(q)]))
            reference = dict(
                zip(reference_texts, self.embedder.encode_tokens(reference_texts), strict=True)
            )
            # The asking part of a scenario question, in a pass of its own for the same reason.
            asked = [s for s in asked_sentences(q.question) if s not in reference]
            if asked:
                reference.update(zip(asked, self.embedder.encode_tokens(asked), strict=True))
            found[key] = self._build_reference(q, reference)
            self._remember(key, found[key])
        return found

    def _remember(self, key: str, ref: _Reference) -> None:
        with self._lock:
            replaced = self._cache.pop(key, None)
            self._cached_bytes += ref.nbytes - (replaced.nbytes if replaced else 0)
            self._cache[key] = ref
            # The least recently used go first; the newest stays, however large.
            while self._cached_bytes > self._cache_bytes and len(self._cache) > 1:
                _, evicted = self._cache.popitem(last=False)
                self._cached_bytes -= evicted.nbytes

    def cached_bytes(self) -> int:
        """Memory held by the cached reference sides."""
        with self._lock:
            return self._cached_bytes

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
            point_tokens=point_tokens(
                [content_tokens(encoded[p]) for p in points],
                content_tokens(encoded[q.question]),
                encoded[q.question].tokens.shape[1],
            ),
            question_stems=question_stems,
            point_new_stems=tuple(frozenset(content_stems(p) - question_stems) for p in points),
        )
        # What the question alone would score as an answer: the floor a restatement sits on;
        # and for an answer in the question's words, what its asking part scores if that is
        # more ("Is the valve open or closed?" against "The gauge reads ten. Is the valve...").
        question_raw = self._assess(ref, encoded[q.question]).raw
        asked = [self._assess(ref, encoded[s]).raw for s in asked_sentences(q.question)]
        return replace(ref, question_raw=question_raw, asked_raw=max([question_raw, *asked]))

    def _assess(self, ref: _Reference, emb: TokenEmbedding) -> _Assessment:
        """Similarity components of one answer, before any judgement."""
        answer_stems = content_stems(emb.text)
        answer_tokens = content_tokens(emb)
        spans = answer_spans(emb.text)
        span_vecs = span_vectors(emb, spans) if spans else np.zeros((0, emb.vector.shape[0]))
        points: list[_PointMatch] = []
        recalls = weighted_recalls(ref.point_tokens, answer_tokens)
        # (spans + whole answer) x points similarities in one product.
        candidates = np.vstack([span_vecs, emb.vector[None, :]]) if spans else emb.vector[None, :]
        sim_table = matmul_t(candidates.astype(np.float32), ref.point_matrix)
        span_texts = [emb.text[s:e] for s, e in spans]
        for k, (recall, new_stems) in enumerate(zip(recalls, ref.point_new_stems, strict=True)):
            # A span is evidence only for points it speaks of: "supervised learning uses
            # labelled data" is no evidence for the unsupervised point, its near-copy.
            sims = np.array(
                [
                    -1.0 if _about_the_other(ref.points[k], text) else float(sim)
                    for text, sim in zip(span_texts, sim_table[:-1, k], strict=True)
                ]
            )
            evidenced = not spans or bool((sims > -1.0).any())
            whole = float(sim_table[-1, k]) if evidenced else 0.0
            best = int(np.argmax(sims)) if spans and evidenced else -1
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
            rivals = (
                tuple(
                    spans[i]
                    for i in np.argsort(-sims)[1:]
                    if sims[i] >= sims[best] - RIVAL_MARGIN and sims[i] >= POINT_LO
                )
                if best >= 0
                else ()
            )
            points.append(
                _PointMatch(span, span_sim, coverage, recall, lexical, value, evidenced, rivals)
            )
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

    def claim_pairs(
        self, ref: _Reference, emb: TokenEmbedding, a: _Assessment
    ) -> list[tuple[int, Pair]]:
        """Each key point the answer speaks of (not missed), with the token vectors of the
        point and of its best answer span: what the claim judge reads."""
        pairs = []
        for k, match in enumerate(a.points):
            if match.span is None or not match.evidenced or match.coverage < PARTIAL_POINT_AT:
                continue
            said = span_rows(emb.tokens, emb.offsets, match.span)
            point = ref.point_embeddings[k]
            claim = content_rows(point.tokens, point.offsets)[:POINT_TOKENS]
            if len(said) and len(claim):
                pairs.append((k, (claim, said)))
        return pairs

    def claim_inputs(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[list[Pair]]:
        """The claim judge's input for each answer (what `train-grader` learns from)."""
        keys = [_reference_key(q) for q, _ in items]
        refs = self._references(dict(zip(keys, (q for q, _ in items), strict=True)))
        texts = [a.strip() for _, a in items]
        out: list[list[Pair]] = []
        for key, emb in zip(keys, self.embedder.encode_tokens(texts), strict=True):
            ref = refs[key]
            out.append([pair for _, pair in self.claim_pairs(ref, emb, self._assess(ref, emb))])
        return out

    def _judge(
        self,
        answer: str,
        ref: _Reference,
        emb: TokenEmbedding | None,
        a: _Assessment | None,
        doubt: tuple[float, int | None] | None,
        elapsed_ms: float,
    ) -> Grade:
        if emb is None or a is None:
            missed = [KeyPointResult(p, "missed") for p in ref.points]
            return self._grade(
                0.0,
                missed,
                compose_feedback(missed, ["empty"]),
                elapsed_ms,
                {"flags": ["empty"]},
            )
        text = emb.text
        offset = answer.find(text)
        question = ref.question.text
        names = frozenset(n for p in ref.points for n in point_names(p))
        roles_swapped = swapped_roles(question, ref.points, text)

        results: list[KeyPointResult] = []
        reasons: list[str] = []
        for index, (point, match) in enumerate(zip(ref.points, a.points, strict=True)):
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
            if not match.evidenced:
                status = "missed"
            # Covered means the claim is said, not only the point's name ("zero-shot means
            # zero epochs" names Zero-Shot prompting and says nothing of it).
            if status == "covered" and evidence and not states_the_claim(point, question, evidence):
                status = "partial"
            if evidence and status != "missed":
                # The best span, then any other span about as close: a claim is judged
                # wherever the answer makes it, not only in the sentence most like the point.
                for span in (match.span, *match.rivals):
                    said = answer[offset + span[0] : offset + span[1]] if span else evidence
                    lead_in = _lead_in(text, span[0]) if span else ""
                    if speaks_of_another(question, ref.points, index, said, lead_in):
                        continue
                    why = contradiction(point, said)
                    if why:
                        status = "contradicted"
                        evidence = said
                        reasons.append(f"{label_and_text(point)[0]}: {why}")
                        break
            # Two things of the reference with their attributes swapped ("Word2Vec produces
            # contextual embeddings"): wherever the answer says it, the point is contradicted.
            if status != "contradicted":
                swapped = swapped_attribute(point, text, names)
                if swapped:
                    status = "contradicted"
                    evidence = swapped
                    reasons.append(f"{label_and_text(point)[0]}: says \u201c{swapped}\u201d")
            # Two things the question compares with their roles swapped in other words than
            # opposites ("L1 adds the squared weights"): the point of the one named is denied.
            if status != "contradicted" and index in roles_swapped:
                status = "contradicted"
                evidence = roles_swapped[index]
                reasons.append(
                    f"{label_and_text(point)[0]}: says \u201c{roles_swapped[index]}\u201d"
                )
            # A point the answer names is not missed: feedback never asks for what was said.
            if status == "missed" and names_point(point, question, text):
                status = "partial"
                evidence = _naming_span(answer, offset, text, point, question) or evidence
            if status == "missed":
                evidence = None
            results.append(KeyPointResult(point, status, evidence, round(match.similarity, 4)))

        score = 100.0 * min(1.0, a.raw / RAW_FULL)
        flags: list[str] = []
        answer_stems = content_stems(text)
        novel = answer_stems - ref.question_stems
        # A restatement covers the reference no better than the question itself does: it says
        # nothing the question does not, or it reads as the question more than as the
        # reference. An answer made of the question's words that covers the reference clearly
        # better is an answer (a scenario's question holds the words of its answer: "bulb A is
        # still in a closed path with the battery").
        if (not novel and a.raw < ref.asked_raw + RESTATED_MARGIN) or (
            a.question_sim >= RESTATED_SIM
            and a.question_sim > a.sentence_sim + 0.05
            and a.raw < ref.question_raw + RESTATED_MARGIN
            and not _says_its_own(novel, answer_stems)
        ):
            flags.append("restates_question")
            score = min(score, CAP_RESTATED)
        # A list is only a dodge when the reference explains in prose.
        if prose_share(ref.reference.text) >= 0.15:
            if names_terms_only(text, question):
                # The list dressed in restatements of the question: beyond the names, it says
                # only what the question said, so it is capped as a restatement.
                if "restates_question" not in flags:
                    flags.append("restates_question")
                flags.append("keyword_list")
                score = min(score, CAP_RESTATED)
            elif is_keyword_list(text):
                flags.append("keyword_list")
                score = min(score, CAP_KEYWORDS)
        cap = contradiction_cap(sum(r.status == "contradicted" for r in results), len(results))
        if cap is not None:
            flags.append("contradicts_reference")
            score = min(score, cap)
        if a.sentence_sim < OFF_TOPIC_SIM and a.question_sim < OFF_TOPIC_SIM and a.coverage < 0.2:
            flags.append("off_topic")
            score = min(score, CAP_OFF_TOPIC)
        if len(words(text)) < MIN_WORDS:
            flags.append("too_short")
            score = min(score, CAP_TOO_SHORT)
        doubted_label = None
        if doubt is not None:
            # A doubted claim costs, never taking an answer from partial to incorrect on its
            # own; a strong doubt is named in the feedback, not asserted as a contradiction.
            probability, worst = doubt
            doubted = score - DOUBT_WEIGHT * max(0.0, probability - DOUBT_FROM)
            score = max(doubted, PARTIAL_FROM) if score >= PARTIAL_FROM else max(0.0, doubted)
            if probability >= DOUBT_NAMED_FROM and worst is not None:
                doubted_label = results[worst].label
                flags.append("claim_doubted")

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
        if doubt is not None:
            details["claim_doubt"] = round(doubt[0], 4)
        feedback = compose_feedback(results, flags, doubted=doubted_label)
        return self._grade(round(score, 1), results, feedback, elapsed_ms, details)

    def _doubts(
        self,
        refs: Sequence[_Reference],
        embs: Sequence[TokenEmbedding | None],
        assessed: Sequence[_Assessment | None],
    ) -> list[tuple[float, int | None] | None]:
        """Each answer's doubt and the index of the point doubted most, judged together;
        None for an empty answer or without a judge."""
        out: list[tuple[float, int | None] | None] = [None] * len(refs)
        if self.judge is None:
            return out
        judged = [
            (i, self.claim_pairs(ref, emb, a))
            for i, (ref, emb, a) in enumerate(zip(refs, embs, assessed, strict=True))
            if emb is not None and a is not None
        ]
        doubts = self.judge.doubts([[pair for _, pair in pairs] for _, pairs in judged])
        for (i, pairs), doubt in zip(judged, doubts, strict=True):
            worst = pairs[doubt.worst][0] if doubt.worst is not None else None
            out[i] = (doubt.probability, worst)
        return out

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
