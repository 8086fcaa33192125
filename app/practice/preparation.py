"""Preparing the questions of interviews just started, in the process that grades.

The first answer to a question pays for a model pass over the question's reference side
(question, reference answers, key points): 0.5-1.5 s on a CPU without bfloat16, against
~50 ms for each later answer. When an interview starts, an idle grading worker does that
pass, one question at a time and in the interview's order, while the candidate reads and
types; jobs in the grading queue always go first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.db import Database
from app.grading.base import GradingQuestion
from app.grading.graders import GraderPool
from app.material.bank import ExampleBanks, grading_question_for_turn
from app.models import Interview, InterviewItem, Question, utcnow

log = logging.getLogger(__name__)

# A process that starts (or restarts) prepares the interviews started this recently.
LOOK_BACK = timedelta(minutes=30)
# Interviews read in one look; more wait for the next one.
INTERVIEWS_PER_LOOK = 20


def started_questions(
    *, session: Session, after: int | None, now: datetime | None = None
) -> tuple[int, list[GradingQuestion]]:
    """What the unanswered questions of interviews started after interview `after` are graded
    against, in interview and turn order, and the newest interview id read.

    `after` None is a first look: the interviews of the last LOOK_BACK.
    """
    if after is None:
        now = now or utcnow()
        older = select(func.max(Interview.id)).where(Interview.created_at < now - LOOK_BACK)
        after = session.scalar(older) or 0
    ids = session.scalars(
        select(Interview.id)
        .where(Interview.id > after)
        .order_by(Interview.id)
        .limit(INTERVIEWS_PER_LOOK)
    ).all()
    if not ids:
        return after, []
    with_points = selectinload(Question.key_points), selectinload(Question.example_answers)
    rows = session.execute(
        select(InterviewItem, Interview.user_id)
        .join(Interview, Interview.id == InterviewItem.interview_id)
        .where(
            InterviewItem.interview_id.in_(ids),
            InterviewItem.kind == "question",
            ~InterviewItem.answers.any(),
        )
        .order_by(InterviewItem.interview_id, InterviewItem.position)
        .options(selectinload(InterviewItem.question).options(*with_points))
    ).all()
    banks = ExampleBanks(session)
    questions = [
        grading_question_for_turn(
            item.question,
            user_id=user_id,
            prompt=item.prompt,
            focus_point=item.focus_point,
            banks=banks,
        )
        for item, user_id in rows
    ]
    return ids[-1], questions


class Preparation:
    """The questions of started interviews, handed one at a time to idle grading workers."""

    def __init__(self, *, database: Database, graders: GraderPool, look_every_s: float) -> None:
        self.database = database
        self.graders = graders
        self.look_every_s = look_every_s
        self._lock = threading.Lock()
        self._waiting: deque[GradingQuestion] = deque()
        self._after: int | None = None
        self._looked_at = float("-inf")
        self._started = False

    def interview_started(self) -> None:
        """An interview was started (and committed): look for it at the next chance."""
        with self._lock:
            self._started = True

    def prepare_next(self) -> bool:
        """Prepare the next waiting question with the default grader; False if none waits.

        A grader that fails to prepare is logged and skipped: the answer's own grading will
        meet the same error and report it where the candidate sees it.
        """
        question = self._next()
        if question is None:
            return False
        try:
            self.graders.prepare([question])
        except Exception:
            log.exception("could not prepare a question for grading")
        return True

    def _next(self) -> GradingQuestion | None:
        with self._lock:
            due = self._started or time.monotonic() - self._looked_at >= self.look_every_s
            if not self._waiting and due:
                self._started = False
                self._looked_at = time.monotonic()
                with self.database.session() as session:
                    self._after, questions = started_questions(session=session, after=self._after)
                self._waiting.extend(questions)
            return self._waiting.popleft() if self._waiting else None
