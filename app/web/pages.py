"""Pages: the question bank and the interview form; every web route hangs off `router`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from app.deps import DbSession
from app.material.bank import bank_outline
from app.practice.sessions import MAX_QUESTIONS
from app.practice.stats import topic_averages
from app.practice.users import get_or_create_user
from app.voice import web as voice_web
from app.web import history, interview, material, theme
from app.web.render import HtmlErrorRoute, error_page, render
from app.web.start_form import ORDERS

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

TIME_LIMITS = [
    (None, "No time limit"),
    (60, "1 minute"),
    (120, "2 minutes"),
    (180, "3 minutes"),
    (300, "5 minutes"),
]


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession) -> HTMLResponse:
    """The question bank by part and topic with recent averages, and the interview form."""
    parts = bank_outline(session=session)
    user = get_or_create_user(session=session)
    context = {
        "parts": parts,
        "averages": topic_averages(session=session, user_id=user.id),
        "orders": ORDERS,
        "time_limits": TIME_LIMITS,
        "max_questions": MAX_QUESTIONS,
        "default_count": min(5, sum(part.question_count for part in parts)) or 1,
    }
    return render(request, "home.html", context)


router.include_router(interview.router)
router.include_router(history.router)
router.include_router(material.router)
router.include_router(voice_web.router)
router.include_router(theme.router)


@router.get("/{path:path}", response_class=HTMLResponse)
def not_found(request: Request, path: str) -> HTMLResponse:
    """Any other page: a 404 page rather than a bare JSON error (the API keeps its JSON 404)."""
    if path == "api" or path.startswith("api/"):
        raise HTTPException(status_code=404)
    return error_page(request, status_code=404, message=f"There is no page at /{path}.")
