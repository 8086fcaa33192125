"""Every page of the app in one list: the browser walk (tests/test_page_walk.py) visits each at
desktop and phone sizes in both themes, and `scripts/screenshots.sh` photographs them.

Adding a page: add its name and URL to PAGES. A URL that needs data (an interview, an answer)
names it in braces, and `seed` makes that data through the browser, as a person would.
"""

from __future__ import annotations

from typing import Any

PAGES: dict[str, str] = {
    "home": "/",
    "interview": "{interview}",  # a question waiting for an answer
    "grade-card": "{graded}",  # an answered question with its grade card
    "summary": "{summary}",  # the summary of an interview still in progress
    "history": "/history",
    "progress": "/progress",
    "question-history": "{question_history}",
    "material": "/material",
    "api-keys": "/account/api-keys",
    "not-found": "/no-such-page",
}

# Pages a visitor sees before signing in, served with AUTH=password and open sign-up.
SIGNED_OUT_PAGES: dict[str, str] = {
    "sign-in": "/sign-in",
    "sign-up": "/sign-up",
}

SIZES: dict[str, dict[str, int]] = {
    "desktop": {"width": 1200, "height": 900},
    "phone": {"width": 390, "height": 844},
}
THEMES = ("light", "dark")
GRADE_TIMEOUT_MS = 60_000


def seed(page: Any, base: str) -> dict[str, str]:
    """Make the data the pages show: a two-question interview with its first answer graded."""
    page.goto(base + "/")
    page.get_by_text("Choose topics, length, order and a time limit").click()
    page.get_by_label("Number of questions").fill("2")
    page.get_by_role("button", name="Start with these options").click()
    page.wait_for_url("**/interviews/*/items/*")
    graded = page.url
    page.get_by_test_id("answer-input").fill(
        "Attention lets every token weigh every other token; the layers stack, and the model "
        "learns from a lot of text by predicting the next word."
    )
    page.get_by_test_id("submit-answer").click()
    page.get_by_test_id("score").wait_for(timeout=GRADE_TIMEOUT_MS)
    history = page.get_by_role("link", name="History of this question").get_attribute("href")
    interview = page.get_by_test_id("next-question").get_attribute("href")
    summary = page.get_by_test_id("confirm-end").get_attribute("href")
    return {
        "interview": str(interview),
        "graded": graded.removeprefix(base),
        "summary": str(summary),
        "question_history": str(history),
    }


def page_urls(seeded: dict[str, str]) -> dict[str, str]:
    """Each page's path, with the seeded ids filled in."""
    return {name: url.format(**seeded) for name, url in PAGES.items()}
