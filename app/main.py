"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import event
from starlette.types import ASGIApp

from app import PROJECT_ROOT, __version__
from app.accounts.current import SignInRequired, current_user, sign_in_url
from app.accounts.limits import SignInLimiter
from app.accounts.passwords import Passwords
from app.accounts.users import Account, ensure_local_user, has_password_user
from app.api.docs import router as docs_router
from app.api.router import install_error_handlers
from app.api.router import router as api_router
from app.api.score import ScoringGate
from app.config import Settings
from app.db import Database
from app.grading.graders import GraderPool
from app.grading.registry import GraderFactory, grader_factories, grader_names
from app.health import router as health_router
from app.material.upload import UploadPreparer
from app.practice.workers import GradingEvents, GradingWorkers
from app.security.body_limit import BodySizeLimitMiddleware
from app.security.csrf import CrossSiteMiddleware, CsrfTokens, load_secret_key
from app.security.headers import SecurityHeadersMiddleware
from app.security.hosts import TrustedHostMiddleware
from app.security.rate_limit import ApiRateLimitMiddleware, ApiRateLimits
from app.startup import open_database
from app.voice.service import transcriber_for
from app.web import accounts as account_pages
from app.web.pages import router as pages_router
from app.web.pages import web_body_limits

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, graders: Mapping[str, GraderFactory] | None = None
) -> FastAPI:
    """Build the app; the lifespan opens the database (migrated, seeded), warms the grader and
    starts the grading workers.

    `graders` adds grader factories by name to the built-in ones, for this app only.
    UnknownGraderError when GRADER names none of them.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = app.state.database = open_database(settings)
        app.state.local_account = _local_account(database, settings)
        pool: GraderPool = app.state.graders
        if settings.embedding_warmup:
            try:
                pool.warm_up()
            except Exception:  # a broken grader must not stop the bank from being served
                log.exception("could not start grader %r", settings.grader)
        events = app.state.grading_events = GradingEvents()
        workers = app.state.grading_workers = GradingWorkers(
            database=database,
            graders=pool,
            settings=settings,
            threads=settings.grading_workers,
            events=events,
        )
        event.listen(database.sessionmaker, "after_commit", workers.on_commit)
        app.state.scoring_gate = ScoringGate(settings.score_max_in_flight)
        workers.start()
        app.state.transcriber = transcriber_for(settings)
        if settings.voice_warmup:
            app.state.transcriber.start_background_load()
        app.state.upload_preparer = UploadPreparer()
        if settings.upload_warmup:
            app.state.upload_preparer.start()
        try:
            yield
        finally:
            app.state.upload_preparer.shutdown()
            workers.stop()
            database.dispose()

    app = FastAPI(
        title="mock-interview",
        version=__version__,
        description="Practise ML / AI engineering interviews from your own notes.",
        lifespan=lifespan,
        # Our own /docs page (app/api/docs.py) serves Swagger UI from static/, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    # Built here, not in the lifespan: an unknown GRADER stops the app before it serves.
    app.state.graders = GraderPool(settings, graders)
    app.state.grader_names = grader_names(grader_factories(graders))
    app.state.passwords = Passwords.from_settings(settings)
    app.state.sign_in_limiter = SignInLimiter(
        per_account=settings.sign_in_attempts_per_account,
        per_address=settings.sign_in_attempts_per_address,
        window_s=settings.sign_in_window_s,
    )
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static")
    app.include_router(health_router)
    app.include_router(api_router)
    app.include_router(docs_router)
    # Sign-in and sign-up are open; every other page needs the current user (the router's
    # dependency, so a page added later cannot forget it).
    app.include_router(account_pages.router)
    app.include_router(account_pages.signed_in)
    app.include_router(pages_router, dependencies=[Depends(current_user)])
    app.add_exception_handler(SignInRequired, _to_sign_in)
    app.state.body_limits = []
    install_error_handlers(app)  # the API's body limit comes first: /api has its own
    app.state.body_limits.extend(web_body_limits(settings))
    app.add_middleware(BodySizeLimitMiddleware, limits=app.state.body_limits)
    limits = app.state.api_rate_limits = ApiRateLimits.of(
        api_rate_limit=settings.api_rate_limit, score_rate_limit=settings.score_rate_limit
    )
    # Outside the body limit too: a client over its rate is refused before its body is read.
    app.add_middleware(
        ApiRateLimitMiddleware, limits=limits, keys_required=settings.api_keys_enforced
    )
    # Outside the body limit: a cross-site upload is refused before any of it is read.
    tokens = CsrfTokens(load_secret_key(settings.secret_key, settings.data_dir))
    app.add_middleware(CrossSiteMiddleware, tokens=tokens)
    _outermost(app, settings)
    return app


def _outermost(app: FastAPI, settings: Settings) -> None:
    """Put the security headers and the Host check outside Starlette's own error middleware.

    Middleware added with `add_middleware` runs inside ServerErrorMiddleware, whose 500s
    would otherwise go out without the headers.
    """
    build = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        inner = TrustedHostMiddleware(build(), allowed_hosts=settings.allowed_hosts)
        return SecurityHeadersMiddleware(inner)

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]


def _local_account(database: Database, settings: Settings) -> Account:
    """The user of AUTH=none (the first user); with AUTH=password, say how to add the first."""
    with database.session() as session:
        account = Account.of(ensure_local_user(session=session))
        nobody_can_sign_in = not has_password_user(session=session)
    if settings.auth_mode == "password" and nobody_can_sign_in:
        log.warning(
            "AUTH=password and no user can sign in yet: create the first one with "
            "`mock-interview user create NAME --admin` (in Docker: "
            "`docker compose exec app mock-interview user create NAME --admin`)"
        )
    return account


async def _to_sign_in(request: Request, exc: Exception) -> Response:
    """A page without a sign-in: 303 to the sign-in page (htmx: told to go there)."""
    assert isinstance(exc, SignInRequired)
    target = sign_in_url(exc.next_path)
    if request.headers.get("HX-Request") == "true":
        return HTMLResponse("", status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
