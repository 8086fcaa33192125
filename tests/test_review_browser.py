"""Spaced review, the last word and the progress page in a real Chromium (desktop and phone)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.accounts.users import ensure_local_user
from app.config import Settings
from app.db import Database
from app.models import Question, ReviewLog, utcnow
from app.practice.reviews import record_review
from tests.test_browser import _shoot, _wait_for_score, chromium, screenshots, server

__all__ = ["chromium", "screenshots", "server"]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The fake grader: these flows are about review, not grading quality."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("review-browser") / "data",
        grader="fake",
        embedding_warmup=False,
    )


@pytest.fixture
def database(browser_settings: Settings) -> Iterator[Database]:
    """The server's database, for arranging history and checking rows."""
    db = Database.from_url(browser_settings.resolved_database_url)
    yield db
    db.dispose()


def _reference(database: Database, prompt: str) -> str:
    with database.session() as session:
        question = session.scalar(select(Question).where(Question.text == prompt))
        assert question is not None, prompt
        return question.reference_answer


def test_review_override_skip_and_progress_in_chromium(
    server: str, chromium: object, database: Database, screenshots: Path
) -> None:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(server + "/")
    assert page.get_by_test_id("due-count").inner_text() == "0 due today"
    assert page.get_by_test_id("new-count").get_attribute("data-count") == "8"
    page.get_by_test_id("learn-new").click()
    page.wait_for_url("**/interviews/*/items/*")

    # A good answer, which the person thinks was graded too kindly: "I disagree".
    prompt = page.get_by_test_id("prompt").inner_text().strip()
    page.get_by_test_id("answer-input").fill(_reference(database, prompt))
    page.get_by_test_id("submit-answer").click()
    machine = _wait_for_score(page)
    page.get_by_test_id("disagree").locator("summary").click()
    page.get_by_test_id("override-score").fill("35")
    page.get_by_test_id("override-verdict").select_option("incorrect")
    page.get_by_test_id("save-override").click()
    page.get_by_test_id("own-grade").wait_for()
    assert float(page.get_by_test_id("score").inner_text()) == 35
    assert float(page.get_by_test_id("machine-score").inner_text()) == machine
    _shoot(page, screenshots, "grade-card-override")

    # The next question: "I don't know" shows the reference and records a lapse.
    page.get_by_test_id("next-question").click()
    page.wait_for_url("**/interviews/*/items/*")
    page.get_by_test_id("skip-question").click()
    page.get_by_text("You skipped this one").wait_for()
    assert page.get_by_test_id("reference-answer").is_visible()
    _shoot(page, screenshots, "grade-card-skipped")
    with database.session() as session:
        logs = session.scalars(select(ReviewLog).order_by(ReviewLog.id)).all()
        assert [(log.source, log.rating) for log in logs] == [("self", 1), ("skip", 1)]

    # Two questions reviewed long ago are due now; Review now takes the most overdue first.
    with database.session() as session:
        user = ensure_local_user(session=session)
        taken = {log.question_id for log in logs}
        old = [
            q for q in session.scalars(select(Question).order_by(Question.id)) if q.id not in taken
        ]
        for question, days in ((old[0], 20), (old[1], 45)):
            record_review(
                session=session,
                user_id=user.id,
                question_id=question.id,
                score=50,
                reviewed_at=utcnow() - timedelta(days=days),
            )
        most_overdue = old[1].text
    page.goto(server + "/")
    assert page.get_by_test_id("due-count").inner_text() == "2 due today"
    _shoot(page, screenshots, "home-review")
    page.get_by_test_id("review-now").click()
    page.wait_for_url("**/interviews/*/items/*")
    assert page.get_by_test_id("prompt").inner_text().strip() == most_overdue
    page.get_by_test_id("answer-input").fill(_reference(database, most_overdue))
    page.get_by_test_id("submit-answer").click()
    _wait_for_score(page)
    page.goto(server + "/")
    assert page.get_by_test_id("due-count").inner_text() == "1 due today"

    # The progress page shows the override, readiness and the streak.
    page.goto(server + "/progress")
    assert page.get_by_test_id("override").count() == 1
    assert page.get_by_test_id("streak").locator("strong").inner_text() == "1 day"
    assert float(page.get_by_test_id("readiness").locator("strong").get_attribute("data-value")) > 0
    assert page.get_by_test_id("part-chart").count() >= 1
    _shoot(page, screenshots, "progress")
    context.close()

    # Readable on a phone, with no sideways scrolling.
    phone = chromium.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    small = phone.new_page()
    for path, name in (("/progress", "progress-phone"), ("/", "home-review-phone")):
        small.goto(server + path)
        assert small.evaluate("document.documentElement.scrollWidth") <= 390, path
        _shoot(small, screenshots, name)
    phone.close()

    # And without JavaScript: the page is all there, and Review now still works.
    plain = chromium.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    bare = plain.new_page()
    bare.goto(server + "/progress")
    assert bare.get_by_test_id("readiness").is_visible()
    bare.goto(server + "/")
    bare.get_by_test_id("review-now").click()
    bare.wait_for_url("**/interviews/*/items/*")
    plain.close()
    assert errors == [], errors
