"""The grade card says which reference answer decided and when graded examples did."""

from __future__ import annotations

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.html import one
from tests.practice_support import practise_and_grade

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


def _answer(client: TestClient, notes: str, text: str) -> BeautifulSoup:
    """Upload the notes, answer the bulb question, and return the grade card."""
    upload = client.post("/material", files={"notes": ("circuits.txt", notes, "text/plain")})
    assert upload.status_code == 200
    return practise_and_grade(client, "bulb light up", text)


def test_the_card_names_the_alternative_reference_that_decided(client: TestClient) -> None:
    card = _answer(client, NOTES, "Current flows through the circuit because the switch is closed.")
    assert one(card, "[data-testid=verdict]")["data-verdict"] == "correct"
    used = one(card, "[data-testid=reference-used]")
    assert used["data-reference"] == "1"
    assert "alternative reference answer 1" in used.get_text()
    alternatives = card.select("[data-testid=alternative-answer]")
    assert [a.get_text(strip=True) for a in alternatives] == [
        "Current flows through the circuit because the switch is closed."
    ]


def test_the_card_says_when_graded_examples_decided(client: TestClient) -> None:
    # The words of the reference, the wrong claim: the weak example is the answer's twin.
    card = _answer(
        client, WITH_EXAMPLES, "The bulb is on a path with the battery but the path is open."
    )
    assert one(card, "[data-testid=verdict]")["data-verdict"] != "correct"
    note = one(card, "[data-testid=examples-decided]")
    assert "the path is open" in one(note, "q").get_text()
