"""The mock interview in the browser, without a browser: pages and htmx fragments, parsed."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from app.config import Settings
from app.grading.base import Grade, GradingQuestion
from app.grading.feedback import follow_up_question
from app.grading.key_points import label_and_text
from app.main import create_app
from app.models import Answer, Question, StoredGrade, utcnow
from tests.fakes import FAKE_GRADERS, OverlapGrader
from tests.html import one, page_of
from tests.web_client import HTMX, PageClient


class GatedGrader(OverlapGrader):
    """The fake grader, held back until the test opens its gate (a slow model or LLM)."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = threading.Event()

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade once the gate is open."""
        assert self.gate.wait(30), "the test never opened the gate"
        return super().grade(question, answer)


GATED = GatedGrader()


def start(client: TestClient, **form: str | list[str]) -> str:
    """Start an interview and return the URL of its first question."""
    response = client.post("/interviews", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def answer_form(client: TestClient, url: str) -> tuple[str, dict[str, str]]:
    """The answer form's action and hidden fields on a question page."""
    form = one(page_of(client.get(url).text), "form[data-testid=answer-form]")
    hidden = {str(i["name"]): str(i["value"]) for i in form.select("input[type=hidden]")}
    return str(form["action"]), hidden


def submit(
    client: TestClient, url: str, text: str, *, htmx: bool = False
) -> tuple[int, BeautifulSoup]:
    """Answer the question at `url`; the status and the parsed response."""
    action, hidden = answer_form(client, url)
    response = client.post(action, data={**hidden, "answer": text}, headers=HTMX if htmx else {})
    return response.status_code, page_of(response.text)


def reference_of(client: TestClient, url: str) -> str:
    """The reference answer of the question asked at `url` (read from the database)."""
    prompt = one(page_of(client.get(url).text), "[data-testid=prompt]").get_text(strip=True)
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        question = session.scalar(select(Question).where(Question.text == prompt))
        assert question is not None
        return question.reference_answer


def test_start_interview_with_the_home_page_defaults(client: TestClient) -> None:
    home = page_of(client.get("/").text)
    button = one(home, "[data-testid=start-interview]")
    form = button.find_parent("form")
    assert form is not None and form["action"] == "/interviews"
    fields: dict[str, str | list[str]] = {}
    for control in form.select("input, select"):
        if control.get("type") in ("checkbox", "radio") and not control.has_attr("checked"):
            continue
        if control.name == "select":
            fields[str(control["name"])] = str(control.select("option")[0]["value"])
        else:
            fields[str(control["name"])] = str(control["value"])
    url = start(client, **fields)

    page = page_of(client.get(url).text)
    assert one(page, "[data-testid=progress]").get_text(strip=True) == "Question 1 of 5"
    assert one(page, "[data-testid=prompt]").get_text(strip=True)
    textarea = one(page, "textarea[data-testid=answer-input]")
    assert one(page, f"label[for={textarea['id']}]").get_text(strip=True) == "Your answer"
    assert textarea["data-draft-key"] == f"draft:item:{url.rsplit('/', 1)[1]}"
    assert one(page, "button[data-testid=submit-answer]")["type"] == "submit"
    assert one(page, "input[name=shown_at]")["value"]
    assert page.select("[data-testid=countdown]") == []


def test_chosen_topic_count_and_time_limit(client: TestClient) -> None:
    home = page_of(client.get("/").text)
    topic = home.select("[data-testid=topic]")[1]
    topic_id = str(topic["data-topic-id"])
    prompts = {q.select_one(".question-text").get_text(strip=True) for q in topic.select("li")}
    url = start(client, topic_ids=[topic_id], count="1", order="weakest", time_limit_s="120")
    page = page_of(client.get(url).text)
    assert one(page, "[data-testid=prompt]").get_text(strip=True) in prompts
    assert one(page, "[data-testid=progress]").get_text(strip=True) == "Question 1 of 1"
    assert one(page, "[data-testid=countdown]")["data-countdown"] == "120"


