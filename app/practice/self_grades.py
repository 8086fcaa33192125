"""The person has the last word: their own grade of an answer ("I disagree"), and "I don't know".

Both are stored as a grade by `self`. Being the answer's latest grade, it is the one statistics,
summaries and the schedule read; the grader's grade stays beside it, so the progress page can
show how often the person and each grader agree.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy.orm import Session

from app.grading.base import Verdict, verdict_for
from app.models import GRADING_DONE, Answer, InterviewItem, StoredGrade
from app.practice.errors import PracticeError
from app.practice.examples import override_grade
from app.practice.grading_queue import counts_as_review
from app.practice.reviews import change_review_rating, desired_retention, record_review
from app.practice.stats import SELF_GRADER
from app.practice.turns import finish_if_done

VERDICTS: tuple[Verdict, ...] = ("correct", "partially_correct", "incorrect")
SELF_GRADER_VERSION = "1"
SKIPPED_FEEDBACK = (
    "You said you don't know this one: it comes back soon. The reference answer is below."
)


def machine_grade(answer: Answer) -> StoredGrade | None:
    """The latest grade a grader (not the person) gave the answer."""
    return next((g for g in reversed(answer.grades) if g.grader != SELF_GRADER), None)


def override_answer(
    *,
    session: Session,
    answer: Answer,
    score: float,
    verdict: str | None = None,
    default_retention: float,
) -> StoredGrade:
    """Store the person's own score and verdict for a graded answer; it replaces the grader's
    in statistics and the schedule, and becomes a graded example for the grader."""
    machine = machine_grade(answer)
    if machine is None:
        raise PracticeError("This answer has no grade yet to disagree with.")
    if not 0 <= score <= 100:
        raise PracticeError("Your score must be between 0 and 100.")
    if verdict is None or verdict == "":
        verdict = verdict_for(score)
    if verdict not in VERDICTS:
        raise PracticeError(f"The verdict must be one of: {', '.join(VERDICTS)}.")
    grade = StoredGrade(
        answer=answer,
        score=float(score),
        verdict=cast(Verdict, verdict),
        feedback="Your own grade (you disagreed with the grader's).",
        details={
            "overrides": machine.id,
            "machine_score": machine.score,
            "machine_verdict": machine.verdict,
            "machine_grader": machine.grader,
        },
        grader=SELF_GRADER,
        grader_version=SELF_GRADER_VERSION,
    )
    session.add(grade)
    session.flush()
    if answer.text.strip():
        override_grade(session=session, answer=answer, score=score)
    if counts_as_review(answer):
        change_review_rating(
            session=session,
            user_id=answer.user_id,
            answer_id=answer.id,
            question_id=answer.question_id,
            score=score,
            source="self",
            reviewed_at=answer.created_at,
            desired_retention=desired_retention(
                session=session, user_id=answer.user_id, default=default_retention
            ),
        )
    session.refresh(answer, ["grades"])
    return grade


def answer_unknown(
    *, session: Session, user_id: int, item: InterviewItem, default_retention: float
) -> Answer:
    """ "I don't know": the turn is answered with nothing, graded 0 by the person, and the
    question's card lapses so it comes back soon."""
    answer = Answer(
        user_id=user_id,
        question_id=item.question_id,
        question_version=item.question.version,
        item=item,
        text="",
        grading_state=GRADING_DONE,
    )
    session.add(answer)
    session.flush()
    grade = StoredGrade(
        answer=answer,
        score=0.0,
        verdict="incorrect",
        feedback=SKIPPED_FEEDBACK,
        details={"skipped": True},
        grader=SELF_GRADER,
        grader_version=SELF_GRADER_VERSION,
    )
    session.add(grade)
    session.flush()
    if counts_as_review(answer):
        record_review(
            session=session,
            user_id=user_id,
            question_id=item.question_id,
            score=0.0,
            answer_id=answer.id,
            source="skip",
            reviewed_at=answer.created_at,
            desired_retention=desired_retention(
                session=session, user_id=user_id, default=default_retention
            ),
        )
    session.refresh(item, ["answers"])
    finish_if_done(session=session, interview=item.interview)
    return answer
