"""The grade card says which reference answer decided and when graded examples did."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from tests.test_web_interview import HTMX, one, page_of

NOTES = """\
Part 1: Circuits
1. Bulbs
Interviewer: "Why does the bulb light up when the switch is closed?"
Your Answer: "The bulb is in a closed path with the battery."
Your Answer (alternative): "Current flows through the circuit because the switch is closed."
"""

WITH_EXAMPLES = (
    NOTES
    + """\
Example answer (weak): "The bulb is on a path with the battery but the path is open."
Example answer (strong): "The bulb and the battery form a closed loop, so current flows."
"""
)


def _answer(client: TestClient, notes: str, text: str) -> object:
    upload = client.post("/material", files={"notes": ("circuits.txt", notes, "text/plain")})
    assert upload.status_code == 200
    home = page_of(client.get("/").text)
    question = next(
        q for q in home.select("[data-testid=question]") if "bulb light up" in q.get_text()
    )
    form = one(question, "[data-testid=practise-question]").find_parent("form")
    assert form is not None
    data = {str(i["name"]): str(i["value"]) for i in form.select("input")}
    page = page_of(client.post(str(form["action"]), data=data).text)
    answer_form = one(page, "form[data-testid=answer-form]")
    hidden = {str(i["name"]): str(i["value"]) for i in answer_form.select("input[type=hidden]")}
    response = client.post(
        str(answer_form["action"]), data={**hidden, "answer": text}, headers=HTMX
    )
    assert response.status_code == 200
    card = page_of(response.text)
    # A grader slower than the page's short wait leaves a card that polls: poll like htmx.
    for _ in range(600):
        pending = card.select_one("[data-testid=grade-pending]")
        if pending is None:
            return card
        time.sleep(0.1)
        card = page_of(client.get(str(pending["hx-get"]), headers=HTMX).text)
    raise AssertionError("the answer was never graded")


def test_the_card_names_the_alternative_reference_that_decided(client: TestClient) -> None:
    card = _answer(client, NOTES, "Current flows through the circuit because the switch is closed.")
    assert one(card, "[data-testid=verdict]")["data-verdict"] == "correct"  # type: ignore[arg-type]
    used = one(card, "[data-testid=reference-used]")  # type: ignore[arg-type]
    assert used["data-reference"] == "1"
    assert "alternative reference answer 1" in used.get_text()
    alternatives = card.select("[data-testid=alternative-answer]")  # type: ignore[attr-defined]
    assert [a.get_text(strip=True) for a in alternatives] == [
        "Current flows through the circuit because the switch is closed."
    ]


def test_the_card_says_when_graded_examples_decided(client: TestClient) -> None:
    # The words of the reference, the wrong claim: the weak example is the answer's twin.
    card = _answer(
        client, WITH_EXAMPLES, "The bulb is on a path with the battery but the path is open."
    )
    assert one(card, "[data-testid=verdict]")["data-verdict"] != "correct"  # type: ignore[arg-type]
    note = one(card, "[data-testid=examples-decided]")  # type: ignore[arg-type]
    assert "the path is open" in one(note, "q").get_text()
