"""Stateless scoring: grade answers to bank or ad-hoc questions without storing anything."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.api.errors import ApiError, describe_validation, error_body, validation_details
from app.grading.base import Grade, Grader, GradingQuestion, UnknownGraderError
from app.grading.graders import GraderPool
from app.grading.references import decided_by_examples, decided_reference
from app.material.bank import grading_question, visible_to
from app.models import ExampleAnswer, Question
from app.practice.errors import AnswerTooLongError, NotFoundError, PracticeError
from app.practice.grades import check_answer_text
from app.schemas import (
    BatchResult,
    ErrorBody,
    KeyPointOut,
    ScoreAdHocRequest,
    ScoreByIdRequest,
    ScoreRequest,
    ScoreResponse,
    finite,
)

log = logging.getLogger(__name__)

_ITEM = TypeAdapter[ScoreRequest](ScoreRequest)


@dataclass(frozen=True)
class _Task:
    """One answer ready to grade: its place in the batch, grader, question and answer."""

    index: int
    grader: Grader
    question: GradingQuestion
    question_id: int | None
    answer: str


class _ItemError(Exception):
    def __init__(self, body: ErrorBody) -> None:
        super().__init__(body.message)
        self.body = body


class BankQuestions:
    """Bank questions as graders see them, by id, reloaded when their content hash changes.

    Checking the hash is one narrow query; loading a question with its key points is two
    ORM queries, a noticeable share of a /score call's time outside the grader. The content
    hash covers the text and reference answer that the key points are split from.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._items: OrderedDict[tuple[int, str], GradingQuestion] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(
        self, *, session: Session, user_id: int, ids: set[int]
    ) -> dict[int, GradingQuestion]:
        """The questions among `ids` that exist and the user sees (retired ones included)."""
        if not ids:
            return {}
        # Graded examples added since (an override) change what the grader sees, not the hash.
        examples = (
            select(func.count(ExampleAnswer.id), func.max(ExampleAnswer.id))
            .where(ExampleAnswer.question_id == Question.id)
            .correlate(Question)
        )
        query = select(
            Question.id,
            Question.content_hash,
            examples.with_only_columns(func.count(ExampleAnswer.id)).scalar_subquery(),
            examples.with_only_columns(func.max(ExampleAnswer.id)).scalar_subquery(),
        ).where(Question.id.in_(ids), visible_to(user_id))
        hashes = {
            qid: f"{content_hash}:{count}:{last}"
            for qid, content_hash, count, last in session.execute(query)
        }
        found: dict[int, GradingQuestion] = {}
        with self._lock:
            for qid, content_hash in hashes.items():
                cached = self._items.get((qid, content_hash))
                if cached is not None:
                    self._items.move_to_end((qid, content_hash))
                    found[qid] = cached
        missing = set(hashes) - set(found)
        if missing:
            rows = session.scalars(
                select(Question)
                .where(Question.id.in_(missing))
                .options(selectinload(Question.key_points), selectinload(Question.example_answers))
            )
            loaded = {q.id: grading_question(q) for q in rows}
            with self._lock:
                for qid, question in loaded.items():
                    self._items[(qid, hashes[qid])] = question
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            found.update(loaded)
        return found


def grader_for(graders: GraderPool, name: str | None) -> Grader:
    """The grader called `name`: UnknownGraderError (422), or 503 if it cannot be built."""
    try:
        return graders.get(name)
    except UnknownGraderError:
        raise
    except Exception as exc:  # e.g. a model that cannot be loaded: not the request's fault
        log.exception("could not build grader %r", name)
        raise ApiError(
            503, "grader_unavailable", f"the grader {name or graders.default_name!r} is unavailable"
        ) from exc


def grade_response(grade: Grade, *, question_id: int | None = None) -> ScoreResponse:
    """The API view of a grader's result."""
    return ScoreResponse(
        score=finite(grade.score) or 0.0,
        verdict=grade.verdict,
        key_points=[
            KeyPointOut(
                point=p.point,
                label=p.label,
                text=p.text,
                status=p.status,
                evidence=p.evidence,
                similarity=finite(p.similarity),
            )
            for p in grade.key_points
        ],
        feedback=grade.feedback,
        grader=grade.grader,
        grader_version=grade.grader_version,
        elapsed_ms=finite(grade.elapsed_ms),
        fallback=grade.fallback,
        fallback_reason=grade.fallback_reason,
        usage=grade.usage,
        reference=decided_reference(grade.details),
        decided_by_examples=decided_by_examples(grade.details),
        question_id=question_id,
    )


def score_answer(
    *,
    graders: GraderPool,
    bank: dict[int, GradingQuestion],
    request: ScoreRequest,
    max_chars: int,
) -> ScoreResponse:
    """Grade one answer; NotFoundError, AnswerTooLongError, UnknownGraderError, or 503."""
    check_answer_text(request.answer, max_chars=max_chars)
    grader = grader_for(graders, request.grader)
    question_id, question = _question_of(request=request, bank=bank)
    try:
        grade = grader.grade(question, request.answer)
    except Exception as exc:  # a grader failure is the server's problem, not the request's
        log.exception("grader %s failed", grader.name)
        raise ApiError(503, "grading_failed", _grader_failed(grader.name)) from exc
    return grade_response(grade, question_id=question_id)


