"""Grading workers: threads that take jobs from the queue, in the server or in their own process."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import Database
from app.grading.base import Grade
from app.grading.graders import GraderPool
from app.models import GRADING_DONE, GRADING_PENDING, Heartbeat, utcnow
from app.practice.grading_queue import ENQUEUED, GradingJob, claim_jobs, complete_job, fail_job
from app.practice.grading_queue import renew_leases as renew
from app.practice.preparation import Preparation
from app.practice.turns import INTERVIEW_STARTED

log = logging.getLogger(__name__)

IDLE_POLL_S = 1.0  # how often an idle worker looks for jobs queued by other processes
# Answers a worker claims at once: graded in one model pass, stored in one transaction.
CLAIM_BATCH = 8
HEARTBEAT_PREFIX = "worker:"
STALE_HEARTBEAT = timedelta(days=1)


def beat(*, session: Session, name: str) -> None:
    """Record that `name` is alive now (one row per name, written in place)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = dialect.insert(Heartbeat).values(name=name, beat_at=now)
    session.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"beat_at": now}))


class GradingEvents:
    """Lets requests await an answer's grade without holding a thread or a connection."""

    def __init__(self, remember: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._finished: OrderedDict[int, None] = OrderedDict()
        self._remember = remember

    def finished(self, answer_id: int) -> None:
        """An answer's grading ended (graded or failed); wake whoever waits for it."""
        with self._lock:
            self._finished[answer_id] = None
            while len(self._finished) > self._remember:
                self._finished.popitem(last=False)
            waiters = self._waiters.pop(answer_id, [])
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def forget(self, answer_id: int) -> None:
        """The answer was queued again: waiting for it waits for the new attempt."""
        with self._lock:
            self._finished.pop(answer_id, None)

    async def wait(self, answer_id: int, timeout: float) -> bool:
        """Wait until this process finished grading the answer; False on timeout."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            if answer_id in self._finished:
                return True
            self._waiters.setdefault(answer_id, []).append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                waiting = self._waiters.get(answer_id, [])
                if entry in waiting:
                    waiting.remove(entry)
                if not waiting:
                    self._waiters.pop(answer_id, None)


def grade_next(
    *,
    database: Database,
    graders: GraderPool,
    settings: Settings,
    events: GradingEvents | None = None,
    running: set[int] | None = None,
    limit: int = 1,
) -> list[int]:
    """Claim up to `limit` jobs, grade them with no transaction open, store the outcomes.

    The answer ids taken (none when the queue is empty). Jobs asking for the same grader are
    graded in one `grade_batch` call, the way a model is fastest.
    """
    with database.session() as session:
        jobs = claim_jobs(
            session=session,
            lease_s=settings.grading_lease_s,
            max_attempts=settings.grading_max_attempts,
            limit=limit,
        )
    if not jobs:
        return []
    ids = [job.answer_id for job in jobs]
    if running is not None:
        running.update(ids)
    try:
        outcomes = _grade(jobs, graders)
        with database.session() as session:
            states = {
                job.answer_id: _store(session, job, outcome, settings) for job, outcome in outcomes
            }
    finally:
        if running is not None:
            running.difference_update(ids)
    if events is not None:
        for answer_id, state in states.items():
            if state != GRADING_PENDING:
                events.finished(answer_id)
    return ids


Outcome = Grade | Exception


def _grade(jobs: list[GradingJob], graders: GraderPool) -> list[tuple[GradingJob, Outcome]]:
    by_grader: dict[str | None, list[GradingJob]] = {}
    for job in jobs:
        by_grader.setdefault(job.grader, []).append(job)
    outcomes: list[tuple[GradingJob, Outcome]] = []
    for name, group in by_grader.items():
        try:
            grader = graders.get(name)
        except Exception as exc:  # e.g. a model that cannot be loaded: each job fails with it
            log.exception("cannot build grader %r", name)
            outcomes.extend((job, exc) for job in group)
            continue
        try:
            results: list[Outcome] = list(
                grader.grade_batch([(job.question, job.text) for job in group])
            )
        except Exception:  # one answer may break a batch: grade each alone, so only it fails
            log.exception("grader %s failed on a batch of %d", grader.name, len(group))
            results = []
            for job in group:
                try:
                    results.append(grader.grade(job.question, job.text))
                except Exception as exc:  # the grader is not ours to trust; the answer survives
                    log.exception("grading answer %s failed", job.answer_id)
                    results.append(exc)
        outcomes.extend(zip(group, results, strict=True))
    return outcomes


def _store(session: Session, job: GradingJob, outcome: Outcome, settings: Settings) -> str:
    if isinstance(outcome, Exception):
        state = fail_job(
            session=session,
            job=job,
            error=f"{type(outcome).__name__}: {outcome}",
            max_attempts=settings.grading_max_attempts,
        )
        return state or "lost"
    return (
        GRADING_DONE
        if complete_job(
            session=session,
            job=job,
            result=outcome,
            default_retention=settings.review_desired_retention,
        )
        else "lost"
    )


def drain_queue(*, database: Database, graders: GraderPool, settings: Settings) -> int:
    """Grade every job that can be claimed now, in this thread; how many were taken."""
    taken = 0
    while batch := grade_next(
        database=database, graders=graders, settings=settings, limit=CLAIM_BATCH
    ):
        taken += len(batch)
    return taken


class GradingWorkers:
    """Worker threads with a heartbeat that renews their jobs' leases while they grade.

    A worker with no job to take prepares the questions of interviews just started.
    """

    def __init__(
        self,
        *,
        database: Database,
        graders: GraderPool,
        settings: Settings,
        threads: int,
        events: GradingEvents | None = None,
    ) -> None:
        self.database = database
        self.graders = graders
        self.settings = settings
        self.threads = threads
        self.events = events
        self.name = f"{HEARTBEAT_PREFIX}{socket.gethostname()}:{os.getpid()}"
        self.preparation = Preparation(database=database, graders=graders, look_every_s=IDLE_POLL_S)
        self._running: set[int] = set()
        self._wake = threading.Condition()
        self._pending_wakes = 0
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Start the worker threads and the heartbeat (nothing when threads is 0)."""
        if self.threads <= 0:
            return
        self._stop.clear()
        self._beat()  # so that health reports this worker from the start
        for n in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"grading-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        heartbeat = threading.Thread(target=self._heartbeat, name="grading-heartbeat", daemon=True)
        heartbeat.start()
        self._threads.append(heartbeat)

    def wake(self) -> None:
        """A job was queued (and committed): an idle worker should look now."""
        with self._wake:
            self._pending_wakes += 1
            self._wake.notify()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; wait a little for the threads (a hung grader is left behind)."""
        self._stop.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)
        self._threads = []

    def on_commit(self, session: Session) -> None:
        """Session hook: wake a worker when the committed unit of work queued an answer or
        started an interview (whose questions it then prepares)."""
        enqueued = session.info.pop(ENQUEUED, False)
        if session.info.pop(INTERVIEW_STARTED, False):
            self.preparation.interview_started()
            self.wake()
        elif enqueued:
            self.wake()

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                taken = grade_next(
                    database=self.database,
                    graders=self.graders,
                    settings=self.settings,
                    events=self.events,
                    running=self._running,
                    limit=CLAIM_BATCH,
                )
                # Only a worker with no job to take prepares a question, one at a time.
                busy = bool(taken) or self.preparation.prepare_next()
            except Exception:  # e.g. the database is briefly unreachable: try again shortly
                log.exception("grading worker failed to take a job")
                busy = False
                self._stop.wait(IDLE_POLL_S)
            if not busy:
                with self._wake:
                    if not self._pending_wakes and not self._stop.is_set():
                        self._wake.wait(IDLE_POLL_S)
                    self._pending_wakes = 0

    def _heartbeat(self) -> None:
        interval = max(0.5, self.settings.grading_lease_s / 3)
        while not self._stop.wait(interval):
            try:
                self._beat()
            except Exception:
                log.exception("grading heartbeat failed")

    def _beat(self) -> None:
        with self.database.session() as session:
            renew(
                session=session,
                answer_ids=sorted(self._running),
                lease_s=self.settings.grading_lease_s,
            )
            beat(session=session, name=self.name)
            session.execute(delete(Heartbeat).where(Heartbeat.beat_at < utcnow() - STALE_HEARTBEAT))
