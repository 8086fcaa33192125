"""What a person does in a mock interview, one service per action.

The pages (app/web/) and the API (app/api/) both call these and only translate: form or JSON
in, a page, a redirect or JSON out. Each service only flushes (the caller's unit of work
commits) and raises the domain's errors (app/practice/errors.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy.orm import Session

from app.config import Settings
from app.grading.feedback import follow_up_question
from app.grading.key_points import is_filler
from app.models import Answer, Interview, InterviewItem
from app.practice.errors import (
    AnswerNotFound,
    FollowUpNotAllowed,
    InterviewFinished,
    PracticeError,
)
from app.practice.grades import GradeView, get_answer, submit_answer
from app.practice.grading_queue import retry_grading
from app.practice.options import MAX_QUESTIONS, InterviewOptions
from app.practice.progress import review_settings
from app.practice.reviews import daily_plan
from app.practice.self_grades import answer_unknown, machine_grade, override_answer
from app.practice.turns import add_follow_up, create_interview, get_interview, get_item, next_item
from app.practice.workers import GradingEvents
from app.voice.service import attach_recordings

ReviewKind = Literal["due", "new"]
# A few choices keep the interviewer's follow-ups on what matters most in the answer.
FOLLOW_UP_CHOICES = 3


def start_interview(*, session: Session, user_id: int, options: InterviewOptions) -> Interview:
    """A new interview of the person's, its questions chosen by the options."""
    return create_interview(session=session, user_id=user_id, options=options)


def start_review(
    *, session: Session, user_id: int, settings: Settings, kind: ReviewKind
) -> Interview:
    """An interview of today's due questions (most overdue first), or of today's new ones."""
    prefs = review_settings(session=session, user_id=user_id, settings=settings)
    plan = daily_plan(session=session, user_id=user_id, **prefs.limits())
    ids = [item.question_id for item in plan.due] if kind == "due" else plan.new_question_ids
    if not ids:
        raise PracticeError(
            "Nothing is due for review today." if kind == "due" else "No new questions today."
        )
    ids = ids[:MAX_QUESTIONS]
    options = InterviewOptions(question_ids=tuple(ids), count=len(ids), order="bank")
    interview = create_interview(session=session, user_id=user_id, options=options)
    interview.config = {**interview.config, "review": kind}
    return interview


def get_turn(
    *, session: Session, user_id: int, interview_id: int, item_id: int
) -> tuple[Interview, InterviewItem]:
    """The person's interview and one of its turns."""
    interview = get_interview(session=session, user_id=user_id, interview_id=interview_id)
    return interview, get_item(session=session, interview=interview, item_id=item_id)


def answer_turn(
    *,
    session: Session,
    user_id: int,
    interview_id: int,
    item_id: int | None,
    text: str,
    max_chars: int,
    time_taken_ms: int | None = None,
    grader: str | None = None,
    idempotency_key: str | None = None,
    recording_ids: Sequence[int] = (),
) -> Answer:
    """Store an answer to a turn (None: the first unanswered one) and queue it for grading.

    A key sent before returns the answer stored then and stores nothing. InterviewFinished
    when no turn is named and every turn is answered.
    """
    interview = get_interview(session=session, user_id=user_id, interview_id=interview_id)
    if item_id is not None:
        item = get_item(session=session, interview=interview, item_id=item_id)
    else:
        upcoming = next_item(interview)
        if upcoming is None:
            raise InterviewFinished(f"session {interview_id} has no open question")
        item = upcoming
    submitted = submit_answer(
        session=session,
        user=interview.user,
        question=item.question,
        item=item,
        text=text,
        max_chars=max_chars,
        time_taken_ms=time_taken_ms,
        grader=grader,
        idempotency_key=idempotency_key,
    )
    attach_recordings(session=session, answer=submitted.answer, recording_ids=recording_ids)
    return submitted.answer


def turn_of_answer(
    *, session: Session, user_id: int, answer_id: int
) -> tuple[Answer, Interview, InterviewItem]:
    """The person's answer with the interview and turn it was given in; AnswerNotFound for an
    answer given outside an interview."""
    answer = get_answer(session=session, user_id=user_id, answer_id=answer_id)
    if answer.item is None:
        raise AnswerNotFound(f"answer {answer_id} was not given in an interview")
    interview, item = get_turn(
        session=session,
        user_id=user_id,
        interview_id=answer.item.interview_id,
        item_id=answer.item.id,
    )
    return answer, interview, item


def queue_regrade(
    *, session: Session, user_id: int, answer_id: int, events: GradingEvents
) -> Answer:
    """Queue an answer whose grading failed or stalled again (a graded one is left as is)."""
    answer = get_answer(session=session, user_id=user_id, answer_id=answer_id)
    if retry_grading(session=session, answer=answer):
        # Waiters must not take the failed try's notice for the new one's.
        events.forget(answer.id)
    return answer


def follow_up_points(item: InterviewItem) -> list[str]:
    """The key points the interviewer can follow up on after a turn: on a question (not a
    follow-up), the first few its latest graded answer missed, leaving out filler."""
    if item.kind != "question":
        return []
    grade = next((g for a in reversed(item.answers) if (g := machine_grade(a))), None)
    missed = GradeView.of(grade).missed[:FOLLOW_UP_CHOICES] if grade else []
    return [str(p["point"]) for p in missed if not is_filler(str(p.get("text", "")))]


def ask_follow_up(
    *, session: Session, user_id: int, interview_id: int, item_id: int, point: str
) -> InterviewItem:
    """The interviewer follows up on a key point the turn's answer missed, as the next turn;
    asking again for the same point gives the turn asked already."""
    interview, item = get_turn(
        session=session, user_id=user_id, interview_id=interview_id, item_id=item_id
    )
    if item.kind != "question":
        raise FollowUpNotAllowed("The interviewer follows up on a question, not on a follow-up.")
    if point not in follow_up_points(item):
        raise FollowUpNotAllowed("You can only ask a follow-up on a key point the answer missed.")
    prompt = follow_up_question(point)
    existing = next(
        (i for i in interview.items if i.parent_item_id == item.id and i.prompt == prompt), None
    )
    return existing or add_follow_up(session=session, interview=interview, item=item, point=point)


def skip_turn(
    *, session: Session, user_id: int, interview_id: int, item_id: int, default_retention: float
) -> Answer:
    """ "I don't know": the turn is answered with nothing, graded 0 by the person, and its
    question's review lapses."""
    _practice, item = get_turn(
        session=session, user_id=user_id, interview_id=interview_id, item_id=item_id
    )
    return answer_unknown(
        session=session, user_id=user_id, item=item, default_retention=default_retention
    )


def disagree(
    *,
    session: Session,
    user_id: int,
    answer_id: int,
    score: float | None,
    verdict: str | None,
    default_retention: float,
) -> Answer:
    """ "I disagree": the person's own score (and verdict) replace the grader's; a score of
    None is one that was not a number."""
    answer = get_answer(session=session, user_id=user_id, answer_id=answer_id)
    if score is None:
        raise PracticeError("Give your score as a number from 0 to 100.")
    override_answer(
        session=session,
        answer=answer,
        score=score,
        verdict=verdict or None,
        default_retention=default_retention,
    )
    return answer
