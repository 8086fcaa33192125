"""The grader registry: built-in names, a clear error for an unknown one, one grader per name."""

from pathlib import Path

import pytest

from app.config import Settings
from app.grading import UnknownGraderError, create_grader, grader_names
from app.grading.graders import GraderPool
from tests.fakes import FAKE_GRADERS


def test_builtin_graders_are_registered() -> None:
    assert {"embedding", "llm", "hybrid"} <= set(grader_names())


def test_unknown_grader_is_a_clear_error(settings: Settings) -> None:
    with pytest.raises(UnknownGraderError) as excinfo:
        create_grader("gpt-judge", settings)
    message = str(excinfo.value)
    assert "unknown grader 'gpt-judge'" in message
    assert "embedding" in message and "hybrid" in message and "llm" in message


def test_pool_builds_each_grader_once_and_uses_the_setting(settings: Settings) -> None:
    pool = GraderPool(settings, FAKE_GRADERS)
    assert pool.get() is pool.get("fake")
    assert pool.get().name == "fake-overlap"
    assert pool.readiness() == {"name": "fake", "ready": True}


def test_eval_command_rejects_an_unknown_grader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import main

    monkeypatch.chdir(tmp_path)
    dataset = tmp_path / "d.csv"
    dataset.write_text("question,reference_answer,student_answer,score,max_score\nq,r,a,1,1\n")
    assert main(["eval", str(dataset), "--grader", "nope"]) == 2
    assert "unknown grader 'nope'" in capsys.readouterr().err