def test_submit_without_javascript_returns_the_full_page(client: TestClient) -> None:
    url = start(client, count="2")
    action, hidden = answer_form(client, url)
    response = client.post(
        action, data={**hidden, "answer": "An answer about attention and layers."}
    )
    # Post, redirect, get: the browser ends on the question's page, so a reload re-posts nothing.
    assert [r.status_code for r in response.history] == [303]
    assert response.url.path == url
    assert response.status_code == 200
    page = page_of(response.text)
    assert page.select_one("html") is not None and page.select_one(".site-header") is not None
    assert one(page, "[data-testid=prompt]")
    assert (
        one(page, "[data-testid=answer-text]").get_text() == "An answer about attention and layers."
    )
    assert re.fullmatch(r"\d{1,3}(\.\d)?", one(page, "[data-testid=score]").get_text())
    assert one(page, "[data-testid=verdict]").get_text(strip=True)
    assert page.select("[data-testid=answer-form]") == []


def test_submit_with_htmx_returns_only_the_grade_fragment(client: TestClient) -> None:
    url = start(client, count="2")
    status, fragment = submit(client, url, "An answer about attention.", htmx=True)
    assert status == 200
    assert fragment.select_one("html") is None and fragment.select_one(".site-header") is None
    card = one(fragment, "[data-testid=grade-card]")
    assert one(card, "[data-testid=score]").get_text()
    assert card["data-clear-draft"] == f"draft:item:{url.rsplit('/', 1)[1]}"


def test_grade_card_teaches(client: TestClient) -> None:
    url = start(client, count="2", order="random")
    reference = reference_of(client, url)
    _, good = submit(client, url, reference, htmx=True)
    assert float(one(good, "[data-testid=score]").get_text()) >= 70
    assert one(good, "[data-testid=verdict]")["data-verdict"] == "correct"
    covered = good.select("[data-testid=covered-point]")
    assert covered, "a reference answer covers its key points"
    # The phrases that covered key points are marked inside the answer text.
    marks = one(good, "[data-testid=answer-text]").select("mark[data-point]")
    assert marks and {m["data-point"] for m in marks} <= {p["data-point"] for p in covered}
    assert one(good, "[data-testid=reference-answer]").get_text(strip=True) == reference.strip()
    assert one(good, "[data-testid=try-again]")["href"] == f"{url}?retry=1"
    next_link = one(good, "[data-testid=next-question]")
    assert good.select("[data-testid=finish-interview]") == []

    # The last question has no "next question", only the way to the summary.
    _, bad = submit(client, str(next_link["href"]), "I am not sure.", htmx=True)
    assert float(one(bad, "[data-testid=score]").get_text()) < 35
    assert bad.select("[data-testid=missed-point]")
    assert bad.select("[data-testid=next-question]") == []
    assert one(bad, "[data-testid=finish-interview]")["href"].endswith("/summary")


def test_reference_answer_is_hidden_until_answered(client: TestClient) -> None:
    url = start(client, count="1")
    reference = reference_of(client, url)
    page = client.get(url).text
    assert page_of(page).select("[data-testid=reference-answer]") == []
    assert reference[:60] not in page


def test_try_again_shows_an_empty_form_and_keeps_both_attempts(client: TestClient) -> None:
    url = start(client, count="1")
    submit(client, url, "first try", htmx=True)
    retry = page_of(client.get(f"{url}?retry=1", headers=HTMX).text)
    assert one(retry, "textarea[data-testid=answer-input]").get_text() == ""
    action = str(one(retry, "form")["action"])
    client.post(action, data={"answer": "second try", "shown_at": str(int(time.time() * 1000))})
    answer = one(page_of(client.get(url).text), "[data-testid=answer-text]")
    assert answer.get_text() == "second try"


def test_answer_is_escaped_and_marks_are_safe(client: TestClient) -> None:
    url = start(client, count="1")
    reference = reference_of(client, url)
    evil = f'<script>alert("x")</script> <img src=x onerror=alert(1)> {reference}'
    _, fragment = submit(client, url, evil, htmx=True)
    answer = one(fragment, "[data-testid=answer-text]")
    assert answer.select("script, img") == []
    assert '<script>alert("x")</script>' in answer.get_text()
    assert answer.select("mark")
    history = page_of(client.get(f"/questions/{_question_id(client, url)}/history").text)
    assert history.select("[data-testid=attempt] script, [data-testid=attempt] img") == []
    assert "<script>" in one(history, "[data-testid=attempt] .answer-text").get_text()


