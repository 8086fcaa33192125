"""The colour theme a reader picked: light, dark, or (no cookie) whatever the system prefers."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse

from app.web.render import HtmlErrorRoute
from app.web.templating import THEME_COOKIE

router = APIRouter(include_in_schema=False, route_class=HtmlErrorRoute)

ONE_YEAR_S = 365 * 24 * 3600


def _local_path(target: str) -> str:
    # Only a path on this site: never an open redirect to another host.
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@router.post("/theme")
def set_theme(
    theme: Annotated[Literal["light", "dark", "system"], Form()],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> RedirectResponse:
    """Remember the reader's theme in a cookie and go back to the page they were on."""
    response = RedirectResponse(_local_path(back), status_code=303)
    if theme == "system":
        response.delete_cookie(THEME_COOKIE)
    else:
        response.set_cookie(THEME_COOKIE, theme, max_age=ONE_YEAR_S, samesite="lax", httponly=True)
    return response
