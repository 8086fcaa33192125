"""The command line: import with counts, listing the bank, db upgrade, clear errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from tests.fakes import FAKE_GRADERS

MATERIAL = Path(__file__).parent / "material"


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def test_questions_json_lists_day1_on_a_fresh_database(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert len(items) == 8
    assert set(items[0]) >= {
        "id",
        "part",
        "topic",
        "question",
        "reference_answer",
        "source",
        "version",
    }
    assert items[0]["source"] == "day1.txt" and items[0]["version"] == 1


def test_questions_topic_filter(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["questions", "--topic", "embeddings", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    assert [item["topic"] for item in items] == ["Embeddings"]


def test_import_prints_counts_and_is_idempotent(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(MATERIAL / "day2.txt")]) == 0
    assert capsys.readouterr().out.strip() == "day2.txt: 4 new, 0 updated, 0 unchanged, 0 retired"
    assert main(["import", str(MATERIAL / "day2.txt")]) == 0
    assert capsys.readouterr().out.strip() == "day2.txt: 0 new, 0 updated, 4 unchanged, 0 retired"


def test_import_bad_file_exits_non_zero_and_imports_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["import", str(MATERIAL / "missing_answer.txt")]) == 1
    err = capsys.readouterr().err
    assert "missing_answer.txt:6: question has no 'Your Answer:'" in err
    main(["questions", "--json"])
    assert len(json.loads(capsys.readouterr().out)) == 8


def test_import_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "nope.txt"]) == 1
    assert "nope.txt" in capsys.readouterr().err


def test_no_seeding_when_turned_off(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOAD_DEFAULT_MATERIAL", "false")
    assert main(["questions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "mock_interview.db").exists()


def test_installed_entry_point_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "mock-interview"
    result = subprocess.run(
        [str(script), "questions"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        env={"DATA_DIR": str(tmp_path / "d"), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "Can you explain the Transformer architecture" in result.stdout


def test_a_typo_in_the_grader_stops_the_start_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRADER", "embeding")
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "GRADER" in err and "'embeding'" in err and "embedding" in err


@pytest.mark.parametrize(
    ("name", "value"),
    [("OPENAI_BASE_URL", "localhost:8080/v1"), ("DATABASE_URL", "mysql://db/x")],
)
def test_a_bad_url_stops_the_start_with_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    assert main(["worker", "--drain"]) == 2
    err = capsys.readouterr().err
    assert name in err and value in err


def test_worker_drain_grades_what_is_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sqlalchemy import select

    from app.accounts.users import ensure_local_user
    from app.config import Settings
    from app.models import Answer, Question
    from app.practice.grades import submit_answer
    from app.startup import open_database

    monkeypatch.setenv("GRADER", "fake")
    database = open_database(Settings())
    with database.session() as session:
        question = session.scalar(select(Question))
        assert question is not None
        for text in ("one", "two"):
            submit_answer(
                session=session,
                user=ensure_local_user(session=session),
                question=question,
                text=text,
                max_chars=100,
            )
    assert main(["worker", "--drain"], graders=FAKE_GRADERS) == 0
    assert "graded 2 queued answers" in capsys.readouterr().out
    with database.session() as session:
        states = session.scalars(select(Answer.grading_state)).all()
    assert states == ["done", "done"]
    database.dispose()