def _question_id(client: TestClient, url: str) -> int:
    page = page_of(client.get(url).text)
    link = page.select_one('a[href^="/questions/"]')
    assert link is not None
    return int(str(link["href"]).split("/")[2])


def test_pages_send_the_csp_and_use_no_inline_script_or_style(client: TestClient) -> None:
    url = start(client, count="1", time_limit_s="60")
    pages = [client.get("/"), client.get(url), client.get("/material"), client.get("/history")]
    for response in pages:
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        page = page_of(response.text)
        assert all(script.has_attr("src") for script in page.select("script"))
        assert page.select("style, [style]") == []
        config = one(page, "meta[name=htmx-config]")["content"]
        assert '"includeIndicatorStyles": false' in str(config)


def test_follow_up_on_a_missed_point_is_the_next_turn(client: TestClient) -> None:
    url = start(client, count="2")
    _, card = submit(client, url, "Something vague.", htmx=True)
    # The first missed point that can be followed up (a filler sentence of the reference,
    # "I'm familiar with several core algorithms.", has nothing to ask and no button).
    form = one(card, "[data-testid=missed-point] form")
    point = str(one(form, "input[name=point]")["value"])
    response = client.post(str(form["action"]), data={"point": point}, follow_redirects=False)
    assert response.status_code == 303
    follow_url = response.headers["location"]

    page = page_of(client.get(follow_url).text)
    prompt = one(page, "[data-testid=prompt]").get_text(strip=True)
    # Asked as an interviewer would, from the point's label: a question, not the point read out.
    assert prompt == follow_up_question(point) and prompt.endswith("?")
    assert label_and_text(point)[1] not in prompt
    assert one(page, "[data-testid=progress]").get_text(strip=True) == "Question 2 of 3"
    earlier = page.select(".turn.earlier")
    assert [t.select_one(".speaker").get_text(strip=True) for t in earlier] == [
        "Interviewer",
        "You",
    ]
    # The card of the first turn now leads to the follow-up, not to a second copy of it.
    again = client.post(str(form["action"]), data={"point": point}, follow_redirects=False)
    assert again.headers["location"] == follow_url
    _, first = submit(client, f"{url}?retry=1", "again", htmx=True)
    assert one(first, "[data-testid=next-question]")["href"] == follow_url


def test_follow_up_only_on_a_missed_point(client: TestClient) -> None:
    url = start(client, count="1")
    submit(client, url, "Something vague.")
    response = client.post(f"{url}/follow-ups", data={"point": "anything I like"})
    assert response.status_code == 422
    assert "missed" in one(page_of(response.text), "[data-testid=error]").get_text()


def test_summary_scores_times_and_retry_of_weak_questions(client: TestClient) -> None:
    first = start(client, count="2")
    reference = reference_of(client, first)
    action, _ = answer_form(client, first)
    shown = int(time.time() * 1000) - 65_000
    page = page_of(client.post(action, data={"answer": reference, "shown_at": str(shown)}).text)
    second = str(one(page, "[data-testid=next-question]")["href"])
    _, page = submit(client, second, "No idea, sorry.")
    summary_url = str(one(page, "[data-testid=finish-interview]")["href"])
    assert (
        client.get(first.rsplit("/items", 1)[0], follow_redirects=False).headers["location"]
        == summary_url
    )

    summary = one(page_of(client.get(summary_url).text), "[data-testid=session-summary]")
    rows = summary.select("[data-testid=summary-row]")
    assert len(rows) == 2
    scores = [float(one(r, "[data-testid=row-score]").get_text()) for r in rows]
    assert scores[0] >= 70 > scores[1]
    assert one(rows[0], "[data-testid=row-time]").get_text(strip=True).startswith("1 min 0")
    assert float(one(summary, "[data-testid=average]").get_text()) == round(sum(scores) / 2, 1)
    assert one(summary, "[data-testid=weakest-topics]").get_text(strip=True)

    retry = one(summary, "[data-testid=retry-weak]").find_parent("form")
    assert retry is not None
    weak_id = rows[1]["data-question-id"]
    fields = {str(i["name"]): i["value"] for i in retry.select("input")}
    assert fields["question_ids"] == weak_id
    retried = start(client, question_ids=[str(weak_id)], count=str(fields["count"]))
    page = page_of(client.get(retried).text)
    assert one(page, "[data-testid=progress]").get_text(strip=True) == "Question 1 of 1"


