"""In a real Chromium: forms without JavaScript, a cross-site form refused, /docs under the CSP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Interview
from tests.browser_support import launch_chromium, serve
from tests.fakes import FAKE_GRADERS
from tests.test_browser import MATERIAL

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Chromium through Playwright; skipped when it is not installed (unless REQUIRE_BROWSER=1)."""
    with launch_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def plain_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Default TRUSTED_HOSTS (loopback), the instant fake grader."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("browser-security") / "data",
        grader="fake",
        embedding_warmup=False,
        voice_warmup=False,
    )


@pytest.fixture(scope="module")
def site(plain_settings: Settings) -> Iterator[str]:
    """The app in a background uvicorn on 127.0.0.1; yields its base URL."""
    with serve(create_app(plain_settings, graders=FAKE_GRADERS)) as url:
        yield url


def _interviews(settings: Settings) -> int:
    database = Database.from_url(settings.resolved_database_url)
    try:
        with database.session() as session:
            return session.scalar(select(func.count()).select_from(Interview)) or 0
    finally:
        database.dispose()


def test_forms_work_without_javascript(site: str, chromium: object) -> None:
    context = chromium.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site + "/")
    page.get_by_test_id("start-interview").click()
    page.wait_for_url("**/interviews/*/items/*")
    page.get_by_test_id("answer-input").fill("Attention lets every token weigh the others.")
    page.get_by_test_id("submit-answer").click()
    page.get_by_test_id("score").wait_for()
    page.goto(site + "/material")
    page.get_by_label("Notes file", exact=True).set_input_files(str(Path(MATERIAL) / "day2.txt"))
    page.get_by_test_id("upload").click()
    assert "4 new" in page.get_by_test_id("import-report").inner_text()
    context.close()


def test_a_form_on_another_site_is_refused(
    site: str, chromium: object, plain_settings: Settings
) -> None:
    before = _interviews(plain_settings)
    context = chromium.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site + "/")  # the visitor has the app's cookie
    evil = (
        f'<form method="post" action="{site}/interviews">'
        '<input type="hidden" name="count" value="1">'
        '<input type="hidden" name="csrf_token" value="guessed">'
        '<button id="go">Win a prize</button></form>'
    )
    page.route(
        "http://evil.example/",
        lambda route: route.fulfill(body=evil, content_type="text/html"),
    )
    page.goto("http://evil.example/")
    with page.expect_navigation() as navigation:
        page.click("#go")
    response = navigation.value
    assert response is not None and response.status == 403
    assert page.get_by_test_id("error").get_attribute("data-status") == "403"
    assert _interviews(plain_settings) == before
    context.close()


def test_docs_render_under_the_csp(site: str, chromium: object) -> None:
    context = chromium.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(site) else None,
    )
    page.goto(site + "/docs")
    page.locator(".opblock").first.wait_for(timeout=30_000)
    assert page.locator(".opblock").count() > 10
    assert problems == [], problems
    assert outside == [], outside
    context.close()
