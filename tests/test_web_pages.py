"""Home, history and material pages, parsed."""

from __future__ import annotations

import time
from pathlib import Path

from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.material.bank import bank_outline
from app.models import Question
from tests.html import one, page_of

MATERIAL = Path(__file__).parent / "material"
HTMX = {"HX-Request": "true"}


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
    error = one(page_of(response.text), "[data-testid=import-error]").text
    assert "not UTF-8 text" in error and ".txt" in error and ".yaml" in error


def test_a_pdf_is_refused_with_the_types_that_are_accepted(client: TestClient) -> None:
    response = client.post(
        "/material", files={"notes": ("notes.pdf", b"%PDF-1.7\n%\xe2\xe3", "application/pdf")}
    )
    assert response.status_code == 422
    error = one(page_of(response.text), "[data-testid=import-error]").text
    assert "a .pdf file cannot be imported" in error
    assert all(kind in error for kind in (".txt", ".md", ".yaml", ".json"))
    page = page_of(client.get("/material").text)
    assert "PDF" in one(page, "[data-testid=accepted-types]").text


def test_the_format_example_on_the_material_page_imports(client: TestClient) -> None:
    example = one(page_of(client.get("/material").text), "[data-testid=format-example] pre")
    response = client.post(
        "/material", files={"notes": ("example.txt", example.get_text().encode(), "text/plain")}
    )
    assert response.status_code == 200
    report = one(page_of(response.text), "[data-testid=import-report]").get_text(strip=True)
    assert report == "Imported example.txt: 1 new, 0 updated, 0 unchanged, 0 retired"


def _sources(page: BeautifulSoup) -> dict[str, str]:
    return {
        str(row["data-source"]): one(row, "[data-testid=source-count]").get_text(strip=True)
        for row in page.select("[data-testid=source]")
    }


def test_after_an_import_practise_the_new_questions(client: TestClient) -> None:
    content = (MATERIAL / "day2.txt").read_bytes()
    page = page_of(
        client.post("/material", files={"notes": ("day2.txt", content, "text/plain")}).text
    )
    assert _sources(page) == {"day1.txt": "8 questions", "day2.txt": "4 questions"}
    button = one(page, "[data-testid=practise-new]")
    assert button.get_text(strip=True) == "Practise the 4 new questions"
    form = button.find_parent("form")
    assert form is not None
    fields = [(str(i["name"]), str(i["value"])) for i in form.select("input[type=hidden]")]
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    started = client.post(str(form["action"]), data=data)
    assert one(page_of(started.text), "[data-testid=progress]").get_text() == "Question 1 of 4"
    new_ids = {value for name, value in fields if name == "question_ids"}
    home = page_of(client.get("/").text)
    day2 = one(home, "[data-testid=bank-source][data-source='day2.txt']")
    assert {str(q["data-question-id"]) for q in day2.select("[data-testid=question]")} == new_ids

    # Nothing new the second time: no button.
    again = page_of(
        client.post("/material", files={"notes": ("day2.txt", content, "text/plain")}).text
    )
    assert again.select("[data-testid=practise-new]") == []


def test_retire_a_notes_file_then_bring_it_back(client: TestClient) -> None:
    content = (MATERIAL / "day2.txt").read_bytes()
    client.post("/material", files={"notes": ("day2.txt", content, "text/plain")})
    page = page_of(client.get("/material").text)
    day2 = one(page, "[data-testid=source][data-source='day2.txt']")
    retire = one(day2, "[data-testid=retire]").find_parent("form")
    assert retire is not None
    response = client.post(str(retire["action"]), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/material"
    assert _sources(page_of(client.get("/material").text)) == {"day1.txt": "8 questions"}
    assert page_of(client.get("/").text).select("[data-source='day2.txt']") == []

    # Re-import through the file's own form: a copy under another name updates day2.txt.
    form = one(day2, "form[data-testid=reimport-form]")
    source = one(form, "input[name=source]")["value"]
    back = client.post(
        str(form["action"]),
        data={"source": source},
        files={"notes": ("day2 (1).txt", content, "text/plain")},
    )
    report = one(page_of(back.text), "[data-testid=import-report]").get_text(strip=True)
    assert report == "Imported day2.txt: 0 new, 4 updated, 0 unchanged, 0 retired"
    assert _sources(page_of(back.text)) == {"day1.txt": "8 questions", "day2.txt": "4 questions"}


def test_retiring_an_unknown_file_is_404(client: TestClient) -> None:
    assert client.post("/material/sources/999/retire").status_code == 404


def test_the_bank_is_grouped_by_file_then_part(client: TestClient) -> None:
    # Both files start with "Part 1": each keeps its own heading under its own file.
    content = (MATERIAL / "day2.txt").read_bytes()
    client.post("/material", files={"notes": ("day2.txt", content, "text/plain")})
    home = page_of(client.get("/").text)
    files = home.select("[data-testid=bank-source]")
    assert [str(f["data-source"]) for f in files] == ["day1.txt", "day2.txt"]
    parts = [
        [
            one(p, "h4").get_text(" ", strip=True).split(":")[0]
            for p in f.select("[data-testid=part]")
        ]
        for f in files
    ]
    assert parts == [["Part 1", "Part 2"], ["Part 1", "Part 2"]]


def test_catch_all_leaves_other_routes_alone(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200
    assert (
        client.get("/api/v1/no-such-thing").headers["content-type"].startswith("application/json")
    )
