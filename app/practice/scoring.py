"""Stateless scoring: grade answers to bank or ad-hoc questions without storing anything.

Errors are the domain's (QuestionNotFound, AnswerTooLongError, UnknownGraderError,
GraderUnavailable, GradingFailed); the API turns them into statuses and error bodies.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, selectinload

from app.grading.base import Grade, Grader, GradingQuestion, UnknownGraderError
from app.grading.graders import GraderPool
from app.material.bank import ExampleBanks, examples_visible, grading_question, visible_to
from app.models import ExampleAnswer, Question
from app.practice.errors import (
    GraderUnavailable,
    GradingFailed,
    PracticeError,
    QuestionNotFound,
)
from app.practice.grades import check_answer_text
from app.schemas import ScoreAdHocRequest, ScoreByIdRequest, ScoreRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scored:
    """A grader's result for one answer, and the bank question it was graded against."""

    grade: Grade
    question_id: int | None


@dataclass(frozen=True)
class _Task:
    """One answer ready to grade: its place in the batch, grader, question and answer."""

    index: int
    grader: Grader
    question: GradingQuestion
    question_id: int | None
    answer: str


class BankQuestions:
    """Bank questions as graders see them, by id, reloaded when their content hash changes.

    Checking the hash is one narrow query; loading a question with its key points is two
    ORM queries, a noticeable share of a /score call's time outside the grader. The content
    hash covers the text and reference answer that the key points are split from.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        # By (user, question, hash): the graded examples in a question differ per user.
        self._items: OrderedDict[tuple[int, int, str], GradingQuestion] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(
        self, *, session: Session, user_id: int, ids: set[int]
    ) -> dict[int, GradingQuestion]:
        """The questions among `ids` that exist and the user sees (retired ones included)."""
        if not ids:
            return {}
        # Graded examples added since (an override) change what the grader sees, not the hash;
        # so do those of the other questions of its notes file (the bank it is calibrated on).
        examples = (
            select(func.count(ExampleAnswer.id), func.max(ExampleAnswer.id))
            .where(ExampleAnswer.question_id == Question.id, examples_visible(user_id))
            .correlate(Question)
        )
        other = aliased(Question)
        in_bank = (
            select(func.count(ExampleAnswer.id), func.max(ExampleAnswer.id))
            .join(other, other.id == ExampleAnswer.question_id)
            .where(
                other.source_file_id == Question.source_file_id,
                ~other.retired,
                examples_visible(user_id),
            )
            .correlate(Question)
        )
        query = select(
            Question.id,
            Question.content_hash,
            examples.with_only_columns(func.count(ExampleAnswer.id)).scalar_subquery(),
            examples.with_only_columns(func.max(ExampleAnswer.id)).scalar_subquery(),
            in_bank.with_only_columns(func.count(ExampleAnswer.id)).scalar_subquery(),
            in_bank.with_only_columns(func.max(ExampleAnswer.id)).scalar_subquery(),
        ).where(Question.id.in_(ids), visible_to(user_id))
        hashes = {
            qid: ":".join(str(part) for part in parts) for qid, *parts in session.execute(query)
        }
        found: dict[int, GradingQuestion] = {}
        with self._lock:
            for qid, content_hash in hashes.items():
                cached = self._items.get((user_id, qid, content_hash))
                if cached is not None:
                    self._items.move_to_end((user_id, qid, content_hash))
                    found[qid] = cached
        missing = set(hashes) - set(found)
        if missing:
            rows = session.scalars(
                select(Question)
                .where(Question.id.in_(missing))
                .options(selectinload(Question.key_points), selectinload(Question.example_answers))
            )
            banks = ExampleBanks(session)
            loaded = {
                q.id: grading_question(q, user_id=user_id, bank=banks.of(q, user_id)) for q in rows
            }
            with self._lock:
                for qid, question in loaded.items():
                    self._items[(user_id, qid, hashes[qid])] = question
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
            found.update(loaded)
        return found


def grader_for(graders: GraderPool, name: str | None) -> Grader:
    """The grader called `name`: UnknownGraderError, or GraderUnavailable if it cannot be built."""
    try:
        return graders.get(name)
    except UnknownGraderError:
        raise
    except Exception as exc:  # e.g. a model that cannot be loaded: not the request's fault
        log.exception("could not build grader %r", name)
        raise GraderUnavailable(name or graders.default_name) from exc


def score_answer(
    *,
    graders: GraderPool,
    bank: Mapping[int, GradingQuestion],
    request: ScoreRequest,
    max_chars: int,
) -> Scored:
    """Grade one answer; the answer's, grader's or question's error, or GradingFailed."""
    task = _task(index=0, request=request, graders=graders, bank=bank, max_chars=max_chars)
    try:
        grade = task.grader.grade(task.question, task.answer)
    except Exception as exc:  # a grader failure is the server's problem, not the request's
        log.exception("grader %s failed", task.grader.name)
        raise GradingFailed(task.grader.name) from exc
    return Scored(grade, task.question_id)


def bank_ids(requests: Sequence[ScoreRequest]) -> set[int]:
    """Ids of the bank questions these requests grade against."""
    return {r.question_id for r in requests if isinstance(r, ScoreByIdRequest)}


def score_batch(
    *,
    graders: GraderPool,
    bank: Mapping[int, GradingQuestion],
    requests: Mapping[int, ScoreRequest],
    max_chars: int,
) -> dict[int, Scored | Exception]:
    """Grade every request, one grade_batch call per grader; by its index, each request's
    result, or the error that kept it from being graded (the others are still graded)."""
    results: dict[int, Scored | Exception] = {}
    # Grouped by grader object: two registered names may build graders of the same `name`.
    by_grader: dict[int, list[_Task]] = {}
    for index, request in requests.items():
        try:
            task = _task(
                index=index, request=request, graders=graders, bank=bank, max_chars=max_chars
            )
        except (PracticeError, UnknownGraderError, GraderUnavailable) as exc:
            results[index] = exc  # the item's own error, reported in its place
            continue
        by_grader.setdefault(id(task.grader), []).append(task)
    for tasks in by_grader.values():
        for task, result in zip(tasks, _grade_group(tasks), strict=True):
            results[task.index] = (
                result if isinstance(result, Exception) else Scored(result, task.question_id)
            )
    return results


def _task(
    *,
    index: int,
    request: ScoreRequest,
    graders: GraderPool,
    bank: Mapping[int, GradingQuestion],
    max_chars: int,
) -> _Task:
    check_answer_text(request.answer, max_chars=max_chars)
    grader = grader_for(graders, request.grader)
    question_id, question = _question_of(request=request, bank=bank)
    return _Task(
        index=index,
        grader=grader,
        question=question,
        question_id=question_id,
        answer=request.answer,
    )


def _grade_group(tasks: list[_Task]) -> list[Grade | GradingFailed]:
    grader = tasks[0].grader
    try:
        return list(grader.grade_batch([(t.question, t.answer) for t in tasks]))
    except Exception:
        log.exception(
            "grader %s failed on a batch of %d; grading one by one", grader.name, len(tasks)
        )
    # One answer may have broken the whole pass: grade each alone so only it fails.
    results: list[Grade | GradingFailed] = []
    for task in tasks:
        try:
            results.append(grader.grade(task.question, task.answer))
        except Exception:
            log.exception("grader %s failed", grader.name)
            results.append(GradingFailed(grader.name))
    return results


def _question_of(
    *, request: ScoreRequest, bank: Mapping[int, GradingQuestion]
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
        raise QuestionNotFound(f"no question {request.question_id}")
    return request.question_id, question