def test_unknown_ids_are_404_pages(client: TestClient) -> None:
    url = start(client, count="1")
    for path in [
        "/interviews/999",
        "/interviews/999/summary",
        url.rsplit("/", 1)[0] + "/999",
        "/answers/999/grade",
        "/questions/999/history",
        "/no/such/page",
    ]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert one(page_of(response.text), "[data-testid=error]")["data-status"] == "404"


def test_too_long_answer_is_413_and_keeps_the_text(app: FastAPI, client: TestClient) -> None:
    url = start(client, count="1")
    limit = app.state.settings.max_answer_chars
    long_text = "word " * (limit // 5 + 1)
    status, fragment = submit(client, url, long_text, htmx=True)
    assert status == 413
    assert f"{limit:,}" in one(fragment, "[data-testid=form-error]").get_text()
    assert one(fragment, "textarea[data-testid=answer-input]").get_text() == long_text
    with app.state.database.session() as session:
        assert session.scalars(select(Answer)).all() == []


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"count": "0"}, "between 1 and"),
        ({"count": "many"}, "whole number"),
        ({"order": "alphabetical"}, "Order must be"),
        ({"time_limit_s": "5"}, "Time limit"),
        ({"topic_ids": "abc"}, "topic ids"),
        ({"topic_ids": "99999"}, "no active questions"),
    ],
)
def test_invalid_interview_form_is_422(
    client: TestClient, form: dict[str, str], message: str
) -> None:
    response = client.post("/interviews", data={"count": "2", **form})
    assert response.status_code == 422
    assert message in one(page_of(response.text), "[data-testid=error]").get_text()


def test_invalid_answer_form_is_422(client: TestClient) -> None:
    url = start(client, count="1")
    status, page = submit(client, url, "   ")
    assert status == 422
    assert "Write an answer" in one(page, "[data-testid=form-error]").get_text()
    action, _ = answer_form(client, url)
    response = client.post(action, data={"answer": "fine", "shown_at": "yesterday"})
    assert response.status_code == 422
    assert "shown_at" in one(page_of(response.text), "[data-testid=form-error]").get_text()


@pytest.fixture
def failing_app(settings: Settings) -> FastAPI:
    """An app whose grader always fails."""
    return create_app(settings.model_copy(update={"grader": "failing"}), graders=FAKE_GRADERS)


@pytest.fixture
def failing_client(failing_app: FastAPI) -> Iterator[TestClient]:
    """A client of the failing app."""
    with PageClient(failing_app) as test_client:
        yield test_client


def test_grader_failure_keeps_the_answer_and_offers_a_retry(
    failing_app: FastAPI, failing_client: TestClient
) -> None:
    url = start(failing_client, count="1")
    status, fragment = submit(failing_client, url, "My careful answer.", htmx=True)
    assert status == 200
    card = one(fragment, "[data-testid=grade-failed]")
    assert "Your answer is saved" in card.get_text()
    assert one(fragment, "[data-testid=answer-text]").get_text() == "My careful answer."
    assert fragment.select("[data-testid=score]") == []
    with failing_app.state.database.session() as session:
        (answer,) = session.scalars(select(Answer)).all()
        assert answer.text == "My careful answer." and answer.grading_error

    # Full page too: the saved answer and the message, not an error page.
    page = page_of(failing_client.get(url).text)
    assert one(page, "[data-testid=grade-failed]")
    retry = one(page, "[data-testid=retry-grading]").find_parent("form")
    assert retry is not None

    summary = page_of(failing_client.get(url.rsplit("/items", 1)[0] + "/summary").text)
    assert one(summary, "[data-testid=row-score]").get_text(strip=True) == "—"

    failing_app.state.graders.default_name = "fake"  # the grader is back
    response = failing_client.post(str(retry["action"]), headers=HTMX)
    assert response.status_code == 200
    assert one(page_of(response.text), "[data-testid=score]").get_text()


