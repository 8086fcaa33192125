"""The grade card a candidate reads: short labels, honest evidence, one scale, useful feedback."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.grading.base import CORRECT_FROM, PARTIAL_FROM, score_band, verdict_for
from app.grading.key_points import label_and_text
from app.models import Question, StoredGrade
from app.practice.grades import GradeView
from tests.test_web_interview import one, page_of, reference_of, submit

TRANSFORMER = "Can you explain the Transformer architecture and what makes it so effective?"
ALGORITHMS = "Tell me about a few fundamental ML algorithms you're familiar with."


def practise(client: TestClient, prompt: str) -> str:
    """Start a one-question interview on the day-1 question `prompt`; the URL of its turn."""
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        question_id = session.scalar(select(Question.id).where(Question.text == prompt))
    assert question_id is not None, prompt
    response = client.post(
        "/interviews", data={"question_ids": str(question_id), "count": "1"}, follow_redirects=False
    )
    assert response.status_code == 303
    return response.headers["location"]


def card_of(client: TestClient, prompt: str, answer: str) -> BeautifulSoup:
    """The grade card for `answer` to the question `prompt`, as htmx receives it."""
    url = practise(client, prompt)
    status, fragment = submit(client, url, answer, htmx=True)
    assert status == 200
    return fragment


def test_points_show_short_labels_and_keep_their_full_text(client: TestClient) -> None:
    url = practise(client, TRANSFORMER)
    reference = reference_of(client, url)
    half = reference[: len(reference) // 2]
    _, card = submit(client, url, half, htmx=True)

    points = card.select("[data-testid=covered-point], [data-testid=missed-point]")
    assert len(points) == 8
    for point in points:
        label = one(point, "[data-testid=point-label]").get_text(strip=True)
        text = one(point, "[data-testid=point-text]").get_text(strip=True)
        assert 1 <= len(label.split()) <= 8, label
        assert len(text) > len(label)
        # The full text is there, one click away: inside a closed <details>.
        details = one(point, "details.point-detail")
        assert not details.has_attr("open")
    labels = [one(p, "[data-testid=point-label]").get_text(strip=True) for p in points]
    assert "Self-Attention" in labels and "Positional Encodings" in labels
    # The evidence is the answer's own words, quoted, for covered points.
    for point in card.select("[data-testid=covered-point]"):
        for quote in point.select("[data-testid=evidence]"):
            assert quote.get_text(strip=True) in half


def test_the_reference_is_collapsed(client: TestClient) -> None:
    card = card_of(client, TRANSFORMER, "Attention lets every token look at every other token.")
    reference = one(card, "details.reference")
    assert not reference.has_attr("open")
    assert one(reference, "summary").get_text(strip=True) == "Reference answer"
    assert one(reference, "[data-testid=reference-answer]").get_text(strip=True)


def test_feedback_names_what_to_add_and_nothing_covered(client: TestClient) -> None:
    url = practise(client, TRANSFORMER)
    reference = reference_of(client, url)
    _, card = submit(client, url, reference[: len(reference) // 2], htmx=True)

    lines = [li.get_text(strip=True) for li in card.select("[data-testid=feedback] li")]
    covered = [
        one(p, "[data-testid=point-label]").get_text(strip=True)
        for p in card.select("[data-testid=covered-point]")
    ]
    missed = card.select("[data-testid=missed-point]")
    assert covered and missed and lines
    assert all(line.startswith(("Add that", "Mention", "Say", "You said")) for line in lines[:3])
    for label in covered:
        assert not any(label.lower() in line.lower() for line in lines), (label, lines)


def test_filler_points_get_no_feedback_and_no_follow_up(client: TestClient) -> None:
    card = card_of(client, ALGORITHMS, "Linear regression predicts a continuous value.")
    filler = [
        p
        for p in card.select("[data-testid=missed-point]")
        if one(p, "[data-testid=point-label]").get_text(strip=True).startswith("I'm familiar")
    ]
    assert filler, "day 1 opens this answer with a filler sentence"
    assert filler[0].select("[data-testid=follow-up]") == []
    feedback = one(card, "[data-testid=feedback]").get_text()
    assert "familiar" not in feedback


def test_meter_band_and_verdict_use_one_scale(client: TestClient) -> None:
    card = card_of(client, TRANSFORMER, "Attention lets every token look at every other token.")
    meter = one(card, "meter")
    assert (float(meter["low"]), float(meter["high"])) == (PARTIAL_FROM, CORRECT_FROM)
    score = float(one(card, "[data-testid=score]").get_text())
    verdict = one(card, "[data-testid=verdict]")["data-verdict"]
    section = one(card, "[data-testid=grade-card]")
    assert verdict == verdict_for(score)
    assert f"band-{score_band(score)}" in section["class"]
    # At every score the colour band and the verdict agree (64.9 was amber and "Correct").
    bands = {"correct": "good", "partially_correct": "fair", "incorrect": "weak"}
    for tenth in range(0, 1001):
        assert score_band(tenth / 10) == bands[verdict_for(tenth / 10)]


def test_a_grade_stored_before_labels_shows_them(client: TestClient) -> None:
    point = "Self-Attention: Each token weighs every other token to build its representation."
    stored = StoredGrade(
        id=1,
        answer_id=1,
        score=50.0,
        verdict="partially_correct",
        feedback="Add: Self-Attention",
        details={"key_points": [{"point": point, "status": "missed"}]},
        grader="embedding",
        grader_version="embedding-1.1",
        fallback=False,
        elapsed_ms=1.0,
    )
    [shown] = GradeView.of(stored).key_points
    assert (shown["label"], shown["text"]) == label_and_text(point)
    assert shown["label"] == "Self-Attention"


def test_follow_up_is_asked_from_the_label(client: TestClient) -> None:
    card = card_of(client, TRANSFORMER, "Attention lets every token look at every other token.")
    form = one(card, "[data-testid=missed-point] form")
    point = str(one(form, "input[name=point]")["value"])
    response = client.post(str(form["action"]), data={"point": point}, follow_redirects=False)
    page = page_of(client.get(response.headers["location"]).text)
    prompt = one(page, "[data-testid=prompt]").get_text(strip=True)
    assert prompt.endswith("?") and "\u201c" not in prompt
    assert label_and_text(point)[1] not in prompt
