"""Every page (tests/pages.py) in a real Chromium, at desktop and phone sizes, in both themes:
no console error, no CSP report, no serious or critical axe-core violation, nothing that
scrolls sideways, and (on a phone) no control under 44 px high. Also keyboard-only and
no-JavaScript walks of an interview.

axe-core is vendored from npm (`npm pack axe-core@4.14.1`, tests/assets/, MPL-2.0) and injected
through the DevTools protocol, which the page's CSP does not govern.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from app import PROJECT_ROOT
from app.main import create_app
from tests.browser_support import launch_chromium, serve
from tests.conftest import pinned_settings
from tests.fakes import FAKE_GRADERS
from tests.pages import SIGNED_OUT_PAGES, SIZES, THEMES, page_urls, seed

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "assets" / "axe-4.14.1.min.js").read_text(encoding="utf-8")
BLOCKING_IMPACTS = ("serious", "critical")

# Collects CSP violations in the page from its first script on (init scripts run before any).
CSP_LISTENER = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sample);
});
"""

DESCRIBE = """
(el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
  + (el.dataset.testid ? "[" + el.dataset.testid + "]" : "")
  + " " + JSON.stringify((el.innerText || el.value || "").trim().slice(0, 40))
"""

SIDEWAYS = f"""() => {{
  const describe = {DESCRIBE};
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth + 1)
    found.push("the page is " + root.scrollWidth + " px wide");
  for (const el of document.querySelectorAll("body *")) {{
    const style = getComputedStyle(el);
    if (["auto", "scroll"].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
      found.push("sideways scroller: " + describe(el));
  }}
  return found;
}}"""

SMALL_TARGETS = f"""() => {{
  const describe = {DESCRIBE};
  const controls = "button, a.button, summary, .site-header a, select, input[type=file]";
  return [...document.querySelectorAll(controls)].filter((el) => {{
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.height < 43.5;
  }}).map((el) => describe(el) + " is "
    + el.getBoundingClientRect().height.toFixed(0) + " px high");
}}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One Chromium for the module."""
    with launch_chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, chromium: Any) -> Iterator[tuple[str, dict]]:
    """A server on a fresh database, with an interview to show; its URL and each page's path."""
    settings = pinned_settings(
        data_dir=tmp_path_factory.mktemp("walk") / "data",
        grader="fake",
        embedding_warmup=False,
    )
    with serve(create_app(settings, graders=FAKE_GRADERS)) as base:
        context = chromium.new_context()
        seeded = seed(context.new_page(), base)
        context.close()
        yield base, page_urls(seeded)


@pytest.fixture(scope="module")
def signed_out_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """A server that asks for a password (AUTH=password, open sign-up): its sign-in pages."""
    settings = pinned_settings(
        data_dir=tmp_path_factory.mktemp("walk-auth") / "data",
        grader="fake",
        embedding_warmup=False,
        auth="password",
        open_sign_up=True,
    )
    with serve(create_app(settings, graders=FAKE_GRADERS)) as base:
        yield base, dict(SIGNED_OUT_PAGES)


@pytest.fixture(scope="module")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """$SCREENSHOT_DIR, else a temporary folder: nothing is written into the checkout."""
    configured = os.environ.get("SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _shoot(page: Any, folder: Path, name: str) -> None:
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        shutil.copyfile(path, PROJECT_ROOT / "docs" / "screenshots" / path.name)


def _watched_page(context: Any) -> tuple[Any, list[str]]:
    """A page whose console errors and uncaught exceptions land in the returned list."""
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"exception: {e}"))
    return page, errors


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_every_page_is_clean(
    chromium: Any, site: tuple[str, dict[str, str]], screenshot_dir: Path, size: str, theme: str
) -> None:
    _walk(chromium, *site, screenshot_dir, size, theme)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", SIZES)
def test_every_signed_out_page_is_clean(
    chromium: Any,
    signed_out_site: tuple[str, dict[str, str]],
    screenshot_dir: Path,
    size: str,
    theme: str,
) -> None:
    _walk(chromium, *signed_out_site, screenshot_dir, size, theme)


def _walk(
    chromium: Any, base: str, urls: dict[str, str], screenshot_dir: Path, size: str, theme: str
) -> None:
    context = chromium.new_context(viewport=SIZES[size], color_scheme=theme)
    context.add_init_script(CSP_LISTENER)
    page, errors = _watched_page(context)
    problems: list[str] = []
    for name, path in urls.items():
        errors.clear()
        response = page.goto(base + path)
        assert response is not None
        expected = 404 if name == "not-found" else 200
        if response.status != expected:
            problems.append(f"{name}: HTTP {response.status}")
        page.wait_for_load_state("load")
        # The theme really is the one asked for.
        scheme = page.evaluate("getComputedStyle(document.documentElement).colorScheme")
        if scheme != theme:
            problems.append(f"{name}: color-scheme is {scheme!r}")
        # The browser logs the document's own 404 on the not-found page; nothing else may fail.
        expected_log = "status of 404" if expected == 404 else None
        problems += [f"{name}: {e}" for e in errors if not (expected_log and expected_log in e)]
        problems += [f"{name}: CSP {report}" for report in page.evaluate("window.__csp")]
        problems += [f"{name}: {found}" for found in page.evaluate(SIDEWAYS)]
        if size == "phone":
            problems += [f"{name}: {small}" for small in page.evaluate(SMALL_TARGETS)]
        page.evaluate(AXE)
        for violation in page.evaluate(AXE_RUN):
            if violation["impact"] in BLOCKING_IMPACTS:
                problems.append(
                    f"{name}: axe {violation['impact']} {violation['id']}: {violation['help']} "
                    f"{violation['nodes']}"
                )
        _shoot(page, screenshot_dir, f"{name}-{size}-{theme}")
    context.close()
    assert problems == [], "\n".join(problems)


