"""Grading against several references and graded examples, around any grader's grade_batch.

An answer is graded against every reference answer of its question (and against the strong
example answers nearest to it); the reference it matches best decides. Graded examples then
calibrate where "correct" begins for the question and vote with their own scores, weighted
by how close they are to the answer. A question with one reference and no examples is
graded by the wrapped grader exactly as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from app.grading import example_words
from app.grading import exemplars as ex
from app.grading.base import (
    CORRECT_FROM,
    Bank,
    Exemplar,
    Grade,
    Grader,
    GradingQuestion,
    prepare,
    verdict_for,
)

if TYPE_CHECKING:
    from app.config import Settings
    from app.grading.embedder import Embedder

EmbedderFactory = Callable[[], "Embedder"]


class ReferenceGrader:
    """Wraps a grader: max over reference answers, nearest graded examples, calibration."""

    def __init__(
        self, inner: Grader, *, embedder: EmbedderFactory | None = None, cache_size: int = 4096
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.version = inner.version
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._thresholds: OrderedDict[str, float] = OrderedDict()
        self._example_scores: OrderedDict[str, float] = OrderedDict()
        self._word_models: OrderedDict[str, example_words.WordModel | None] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, inner: Grader, settings: Settings) -> ReferenceGrader:
        """Wrap `inner`; examples are compared with its embedder, else the configured model."""

        def embedder() -> Embedder:
            own = getattr(inner, "embedder", None)
            if own is not None:
                return own
            from app.grading.embedder import SentenceTransformerEmbedder

            return SentenceTransformerEmbedder(
                settings.embedding_model, precision=settings.embedding_precision
            )

        return cls(inner, embedder=embedder)

    def is_ready(self) -> bool:
        """Ready when the wrapped grader is."""
        return self.inner.is_ready()

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers with one call of the wrapped grader's grade_batch."""
        items = [(self._own_view(q), a) for q, a in items]
        if all(_plain(q) for q, _ in items):
            return self.inner.grade_batch(items)
        jobs: list[tuple[GradingQuestion, str]] = []
        plans: list[_Plan] = []
        neighbours = self._neighbours(items)
        calibrations: dict[str, _Calibration] = {}
        for (question, answer), near in zip(items, neighbours, strict=True):
            plan = _Plan(question=question, answer=answer, neighbours=near)
            for number, reference in enumerate(question.reference_answers):
                plan.references.append(len(jobs))
                jobs.append((_single(question, reference, number), answer))
            for exemplar in ex.positive_references(near):
                plan.examples.append((exemplar, len(jobs)))
                jobs.append((_single(question, exemplar.text, -1), answer))
            if question.exemplars or question.bank is not None:
                plan.key = _calibration_key(question)
                self._plan_calibration(question, plan.key, jobs, calibrations)
            plans.append(plan)
        grades = self.inner.grade_batch(jobs)
        self._calibrate(calibrations, grades)
        return [self._combine(plan, grades) for plan in plans]

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        """Ahead of the first answers: the wrapped grader prepares every reference of each
        question, and the graded examples are encoded and set where "correct" begins.

        How many questions the wrapped grader had not prepared before.
        """
        questions = [self._own_view(q) for q in questions]
        singles = [
            _single(question, reference, number)
            for question in questions
            for number, reference in enumerate(question.reference_answers)
        ]
        prepared = prepare(self.inner, singles)
        with_examples = [q for q in questions if q.exemplars]
        if with_examples:
            self._vectors_of(sorted({e.text for q in with_examples for e in q.exemplars}))
        jobs: list[tuple[GradingQuestion, str]] = []
        calibrations: dict[str, _Calibration] = {}
        for question in questions:
            if question.exemplars or question.bank is not None:
                self._plan_calibration(question, _calibration_key(question), jobs, calibrations)
        if jobs:
            self._calibrate(calibrations, self.inner.grade_batch(jobs))
        return prepared

    def _own_view(self, question: GradingQuestion) -> GradingQuestion:
        """The question without its bank for a grader that calls a model service: a bank's
        threshold would cost a request per example (up to BANK_EXAMPLES), after every restart,
        to correct a scale that a grader reading the answer's meaning keeps across banks."""
        if question.bank is None or not getattr(self.inner, "calls_service", False):
            return question
        return dataclasses.replace(question, bank=None)

    def _plan_calibration(
        self,
        question: GradingQuestion,
        key: str,
        jobs: list[tuple[GradingQuestion, str]],
        calibrations: dict[str, _Calibration],
    ) -> None:
        """Queue in `jobs` the grading of the question's examples against its references,
        and of its bank's examples against theirs, unless the thresholds are known or queued."""
        bank = question.bank
        if bank is not None:
            examples = [(e.question, e.exemplar) for e in bank.examples]
            self._plan_examples(_bank_key(bank), examples, None, jobs, calibrations)
        if question.exemplars:
            examples = [(question, e) for e in question.exemplars]
            prior = _bank_key(bank) if bank is not None else None
            self._plan_examples(key, examples, prior, jobs, calibrations)

    def _plan_examples(
        self,
        key: str,
        examples: Sequence[tuple[GradingQuestion, Exemplar]],
        prior: str | None,
        jobs: list[tuple[GradingQuestion, str]],
        calibrations: dict[str, _Calibration],
    ) -> None:
        with self._lock:
            known = key in self._thresholds
        if known or key in calibrations:
            return
        # How each example fares against its question's references tells where "correct"
        # begins for the question (or the bank) on the wrapped grader's scale. An example's
        # score is kept: a bank that gains one override grades that one, not all again.
        queued = {e.key: e for c in calibrations.values() for e in c.examples if e.rows}
        graded = []
        for question, exemplar in examples:
            example_key = _example_key(question, exemplar.text)
            with self._lock:
                score = self._example_scores.get(example_key)
            if score is not None:
                graded.append(_Graded(example_key, exemplar, [], score))
            elif example_key in queued:
                graded.append(dataclasses.replace(queued[example_key], exemplar=exemplar))
            else:
                rows = []
                for number, reference in enumerate(question.reference_answers):
                    rows.append(len(jobs))
                    jobs.append((_single(question, reference, number), exemplar.text))
                queued[example_key] = _Graded(example_key, exemplar, rows)
                graded.append(queued[example_key])
        calibrations[key] = _Calibration(examples=graded, prior=prior)

    def _calibrate(self, calibrations: dict[str, _Calibration], grades: list[Grade]) -> None:
        # Banks first: a question's own cut is pulled toward its bank's.
        ordered = sorted(calibrations.items(), key=lambda item: item[1].prior is not None)
        for key, calibration in ordered:
            prior = CORRECT_FROM
            if calibration.prior is not None:
                with self._lock:
                    prior = self._thresholds.get(calibration.prior, CORRECT_FROM)
            observed = []
            for example in calibration.examples:
                score = example.score
                if example.rows:
                    score = max(grades[j].score for j in example.rows)
                    self._remember(self._example_scores, example.key, score)
                observed.append((score, example.exemplar.score))
            self._remember(self._thresholds, key, ex.threshold(observed, prior=prior))

    def _combine(self, plan: _Plan, grades: list[Grade]) -> Grade:
        question = plan.question
        scores = [grades[j].score for j in plan.references]
        decided_by = int(np.argmax(scores))
        best = grades[plan.references[decided_by]]
        details: dict[str, Any] = dict(best.details)
        if len(scores) > 1:
            details["references"] = {
                "count": len(scores),
                "decided_by": decided_by,
                "scores": [round(s, 1) for s in scores],
            }
        bank = question.bank
        if question.exemplars:
            key, source = plan.key, "question"
        elif bank is not None:
            key, source = _bank_key(bank), "bank"
        else:
            return dataclasses.replace(best, details=details)
        with self._lock:
            cut = self._thresholds.get(key, CORRECT_FROM)
        reference_part = _calibrated(best, cut)
        matched: Exemplar | None = None
        for exemplar, j in plan.examples:
            calibrated = _calibrated(grades[j], cut)
            if calibrated > reference_part:
                reference_part, matched = calibrated, exemplar
        vote, weight = ex.vote(plan.neighbours)
        score = (1 - weight) * reference_part + weight * vote
        words = self._word_model(plan)
        if words is not None:
            probability, words_weight = words.probability(plan.answer), words.weight()
            worded = (1 - words_weight) * score + words_weight * 100.0 * probability
            # Like a lenient cut, words shared with right examples never lift a guard's cap:
            # a negated answer shares nearly all of them.
            score = min(score, worded) if _guarded(best) else worded
        score = round(score, 1)
        verdict = verdict_for(score)
        decided = verdict != best.verdict
        details["exemplars"] = {
            "count": len(question.exemplars),
            "bank_count": len(bank.examples) if bank is not None else 0,
            "threshold_from": source,
            "decided": decided,
            "reference_score": round(best.score, 1),
            "threshold": round(cut, 1),
            "matched_example": matched.text if matched else None,
            "vote": round(vote, 1),
            "vote_weight": round(weight, 3),
            "nearest": [n.to_dict() for n in plan.neighbours[:3]],
            "words": None
            if words is None
            else {
                "examples": words.count,
                "probability": round(probability, 3),
                "weight": round(words_weight, 3),
            },
        }
        feedback = best.feedback
        if decided and plan.neighbours:
            closest = plan.neighbours[0].exemplar
            # One line of its own: the card shows feedback line by line.
            feedback = (
                f"{feedback}\nGraded examples of this question decided the verdict: the closest "
                f"one was graded {closest.verdict.replace('_', ' ')} ({closest.score:.0f})."
            ).strip()
        elif decided:
            feedback = (
                f"{feedback}\nGraded answers to other questions of this bank decided the "
                f"verdict: they put \u201ccorrect\u201d at {cut:.0f} on the grader's scale "
                f"(not {CORRECT_FROM:.0f}), and this answer scored {best.score:.0f} there."
            ).strip()
        return dataclasses.replace(
            best, score=score, verdict=verdict, feedback=feedback, details=details
        )

    def _word_model(self, plan: _Plan) -> example_words.WordModel | None:
        """The question's classifier of its graded examples' words (fitted once per set of
        examples); None without enough examples."""
        if not plan.question.exemplars:
            return None
        with self._lock:
            if plan.key in self._word_models:
                return self._word_models[plan.key]
        model = example_words.fit(plan.question.exemplars)
        self._remember(self._word_models, plan.key, model)
        return model

    def _neighbours(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[list[ex.Neighbour]]:
        """Each answer's examples, nearest first (empty for a question without examples)."""
        if not any(q.exemplars for q, _ in items):
            return [[] for _ in items]
        texts = {a.strip() for q, a in items if q.exemplars}
        texts |= {e.text for q, _ in items for e in q.exemplars}
        vectors = self._vectors_of(sorted(texts))
        result: list[list[ex.Neighbour]] = []
        for question, answer in items:
            if not question.exemplars:
                result.append([])
                continue
            matrix = np.stack([vectors[e.text] for e in question.exemplars])
            similarities = matrix @ vectors[answer.strip()]
            result.append(ex.nearest(question.exemplars, similarities))
        return result

    def _vectors_of(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = [t for t in texts if t not in found]
        if missing:
            encoded = self._get_embedder().encode(missing)
            for text, vector in zip(missing, encoded, strict=True):
                found[text] = vector
                self._remember(self._vectors, text, vector)
        return found

    def _get_embedder(self) -> Embedder:
        if self._embedder is None:
            if self._embedder_factory is None:
                raise RuntimeError("graded examples need an embedder; none was given")
            self._embedder = self._embedder_factory()
        return self._embedder

    def _remember(self, cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        with self._lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > self._cache_size:
                cache.popitem(last=False)


@dataclasses.dataclass
class _Plan:
    """Where one answer's grades sit in the batch sent to the wrapped grader."""

    question: GradingQuestion
    answer: str
    neighbours: list[ex.Neighbour]
    references: list[int] = dataclasses.field(default_factory=list)
    examples: list[tuple[Exemplar, int]] = dataclasses.field(default_factory=list)
    key: str = ""


@dataclasses.dataclass(frozen=True)
class _Graded:
    """A graded example in a calibration: its jobs in the batch (one per reference of its
    question), or the score it got before when `rows` is empty."""

    key: str
    exemplar: Exemplar
    rows: list[int]
    score: float = 0.0


@dataclasses.dataclass(frozen=True)
class _Calibration:
    """The graded examples a threshold is set from; `prior` the key of the threshold to pull
    toward (a question's bank's), None for CORRECT_FROM."""

    examples: list[_Graded]
    prior: str | None = None


def _plain(question: GradingQuestion) -> bool:
    """A question the wrapped grader grades alone: one reference, no graded examples."""
    return len(question.reference_answers) == 1 and not question.exemplars and question.bank is None


def _calibrated(grade: Grade, cut: float) -> float:
    """The grade's score with `cut` moved to CORRECT_FROM; a guard's cap (a contradiction, a
    restatement, a keyword list...) is never lifted by a lenient cut."""
    score = ex.calibrate(grade.score, cut)
    return min(score, grade.score) if _guarded(grade) else score


def _guarded(grade: Grade) -> bool:
    """True when a guard capped the grade (a contradiction, a restatement, a keyword list...)."""
    return bool(grade.details.get("flags") or grade.details.get("capped"))


def _bank_key(bank: Bank) -> str:
    return f"bank:{bank.key}"


def _example_key(question: GradingQuestion, text: str) -> str:
    """Names an example answer graded against all its question's references."""
    digest = hashlib.sha256()
    for part in (question.question, *question.reference_answers, *question.key_points, text):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _single(question: GradingQuestion, reference: str, number: int) -> GradingQuestion:
    """The question with one reference: the main one keeps its key points and content hash."""
    if number == 0:
        return GradingQuestion(
            question=question.question,
            reference_answer=reference,
            key_points=question.key_points,
            content_hash=question.content_hash,
        )
    return GradingQuestion(question=question.question, reference_answer=reference)


def _calibration_key(question: GradingQuestion) -> str:
    digest = hashlib.sha256()
    for part in (question.question, *question.reference_answers, *question.key_points):
        digest.update(part.encode())
        digest.update(b"\0")
    for exemplar in question.exemplars:
        digest.update(f"{exemplar.score:.3f}\0{exemplar.text}\0".encode())
    if question.bank is not None:
        digest.update(f"\1{question.bank.key}".encode())
    return digest.hexdigest()


def with_references(grader: Grader, settings: Settings) -> Grader:
    """`grader` wrapped so that several references and graded examples are used."""
    if isinstance(grader, ReferenceGrader):
        return grader
    return ReferenceGrader.from_settings(grader, settings)


def decided_reference(details: dict[str, Any]) -> int:
    """Index of the reference answer that decided a grade (0 when there was one)."""
    return int((details.get("references") or {}).get("decided_by", 0))


def decided_by_examples(details: dict[str, Any]) -> bool:
    """True when graded example answers changed a grade's verdict."""
    return bool((details.get("exemplars") or {}).get("decided", False))
