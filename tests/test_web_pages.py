"""Home, history and material pages, parsed."""

from __future__ import annotations

import time
from pathlib import Path

from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.material.bank import bank_outline
from app.models import Question

MATERIAL = Path(__file__).parent / "material"
HTMX = {"HX-Request": "true"}


def page_of(html: str) -> BeautifulSoup:
    """Parsed HTML."""
    return BeautifulSoup(html, "html.parser")


def one(page: BeautifulSoup | Tag, selector: str) -> Tag:
    """The single element a selector names; fails loudly when it is missing."""
    found = page.select_one(selector)
    assert found is not None, f"no {selector!r} in the page"
    return found


def practise(client: TestClient, question_id: int, text: str) -> BeautifulSoup:
    """Answer one question through "practise this question"; the page with its grade card."""
    response = client.post("/interviews", data={"question_ids": str(question_id), "count": "1"})
    form = one(page_of(response.text), "form[data-testid=answer-form]")
    now = str(int(time.time() * 1000))
    return page_of(client.post(str(form["action"]), data={"answer": text, "shown_at": now}).text)


def test_home_lists_parts_topics_and_counts(app: FastAPI, client: TestClient) -> None:
    page = page_of(client.get("/").text)
    with app.state.database.session() as session:
        outline = bank_outline(session=session, user_id=None)
    topics = page.select("[data-testid=topic]")
    expected = [(t.id, len(t.questions)) for part in outline for t in part.topics]
    assert [
        (int(str(t["data-topic-id"])), len(t.select("[data-testid=question]"))) for t in topics
    ] == expected
    for topic, (_, count) in zip(topics, expected, strict=True):
        assert one(topic, "[data-testid=topic-count]").get_text(strip=True).startswith(str(count))
        assert one(topic, "[data-testid=topic-average]").get_text(strip=True) == "not practised"
    assert one(page, "[data-testid=start-interview]")["type"] == "submit"
    assert len(page.select("[data-testid=practise-question]")) == 8


def test_home_shows_the_recent_average_per_topic(client: TestClient) -> None:
    home = page_of(client.get("/").text)
    topic = home.select("[data-testid=topic]")[0]
    question_id = int(str(one(topic, "[data-testid=question]")["data-question-id"]))
    graded = practise(client, question_id, "attention heads and positional encodings")
    score = one(graded, "[data-testid=score]").get_text()

    topic = page_of(client.get("/").text).select("[data-testid=topic]")[0]
    assert one(topic, "[data-testid=topic-average]").get_text(strip=True) == f"avg {score}"


def test_practise_this_question_starts_a_one_question_interview(client: TestClient) -> None:
    home = page_of(client.get("/").text)
    question = home.select("[data-testid=question]")[3]
    form = one(question, "[data-testid=practise-question]").find_parent("form")
    assert form is not None
    data = {str(i["name"]): str(i["value"]) for i in form.select("input")}
    page = page_of(client.post(str(form["action"]), data=data).text)
    assert one(page, "[data-testid=prompt]").get_text(strip=True) == one(
        question, ".question-text"
    ).get_text(strip=True)
    assert one(page, "[data-testid=progress]").get_text(strip=True) == "Question 1 of 1"


def test_history_shows_every_attempt_with_a_chart(client: TestClient) -> None:
    question_id = int(
        str(one(page_of(client.get("/").text), "[data-testid=question]")["data-question-id"])
    )
    practise(client, question_id, "not sure")
    practise(client, question_id, "self-attention with query key value, multi-head attention")

    page = page_of(client.get(f"/questions/{question_id}/history").text)
    attempts = page.select("[data-testid=attempt]")
    assert [one(a, ".answer-text").get_text() for a in attempts] == [
        "not sure",
        "self-attention with query key value, multi-head attention",
    ]
    scores = [float(one(a, "[data-testid=attempt-score]").get_text()) for a in attempts]
    chart = one(page, "svg[data-testid=score-chart]")
    points = chart.select("[data-testid=chart-point]")
    assert len(points) == 2
    # Higher scores sit higher on the chart (smaller y).
    ys = [float(str(p["cy"])) for p in points]
    assert (scores[1] > scores[0]) == (ys[1] < ys[0])
    assert chart.select_one("polyline") is not None
    assert "Score of each attempt" in str(chart["aria-label"])

    index = page_of(client.get("/history").text)
    row = one(index, "[data-testid=history-row]")
    assert row["data-question-id"] == str(question_id)
    assert row.select("td")[1].get_text(strip=True) == "2"


def test_history_of_an_unanswered_question(client: TestClient) -> None:
    question_id = int(
        str(one(page_of(client.get("/").text), "[data-testid=question]")["data-question-id"])
    )
    page = page_of(client.get(f"/questions/{question_id}/history").text)
    assert page.select("[data-testid=attempt]") == []
    assert "not answered this question yet" in one(page, "[data-testid=question-history]").text


def test_upload_a_good_notes_file(app: FastAPI, client: TestClient) -> None:
    page = page_of(client.get("/material").text)
    form = one(page, "form[data-testid=upload-form]")
    assert form["enctype"] == "multipart/form-data"
    assert one(page, "label[for=notes-file]")

    content = (MATERIAL / "day2.txt").read_bytes()
    response = client.post("/material", files={"notes": ("day2.txt", content, "text/plain")})
    assert response.status_code == 200
    page = page_of(response.text)
    assert one(page, "[data-testid=import-report]").get_text(strip=True) == (
        "Imported day2.txt: 4 new, 0 updated, 0 unchanged, 0 retired"
    )
    assert "day2.txt" in one(page, "[data-testid=sources]").get_text()
    home = page_of(client.get("/").text)
    assert len(home.select("[data-testid=question]")) == 12

    # The same file again, through htmx: a fragment with the report.
    again = client.post(
        "/material", files={"notes": ("day2.txt", content, "text/plain")}, headers=HTMX
    )
    fragment = page_of(again.text)
    assert fragment.select_one(".site-header") is None
    assert "0 new, 0 updated, 4 unchanged" in one(fragment, "[data-testid=import-report]").text


def test_upload_a_bad_notes_file_is_422_and_imports_nothing(
    app: FastAPI, client: TestClient
) -> None:
    content = (MATERIAL / "missing_answer.txt").read_bytes()
    for headers in ({}, HTMX):
        response = client.post(
            "/material",
            files={"notes": ("missing_answer.txt", content, "text/plain")},
            headers=headers,
        )
        assert response.status_code == 422
        error = one(page_of(response.text), "[data-testid=import-error]").get_text()
        assert "missing_answer.txt:" in error and "Nothing was imported" in error
    with app.state.database.session() as session:
        assert session.scalar(select(func.count()).select_from(Question)) == 8


def test_upload_that_is_not_text(client: TestClient) -> None:
    response = client.post(
        "/material", files={"notes": ("notes.txt", b"\xff\xfe\x00bad", "text/plain")}
    )
    assert response.status_code == 422
    assert "not UTF-8 text" in one(page_of(response.text), "[data-testid=import-error]").text


def test_catch_all_leaves_other_routes_alone(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert (
        client.get("/api/v1/no-such-thing").headers["content-type"].startswith("application/json")
    )
