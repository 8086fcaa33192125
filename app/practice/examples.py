"""Graded example answers a person adds: their reviewed attempts and the grades they override.

The grader uses a question's examples as extra references and to calibrate its verdict
(app/grading/references.py). Notes bring their own examples at import; these functions add
the person's. Only grades a person has confirmed or corrected belong here: an example that
merely repeats the grader's own score would teach the grader nothing but its mistakes.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.orm import Session

from app.models import Answer, ExampleAnswer

PersonSource = Literal["reviewed", "override"]


class ExampleError(ValueError):
    """An example that cannot be stored: no text, or a score outside 0-100."""


def record_example_answer(
    *, session: Session, answer: Answer, score: float, source: PersonSource
) -> ExampleAnswer:
    """Store `answer` as a graded example of its question for its author's grading only (one per
    answer; a new grade replaces the old one). `source` is "reviewed" (the person confirmed the
    grade) or "override" (the person disagreed and gave this score)."""
    if not 0 <= score <= 100:
        raise ExampleError(f"an example's score must be 0-100, not {score}")
    text = answer.text.strip()
    if not text:
        raise ExampleError("an empty answer cannot be an example")
    example = next((e for e in answer.question.example_answers if e.answer_id == answer.id), None)
    if example is None:
        example = ExampleAnswer(
            question=answer.question,
            answer_id=answer.id,
            user_id=answer.user_id,
            text=text,
            score=0,
        )
        session.add(example)
    example.text, example.score, example.source = text, float(score), source
    session.flush()
    return example


def override_grade(*, session: Session, answer: Answer, score: float) -> ExampleAnswer:
    """The hook for "I disagree": the person's score for an answer becomes a graded example."""
    return record_example_answer(session=session, answer=answer, score=score, source="override")


def confirm_grade(*, session: Session, answer: Answer) -> ExampleAnswer:
    """A reviewed attempt: the person confirmed its latest grade, which becomes an example."""
    if not answer.grades:
        raise ExampleError("the answer has no grade to confirm")
    score = answer.grades[-1].score
    return record_example_answer(session=session, answer=answer, score=score, source="reviewed")
