"""Practising in tests without a browser: a question from the home page, answered, graded."""

from __future__ import annotations

import time

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from tests.html import one, page_of
from tests.web_client import HTMX


def practise_and_grade(client: TestClient, question: str, answer: str) -> BeautifulSoup:
    """Practise the home page's question whose text holds `question`, answer it as htmx does,
    and return the grade card once it is graded."""
    home = page_of(client.get("/").text)
    listed = next(q for q in home.select("[data-testid=question]") if question in q.get_text())
    form = one(listed, "[data-testid=practise-question]").find_parent("form")
    assert form is not None
    data = {str(i["name"]): str(i["value"]) for i in form.select("input")}
    page = page_of(client.post(str(form["action"]), data=data).text)
    answer_form = one(page, "form[data-testid=answer-form]")
    hidden = {str(i["name"]): str(i["value"]) for i in answer_form.select("input[type=hidden]")}
    response = client.post(
        str(answer_form["action"]), data={**hidden, "answer": answer}, headers=HTMX
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
