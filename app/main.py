"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app import PROJECT_ROOT, __version__
from app.api.router import install_error_handlers
from app.api.router import router as api_router
from app.config import Settings
from app.grading.graders import GraderPool
from app.grading.registry import GraderFactory, grader_factories, grader_names
from app.health import router as health_router
from app.startup import open_database
from app.web.pages import router as pages_router
from app.web.security import SecurityHeadersMiddleware

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, graders: Mapping[str, GraderFactory] | None = None
) -> FastAPI:
    """Build the app; the lifespan opens the database (migrated, seeded) and warms the grader.

    `graders` adds grader factories by name to the built-in ones, for this app only.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = open_database(settings)
        app.state.graders = GraderPool(settings, graders)
        if settings.embedding_warmup:
            try:
                app.state.graders.warm_up()
            except Exception:  # a broken grader must not stop the bank from being served
                log.exception("could not start grader %r", settings.grader)
        try:
            yield
        finally:
            app.state.database.dispose()

    app = FastAPI(
        title="mock-interview",
        version=__version__,
        description="Practise ML / AI engineering interviews from your own notes.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.grader_names = grader_names(grader_factories(graders))
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(pages_router)
    install_error_handlers(app)
    # Added last, so it is the outermost middleware: even an early 413 gets the headers.
    app.add_middleware(SecurityHeadersMiddleware)
    return app
