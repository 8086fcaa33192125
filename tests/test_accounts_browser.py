"""Two people sign up in a real Chromium against AUTH=password: neither sees the other's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.config import Settings
from app.main import create_app
from tests.accounts_support import CHEAP_HASHES
from tests.browser_support import serve
from tests.fakes import FAKE_GRADERS
from tests.test_browser import chromium  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def accounts_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server with AUTH=password and open sign-up; yields its base URL."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("accounts") / "data",
        grader="fake",
        embedding_warmup=False,
        voice_warmup=False,
        auth="password",
        open_sign_up=True,
        **CHEAP_HASHES,  # type: ignore[arg-type]
    )
    with serve(create_app(settings, graders=FAKE_GRADERS)) as url:
        yield url


def _sign_up_and_answer(browser: object, server: str, name: str, answer: str) -> tuple[object, str]:
    """A new browser context: sign up as `name`, answer one question; (page, interview url)."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(server + "/history")
    page.wait_for_url("**/sign-in?next=/history")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password (at least 8 characters)").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_test_id("sign-up").click()
    page.wait_for_url(server + "/")
    assert name in page.get_by_test_id("account").inner_text()
    page.get_by_test_id("start-interview").click()
    page.wait_for_url("**/interviews/*/items/*")
    interview = page.url
    page.get_by_test_id("answer-input").fill(answer)
    page.get_by_test_id("submit-answer").click()
    page.get_by_test_id("score").wait_for(state="visible", timeout=60_000)
    return page, interview


def test_two_people_never_see_each_others_history(
    accounts_server: str,
    chromium: object,  # noqa: F811
    tmp_path: Path,
) -> None:
    alice, alices_interview = _sign_up_and_answer(
        chromium, accounts_server, "alice", "Alice explains attention with queries and keys."
    )
    bob, bobs_interview = _sign_up_and_answer(
        chromium, accounts_server, "bob", "Bob talks about gradient descent and learning rates."
    )
    for page, own, other in (
        (alice, "Alice explains", "Bob talks"),
        (bob, "Bob talks", "Alice explains"),
    ):
        page.goto(accounts_server + "/history")  # type: ignore[attr-defined]
        assert page.get_by_test_id("history-row").count() == 1  # type: ignore[attr-defined]
        page.locator("[data-testid=history-row] a").first.click()  # type: ignore[attr-defined]
        page.get_by_test_id("attempt").first.wait_for()  # type: ignore[attr-defined]
        text = page.content()  # type: ignore[attr-defined]
        assert own in text and other not in text
    # Each one's interview is a 404 page for the other.
    for page, url in ((alice, bobs_interview), (bob, alices_interview)):
        response = page.goto(url)  # type: ignore[attr-defined]
        assert response.status == 404
        assert "Alice explains" not in page.content() and "Bob talks" not in page.content()  # type: ignore[attr-defined]
    # Signing out ends it: the history asks to sign in again.
    bob.get_by_test_id("sign-out").click()  # type: ignore[attr-defined]
    bob.wait_for_url("**/sign-in")  # type: ignore[attr-defined]
    bob.goto(accounts_server + "/history")  # type: ignore[attr-defined]
    bob.wait_for_url("**/sign-in?next=/history")  # type: ignore[attr-defined]
