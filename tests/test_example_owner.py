"""Graded examples a person makes (an override, a confirmed grade) are theirs: on a published
bank they shape only their own grades, and no one else's grade card quotes them."""

from __future__ import annotations

from bs4 import Tag
from sqlalchemy import select

from app.accounts.api_keys import create_api_key
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.material.importer import publish_bank
from app.models import ExampleAnswer, Question
from tests.accounts_support import add_user, password_settings, sign_in
from tests.fakes import FAKE_GRADERS
from tests.html import one
from tests.practice_support import practise_and_grade
from tests.web_client import PageClient

NOTES = """\
Part 1: Circuits
1. Bulbs
Interviewer: "Why does the bulb light up when the switch is closed?"
Your Answer: "The bulb is in a closed path with the battery."
Example answer (weak): "The bulb glows because the battery is hot."
"""
QUESTION = "Why does the bulb light up when the switch is closed?"
# The reference's own words: the grader calls it correct; Alice disagrees and gives it 0.
ALICES_ANSWER = "The bulb is in a closed path with the battery."


def _answer(client: PageClient, text: str) -> Tag:
    """Practise the question from the home page, answer it, and return the grade card."""
    return practise_and_grade(client, QUESTION, text)


def _verdict(card: Tag) -> str:
    return str(one(card, "[data-testid=verdict]")["data-verdict"])


def test_an_override_on_a_published_bank_shapes_only_its_owners_grades(
    settings: Settings,
) -> None:
    app = create_app(password_settings(settings), graders=FAKE_GRADERS)
    with PageClient(app) as alice, PageClient(app) as bob:
        database: Database = app.state.database
        alice_id = add_user(database, "alice", admin=True)
        bob_id = add_user(database, "bob")
        sign_in(alice, "alice")
        sign_in(bob, "bob")
        uploaded = alice.post("/material", files={"notes": ("circuits.txt", NOTES, "text/plain")})
        assert uploaded.status_code == 200
        with database.session() as session:
            assert publish_bank(session=session, user_id=alice_id, name="circuits.txt")

        first = _answer(alice, ALICES_ANSWER)
        assert _verdict(first) == "correct"
        assert first.select_one("[data-testid=examples-decided]") is None
        override = one(first, "form[data-testid=override-form]")
        saved = alice.post(str(override["action"]), data={"score": "0", "verdict": "incorrect"})
        assert saved.status_code == 200

        # Her own disagreement decides her next grade of the same answer, and is quoted.
        again = _answer(alice, ALICES_ANSWER)
        assert _verdict(again) != "correct"
        note = one(again, "[data-testid=examples-decided]")
        assert one(note, "q").get_text() == ALICES_ANSWER

        # Bob answers the same words on the same published question: graded as Alice was
        # before she disagreed, and nothing of hers on his card.
        bobs = _answer(bob, ALICES_ANSWER)
        assert _verdict(bobs) == "correct"
        assert bobs.select_one("[data-testid=examples-decided]") is None

        # The scoring API by question id, with each one's key: the same split.
        with database.session() as session:
            question = session.scalar(select(Question).where(Question.text == QUESTION))
            assert question is not None
            keys = {
                name: create_api_key(session=session, user_id=user_id, name="k")
                for name, user_id in (("alice", alice_id), ("bob", bob_id))
            }
        for name, expected in (("bob", True), ("alice", False), ("bob", True)):
            scored = bob.post(
                "/api/v1/score",
                json={"question_id": question.id, "answer": ALICES_ANSWER},
                headers={"Authorization": f"Bearer {keys[name]}"},
            )
            assert scored.status_code == 200, scored.text
            assert (scored.json()["verdict"] == "correct") is expected, (name, scored.json())

        with database.session() as session:
            examples = session.scalars(
                select(ExampleAnswer).where(ExampleAnswer.question_id == question.id)
            ).all()
            assert {(e.source, e.user_id) for e in examples} == {
                ("notes", None),
                ("override", alice_id),
            }