@pytest.fixture
def gated_app(settings: Settings) -> Iterator[FastAPI]:
    """An app whose grader waits for the test to open its gate."""
    GATED.gate.clear()
    yield create_app(
        settings.model_copy(update={"grader": "gated"}),
        graders={**FAKE_GRADERS, "gated": lambda settings: GATED},
    )
    GATED.gate.set()


def test_slow_grader_shows_a_grading_card_that_polls(gated_app: FastAPI) -> None:
    with PageClient(gated_app) as client:
        url = start(client, count="1")
        status, fragment = submit(client, url, "attention", htmx=True)
        assert status == 200
        pending = one(fragment, "[data-testid=grade-pending]")
        assert pending["hx-trigger"] == "every 1s"
        assert one(fragment, "[data-testid=answer-text]").get_text() == "attention"
        # Still grading: the poll answers with the grading card again.
        again = page_of(client.get(str(pending["hx-get"]), headers=HTMX).text)
        assert one(again, "[data-testid=grade-pending]")
        GATED.gate.set()
        polled = _poll_until_graded(client, str(pending["hx-get"]))
        assert one(polled, "[data-testid=grade-card] [data-testid=score]").get_text()
        # Without htmx the poll URL leads back to the question page.
        plain = client.get(str(pending["hx-get"]), follow_redirects=False)
        assert plain.status_code == 303 and plain.headers["location"] == url


def _poll_until_graded(client: TestClient, poll: str) -> BeautifulSoup:
    """Poll like the card does until it is no longer pending."""
    for _ in range(100):
        page = page_of(client.get(poll, headers=HTMX).text)
        if not page.select("[data-testid=grade-pending]"):
            return page
        time.sleep(0.1)
    raise AssertionError("the answer was never graded")


def test_card_shows_the_queue_position_while_waiting(gated_app: FastAPI) -> None:
    with PageClient(gated_app) as client:
        urls = [start(client, count="1") for _ in range(3)]
        fragments = [submit(client, url, f"answer {n}", htmx=True)[1] for n, url in enumerate(urls)]
        # The first is with the (only) worker; the third waits behind the second.
        third = one(fragments[2], "[data-testid=grade-pending]")
        assert (
            one(third, "[data-testid=queue-position]")
            .get_text(strip=True)
            .startswith("1 answer is ahead")
        )
        GATED.gate.set()
        for fragment in fragments:
            poll = str(one(fragment, "[data-testid=grade-pending]")["hx-get"])
            assert one(_poll_until_graded(client, poll), "[data-testid=score]")


def test_a_form_posted_three_times_stores_one_answer(app: FastAPI, client: TestClient) -> None:
    url = start(client, count="2")
    action, hidden = answer_form(client, url)
    responses = [
        client.post(action, data={**hidden, "answer": "double click"}, headers=HTMX)
        for _ in range(3)
    ]
    assert all(r.status_code == 200 for r in responses)
    scores = {one(page_of(r.text), "[data-testid=score]").get_text() for r in responses}
    assert len(scores) == 1
    with app.state.database.session() as session:
        assert len(session.scalars(select(Answer)).all()) == 1
    # A new render of the form has a new key: answering again is a second attempt.
    action, fresh = answer_form(client, f"{url}?retry=1")
    assert fresh["idempotency_key"] != hidden["idempotency_key"]
    client.post(action, data={**fresh, "answer": "second try"})
    with app.state.database.session() as session:
        assert len(session.scalars(select(Answer)).all()) == 2