def test_a_resized_answer_box_and_a_refused_answer_cause_no_csp_report(
    chromium: Any, site: tuple[str, dict[str, str]]
) -> None:
    base, urls = site
    context = chromium.new_context()
    context.add_init_script(CSP_LISTENER)
    page, errors = _watched_page(context)
    page.goto(base + urls["interview"])
    box = page.get_by_test_id("answer-input")
    # A reader drags the box taller: the browser writes a style attribute on it.
    box.evaluate("el => { el.style.height = '420px'; }")
    box.fill("   ")  # passes `required`, refused by the server (422), swapped in by htmx
    page.get_by_test_id("submit-answer").click()
    page.get_by_test_id("form-error").wait_for()
    assert page.evaluate("window.__csp") == []
    assert [e for e in errors if "422" not in e] == []
    context.close()


def test_keyboard_only_the_answer_box_has_focus_after_each_step(
    chromium: Any, site: tuple[str, dict[str, str]]
) -> None:
    base, _urls = site
    context = chromium.new_context()
    page = context.new_page()

    def box_has_focus(after: str) -> None:
        # Focus moves once htmx settles the swap, a moment after the new form is in the page.
        try:
            page.wait_for_function(
                "() => document.activeElement?.dataset.testid === 'answer-input'", timeout=5_000
            )
        except PlaywrightTimeout:
            active = page.evaluate("document.activeElement?.outerHTML.slice(0, 80)")
            pytest.fail(f"{after}, focus is on {active}, not in the answer box")

    def graded() -> None:
        # The card arrives by an htmx swap, and focus moves to its heading when the swap
        # settles: wait for that, or a control focused in between would lose focus to it.
        page.get_by_test_id("score").wait_for(timeout=60_000)
        page.wait_for_function(
            "() => document.activeElement?.id === 'grade-heading'", timeout=5_000
        )

    page.goto(base + "/")
    page.get_by_test_id("start-interview").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/interviews/*/items/*")
    box_has_focus("after Start")
    page.keyboard.type("Attention weighs every token against every other token in the text.")
    page.keyboard.press("Control+Enter")
    graded()
    # Try again swaps the form back in with htmx; the box has focus again.
    page.get_by_test_id("try-again").focus()
    page.keyboard.press("Enter")
    page.get_by_test_id("answer-input").wait_for()
    box_has_focus("after Try again")
    page.keyboard.type("Attention weighs tokens, layers stack, and the model predicts words.")
    page.keyboard.press("Control+Enter")
    graded()
    follow_ups = page.get_by_test_id("follow-up")
    if follow_ups.count():
        follow_ups.first.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        box_has_focus("after a follow-up")
        page.keyboard.type("It means the model weighs tokens against each other.")
        page.keyboard.press("Control+Enter")
        graded()
    next_question = page.get_by_test_id("next-question")
    href = str(next_question.get_attribute("href"))
    next_question.focus()
    page.wait_for_function(
        "() => document.activeElement?.dataset.testid === 'next-question'", timeout=5_000
    )
    page.keyboard.press("Enter")
    try:
        page.wait_for_url(base + href, timeout=60_000)
    except PlaywrightTimeout:
        active = page.evaluate("document.activeElement?.outerHTML.slice(0, 80)")
        pytest.fail(f"Enter on Next question ({href}) did not open it: at {page.url}, {active}")
    box_has_focus("after Next question")
    context.close()


def test_a_whole_interview_without_javascript(
    chromium: Any, site: tuple[str, dict[str, str]]
) -> None:
    base, _urls = site
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(base + "/")
    page.get_by_test_id("start-interview").click()
    page.wait_for_url("**/interviews/*/items/*")
    for number in range(1, 6):
        assert page.get_by_test_id("progress").inner_text() == f"Question {number} of 5"
        # The hints that need a script are not offered.
        assert not page.get_by_test_id("js-hint").is_visible()
        assert not page.get_by_test_id("word-count").is_visible()
        question_url = page.url
        page.get_by_test_id("answer-input").fill("Models learn patterns from data to predict.")
        with page.expect_navigation():
            page.get_by_test_id("submit-answer").click()
        # Post, redirect, get: the browser is back on the question, not on the form's URL.
        assert page.url.split("?")[0] == question_url
        page.get_by_test_id("score").wait_for(timeout=60_000)
        if number < 5:
            with page.expect_navigation():
                page.get_by_test_id("next-question").click()
    page.get_by_test_id("finish-interview").click()
    page.get_by_test_id("session-summary").wait_for()
    assert page.get_by_test_id("summary-row").count() == 5
    assert page.get_by_test_id("resume-interview").count() == 0
    context.close()