def _grader_failed(name: str) -> str:
    # A fixed text: what a grader's exception says (an endpoint's reply, a key, a path) is for
    # the server's log, not for clients.
    return f"the grader {name!r} failed; the server's log has the details"


def bank_ids(requests: Sequence[ScoreRequest]) -> set[int]:
    """Ids of the bank questions these requests grade against."""
    return {r.question_id for r in requests if isinstance(r, ScoreByIdRequest)}


def parse_batch(items: Sequence[Any]) -> tuple[dict[int, ScoreRequest], dict[int, ErrorBody]]:
    """Each raw batch item validated: the requests, and errors in place of invalid ones."""
    parsed: dict[int, ScoreRequest] = {}
    errors: dict[int, ErrorBody] = {}
    for index, raw in enumerate(items):
        try:
            parsed[index] = _ITEM.validate_python(raw)
        except ValidationError as exc:
            errors[index] = error_body(
                "validation_error",
                describe_validation(exc.errors()),
                validation_details(exc.errors()),
            )
    return parsed, errors


def score_batch(
    *,
    graders: GraderPool,
    bank: dict[int, GradingQuestion],
    count: int,
    parsed: dict[int, ScoreRequest],
    errors: dict[int, ErrorBody],
    max_chars: int,
) -> list[BatchResult]:
    """Grade every valid item, one grade_batch call per grader; bad items get an error in place."""
    errors = dict(errors)
    # Grouped by grader object: two registered names may build graders of the same `name`.
    by_grader: dict[int, list[_Task]] = {}
    for index, request in parsed.items():
        try:
            task = _task(
                index=index, request=request, graders=graders, bank=bank, max_chars=max_chars
            )
        except _ItemError as exc:
            errors[index] = exc.body
            continue
        by_grader.setdefault(id(task.grader), []).append(task)

    grades: dict[int, ScoreResponse] = {}
    for tasks in by_grader.values():
        for task, result in zip(tasks, _grade_group(tasks), strict=True):
            if isinstance(result, ErrorBody):
                errors[task.index] = result
            else:
                grades[task.index] = grade_response(result, question_id=task.question_id)
    return [
        BatchResult(index=i, ok=i in grades, grade=grades.get(i), error=errors.get(i))
        for i in range(count)
    ]


class ScoringGate:
    """At most `limit` stateless gradings at once in this process; callers over it get 429.

    Grading holds a worker thread for its whole length (a hung LLM for its timeout); the gate
    keeps the rest of the server's threads for pages and the API.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = threading.BoundedSemaphore(limit)

    def try_enter(self) -> bool:
        """Take a slot if one is free."""
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        """Give the slot back."""
        self._slots.release()


def _task(
    *,
    index: int,
    request: ScoreRequest,
    graders: GraderPool,
    bank: dict[int, GradingQuestion],
    max_chars: int,
) -> _Task:
    try:
        check_answer_text(request.answer, max_chars=max_chars)
    except AnswerTooLongError as exc:
        raise _ItemError(error_body("answer_too_long", str(exc))) from None
    except PracticeError as exc:
        raise _ItemError(error_body("invalid_request", str(exc))) from None
    try:
        grader = grader_for(graders, request.grader)
    except UnknownGraderError as exc:
        raise _ItemError(
            error_body(
                "unknown_grader",
                f"unknown grader {exc.name!r}",
                {"known_graders": graders.names()},
            )
        ) from None
    except ApiError as exc:
        raise _ItemError(error_body(exc.code, exc.message)) from None
    try:
        question_id, question = _question_of(request=request, bank=bank)
    except NotFoundError as exc:
        raise _ItemError(error_body("not_found", str(exc))) from None
    return _Task(
        index=index,
        grader=grader,
        question=question,
        question_id=question_id,
        answer=request.answer,
    )


def _grade_group(tasks: list[_Task]) -> list[Grade | ErrorBody]:
    grader = tasks[0].grader
    try:
        return list(grader.grade_batch([(t.question, t.answer) for t in tasks]))
    except Exception:
        log.exception(
            "grader %s failed on a batch of %d; grading one by one", grader.name, len(tasks)
        )
    # One answer may have broken the whole pass: grade each alone so only it fails.
    results: list[Grade | ErrorBody] = []
    for task in tasks:
        try:
            results.append(grader.grade(task.question, task.answer))
        except Exception:
            log.exception("grader %s failed", grader.name)
            results.append(error_body("grading_failed", _grader_failed(grader.name)))
    return results


def _question_of(
    *, request: ScoreRequest, bank: dict[int, GradingQuestion]
) -> tuple[int | None, GradingQuestion]:
    if isinstance(request, ScoreAdHocRequest):
        return None, GradingQuestion(
            question=request.question,
            reference_answer=request.reference_answer,
            key_points=tuple(request.key_points or ()),
            reference_answers=tuple(request.reference_answers or ()),
        )
    question = bank.get(request.question_id)
    if question is None:
        raise NotFoundError(f"no question {request.question_id}")
    return request.question_id, question
