"""Progress over the bank: averages and trends per part and topic, card states, readiness,
the practice streak, and how often the person disagreed with each grader."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.config import Settings
from app.material.bank import bank_outline
from app.models import Answer, Question, Review, StoredGrade, utcnow
from app.practice.reviews import (
    MASTERED_STABILITY_DAYS,
    QueueItem,
    desired_retention,
    review_queue,
)
from app.practice.stats import SELF_GRADER, _latest_grades


@dataclass(frozen=True)
class ReviewSettings:
    """A person's review settings: their desired retention and the server's daily limits."""

    desired_retention: float
    new_per_day: int
    max_per_day: int

    def limits(self) -> dict[str, Any]:
        """Keyword arguments of `reviews.daily_plan`."""
        return {
            "desired_retention": self.desired_retention,
            "new_per_day": self.new_per_day,
            "max_per_day": self.max_per_day,
        }


def review_settings(*, session: Session, user_id: int, settings: Settings) -> ReviewSettings:
    """The review settings in force for a user."""
    return ReviewSettings(
        desired_retention=desired_retention(
            session=session, user_id=user_id, default=settings.review_desired_retention
        ),
        new_per_day=settings.review_new_per_day,
        max_per_day=settings.review_max_per_day,
    )


@dataclass
class Tally:
    """Questions by how well they are held, and the average of their latest attempts."""

    questions: int = 0
    mastered: int = 0
    learning: int = 0
    new: int = 0
    latest_scores: list[float] = field(default_factory=list)
    first_scores: list[float] = field(default_factory=list)
    trend: list[tuple[datetime, float]] = field(default_factory=list)

    @property
    def average(self) -> float | None:
        """Mean of the latest graded attempt at each practised question."""
        if not self.latest_scores:
            return None
        return round(sum(self.latest_scores) / len(self.latest_scores), 1)

    @property
    def change(self) -> float | None:
        """Latest average minus the average of the first attempts (None until practised)."""
        if not self.first_scores or self.average is None:
            return None
        return round(self.average - sum(self.first_scores) / len(self.first_scores), 1)


@dataclass
class TopicProgress(Tally):
    """One topic's progress."""

    id: int = 0
    number: int = 0
    title: str = ""


@dataclass
class PartProgress(Tally):
    """One part's progress with its topics."""

    number: int = 0
    title: str = ""
    source: str = ""
    topics: list[TopicProgress] = field(default_factory=list)


@dataclass(frozen=True)
class Override:
    """A grade the person replaced with their own."""

    answer_id: int
    question_id: int
    question: str
    at: datetime
    grader: str
    machine_score: float
    machine_verdict: str
    own_score: float
    own_verdict: str


@dataclass(frozen=True)
class Agreement:
    """How the person's own grades compare with one grader's."""

    grader: str
    overrides: int
    graded: int
    verdict_agreement: float
    mean_score_gap: float


@dataclass(frozen=True)
class Progress:
    """Everything the progress page shows."""

    parts: list[PartProgress]
    overall: Tally
    readiness: float
    likely_recalled: int
    streak_days: int
    practice_days: int
    overrides: list[Override]
    agreement: list[Agreement]
    skips: int


