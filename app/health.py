"""GET /healthz: whether the app can serve, and what is still warming up."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import text

router = APIRouter()


def health_report(app: FastAPI) -> dict[str, Any]:
    """Readiness of the database and the grader; `warming_up` lists what is not ready yet."""
    database: dict[str, Any] = {"ok": True}
    try:
        with app.state.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # report, don't raise: this is the health check
        database = {"ok": False, "error": str(exc)}
    grader = app.state.graders.readiness()
    warming_up = [] if grader["ready"] else ["grader"]
    status = "degraded" if not database["ok"] else "warming_up" if warming_up else "ok"
    return {"status": status, "database": database, "grader": grader, "warming_up": warming_up}


def respond_health(request: Request, response: Response) -> dict[str, Any]:
    """The health report; 503 when the database is unreachable (a warming grader is still 200)."""
    report = health_report(request.app)
    if report["status"] == "degraded":
        response.status_code = 503
    return report


@router.get("/healthz", tags=["health"])
def healthz(request: Request, response: Response) -> dict[str, Any]:
    """Readiness of database and grader: 200 once pages can be served, 503 without a database."""
    return respond_health(request, response)
