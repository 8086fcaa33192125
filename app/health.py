"""GET /healthz: whether the app can serve, and what is still warming up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz", tags=["health"])
def healthz(request: Request) -> dict[str, Any]:
    """Readiness of the database and the grader; `warming_up` lists what is not ready yet."""
    database: dict[str, Any] = {"ok": True}
    try:
        with request.app.state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: this is the health check
        database = {"ok": False, "error": str(exc)}
    grader = request.app.state.graders.readiness()
    warming_up = [] if grader["ready"] else ["grader"]
    status = (
        "ok"
        if database["ok"] and not warming_up
        else "degraded"
        if not database["ok"]
        else "warming_up"
    )
    return {"status": status, "database": database, "grader": grader, "warming_up": warming_up}
