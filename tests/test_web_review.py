"""Review, the last word and progress in the browser (without one): pages parsed, rows checked."""

from __future__ import annotations

import html
import io
import sqlite3
import zipfile
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts.users import ensure_local_user
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.material.importer import import_notes_text
from app.models import (
    ExampleAnswer,
    InterviewItem,
    Question,
    Review,
    ReviewLog,
    StoredGrade,
    User,
    utcnow,
)
from app.practice.reviews import record_review
from app.startup import open_database
from tests.fakes import FAKE_GRADERS
from tests.test_web_interview import HTMX, one, page_of, start, submit
from tests.web_client import TEST_HOST


def _questions(database: Database) -> list[Question]:
    with database.session() as session:
        rows = list(session.scalars(select(Question).order_by(Question.id)))
        session.expunge_all()
    return rows


def _count(page: object, testid: str) -> int:
    return int(str(one(page, f"[data-testid={testid}]")["data-count"]))  # type: ignore[arg-type]


def test_home_shows_due_and_new_and_review_now_starts_most_overdue_first(
    client: TestClient, database: Database
) -> None:
    home = page_of(client.get("/").text)
    assert _count(home, "due-count") == 0 and _count(home, "new-count") == 8
    assert one(home, "[data-testid=due-count]").get_text(strip=True) == "0 due today"
    assert home.select_one("[data-testid=review-now]") is None
    questions = _questions(database)
    now = utcnow()
    with database.session() as session:
        user = ensure_local_user(session=session)
        # Two lapses long ago: the older one is the more overdue.
        for question, days in ((questions[3], 30), (questions[5], 60)):
            record_review(
                session=session,
                user_id=user.id,
                question_id=question.id,
                score=10,
                reviewed_at=now - timedelta(days=days),
            )
    home = page_of(client.get("/").text)
    assert _count(home, "due-count") == 2 and _count(home, "new-count") == 6
    row = one(home, f"[data-question-id='{questions[5].id}'] [data-testid=question-review]")
    assert "overdue" in row.get_text() and float(str(row["data-retrievability"])) < 0.9
    fresh = one(home, f"[data-question-id='{questions[0].id}'] [data-testid=question-review]")
    assert fresh.get_text(strip=True) == "new"
    response = client.post("/reviews/start", data={"kind": "due"}, follow_redirects=False)
    assert response.status_code == 303
    first = page_of(client.get(response.headers["location"]).text)
    assert questions[5].text in first.get_text()
    with database.session() as session:
        items = session.scalars(select(InterviewItem).order_by(InterviewItem.position)).all()
        assert [i.question_id for i in items] == [questions[5].id, questions[3].id]


def test_i_disagree_replaces_the_grade_in_schedule_stats_and_examples(
    client: TestClient, database: Database
) -> None:
    url = start(client, question_ids=[str(_questions(database)[0].id)], count="1")
    status, page = submit(client, url, "transformers use attention")
    assert status == 200
    machine = float(one(page, "[data-testid=score]").get_text())
    form = one(page, "form[data-testid=override-form]")
    response = client.post(str(form["action"]), data={"score": "95", "verdict": "correct"})
    card = page_of(response.text)
    assert float(one(card, "[data-testid=score]").get_text()) == 95
    assert one(card, "[data-testid=verdict]")["data-verdict"] == "correct"
    assert float(one(card, "[data-testid=machine-score]").get_text()) == machine
    with database.session() as session:
        log = session.scalars(select(ReviewLog)).one()
        assert (log.rating, log.source, log.score) == (4, "self", 95)
        example = session.scalars(select(ExampleAnswer)).one()
        assert (example.source, example.score) == ("override", 95)
        review = session.scalars(select(Review)).one()
        assert review.last_score == 95 and review.reps == 1
    progress = page_of(client.get("/progress").text)
    agreement = one(progress, "[data-testid=agreement][data-grader=fake-overlap]")
    assert one(agreement, "[data-testid=override-count]").get_text() == "1"
    assert one(progress, "[data-testid=override] [data-testid=override-own]").get_text() == "95"


def test_i_dont_know_is_a_lapse_that_shows_the_reference(
    client: TestClient, database: Database
) -> None:
    question = _questions(database)[1]
    url = start(client, question_ids=[str(question.id)], count="1")
    form = one(page_of(client.get(url).text), "form[data-testid=answer-form]")
    skip = one(form, "[data-testid=skip-question]")
    response = client.post(str(skip["formaction"]), headers=HTMX)
    card = page_of(response.text)
    assert one(card, "#grade-heading").get_text(strip=True) == "You skipped this one"
    reference = one(card, "details.reference")
    assert reference.has_attr("open")
    assert question.reference_answer[:40] in one(card, "[data-testid=reference-answer]").get_text()
    assert card.select("[data-testid=override-form]") == []
    with database.session() as session:
        log = session.scalars(select(ReviewLog)).one()
        assert (log.rating, log.source) == (1, "skip")
    history = page_of(client.get(f"/questions/{question.id}/history").text)
    assert one(history, "[data-testid=attempt-skipped]")
    summary = page_of(client.get(url.split("/items")[0] + "/summary").text)
    assert one(summary, "[data-testid=row-score]").get_text(strip=True) == "0"


