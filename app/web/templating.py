"""The Jinja2 environment shared by every page."""

from __future__ import annotations

from fastapi.templating import Jinja2Templates

from app import PROJECT_ROOT

templates = Jinja2Templates(directory=PROJECT_ROOT / "templates")
