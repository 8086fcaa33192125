"""GET /docs: Swagger UI from vendored assets (static/vendor), under the app's CSP."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web.templating import templates

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The interactive API reference, built from /openapi.json."""
    context = {"openapi_url": request.app.openapi_url}
    return templates.TemplateResponse(request, "api_docs.html", context)