def test_try_again_keeps_the_earlier_attempt_and_the_summary_shows_first_and_best(
    client: TestClient, database: Database
) -> None:
    question = _questions(database)[0]
    url = start(client, question_ids=[str(question.id)], count="1")
    submit(client, url, "no idea")
    retry = page_of(client.get(url + "?retry=1").text)
    earlier = one(retry, "[data-testid=earlier-attempts]")
    assert "no idea" in earlier.get_text()
    _, page = submit(client, url + "?retry=1", question.reference_answer)
    kept = one(page, "[data-testid=earlier-attempt]")
    assert "no idea" in kept.get_text()
    first_score = float(one(kept, "[data-testid=earlier-score]").get_text())
    best_score = float(one(page, "[data-testid=score]").get_text())
    assert best_score > first_score
    summary = page_of(client.get(url.split("/items")[0] + "/summary").text)
    row = one(summary, "[data-testid=summary-row]")
    assert float(one(row, "[data-testid=row-first-score]").get_text()) == first_score
    assert float(one(row, "[data-testid=row-score]").get_text()) == best_score
    assert one(row, "[data-testid=row-attempts]").get_text(strip=True) == "2 tries"


def test_a_follow_up_is_its_own_turn_under_its_parent(
    client: TestClient, database: Database
) -> None:
    question = _questions(database)[0]
    url = start(client, question_ids=[str(question.id)], count="1")
    _, page = submit(client, url, "Transformers process the whole sequence at once.")
    follow = page.select_one("form:has([data-testid=follow-up])")
    assert follow is not None
    point = str(one(follow, "input[name=point]")["value"])
    response = client.post(str(follow["action"]), data={"point": point}, follow_redirects=False)
    follow_url = response.headers["location"]
    submit(client, follow_url, "something about it")
    history = page_of(client.get(f"/questions/{question.id}/history").text)
    attempts = history.select("[data-testid=attempt]")
    assert len(attempts) == 1
    nested = attempts[0].select("[data-testid=follow-up-answer]")
    assert len(nested) == 1 and "something about it" in nested[0].get_text()
    with database.session() as session:
        assert len(session.scalars(select(ReviewLog)).all()) == 1


def test_progress_page_counts_states_readiness_and_streak(
    client: TestClient, database: Database
) -> None:
    questions = _questions(database)
    empty = page_of(client.get("/progress").text)
    assert one(empty, "[data-testid=readiness] strong")["data-value"] == "0.0"
    assert one(empty, "[data-testid=new]")["data-value"] == "8"
    assert one(empty, "[data-testid=streak] strong")["data-value"] == "0"
    url = start(client, question_ids=[str(questions[0].id)], count="1")
    submit(client, url, questions[0].reference_answer)
    now = utcnow()
    with database.session() as session:
        user = ensure_local_user(session=session)
        # A question held for months: reviewed well, again and again.
        for days in (200, 150, 90, 5):
            record_review(
                session=session,
                user_id=user.id,
                question_id=questions[1].id,
                score=95,
                reviewed_at=now - timedelta(days=days),
            )
    page = page_of(client.get("/progress").text)
    assert one(page, "[data-testid=mastered]")["data-value"] == "1"
    assert one(page, "[data-testid=learning]")["data-value"] == "1"
    assert one(page, "[data-testid=new]")["data-value"] == "6"
    readiness = float(str(one(page, "[data-testid=readiness] strong")["data-value"]))
    assert 20 < readiness <= 25  # two of eight questions held, almost surely
    assert one(page, "[data-testid=streak] strong")["data-value"] == "1"
    part = one(page, "[data-testid=progress-part]")
    assert one(part, "[data-testid=part-chart]")
    topic = one(page, f"[data-testid=topic-progress][data-topic-id='{questions[0].topic_id}']")
    assert one(topic, "[data-testid=topic-average]").get_text(strip=True).startswith("avg ")
    assert page.select("script:not([src])") == []


def test_desired_retention_is_a_setting_of_the_person(client: TestClient) -> None:
    response = client.post("/progress/retention", data={"desired_retention": "0.8"})
    assert response.status_code == 200
    field = one(page_of(response.text), "[data-testid=retention-input]")
    assert field["value"] == "0.80"
    assert client.get("/api/v1/reviews").json()["desired_retention"] == 0.8
    refused = client.post("/progress/retention", data={"desired_retention": "0.99"})
    assert refused.status_code == 422 and "between 0.70 and 0.97" in refused.text


def _history(client: TestClient) -> dict[str, object]:
    document = client.get("/api/v1/export", params={"format": "json"}).json()
    document.pop("exported_at")
    return document


