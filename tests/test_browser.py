"""End to end in a real Chromium: a two-question mock interview against a real uvicorn server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app import PROJECT_ROOT
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.models import Question
from tests.browser_support import launch_chromium, serve
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS

MATERIAL = Path(__file__).parent / "material"
GRADE_TIMEOUT_MS = 120_000  # the first grade may wait for the embedding model to load

pytestmark = pytest.mark.browser


def _grader() -> str:
    try:
        import app.grading.embedding  # noqa: F401
    except Exception:
        return "fake"
    return "embedding"


@pytest.fixture(scope="module")
def browser_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings on a fresh data dir with the real offline grader when it is installed."""
    return pinned_settings(
        data_dir=tmp_path_factory.mktemp("browser") / "data",
        grader=_grader(),
        embedding_warmup=True,
    )


@pytest.fixture(scope="module")
def server(browser_settings: Settings) -> Iterator[str]:
    """A uvicorn server in a background thread; yields its base URL."""
    with serve(create_app(browser_settings, graders=FAKE_GRADERS)) as base:
        yield base


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """Chromium through Playwright; skipped when it is not installed (unless REQUIRE_BROWSER=1)."""
    with launch_chromium() as browser:
        yield browser


# Screenshots of states the page walk (tests/test_page_walk.py) does not reach: the grade card
# of a good and of a weak answer by the real grader. The walk photographs every page.
DOC_SCREENSHOTS = {"grade-card", "grade-card-weak", "grade-card-8-points"}


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go: $SCREENSHOT_DIR, else a temporary folder (never the checkout)."""
    configured = os.environ.get("SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _to_docs(path: Path) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and path.stem in DOC_SCREENSHOTS:
        shutil.copyfile(path, PROJECT_ROOT / "docs" / "screenshots" / path.name)


def _shoot(page: object, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    _to_docs(path)


def _reference_answer(settings: Settings, prompt: str) -> tuple[int, str]:
    database = Database.from_url(settings.resolved_database_url)
    try:
        with database.session() as session:
            question = session.scalar(select(Question).where(Question.text == prompt))
            assert question is not None, prompt
            return question.id, question.reference_answer
    finally:
        database.dispose()


def _wait_for_score(page: object) -> float:
    score = page.locator("[data-testid=score]")  # type: ignore[attr-defined]
    score.wait_for(state="visible", timeout=GRADE_TIMEOUT_MS)
    return float(score.inner_text())


def test_two_question_interview_in_chromium(
    server: str, chromium: object, browser_settings: Settings, screenshots: Path
) -> None:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(server + "/")
    page.locator("[data-testid=topic]").first.wait_for()
    _shoot(page, screenshots, "home")

    # Start a two-question interview with the options form.
    page.get_by_text("Choose topics, length, order and a time limit").click()
    page.get_by_label("Number of questions").fill("2")
    page.get_by_label("Time per question").select_option(label="3 minutes")
    page.get_by_role("button", name="Start with these options").click()
    page.wait_for_url("**/interviews/*/items/*")
    assert page.get_by_test_id("progress").inner_text() == "Question 1 of 2"
    assert page.get_by_test_id("countdown").is_visible()

    # Answer well: the reference answer, submitted with Ctrl+Enter.
    prompt = page.get_by_test_id("prompt").inner_text().strip()
    first_question_id, reference = _reference_answer(browser_settings, prompt)
    answer = page.get_by_test_id("answer-input")
    answer.fill(reference)
    assert page.get_by_test_id("word-count").inner_text() == f"{len(reference.split())} words"
    _shoot(page, screenshots, "interview")
    page.evaluate("window.__stillHere = 'yes'")
    answer.press("Control+Enter")
    good = _wait_for_score(page)
    assert page.evaluate("window.__stillHere") == "yes", "the grade card must not reload the page"
    assert page.get_by_test_id("verdict").is_visible()
    assert page.locator("[data-testid=answer-text] mark").count() > 0
    _shoot(page, screenshots, "grade-card")

    # The second question: a draft survives a reload, then a poor answer.
    page.get_by_test_id("next-question").click()
    page.wait_for_url("**/interviews/*/items/*")
    assert page.get_by_test_id("progress").inner_text() == "Question 2 of 2"
    shown_at = page.locator("input[name=shown_at]").input_value()
    page.get_by_test_id("answer-input").fill("I do not really know")
    page.reload()
    assert page.get_by_test_id("answer-input").input_value() == "I do not really know"
    # The clock keeps running from when the question was first shown.
    assert page.locator("input[name=shown_at]").input_value() == shown_at
    page.evaluate("window.__stillHere = 'again'")
    page.get_by_test_id("answer-input").fill("I do not really know, maybe something with data?")
    page.get_by_test_id("submit-answer").click()
    bad = _wait_for_score(page)
    assert page.evaluate("window.__stillHere") == "again"
    assert bad != good and bad < good
    assert page.get_by_test_id("next-question").count() == 0
    _shoot(page, screenshots, "grade-card-weak")
    # The draft (and its clock) was cleared once the answer was graded.
    assert page.evaluate("Object.keys(localStorage).filter(k => /^(draft|shown):/.test(k))") == []

    page.get_by_test_id("finish-interview").click()
    page.get_by_test_id("session-summary").wait_for()
    assert page.get_by_test_id("summary-row").count() == 2
    _shoot(page, screenshots, "summary")

    page.goto(f"{server}/questions/{first_question_id}/history")
    page.get_by_test_id("score-chart").wait_for()
    assert page.get_by_test_id("attempt").count() == 1
    _shoot(page, screenshots, "history")

    page.goto(server + "/material")
    page.get_by_label("Notes file", exact=True).set_input_files(str(MATERIAL / "day2.txt"))
    page.evaluate("window.__stillHere = 'upload'")
    page.get_by_test_id("upload").click()
    page.get_by_test_id("import-report").wait_for()
    assert page.evaluate("window.__stillHere") == "upload"
    assert "4 new" in page.get_by_test_id("import-report").inner_text()
    _shoot(page, screenshots, "material")

    # Readable on a phone.
    phone = chromium.new_context(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    small = phone.new_page()
    small.goto(page.url.replace("/material", "/"))
    small.get_by_test_id("start-interview").click()
    small.wait_for_url("**/interviews/*/items/*")
    width = small.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no sideways scrolling on a phone"
    _shoot(small, screenshots, "interview-phone")
    phone.close()

    context.close()
    assert errors == [], errors


def test_an_eight_point_grade_card_fits_one_screen(
    server: str, chromium: object, browser_settings: Settings, screenshots: Path
) -> None:
    prompt = "Can you explain the Transformer architecture and what makes it so effective?"
    question_id, reference = _reference_answer(browser_settings, prompt)
    context = chromium.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server + "/")
    page.locator(f"[data-question-id='{question_id}'] [data-testid=practise-question]").click()
    page.wait_for_url("**/interviews/*/items/*")
    # Half the reference: some points covered with evidence, some missed with follow-ups.
    page.get_by_test_id("answer-input").fill(reference[: len(reference) // 2])
    page.get_by_test_id("submit-answer").click()
    _wait_for_score(page)
    card = page.get_by_test_id("grade-card")
    points = card.locator("[data-testid=covered-point], [data-testid=missed-point]")
    assert points.count() == 8
    height = card.bounding_box()["height"]
    _shoot_element(card, screenshots, "grade-card-8-points")
    assert height <= 900, f"the grade card of an 8-point answer is {height:.0f} px high"
    # A label opens to the point's full text.
    first = points.first
    first.locator("summary").click()
    assert first.get_by_test_id("point-text").is_visible()
    context.close()


def _shoot_element(locator: object, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    locator.screenshot(path=str(path))  # type: ignore[attr-defined]
    _to_docs(path)
