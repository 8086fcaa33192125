"""`mock-interview eval`: agreement figures of a grader against human scores in a CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.grading.base import Grade, GradingQuestion, Verdict
from app.grading.embedding import EmbeddingGrader
from app.grading.evaluation import EvalError, format_report, run_eval
from tests.grading_fakes import FakeEmbedder

HEADER = ["dataset", "question", "reference_answer", "student_answer", "score", "max_score"]


class EchoGrader:
    """Scores an answer by the number it starts with; records its batches."""

    name = "echo"
    version = "1"

    def __init__(self) -> None:
        self.batches: list[int] = []

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        score = float(answer.split()[0])
        verdict: Verdict = "correct" if score >= 70 else "incorrect"
        return Grade(score, verdict, [], "", self.name, self.version)

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        self.batches.append(len(items))
        return [self.grade(q, a) for q, a in items]

    def is_ready(self) -> bool:
        return True


def write_csv(path: Path, rows: Sequence[Sequence[object]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_perfectly_linear_grader_has_perfect_correlation(tmp_path: Path) -> None:
    rows = [["t", f"q{i % 3}", "ref", f"{i * 10} words", i, 10] for i in range(11)]
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=EchoGrader())

    assert report.n == 11 and report.n_questions == 3
    assert report.pearson == pytest.approx(1.0)
    assert report.spearman == pytest.approx(1.0)
    assert report.rmse == pytest.approx(0.0, abs=1e-9)
    assert not report.binary and report.roc_auc is None


def test_rank_agreement_without_linearity(tmp_path: Path) -> None:
    # Monotone but not linear: Spearman is 1, Pearson below it, RMSE above 0.
    rows = [
        ["t", "q", "ref", f"{s} x", h, 4] for s, h in [(1, 0), (2, 1), (3, 2), (90, 3), (99, 4)]
    ]
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=EchoGrader())

    assert report.spearman == pytest.approx(1.0)
    assert report.pearson < 0.95 and report.rmse > 0.05


def test_binary_labels_get_auc_and_macro_f1_of_the_verdict(tmp_path: Path) -> None:
    # Scores rank every positive above every negative, but the verdict calls 60 incorrect.
    rows = [
        ["t", "q", "r", "90 a", 1, 1],
        ["t", "q", "r", "60 b", 1, 1],
        ["t", "q", "r", "50 c", 0, 1],
        ["t", "q", "r", "10 d", 0, 1],
    ]
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=EchoGrader())

    assert report.binary
    assert report.roc_auc == pytest.approx(1.0)
    # correct: P=1 R=.5 F1=2/3; incorrect: P=2/3 R=1 F1=.8
    assert report.macro_f1 == pytest.approx((2 / 3 + 0.8) / 2)
    text = format_report(report, as_json=False)
    assert "roc_auc   1.000" in text and "macro_f1" in text


def test_predictions_keep_every_input_column(tmp_path: Path) -> None:
    header = [*HEADER, "note"]
    rows = [["t", "q", "r", f"{s} a", s, 100, f"n{s}"] for s in (20, 80, 50)]
    out = tmp_path / "pred.csv"
    run_eval(write_csv(tmp_path / "d.csv", rows, header), grader=EchoGrader(), predictions=out)

    with out.open(newline="", encoding="utf-8") as f:
        written = list(csv.DictReader(f))
    assert list(written[0]) == [*header, "predicted_score", "predicted_verdict"]
    assert [r["note"] for r in written] == ["n20", "n80", "n50"]
    assert [float(r["predicted_score"]) for r in written] == [20.0, 80.0, 50.0]
    assert [r["predicted_verdict"] for r in written] == ["incorrect", "correct", "incorrect"]


def test_grades_in_batches_and_honours_the_limit(tmp_path: Path) -> None:
    rows = [["t", "q", "r", f"{i % 100} a", i % 5, 5] for i in range(150)]
    grader = EchoGrader()
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=grader, limit=130)

    assert report.n == 130
    assert grader.batches == [64, 64, 2]


def test_json_report(tmp_path: Path) -> None:
    rows = [["t", "q", "r", f"{s} a", s, 100] for s in (10, 40, 90)]
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=EchoGrader())
    data = json.loads(format_report(report, as_json=True))
    assert data["grader"] == "echo" and data["n"] == 3
    assert data["pearson"] == pytest.approx(1.0)


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [["q", "r", "a"]], ["question", "reference_answer", "x"])
    with pytest.raises(EvalError, match="student_answer, score, max_score"):
        run_eval(path, grader=EchoGrader())


def test_an_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="cannot read"):
        run_eval(tmp_path / "missing.csv", grader=EchoGrader())
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(EvalError):
        run_eval(binary, grader=EchoGrader())


def test_a_non_numeric_score_names_the_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", [["t", "q", "r", "a", "high", 5]])
    with pytest.raises(EvalError, match=r"d\.csv:2: score and max_score must be numbers"):
        run_eval(path, grader=EchoGrader())


def test_the_embedding_grader_ranks_a_tiny_dataset(tmp_path: Path) -> None:
    q = "What does a stack's push operation do?"
    ref = "Push adds an element to the top of the stack."
    rows = [
        ["t", q, ref, "Push adds an element to the top of the stack.", 5, 5],
        ["t", q, ref, "It adds an element on top.", 4, 5],
        ["t", q, ref, "Bake the bread in a hot oven for an hour.", 0, 5],
        ["t", q, ref, "", 0, 5],
    ]
    report = run_eval(write_csv(tmp_path / "d.csv", rows), grader=EmbeddingGrader(FakeEmbedder()))
    assert report.grader == "embedding"
    assert report.spearman > 0.8


MULTI = [*HEADER, "reference_answers"]


def _multi_rows() -> list[list[object]]:
    refs = json.dumps(["the switch is closed", "current flows round the loop"])
    return [
        ["beetle", "q1", "the switch is closed", "current flows round the loop", 1, 1, refs],
        ["beetle", "q1", "the switch is closed", "the switch is closed", 1, 1, refs],
        ["beetle", "q1", "the switch is closed", "the bulb is broken", 0, 1, refs],
        ["sb", "q2", "plants need light", "plants need light to grow", 1, 1, "[]"],
        ["sb", "q2", "plants need light", "plants like water", 0, 1, "[]"],
    ]


def test_every_reference_of_a_reference_answers_column_is_used(tmp_path: Path) -> None:
    from tests.fakes import OverlapGrader

    data = write_csv(tmp_path / "d.csv", _multi_rows(), header=MULTI)
    every = run_eval(data, grader=OverlapGrader())
    first = run_eval(data, grader=OverlapGrader(), all_references=False)

    assert (every.references, first.references) == ("all", "first")
    assert every.macro_f1 == pytest.approx(1.0) and first.macro_f1 is not None
    assert first.macro_f1 < 1.0
    assert set(every.by_dataset) == {"beetle", "sb"}
    assert every.by_dataset["beetle"]["n"] == 3
    assert "refs      all reference answers" in format_report(every, as_json=False)
    assert "  beetle: n 3" in format_report(every, as_json=False)


def test_a_reference_answers_cell_that_is_not_a_json_list_names_the_line(tmp_path: Path) -> None:
    rows = [["t", "q", "r", "a", 1, 1, "['single quotes']"]]
    with pytest.raises(EvalError, match=r"d\.csv:2: reference_answers must be a JSON list"):
        run_eval(write_csv(tmp_path / "d.csv", rows, header=MULTI), grader=EchoGrader())


def test_exemplars_are_matched_by_question_text(tmp_path: Path) -> None:
    from tests.fakes import OverlapGrader

    examples = write_csv(
        tmp_path / "train.csv",
        [
            ["t", "Q1 ", "r", "the bulb is broken so no light", 0, 1],
            ["t", "q1", "r", "current flows round the loop", 1, 1],
            ["t", "another question", "r", "x", 1, 1],
        ],
    )
    data = write_csv(tmp_path / "d.csv", _multi_rows(), header=MULTI)
    grader = OverlapGrader()
    grader.embedder = FakeEmbedder()  # type: ignore[attr-defined]
    report = run_eval(data, grader=grader, exemplars=examples, predictions=tmp_path / "with.csv")
    run_eval(data, grader=grader, predictions=tmp_path / "without.csv")

    assert report.exemplars == 2  # q1 has two; q2 and the unknown question none
    assert report.exemplar_overlap == 1  # one graded answer is itself an example
    assert "graded examples" in format_report(report, as_json=False)
    # "Decided" counts the answers whose verdict the examples changed.
    changed = sum(
        a["predicted_verdict"] != b["predicted_verdict"]
        for a, b in zip(
            csv.DictReader((tmp_path / "with.csv").open(encoding="utf-8")),
            csv.DictReader((tmp_path / "without.csv").open(encoding="utf-8")),
            strict=True,
        )
    )
    assert report.to_dict()["exemplars_decided"] == changed


def test_eval_command_takes_first_reference_and_exemplars(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import main
    from tests.fakes import OverlapGrader

    monkeypatch.setattr(
        "app.grading.registry.create_grader", lambda name, settings: OverlapGrader()
    )
    monkeypatch.chdir(tmp_path)
    data = write_csv(tmp_path / "d.csv", _multi_rows(), header=MULTI)
    assert main(["eval", str(data), "--grader", "fake", "--first-reference", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["references"] == "first"
    assert main(["eval", str(data), "--grader", "fake", "--exemplars", "missing.csv"]) == 2
    assert "cannot read missing.csv" in capsys.readouterr().err