def test_export_then_import_into_a_fresh_instance_gives_identical_history(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    questions = _questions(database)
    url = start(client, question_ids=[str(q.id) for q in questions[:2]], count="2")
    submit(client, url, "attention everywhere")
    _, page = submit(client, url + "?retry=1", questions[0].reference_answer)
    second = str(one(page, "[data-testid=next-question]")["href"])
    # The override comes last: a question with graded examples is graded with the embedder.
    _, page = submit(client, second, "no idea")
    form = one(page, "form[data-testid=override-form]")
    client.post(str(form["action"]), data={"score": "70"})
    client.post("/progress/retention", data={"desired_retention": "0.85"})
    exported = _history(client)
    assert len(exported["answers"]) == 3  # type: ignore[arg-type]
    assert len(exported["review_log"]) == 3  # type: ignore[arg-type]

    other = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path / "other",
        database_url=f"sqlite:///{tmp_path / 'other.db'}",
        grader="fake",
        embedding_warmup=False,
        trusted_hosts=[TEST_HOST],
    )
    with TestClient(create_app(other, graders=FAKE_GRADERS)) as fresh:
        document = client.get("/api/v1/export").json()
        report = fresh.post("/api/v1/import", json=document)
        assert report.status_code == 200, report.text
        assert report.json()["answers"] == 3 and report.json()["answers_skipped"] == 0
        assert _history(fresh) == exported
        again = fresh.post("/api/v1/import", json=document).json()
        assert again["answers"] == 0 and again["answers_skipped"] == 3
        assert _history(fresh) == exported
        assert fresh.get("/api/v1/reviews").json() == client.get("/api/v1/reviews").json()
    refused = client.post("/api/v1/import", json={"format": "something-else"})
    assert refused.status_code == 422
    damaged = {**document, "answers": [{"question": 99, "text": "x"}]}
    refused = client.post("/api/v1/import", json=damaged)
    assert refused.status_code == 422 and "unknown question ref 99" in refused.text
    assert _history(client) == exported


def test_csv_export_has_a_row_per_answer(client: TestClient, database: Database) -> None:
    question = _questions(database)[0]
    url = start(client, question_ids=[str(question.id)], count="1")
    submit(client, url, "attention, with a comma")
    response = client.get("/api/v1/export", params={"format": "csv"})
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.strip().splitlines()
    assert lines[0].startswith("answered_at,source,part,topic,question")
    assert len(lines) == 2 and '"attention, with a comma"' in lines[1]
    assert client.get("/export/answers.csv").text == response.text


def test_bank_exports_as_notes_that_import_back_and_as_an_anki_deck(
    client: TestClient, database: Database, tmp_path: Path
) -> None:
    notes = client.get("/api/v1/export/bank", params={"format": "notes"}).text
    fresh = open_database(
        Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=tmp_path / "notes",
            database_url=f"sqlite:///{tmp_path / 'notes.db'}",
            load_default_material=False,
            grader="fake",
            embedding_warmup=False,
        )
    )
    with fresh.session() as session:
        user = ensure_local_user(session=session)
        report = import_notes_text(session=session, text=notes, name="bank.txt", user_id=user.id)
        texts = sorted(session.scalars(select(Question.reference_answer)))
    fresh.dispose()
    assert report.new == 8
    assert texts == sorted(q.reference_answer for q in _questions(database))
    deck = client.get("/export/bank.apkg")
    assert deck.status_code == 200
    with zipfile.ZipFile(io.BytesIO(deck.content)) as archive:
        (tmp_path / "deck.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "deck.anki2") as anki:
        fields = [row[0].split("\x1f") for row in anki.execute("SELECT flds FROM notes")]
    assert len(fields) == 8
    assert {html.unescape(f[0]) for f in fields} == {q.text for q in _questions(database)}


def test_another_persons_answer_or_interview_is_a_404(
    client: TestClient, database: Database
) -> None:
    from app.practice.grades import store_answer
    from app.practice.options import InterviewOptions
    from app.practice.turns import create_interview

    with database.session() as session:
        ensure_local_user(session=session)
        other = User(name="someone-else")
        session.add(other)
        session.flush()
        question = session.scalars(select(Question)).first()
        assert question is not None
        interview = create_interview(
            session=session,
            user_id=other.id,
            options=InterviewOptions(question_ids=(question.id,), count=1),
        )
        answer = store_answer(session=session, user=other, question=question, text="theirs")
        ids = (interview.id, interview.items[0].id, answer.id)
    assert client.post(f"/answers/{ids[2]}/override", data={"score": "90"}).status_code == 404
    assert client.post(f"/interviews/{ids[0]}/items/{ids[1]}/skip").status_code == 404
    with database.session() as session:
        # (The grading worker may have graded their answer meanwhile: that review is theirs.)
        mine = select(ReviewLog).where(ReviewLog.source != "grade")
        assert session.scalars(mine).all() == []
        assert session.scalars(select(StoredGrade).where(StoredGrade.grader == "self")).all() == []
