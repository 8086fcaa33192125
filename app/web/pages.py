"""Pages: the question bank and the interview form; every web route hangs off `router`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.types import Scope

from app.accounts.current import CurrentUser
from app.config import Settings
from app.deps import AppSettings, DbSession
from app.material.bank import bank_outline, by_source
from app.material.upload import MAX_UPLOAD_BYTES
from app.practice.options import MAX_QUESTIONS
from app.practice.progress import review_settings
from app.practice.reviews import daily_plan, review_queue
from app.practice.stats import topic_averages
from app.security.body_limit import BodyLimit
from app.security.csrf import require_csrf_token
from app.voice import web as voice_web
from app.web import history, interview, material, review, theme
from app.web.render import HtmlErrorRoute, error_page, render
from app.web.review import MAX_IMPORT_BYTES

# Every web route, and every one included below, wants the CSRF token on a state change.
router = APIRouter(
    include_in_schema=False,
    route_class=HtmlErrorRoute,
    dependencies=[Depends(require_csrf_token)],
)

# Room for the multipart boundaries and the other fields around an uploaded file.
MULTIPART_SLACK = 64 * 1024

# The orders the home page offers (the API also takes "bank"), with their labels.
ORDERS: dict[str, str] = {"random": "Random", "weakest": "Weakest first"}
TIME_LIMITS = [
    (None, "No time limit"),
    (60, "1 minute"),
    (120, "2 minutes"),
    (180, "3 minutes"),
    (300, "5 minutes"),
]


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, session: DbSession, user: CurrentUser, settings: AppSettings
) -> HTMLResponse:
    """The question bank by part and topic with recent averages and review state, today's
    review (due and new questions) and the interview form."""
    parts = bank_outline(session=session, user_id=user.id)
    prefs = review_settings(session=session, user_id=user.id, settings=settings)
    plan = daily_plan(session=session, user_id=user.id, **prefs.limits())
    cards = review_queue(
        session=session, user_id=user.id, desired_retention=prefs.desired_retention
    )
    context = {
        "plan": plan,
        "cards": {card.question_id: card for card in cards},
        "parts": parts,
        "banks": by_source(parts),
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
router.include_router(review.router)
router.include_router(voice_web.router)
router.include_router(theme.router)


def web_body_limits(settings: Settings) -> list[BodyLimit]:
    """The largest request bodies the pages take: an upload, a recording, any other form."""
    return [
        BodyLimit("/material", MAX_UPLOAD_BYTES + MULTIPART_SLACK, _too_large),
        BodyLimit("/recordings", settings.voice_max_bytes + MULTIPART_SLACK, _too_large),
        BodyLimit("/import", MAX_IMPORT_BYTES + MULTIPART_SLACK, _too_large),
        # An answer of MAX_ANSWER_CHARS, form-encoded (a character can take 9 bytes: %E2%80%94).
        BodyLimit("/", max(1 << 20, settings.max_answer_chars * 9) + MULTIPART_SLACK, _too_large),
    ]


def _too_large(scope: Scope, max_bytes: int) -> Response:
    size = f"{max_bytes / (1024 * 1024):.1f} MB"
    message = f"The request is larger than this page accepts ({size}); nothing was stored."
    return error_page(Request(scope), status_code=413, message=message)


@router.get("/{path:path}", response_class=HTMLResponse)
def not_found(request: Request, path: str) -> HTMLResponse:
    """Any other page: a 404 page rather than a bare JSON error (the API keeps its JSON 404)."""
    if path == "api" or path.startswith("api/"):
        raise HTTPException(status_code=404)
    return error_page(request, status_code=404, message=f"There is no page at /{path}.")