def _daily_trend(points: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """Mean score per UTC day, oldest first."""
    by_day: dict[date, list[float]] = defaultdict(list)
    for at, score in points:
        by_day[at.date()].append(score)
    return [
        (datetime.combine(day, datetime.min.time()), round(sum(s) / len(s), 1))
        for day, s in sorted(by_day.items())
    ]


def practice_streak(days: set[date], today: date) -> int:
    """Consecutive practice days ending today (or yesterday, while today is still open)."""
    day = today if today in days else today - timedelta(days=1)
    streak = 0
    while day in days:
        streak += 1
        day -= timedelta(days=1)
    return streak


def _count(tally: Tally, item: QueueItem | None) -> None:
    tally.questions += 1
    if item is None:
        tally.new += 1
    elif item.state == "review" and (item.stability or 0) >= MASTERED_STABILITY_DAYS:
        tally.mastered += 1
    else:
        tally.learning += 1


def build_progress(
    *, session: Session, user_id: int, desired_retention: float, now: datetime | None = None
) -> Progress:
    """The progress of a user over the active bank, computed from a handful of queries."""
    now = now or utcnow()
    parts = bank_outline(session=session, user_id=user_id)
    cards = {
        item.question_id: item
        for item in review_queue(
            session=session, user_id=user_id, desired_retention=desired_retention, now=now
        )
    }
    # Graded answers to questions (follow-ups excluded), newest first.
    graded = session.execute(_latest_grades(user_id)).all()
    history: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for _aid, question_id, _tid, score, at in graded:
        history[question_id].append((at, score))
    overall = Tally()
    out = []
    for part in parts:
        part_progress = PartProgress(number=part.number, title=part.title, source=part.source)
        part_points: list[tuple[datetime, float]] = []
        for topic in part.topics:
            topic_progress = TopicProgress(id=topic.id, number=topic.number, title=topic.title)
            topic_points: list[tuple[datetime, float]] = []
            for question in topic.questions:
                card = cards.get(question.id)
                for tally in (topic_progress, part_progress, overall):
                    _count(tally, card)
                attempts = history.get(question.id)
                if attempts:
                    for tally in (topic_progress, part_progress, overall):
                        tally.latest_scores.append(attempts[0][1])
                        tally.first_scores.append(attempts[-1][1])
                    topic_points.extend(attempts)
            topic_progress.trend = _daily_trend(topic_points)
            part_points.extend(topic_points)
            part_progress.topics.append(topic_progress)
        part_progress.trend = _daily_trend(part_points)
        out.append(part_progress)
    overall.trend = _daily_trend([p for points in history.values() for p in points])
    active = [q.id for part in parts for topic in part.topics for q in topic.questions]
    held = [cards[qid].retrievability if qid in cards else 0.0 for qid in active]
    overrides, skips = _overrides(session=session, user_id=user_id)
    return Progress(
        parts=out,
        overall=overall,
        readiness=round(100 * sum(held) / len(held), 1) if held else 0.0,
        likely_recalled=sum(1 for r in held if r >= desired_retention),
        streak_days=practice_streak(_practice_days(session, user_id), now.date()),
        practice_days=len(_practice_days(session, user_id)),
        overrides=overrides,
        agreement=_agreement(session=session, user_id=user_id, overrides=overrides),
        skips=skips,
    )


def _practice_days(session: Session, user_id: int) -> set[date]:
    stamps = session.scalars(select(Answer.created_at).where(Answer.user_id == user_id))
    return {at.date() for at in stamps}


def _overrides(*, session: Session, user_id: int) -> tuple[list[Override], int]:
    """Every answer the person graded themselves, newest first, and how many were skips."""
    answers = session.scalars(
        select(Answer)
        .where(
            Answer.user_id == user_id,
            Answer.id.in_(select(StoredGrade.answer_id).where(StoredGrade.grader == SELF_GRADER)),
        )
        .order_by(Answer.created_at.desc(), Answer.id.desc())
        .options(selectinload(Answer.grades), selectinload(Answer.question))
    ).all()
    out, skips = [], 0
    for answer in answers:
        own = next(g for g in reversed(answer.grades) if g.grader == SELF_GRADER)
        if own.details.get("skipped"):
            skips += 1
            continue
        machine = next((g for g in reversed(answer.grades) if g.grader != SELF_GRADER), None)
        if machine is None:
            continue
        out.append(
            Override(
                answer_id=answer.id,
                question_id=answer.question_id,
                question=answer.question.text,
                at=own.created_at,
                grader=machine.grader,
                machine_score=round(machine.score, 1),
                machine_verdict=machine.verdict,
                own_score=round(own.score, 1),
                own_verdict=own.verdict,
            )
        )
    return out, skips


def _agreement(*, session: Session, user_id: int, overrides: list[Override]) -> list[Agreement]:
    """Per grader: answers it graded, how many the person overrode, and how far apart they were.

    Answers the person did not override count as agreement: they saw the grade and let it be.
    """
    graded: dict[str, int] = defaultdict(int)
    rows = session.execute(
        select(StoredGrade.grader, StoredGrade.answer_id)
        .join(Answer, Answer.id == StoredGrade.answer_id)
        .where(Answer.user_id == user_id, StoredGrade.grader != SELF_GRADER)
        .distinct()
    )
    for grader, _answer_id in rows:
        graded[grader] += 1
    by_grader: dict[str, list[Override]] = defaultdict(list)
    for override in overrides:
        by_grader[override.grader].append(override)
    out = []
    for grader, total in sorted(graded.items()):
        mine = by_grader.get(grader, [])
        differ = sum(1 for o in mine if o.own_verdict != o.machine_verdict)
        gaps = [abs(o.own_score - o.machine_score) for o in mine]
        out.append(
            Agreement(
                grader=grader,
                overrides=len(mine),
                graded=total,
                verdict_agreement=round(100 * (total - differ) / total, 1) if total else 0.0,
                mean_score_gap=round(sum(gaps) / len(gaps), 1) if gaps else 0.0,
            )
        )
    return out


def scheduled_question_ids(*, session: Session, user_id: int) -> set[int]:
    """Questions that have a card for this user."""
    return set(session.scalars(select(Review.question_id).where(Review.user_id == user_id)))


def active_question_count(*, session: Session) -> int:
    """How many active questions the bank holds."""
    return len(list(session.scalars(select(Question.id).where(Question.retired.is_(False)))))
