"""The Jinja2 environment shared by every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from app import PROJECT_ROOT, __version__
from app.grading import base
from app.grading.key_points import is_filler
from app.models import utcnow
from app.security.csrf import csrf_field, csrf_token
from app.voice.service import voice_available


def _accounts(request: Request) -> dict[str, Any]:
    """Who is signed in, for the header: the account, and whether accounts are on."""
    settings = request.app.state.settings
    return {
        "account": getattr(request.state, "account", None),
        "accounts_on": settings.auth_mode == "password",
        "open_sign_up": settings.open_sign_up and settings.auth_mode == "password",
    }


templates = Jinja2Templates(directory=PROJECT_ROOT / "templates", context_processors=[_accounts])

THEME_COOKIE = "theme"
THEMES = ("light", "dark")


def chosen_theme(request: Request) -> str | None:
    """The colour theme the reader picked, or None to follow the system's preference."""
    value = request.cookies.get(THEME_COOKIE)
    return value if value in THEMES else None


@pass_context
def path_for(context: Context, name: str, /, **params: object) -> str:
    """The path of a named route, so templates never spell a URL by hand."""
    request: Request = context["request"]
    return request.url_for(name, **{key: str(value) for key, value in params.items()}).path


def duration(ms: int | None) -> str:
    """Milliseconds as people say them: '42 s', '3 min 05 s'; an em dash when unknown."""
    if ms is None:
        return "—"
    seconds = round(ms / 1000)
    if seconds < 1:
        return "under 1 s"
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60:02d} s"


def score_band(score: float | None) -> str:
    """A CSS class for a score: good, fair or weak, on the verdicts' scale (grading/base.py)."""
    return "none" if score is None else base.score_band(score)


VERDICTS = {
    "correct": "Correct",
    "partially_correct": "Partly correct",
    "incorrect": "Not there yet",
}


def percent(fraction: float | None) -> str:
    """A 0-1 fraction as a whole percentage: 0.874 -> '87%'."""
    return "—" if fraction is None else f"{round(100 * fraction)}%"


def due_phrase(due_at: datetime | None, now: datetime | None = None) -> str:
    """When a review is due, as people say it: 'due today', 'in 3 days', '2 days overdue'."""
    if due_at is None:
        return "not scheduled"
    today = (now or utcnow()).date()
    days = (due_at.date() - today).days
    if days == 0:
        return "due today"
    if days == 1:
        return "due tomorrow"
    if days > 1:
        return f"due in {days} days"
    return "1 day overdue" if days == -1 else f"{-days} days overdue"


templates.env.filters["duration"] = duration
templates.env.filters["percent"] = percent
templates.env.filters["due_phrase"] = due_phrase
templates.env.filters["score_band"] = score_band
templates.env.globals["verdicts"] = VERDICTS
# The meter's low/high are the verdicts' thresholds, so its colour and the verdict agree.
templates.env.globals["scale"] = {
    "partial_from": base.PARTIAL_FROM,
    "correct_from": base.CORRECT_FROM,
}
templates.env.globals["app_version"] = __version__
# Sentences about the speaker ("I'm familiar with…") get no follow-up: nothing to ask about.
templates.env.globals["is_filler"] = is_filler
templates.env.globals["voice_available"] = voice_available
templates.env.globals["chosen_theme"] = chosen_theme
templates.env.globals["path_for"] = path_for
# Every state-changing form: `{{ csrf_field() }}`; htmx sends `csrf_token()` as a header.
templates.env.globals["csrf_field"] = csrf_field
templates.env.globals["csrf_token"] = csrf_token
