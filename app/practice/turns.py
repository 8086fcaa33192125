"""An interview's turns: choosing its questions, the turns, follow-ups and the summary."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.grading.feedback import follow_up_question
from app.material.bank import visible_to
from app.models import Answer, Interview, InterviewItem, Question, Topic, utcnow
from app.practice.errors import InterviewNotFound, PracticeError, TurnNotFound
from app.practice.options import InterviewOptions
from app.practice.stats import question_averages

# Set on a unit of work that started an interview: after its commit, a grading worker
# prepares the interview's questions (app/practice/preparation.py).
INTERVIEW_STARTED = "interview_started"


def create_interview(*, session: Session, user_id: int, options: InterviewOptions) -> Interview:
    """A new interview of the user with questions (of banks they see) chosen by the options;
    PracticeError if none match."""
    candidates = _candidates(session=session, user_id=user_id, options=options)
    if not candidates:
        raise PracticeError("no active questions match the chosen topics")
    chosen = _order(session=session, user_id=user_id, questions=candidates, options=options)
    interview = Interview(
        user_id=user_id,
        config={
            "topic_ids": list(options.topic_ids),
            "count": options.count,
            "order": options.order,
            "time_limit_s": options.time_limit_s,
        },
    )
    interview.items = [
        InterviewItem(position=i, question=q, kind="question")
        for i, q in enumerate(chosen[: options.count])
    ]
    session.add(interview)
    session.flush()
    session.info[INTERVIEW_STARTED] = True
    return interview


def _candidates(*, session: Session, user_id: int, options: InterviewOptions) -> list[Question]:
    query = (
        select(Question)
        .where(Question.retired.is_(False), visible_to(user_id))
        .order_by(Question.id)
    )
    if options.question_ids:
        query = query.where(Question.id.in_(options.question_ids))
    if options.topic_ids:
        query = query.where(Question.topic_id.in_(options.topic_ids))
    return list(
        session.scalars(query.options(selectinload(Question.topic).selectinload(Topic.part)))
    )


def _order(
    *, session: Session, user_id: int, questions: list[Question], options: InterviewOptions
) -> list[Question]:
    if options.question_ids:
        rank = {qid: i for i, qid in enumerate(options.question_ids)}
        return sorted(questions, key=lambda q: rank[q.id])
    if options.order == "bank":
        return sorted(questions, key=lambda q: (q.topic.part.number, q.topic.number, q.position))
    shuffled = list(questions)
    random.Random(options.seed).shuffle(shuffled)
    if options.order == "weakest":
        averages = question_averages(session=session, user_id=user_id)
        # Never-answered questions count as weakest; ties keep the random order.
        shuffled.sort(key=lambda q: averages.get(q.id, -1.0))
    return shuffled


def get_interview(*, session: Session, user_id: int, interview_id: int) -> Interview:
    """The user's interview by id with its turns, answers, grades and questions loaded;
    InterviewNotFound when there is none or it is someone else's."""
    items = selectinload(Interview.items)
    interview = session.scalar(
        select(Interview)
        .where(Interview.id == interview_id, Interview.user_id == user_id)
        .options(
            selectinload(Interview.user),
            items.selectinload(InterviewItem.answers).selectinload(Answer.grades),
            items.selectinload(InterviewItem.question).selectinload(Question.topic),
        )
        # Pages poll this while a worker grades: read what is committed now, not a cached row.
        .execution_options(populate_existing=True)
    )
    if interview is None:
        raise InterviewNotFound(f"no session {interview_id}")
    return interview


def get_item(*, session: Session, interview: Interview, item_id: int) -> InterviewItem:
    """One turn of an interview, or TurnNotFound."""
    for item in interview.items:
        if item.id == item_id:
            return item
    raise TurnNotFound(f"session {interview.id} has no question {item_id}")


def item_prompt(item: InterviewItem) -> str:
    """What the interviewer asks on this turn."""
    return item.prompt or item.question.text


def next_item(interview: Interview, after: InterviewItem | None = None) -> InterviewItem | None:
    """The first unanswered turn (after `after`, if given); None when the interview is done."""
    items = interview.items
    if after is not None:
        items = [item for item in items if item.position > after.position]
    return next((item for item in items if not item.answers), None)


def add_follow_up(
    *, session: Session, interview: Interview, item: InterviewItem, point: str
) -> InterviewItem:
    """Insert a follow-up turn on a missed key point right after `item`."""
    prompt = follow_up_question(point)
    # Positions are unique per interview: shift later turns down, last first.
    for later in sorted(interview.items, key=lambda i: -i.position):
        if later.position > item.position:
            later.position += 1
            session.flush()
    follow_up = InterviewItem(
        interview=interview,
        position=item.position + 1,
        question_id=item.question_id,
        kind="follow_up",
        prompt=prompt,
        focus_point=point,
        parent_item_id=item.id,
    )
    session.add(follow_up)
    session.flush()
    session.refresh(interview, ["items"])
    return follow_up


def finish_if_done(*, session: Session, interview: Interview) -> None:
    """Mark the interview finished once every turn has an answer."""
    if interview.finished_at is None and next_item(interview) is None:
        interview.finished_at = utcnow()
        session.flush()


@dataclass(frozen=True)
class SummaryRow:
    """One turn in the end-of-interview summary."""

    item_id: int
    question_id: int
    prompt: str
    topic: str
    kind: str
    score: float | None
    verdict: str | None
    time_taken_ms: int | None
    first_score: float | None = None
    best_score: float | None = None
    attempts: int = 0


@dataclass(frozen=True)
class InterviewSummary:
    """Scores per turn, the average, and what to practise again."""

    interview_id: int
    rows: list[SummaryRow]
    average: float | None
    weakest_topics: list[tuple[str, float]] = field(default_factory=list)
    weak_question_ids: list[int] = field(default_factory=list)


WEAK_SCORE = 60.0


def summarize(interview: Interview) -> InterviewSummary:
    """The summary of an interview from its latest answer per turn."""
    rows = []
    for item in interview.items:
        answer: Answer | None = item.answers[-1] if item.answers else None
        grade = answer.grades[-1] if answer and answer.grades else None
        # Each try of the turn counts with its latest grade (the person's own, if they overrode).
        scores = [round(a.grades[-1].score, 1) for a in item.answers if a.grades]
        rows.append(
            SummaryRow(
                item_id=item.id,
                question_id=item.question_id,
                prompt=item_prompt(item),
                topic=item.question.topic.title,
                kind=item.kind,
                score=round(grade.score, 1) if grade else None,
                verdict=grade.verdict if grade else None,
                time_taken_ms=answer.time_taken_ms if answer else None,
                first_score=scores[0] if scores else None,
                best_score=max(scores) if scores else None,
                attempts=len(item.answers),
            )
        )
    scored = [row.score for row in rows if row.score is not None]
    by_topic: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        if row.score is not None:
            by_topic[row.topic].append(row.score)
    topic_means = sorted(
        ((topic, sum(s) / len(s)) for topic, s in by_topic.items()), key=lambda pair: pair[1]
    )
    weak = [row.question_id for row in rows if row.score is not None and row.score < WEAK_SCORE]
    return InterviewSummary(
        interview_id=interview.id,
        rows=rows,
        average=round(sum(scored) / len(scored), 1) if scored else None,
        weakest_topics=[(t, round(m, 1)) for t, m in topic_means if m < WEAK_SCORE][:3],
        weak_question_ids=list(dict.fromkeys(weak)),
    )
