"""A spoken answer in a real Chromium: its fake microphone plays a WAV made by espeak-ng.

Record -> the transcript fills the answer box -> submit -> the grade card shows delivery; and
the timed "answer out loud" mode starts and stops recording by itself.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.main import create_app
from app.voice.accuracy import word_error_rate
from tests.browser_support import CHROMIUM, serve
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS
from tests.speech import day1_answers, silence, speak, write_wav
from tests.voice_support import require_voice

TRANSCRIBE_S = 120  # the first transcription may wait for the model to load

pytestmark = [pytest.mark.browser, pytest.mark.voice]


@pytest.fixture(scope="module")
def spoken_answer(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, float]:
    """(text, WAV file, seconds): a day-1 answer's opening, then silence, for the microphone."""
    require_voice()
    _question, text = day1_answers(1, max_words=40)[0]
    speech = speak(text)
    path = write_wav(tmp_path_factory.mktemp("mic") / "answer.wav", speech, silence(3.0))
    return text, path, len(speech) / 16_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the fake grader and the real transcriber, in a background uvicorn."""
    settings = pinned_settings(
        data_dir=tmp_path_factory.mktemp("voice-browser") / "data",
        grader="fake",
        embedding_warmup=False,
        voice_keep_audio=True,
    )
    with serve(create_app(settings, graders=FAKE_GRADERS)) as base:
        yield base


@pytest.fixture(scope="module")
def chromium(spoken_answer: tuple[str, Path, float]) -> Iterator[object]:
    """Chromium whose microphone plays the spoken answer, with the permission prompt accepted."""
    if not CHROMIUM.exists():
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing and REQUIRE_BROWSER=1")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    _text, wav, _seconds = spoken_answer
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={wav}",
        "--autoplay-policy=no-user-gesture-required",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        yield browser
        browser.close()


def _poll(check: Callable[[], bool], *, seconds: float, what: str) -> None:
    # page.wait_for_function would evaluate a string, which the app's CSP rightly forbids.
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


def _new_interview(browser: object, server: str) -> tuple[object, object, list[str]]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(server + "/")
    page.get_by_test_id("start-interview").click()
    page.wait_for_url("**/interviews/*/items/*")
    return context, page, errors


def test_record_transcribe_correct_and_submit_shows_delivery(
    server: str, chromium: object, spoken_answer: tuple[str, Path, float]
) -> None:
    text, _wav, seconds = spoken_answer
    context, page, errors = _new_interview(chromium, server)
    record = page.get_by_test_id("record")
    record.wait_for(state="visible")
    assert page.get_by_test_id("read-aloud").is_visible()

    record.click()
    page.locator("[data-testid=record][aria-pressed=true]").wait_for()
    assert page.get_by_test_id("level-meter").is_visible()
    # The level meter moves while the microphone hears speech.
    meter = page.get_by_test_id("level-meter")
    _poll(lambda: meter.evaluate("m => m.value") > 0.2, seconds=10, what="the level meter")
    page.wait_for_timeout(int(seconds * 1000) + 1500)
    record.click()  # stop and transcribe
    box = page.get_by_test_id("answer-input")
    _poll(lambda: len(box.input_value()) > 20, seconds=TRANSCRIBE_S, what="the transcript")
    transcript = box.input_value()
    # The fake microphone loops its file, so the recording may hold a little of it twice.
    assert word_error_rate(text, transcript[: len(text) + 10]) < 0.35, transcript
    assert "Transcribed" in page.get_by_test_id("voice-status").inner_text()
    words = len(transcript.split())
    assert page.get_by_test_id("word-count").inner_text() == f"{words} words"

    # The person corrects the transcript before submitting; grading grades the text.
    box.fill(transcript + " Corrected by hand.")
    page.get_by_test_id("submit-answer").click()
    page.get_by_test_id("grade-card").wait_for(timeout=60_000)
    delivery = page.get_by_test_id("delivery")
    delivery.wait_for()
    aspects = page.locator("[data-testid=delivery-note]").evaluate_all(
        "notes => notes.map(n => n.dataset.aspect)"
    )
    assert {"Speaking time", "Pace", "Filler words", "Long pauses"} <= set(aspects)
    assert "Corrected by hand." in page.get_by_test_id("answer-text").inner_text()
    assert page.get_by_test_id("answer-audio").count() == 1
    context.close()  # type: ignore[attr-defined]
    assert errors == [], errors


def test_answer_out_loud_records_by_itself_and_stops_at_the_time_limit(
    server: str, chromium: object
) -> None:
    context, page, errors = _new_interview(chromium, server)
    start = page.get_by_test_id("answer-out-loud")
    start.wait_for(state="visible")
    # A short interview turn: 1 s to think, 5 s to answer.
    page.evaluate(
        "() => { const v = document.querySelector('[data-voice]');"
        " v.dataset.thinkSeconds = '1'; v.dataset.timeLimit = '5'; }"
    )
    start.click()
    # The question is read (or not, where the browser has no voices), 1 s to think, then:
    page.locator("[data-testid=record][aria-pressed=true]").wait_for(timeout=60_000)
    assert "stops by itself" in page.get_by_test_id("voice-status").inner_text()
    # Nobody presses stop: it stops at the limit and the transcript arrives.
    box = page.get_by_test_id("answer-input")
    _poll(lambda: len(box.input_value()) > 5, seconds=TRANSCRIBE_S, what="the transcript")
    assert page.get_by_test_id("record").get_attribute("aria-pressed") == "false"
    assert page.locator("input[name=recording_id]").count() == 1
    context.close()  # type: ignore[attr-defined]
    assert errors == [], errors
