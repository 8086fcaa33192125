"""Turning stored rows and service results into the API's response models."""

from __future__ import annotations

from typing import Any

from app.grading.base import Grade
from app.grading.references import decided_by_examples, decided_reference
from app.material.bank import PartGroup, QuestionView
from app.models import Answer, Interview, InterviewItem, StoredGrade
from app.practice.grades import GradeView
from app.practice.grading_queue import GradingStatus
from app.practice.turns import item_prompt, next_item, summarize
from app.schemas import (
    AnswerOut,
    GradingOut,
    KeyPointOut,
    QuestionOut,
    ScoreResponse,
    SessionItemOut,
    SessionOut,
    StoredGradeOut,
    TopicOut,
    finite,
)


def topic_list(parts: list[PartGroup]) -> list[TopicOut]:
    """Every topic of the bank outline with its question count."""
    return [
        TopicOut(
            id=topic.id,
            number=topic.number,
            title=topic.title,
            part=part.title,
            part_number=part.number,
            source=part.source,
            question_count=len(topic.questions),
        )
        for part in parts
        for topic in part.topics
    ]


def question_out(view: QuestionView) -> QuestionOut:
    """A question of the bank."""
    return QuestionOut.model_validate(view.to_dict())


def stored_grade(grade: StoredGrade) -> StoredGradeOut:
    """A grade stored for an answer."""
    view = GradeView.of(grade)
    return StoredGradeOut(
        id=view.id,
        created_at=grade.created_at,
        **_grade_fields(view, key_points=[_key_point(p) for p in view.key_points]),
    )


def _grade_fields(grade: Grade | GradeView, *, key_points: list[KeyPointOut]) -> dict[str, Any]:
    """The fields of GradeOut, alike for a grader's result and a stored grade's view."""
    return {
        "score": finite(grade.score) or 0.0,
        "verdict": grade.verdict,
        "key_points": key_points,
        "feedback": grade.feedback,
        "grader": grade.grader,
        "grader_version": grade.grader_version,
        "elapsed_ms": finite(grade.elapsed_ms),
        "fallback": grade.fallback,
        "fallback_reason": grade.fallback_reason,
        "usage": grade.usage,
        "reference": decided_reference(grade.details),
        "decided_by_examples": decided_by_examples(grade.details),
    }


def _key_point(point: dict[str, Any]) -> KeyPointOut:
    return KeyPointOut(
        point=str(point.get("point", "")),
        label=str(point.get("label", "")),
        text=str(point.get("text", "")),
        status=point.get("status", "missed"),
        evidence=point.get("evidence"),
        similarity=finite(point.get("similarity")),
    )


def grading_out(answer: Answer, status: GradingStatus) -> GradingOut:
    """Where an answer's grading stands, with the link to poll."""
    return GradingOut(
        state=status.state,  # type: ignore[arg-type]  # stored from the four states
        attempts=status.attempts,
        error=status.error,
        queue_position=status.queue_position,
        stalled=status.stalled,
        poll=f"/api/v1/answers/{answer.id}",
    )


def answer_out(answer: Answer, status: GradingStatus) -> AnswerOut:
    """A stored answer with its grades and grading state."""
    grades = [stored_grade(g) for g in answer.grades]
    item = answer.item
    return AnswerOut(
        id=answer.id,
        question_id=answer.question_id,
        question_version=answer.question_version,
        session_id=item.interview_id if item is not None else None,
        item_id=answer.item_id,
        text=answer.text,
        created_at=answer.created_at,
        time_taken_ms=answer.time_taken_ms,
        grading_error=answer.grading_error,
        grading=grading_out(answer, status),
        grade=grades[-1] if grades else None,
        grades=grades,
    )


def session_item_out(item: InterviewItem, score: float | None = None) -> SessionItemOut:
    """One turn of a session."""
    return SessionItemOut(
        id=item.id,
        position=item.position,
        kind=item.kind,
        question_id=item.question_id,
        topic=item.question.topic.title,
        prompt=item_prompt(item),
        answer_ids=[a.id for a in item.answers],
        score=score,
    )


def session_out(interview: Interview) -> SessionOut:
    """A session with its turns, the next turn and the average so far."""
    summary = summarize(interview)
    scores = {row.item_id: row.score for row in summary.rows}
    upcoming = next_item(interview)
    return SessionOut(
        id=interview.id,
        created_at=interview.created_at,
        finished_at=interview.finished_at,
        config=dict(interview.config or {}),
        items=[session_item_out(item, scores.get(item.id)) for item in interview.items],
        next_item_id=upcoming.id if upcoming is not None else None,
        average=summary.average,
    )


def grade_response(grade: Grade, *, question_id: int | None = None) -> ScoreResponse:
    """The API view of a grader's result."""
    key_points = [
        KeyPointOut(
            point=p.point,
            label=p.label,
            text=p.text,
            status=p.status,
            evidence=p.evidence,
            similarity=finite(p.similarity),
        )
        for p in grade.key_points
    ]
    return ScoreResponse(question_id=question_id, **_grade_fields(grade, key_points=key_points))
