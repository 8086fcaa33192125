"""GET /healthz: whether the app can serve and store answers, and what is still warming up."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import func, select

from app.db import Database
from app.models import GRADING_PENDING, GRADING_RUNNING, Answer, Heartbeat, utcnow
from app.practice.workers import HEARTBEAT_PREFIX, beat

router = APIRouter()

# A write probe per health check would queue behind every answer on SQLite; one every few
# seconds says the same thing.
PROBE_EVERY_S = 2.0
PROBE_NAME = "healthz"


class DatabaseProbe:
    """Writes one heartbeat row (committed) to prove the database takes writes; cached briefly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at = 0.0
        self._result: dict[str, Any] = {}

    def check(self, database: Database) -> dict[str, Any]:
        """{"ok": True, "writable": True} or the reason it is not."""
        with self._lock:
            now = time.monotonic()
            if self._result and now - self._at < PROBE_EVERY_S:
                return self._result
            if now - database.last_write_at < PROBE_EVERY_S or database.writing:
                # Answers were just committed, or a writer is in its transaction (a large
                # import, say): that is the proof, and the probe would only queue for the
                # write lock behind them, holding every health check up with it.
                self._result, self._at = {"ok": True, "writable": True}, now
                return self._result
            self._result = self._probe(database)
            self._at = time.monotonic()
            return self._result

    @staticmethod
    def _probe(database: Database) -> dict[str, Any]:
        try:
            with database.session(write=False) as session:
                session.execute(select(1))
        except Exception as exc:  # report, don't raise: this is the health check
            return {"ok": False, "writable": False, "error": _reason(exc)}
        try:
            with database.session() as session:
                beat(session=session, name=PROBE_NAME)
        except Exception as exc:  # e.g. a read-only file or a full disk
            return {"ok": False, "writable": False, "error": _reason(exc)}
        return {"ok": True, "writable": True}


def _reason(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return text.splitlines()[0] if text else type(exc).__name__


def grading_report(database: Database, *, lease_s: float) -> dict[str, Any]:
    """The queue: answers waiting, being graded, and workers heard from within two leases."""
    try:
        with database.session(write=False) as session:
            counts = dict(
                session.execute(
                    select(Answer.grading_state, func.count())
                    .where(Answer.grading_state.in_((GRADING_PENDING, GRADING_RUNNING)))
                    .group_by(Answer.grading_state)
                ).all()
            )
            alive = session.scalar(
                select(func.count())
                .select_from(Heartbeat)
                .where(
                    Heartbeat.name.startswith(HEARTBEAT_PREFIX),
                    Heartbeat.beat_at >= utcnow() - timedelta(seconds=2 * lease_s),
                )
            )
    except Exception as exc:
        return {"error": _reason(exc)}
    return {
        "pending": counts.get(GRADING_PENDING, 0),
        "running": counts.get(GRADING_RUNNING, 0),
        "workers_alive": alive or 0,
    }


def health_report(app: FastAPI) -> dict[str, Any]:
    """Readiness of database, grader and queue; `degraded` with a reason when answers can't be
    stored; `warming_up` lists what is not ready yet."""
    state = app.state
    probe: DatabaseProbe = getattr(state, "database_probe", None) or DatabaseProbe()
    state.database_probe = probe
    database = probe.check(state.database)
    grader = state.graders.readiness()
    warming_up = [] if grader["ready"] else ["grader"]
    # Spoken answers are optional: a missing or failed model is reported, never a failure.
    voice = state.transcriber.readiness()
    if voice["loading"]:
        warming_up.append("voice")
    # The process that parses uploads, while it boots at start-up (UPLOAD_WARMUP).
    if state.upload_preparer.readiness()["loading"]:
        warming_up.append("upload")
    grading = grading_report(state.database, lease_s=state.settings.grading_lease_s)
    report: dict[str, Any] = {
        "status": "degraded" if not database["ok"] else "warming_up" if warming_up else "ok",
        "database": database,
        "grader": grader,
        "grading": grading,
        "voice": voice,
        "warming_up": warming_up,
    }
    if not database["ok"]:
        report["reason"] = f"the database does not accept writes: {database['error']}"
    return report


def respond_health(request: Request, response: Response) -> dict[str, Any]:
    """The health report; 503 when answers cannot be stored (a warming grader is still 200)."""
    report = health_report(request.app)
    if report["status"] == "degraded":
        response.status_code = 503
    return report


@router.get("/healthz", tags=["health"])
def healthz(request: Request, response: Response) -> dict[str, Any]:
    """Readiness: 200 once pages can be served, 503 `degraded` when the database cannot write."""
    return respond_health(request, response)