def test_a_stalled_grading_stops_polling_and_offers_a_retry(
    app: FastAPI, client: TestClient
) -> None:
    url = start(client, count="1")
    submit(client, url, "attention")
    with app.state.database.session() as session:
        (answer,) = session.scalars(select(Answer)).all()
        # As a worker killed mid-grade leaves it: running, lease run out, no grade.
        session.execute(delete(StoredGrade))
        answer.grading_state = "running"
        answer.grading_attempts = 1
        answer.grading_lease_until = utcnow() - timedelta(seconds=5)
        answer_id = answer.id
    app.state.grading_workers.stop()  # no worker to reclaim it in the meantime
    page = page_of(client.get(url).text)
    card = one(page, "[data-testid=grade-failed]")
    assert "hx-trigger" not in card.attrs and not page.select("[hx-trigger]")
    assert "stopped before it finished" in card.get_text()
    retry = one(page, "[data-testid=retry-grading]").find_parent("form")
    assert retry is not None and retry["action"] == f"/answers/{answer_id}/grade"
    app.state.grading_workers.start()
    response = client.post(str(retry["action"]), headers=HTMX)
    assert response.status_code == 200
    assert one(_poll_until_graded(client, f"/answers/{answer_id}/grade"), "[data-testid=score]")
    with app.state.database.session() as session:
        graded = session.get(Answer, answer_id)
        assert graded is not None and graded.grading_state == "done"
        assert len(graded.grades) == 1


def test_answer_form_works_with_and_without_javascript(client: TestClient) -> None:
    page = page_of(client.get(start(client, count="1")).text)
    form = one(page, "form[data-testid=answer-form]")
    assert form["method"] == "post" and form["action"] == form["hx-post"]
    assert form["hx-target"] == "#answer-area" and one(page, "#answer-area").find(form.name)
    indicator = one(page, str(form["hx-indicator"]))
    assert "htmx-indicator" in indicator["class"] and "Grading" in indicator.get_text()
    assert all(s["src"].startswith("/static/") for s in page.select("script"))


def test_the_answer_box_has_focus_when_a_question_appears(client: TestClient) -> None:
    url = start(client, count="2")
    box = one(page_of(client.get(url).text), "[data-testid=answer-input]")
    assert box.has_attr("autofocus")
    # The question is read with the box, so a screen reader hears what is asked.
    assert "prompt" in str(box["aria-describedby"]).split()
    # Try again (an htmx swap) brings the box back with focus too.
    submit(client, url, "An answer about attention.")
    again = page_of(client.get(url + "?retry=1", headers=HTMX).text)
    assert one(again, "[data-testid=answer-input]").has_attr("autofocus")


def test_hints_that_need_javascript_are_hidden_without_it(client: TestClient) -> None:
    page = page_of(client.get(start(client, count="1")).text)
    help_text = one(page, "#answer-help")
    assert one(help_text, "[data-testid=js-hint]").has_attr("hidden")
    assert "Ctrl" in one(help_text, "[data-testid=js-hint]").get_text()
    assert one(page, "[data-testid=word-count]").has_attr("hidden")
    # What stays visible says nothing about shortcuts or drafts.
    visible = help_text.get_text().replace(one(help_text, "[data-testid=js-hint]").get_text(), "")
    assert "Ctrl" not in visible and "draft" not in visible


def test_ending_an_interview_asks_first_and_the_summary_offers_resume(
    client: TestClient,
) -> None:
    first = start(client, count="2")
    submit(client, first, "An answer about attention.")
    second = one(page_of(client.get(first).text), "[data-testid=next-question]")["href"]
    end = one(page_of(client.get(str(second)).text), "details[data-testid=end-interview]")
    assert not end.has_attr("open")  # one click opens the question, a second one ends
    assert "1 question still unanswered" in end.get_text()
    summary_url = str(one(end, "[data-testid=confirm-end]")["href"])

    summary = page_of(client.get(summary_url).text)
    resume = one(summary, "[data-testid=resume-interview]")
    back = client.get(str(resume["href"]), follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == second

    submit(client, str(second), "Another answer.")
    assert page_of(client.get(summary_url).text).select("[data-testid=resume-interview]") == []


def test_opening_the_answer_url_later_goes_to_the_question(client: TestClient) -> None:
    url = start(client, count="1")
    action, _hidden = answer_form(client, url)
    response = client.get(action, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == url
