"""The default offline grader: each key point judged as a claim the answer states, contradicts
or leaves out, by the claim judge (a cross-encoder trained by the project), on top of the
embedding grader's similarity signals and guards.

For every key point the answer's sentences (and pairs of neighbouring sentences) closest to it
by sentence embedding are read together with the point by the claim judge; the point is
covered when one of them states it, contradicted when the span that talks about it says the
opposite, swaps its roles or names the wrong thing. The score is driven by how much of the
reference the answer states, with the similarity score as a smaller part, and a contradicted
point caps it.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from app.grading.base import (
    CAP_KEYWORDS,
    CAP_OFF_TOPIC,
    CAP_RESTATED,
    CAP_TOO_SHORT,
    Grade,
    GradingQuestion,
    KeyPointResult,
    PointStatus,
    contradiction_cap,
    verdict_for,
)
from app.grading.embedder import Embedder, SentenceTransformerEmbedder
from app.grading.embedding import RAW_FULL, EmbeddingGrader, _points_of
from app.grading.feedback import compose_feedback
from app.grading.key_points import split_sentences
from app.grading.text import words
from research.claim_judge.model import ClaimJudge

if TYPE_CHECKING:
    from app.config import Settings

GRADER_VERSION = "claims-0.2"

# A point is stated when the judge gives "stated" at least this probability on some span,
# partly stated from the lower bound; contradicted when the span that talks about it is judged
# a contradiction at least this likely (and more likely than stated).
STATED_AT = 0.5
PARTIAL_AT = 0.25
CONTRADICTED_AT = 0.5
# Spans the judge reads per point: the closest sentence by embedding, and the runner-up when
# it is nearly as close; a point no sentence comes near is missed without asking the judge.
RUNNER_UP_WITHIN = 0.08
MIN_SPAN_SIMILARITY = 0.2
# A key point is judged claim by claim (its sentences), and its credit is their mean.
MIN_CLAIM_WORDS = 4
MAX_CLAIMS = 4
CHUNK_WORDS = 40
CHUNK_OVERLAP = 8
# Share of the key points, best stated first, that the score averages: a strong answer makes
# the main points of a long reference, not every example in it.
TOP_SHARE = 0.6
# The score: mostly what the answer states, partly how close it is overall (the similarity
# score takes the rest).
W_CLAIMS = 0.75

_SENTENCE = re.compile(r"[^.!?;\n]+(?:[.!?;]+|\n|$)")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str


def answer_windows(text: str) -> list[_Span]:
    """The answer's sentences as character spans; a run-on sentence is cut into chunks.

    A transcript of a spoken answer may have no full stops at all: chunks of at most
    `CHUNK_WORDS` words, overlapping a little, keep each span about one claim long.
    """
    spans: list[_Span] = []
    for m in _SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if len(words(text[s:e])) < 2:
            continue
        tokens = list(re.finditer(r"\S+", text[s:e]))
        if len(tokens) <= CHUNK_WORDS:
            spans.append(_Span(s, e, text[s:e]))
            continue
        step = CHUNK_WORDS - CHUNK_OVERLAP
        for first in range(0, len(tokens) - CHUNK_OVERLAP, step):
            last = min(first + CHUNK_WORDS, len(tokens)) - 1
            cs, ce = s + tokens[first].start(), s + tokens[last].end()
            spans.append(_Span(cs, ce, text[cs:ce]))
    if not spans and text.strip():
        spans = [_Span(0, len(text), text)]
    return spans


def claims_of(point: str) -> list[str]:
    """The claims of a key point: its sentences (at most `MAX_CLAIMS`); a sentence too short
    to claim anything on its own stays with the one before it."""
    claims: list[str] = []
    for sentence in split_sentences(point):
        if claims and len(words(sentence)) < MIN_CLAIM_WORDS:
            claims[-1] = f"{claims[-1]} {sentence}"
        else:
            claims.append(sentence)
    return claims[:MAX_CLAIMS] or [point]


class ClaimGrader:
    """Grades an answer by the key points it states, judged claim by claim."""

    name = "claims"
    version = GRADER_VERSION

    def __init__(
        self, embedder: Embedder, judge: ClaimJudge, *, w_claims: float = W_CLAIMS
    ) -> None:
        self.embedder = embedder
        self.judge = judge
        self.similarity = EmbeddingGrader(embedder)
        self.w_claims = w_claims

    @classmethod
    def from_settings(cls, settings: Settings) -> ClaimGrader:
        """The grader on the configured embedding model and the shipped claim judge."""
        embedder = SentenceTransformerEmbedder(
            settings.embedding_model, precision=settings.embedding_precision
        )
        judge = ClaimJudge()
        if settings.embedding_warmup:
            embedder.start_background_load()
            judge.start_background_load()
        return cls(embedder, judge)

    def is_ready(self) -> bool:
        """True once both models are loaded."""
        return self.embedder.is_ready() and self.judge.is_ready()

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer to one question."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers: one embedding pass, then one judge pass over every pair."""
        started = time.perf_counter()
        base = self.similarity.grade_batch(items)
        points = [_points_of(q) for q, _ in items]
        claims = [[claims_of(p) for p in ps] for ps in points]
        windows = [answer_windows(a.strip()) if words(a) else [] for _, a in items]
        # Sentence vectors of every claim and every window, in one pass.
        texts = list(dict.fromkeys(c for cs in claims for pc in cs for c in pc))
        texts += list(dict.fromkeys(w.text for ws in windows for w in ws))
        vectors = dict(zip(texts, self.embedder.encode(texts), strict=True)) if texts else {}
        pairs: list[tuple[str, str]] = []
        # Per item, per point, per claim: the (pair index, span) the judge reads.
        plan: list[list[list[list[tuple[int, _Span]]]]] = []
        for cs, ws in zip(claims, windows, strict=True):
            per_point: list[list[list[tuple[int, _Span]]]] = []
            if ws:
                wmat = np.stack([vectors[w.text] for w in ws])
            for point_claims in cs:
                per_claim: list[list[tuple[int, _Span]]] = []
                for c in point_claims:
                    chosen: list[tuple[int, _Span]] = []
                    if ws:
                        sims = wmat @ vectors[c]
                        ranked = [int(j) for j in np.argsort(-sims, kind="stable")[:2]]
                        for j in ranked:
                            if sims[j] < MIN_SPAN_SIMILARITY:
                                break
                            if chosen and sims[j] < sims[ranked[0]] - RUNNER_UP_WITHIN:
                                break
                            chosen.append((len(pairs), ws[j]))
                            pairs.append((c, ws[j].text))
                    per_claim.append(chosen)
                per_point.append(per_claim)
            plan.append(per_point)
        probs = self.judge.judge(pairs)
        elapsed_each = (time.perf_counter() - started) * 1000 / max(len(items), 1)
        return [
            self._judge(q, a, g, ps, pl, probs, elapsed_each)
            for (q, a), g, ps, pl in zip(items, base, points, plan, strict=True)
        ]

    def _judge(
        self,
        question: GradingQuestion,
        answer: str,
        base: Grade,
        points: tuple[str, ...],
        plan: list[list[list[tuple[int, _Span]]]],
        probs: np.ndarray,
        elapsed_ms: float,
    ) -> Grade:
        if not words(answer):
            return self._grade(0.0, base.key_points, base.feedback, elapsed_ms, base.details)
        stripped = answer.strip()
        offset = answer.find(stripped)
        # What the judge said of each (claim, span) it read, per point.
        readings = [
            [
                [(span, float(probs[i][0]), float(probs[i][1])) for i, span in spans]
                for spans in point_plan
            ]
            for point_plan in plan
        ]
        # A span that states one point and "contradicts" another is about the first: an answer
        # that rightly says "supervised learning uses labels" does not deny the unsupervised one.
        stating: dict[tuple[int, int], set[int]] = {}
        for k, point_readings in enumerate(readings):
            for claim_readings in point_readings:
                for span, stated, _contra in claim_readings:
                    if stated >= STATED_AT:
                        stating.setdefault((span.start, span.end), set()).add(k)
        results: list[KeyPointResult] = []
        credits: list[float] = []
        judged: list[dict[str, Any]] = []
        for k, (point, point_readings) in enumerate(zip(points, readings, strict=True)):
            claim_stated: list[float] = []
            best_stated, best_span = 0.0, None
            worst_contra, contra_span = 0.0, None
            for claim_readings in point_readings:
                stated_here = 0.0
                for span, stated, contra in claim_readings:
                    if stated > stated_here:
                        stated_here = stated
                    if stated > best_stated:
                        best_stated, best_span = stated, span
                    about_other = stating.get((span.start, span.end), set()) - {k}
                    if contra > worst_contra and contra > stated and not about_other:
                        worst_contra, contra_span = contra, span
                claim_stated.append(stated_here)
            # A point is as stated as its claims are, on average: a paragraph's first claim
            # alone is part of it.
            credit = float(np.mean(claim_stated)) if claim_stated else 0.0
            status: PointStatus
            evidence_span: _Span | None
            if credit >= STATED_AT:
                status, evidence_span = "covered", best_span
            elif worst_contra >= CONTRADICTED_AT:
                status, evidence_span = "contradicted", contra_span
            elif credit >= PARTIAL_AT:
                status, evidence_span = "partial", best_span
            else:
                status, evidence_span = "missed", None
            credits.append(0.0 if status == "contradicted" else credit)
            evidence = (
                answer[offset + evidence_span.start : offset + evidence_span.end]
                if evidence_span is not None
                else None
            )
            results.append(KeyPointResult(point, status, evidence, round(credit, 4)))
            judged.append(
                {
                    "stated": round(credit, 4),
                    "claims": [round(c, 4) for c in claim_stated],
                    "contradicted": round(worst_contra, 4),
                }
            )

        top = sorted(credits, reverse=True)[: max(1, math.ceil(TOP_SHARE * len(credits)))]
        claim_share = float(np.mean(top)) if top else 0.0
        similarity = 100.0 * min(1.0, float(base.details.get("raw", 0.0)) / RAW_FULL)
        score = 100.0 * self.w_claims * claim_share + (1.0 - self.w_claims) * similarity
        flags = [f for f in base.details.get("flags", []) if f != "contradicts_reference"]
        stated_any = any(r.status == "covered" for r in results)
        # The similarity guards misfire on terse correct answers: a point the judge finds
        # stated outweighs them.
        if "restates_question" in flags and stated_any:
            flags.remove("restates_question")
        if "too_short" in flags and stated_any:
            flags.remove("too_short")
        n_contradicted = sum(r.status == "contradicted" for r in results)
        if n_contradicted:
            flags.append("contradicts_reference")
            # Contradicting more than it states is as bad as contradicting most of it.
            weight = len(results)
            if n_contradicted > sum(r.status == "covered" for r in results):
                weight = min(weight, 2 * n_contradicted - 1)
            cap = contradiction_cap(n_contradicted, weight)
            if cap is not None:
                score = min(score, cap)
        caps = {
            "restates_question": CAP_RESTATED,
            "keyword_list": CAP_KEYWORDS,
            "off_topic": CAP_OFF_TOPIC,
            "too_short": CAP_TOO_SHORT,
        }
        for flag, cap_at in caps.items():
            if flag in flags:
                score = min(score, cap_at)
        details = {
            **base.details,
            "flags": flags,
            "claim_share": round(claim_share, 4),
            "similarity_score": round(similarity, 1),
            "claims": judged,
            "claim_model": self.judge_version(),
        }
        feedback = compose_feedback(results, flags)
        return self._grade(round(score, 1), results, feedback, elapsed_ms, details)

    def judge_version(self) -> str:
        """The claim judge's version, stored with every grade."""
        from research.claim_judge.model import model_card

        return str(model_card(self.judge.model_dir).get("version", "unknown"))

    def _grade(
        self,
        score: float,
        points: list[KeyPointResult],
        feedback: str,
        elapsed_ms: float,
        details: dict[str, Any],
    ) -> Grade:
        return Grade(
            score=score,
            verdict=verdict_for(score),
            key_points=points,
            feedback=feedback,
            grader=self.name,
            grader_version=self.version,
            elapsed_ms=round(elapsed_ms, 2),
            details=details,
        )
