"""Rendering pages and htmx fragments from the same route, and the HTML error pages."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from app.material.notes import NotesError
from app.practice.errors import (
    AnswerTooLongError,
    InterviewFinished,
    NotFoundError,
    PracticeError,
)
from app.security.csrf import CsrfError
from app.web.templating import templates


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it wants a fragment, not a page)."""
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    page: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The fragment for htmx requests when one is given, else the full page."""
    name = fragment if fragment and is_htmx(request) else page
    return templates.TemplateResponse(request, name, context, status_code=status_code)


# The pages' status of each domain error a person can cause; the first class that matches
# wins (a subclass is listed before its base), anything else is 422.
DOMAIN_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (AnswerTooLongError, 413),
    (InterviewFinished, 409),
)


def error_status(exc: Exception) -> int:
    """The HTTP status of an error a person can cause."""
    return next((status for cls, status in DOMAIN_STATUSES if isinstance(exc, cls)), 422)


def error_page(request: Request, *, status_code: int, message: str) -> HTMLResponse:
    """A page (or, for htmx, a fragment) that says what went wrong."""
    titles = {
        403: "Refused",
        404: "Not found",
        409: "Already done",
        413: "Too long",
        422: "Cannot do that",
    }
    context = {
        "status_code": status_code,
        "title": titles.get(status_code, "Error"),
        "message": message,
    }
    return render(request, "error.html", context, fragment="_error.html", status_code=status_code)


def names_nothing(exc: RequestValidationError) -> bool:
    """True when an id in the URL is not a number in the range of ids: the URL names nothing."""
    return any(error.get("loc", ("",))[0] == "path" for error in exc.errors())


def _validation_message(exc: RequestValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error.get("loc", ())[1:]) or "request"
        problems.append(f"{field}: {error.get('msg', 'invalid value')}")
    return "Some form values are not valid — " + "; ".join(problems)


class HtmlErrorRoute(APIRoute):
    """A route whose user errors become HTML error pages instead of JSON or tracebacks."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap the handler so bad ids, bad forms and bad files render as pages."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except CsrfError as exc:
                return error_page(request, status_code=403, message=str(exc))
            except RequestValidationError as exc:
                if names_nothing(exc):
                    message = f"There is no page at {request.url.path}."
                    return error_page(request, status_code=404, message=message)
                return error_page(request, status_code=422, message=_validation_message(exc))
            except (PracticeError, NotesError) as exc:
                return error_page(request, status_code=error_status(exc), message=str(exc))

        return handle
