"""A bank's graded examples set where "correct" begins for its other questions."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

from app.grading.base import (
    CAP_CONTRADICTED,
    Bank,
    BankExample,
    Exemplar,
    Grade,
    GradingQuestion,
    verdict_for,
)
from app.grading.evaluation import read_examples, run_eval
from app.grading.exemplars import spread, threshold
from app.grading.references import ReferenceGrader, decided_by_examples
from tests.fakes import OverlapGrader
from tests.grading_fakes import FakeEmbedder
from tests.test_evaluation import HEADER, write_csv

REFERENCE = "amber basalt copper dolomite emerald feldspar granite hematite ilmenite jasper"


class CountingGrader(OverlapGrader):
    """Scores by word overlap (10 points a reference word); counts the answers it grades;
    an answer saying "not" is capped as the embedding grader's contradiction guard caps it."""

    def __init__(self) -> None:
        super().__init__()
        self.graded = 0

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        self.graded += len(items)
        grades = super().grade_batch(items)
        return [
            dataclasses.replace(
                g,
                score=CAP_CONTRADICTED,
                verdict=verdict_for(CAP_CONTRADICTED),
                details={"flags": ["contradicts_reference"]},
            )
            if "not" in answer.split() and g.score > CAP_CONTRADICTED
            else g
            for g, (_, answer) in zip(grades, items, strict=True)
        ]


def words(n: int) -> str:
    """An answer with the first `n` words of REFERENCE: the overlap grader gives it 10 n."""
    return " ".join(REFERENCE.split()[:n])


def bank_of(graded: Sequence[tuple[int, float]], questions: int = 3) -> Bank:
    """A bank of answers to `questions` other questions with REFERENCE as their reference:
    (words said, score earned) per example, dealt round the questions."""
    asked = [GradingQuestion(f"Other question {i}?", REFERENCE) for i in range(questions)]
    return Bank(
        tuple(
            BankExample(asked[i % questions], Exemplar(words(n), earned))
            for i, (n, earned) in enumerate(graded)
        )
    )


# Right answers say 8-10 of the ten words here, wrong ones 6-7: "correct" begins near 75.
STRICT = [(10, 100), (9, 100), (8, 100), (8, 100), (7, 0), (6, 0), (7, 0), (6, 0)] * 2
# Right answers say 3-5 words, wrong ones 0-2: "correct" begins near 25.
LENIENT = [(5, 100), (4, 100), (3, 100), (3, 100), (2, 0), (1, 0), (0, 0), (2, 0)] * 2


def question(bank: Bank | None, exemplars: tuple[Exemplar, ...] = ()) -> GradingQuestion:
    return GradingQuestion("A new question?", REFERENCE, exemplars=exemplars, bank=bank)


def test_a_strict_bank_keeps_a_near_miss_from_correct() -> None:
    grader = ReferenceGrader(CountingGrader(), embedder=FakeEmbedder)
    alone = grader.grade(question(None), words(7))
    grade = grader.grade(question(bank_of(STRICT)), words(7))

    assert alone.verdict == "correct" and alone.score == 70
    assert grade.verdict != "correct" and grade.score < alone.score
    info = grade.details["exemplars"]
    assert info["threshold_from"] == "bank" and info["threshold"] > 70
    assert info["count"] == 0 and info["bank_count"] == len(STRICT)
    assert decided_by_examples(grade.details)
    assert "other questions of this bank decided the verdict" in grade.feedback
    # A full answer stays correct.
    assert grader.grade(question(bank_of(STRICT)), words(10)).verdict == "correct"


def test_a_lenient_bank_lifts_a_terse_right_answer_but_never_a_guard() -> None:
    grader = ReferenceGrader(CountingGrader(), embedder=FakeEmbedder)
    bank = bank_of(LENIENT)

    assert grader.grade(question(None), words(4)).verdict == "partially_correct"
    assert grader.grade(question(bank), words(4)).verdict == "correct"
    assert grader.grade(question(bank), words(1)).verdict == "incorrect"
    # A contradiction keeps its cap: the cut moves the scale, not the guards.
    capped = grader.grade(question(bank), f"{words(5)} not")
    assert capped.score == CAP_CONTRADICTED and capped.verdict == "partially_correct"


def distinct(graded: Sequence[tuple[int, float]], questions: int = 3) -> int:
    """How many different (question, answer) pairs `bank_of(graded)` holds."""
    return len({(i % questions, n) for i, (n, _) in enumerate(graded)})


def test_an_example_is_graded_once_whatever_bank_it_is_in() -> None:
    inner = CountingGrader()
    grader = ReferenceGrader(inner, embedder=FakeEmbedder)
    bank = bank_of(STRICT)

    grader.grade(question(bank), words(7))
    first = inner.graded
    grader.grade(question(bank), words(9))
    grader.grade(GradingQuestion("Yet another?", REFERENCE, bank=bank), words(8))

    assert first == distinct(STRICT) + 1
    assert inner.graded == first + 2
    # One more example (an override, say) is a new bank: only the new example is graded.
    grader.grade(question(bank_of([*STRICT, (5, 0)])), words(7))
    assert inner.graded == first + 2 + 1 + 1


def test_preparing_a_question_sets_its_bank_threshold_ahead() -> None:
    inner = CountingGrader()
    grader = ReferenceGrader(inner, embedder=FakeEmbedder)
    bank = bank_of(STRICT)

    grader.prepare([question(bank)])
    assert inner.graded == distinct(STRICT)
    grade = grader.grade(question(bank), words(7))
    assert inner.graded == distinct(STRICT) + 1
    assert grade.verdict != "correct"


def test_a_grader_that_calls_a_model_service_is_not_calibrated_by_banks() -> None:
    class Service(CountingGrader):
        calls_service = True

    inner = Service()
    grade = ReferenceGrader(inner, embedder=FakeEmbedder).grade(question(bank_of(STRICT)), words(7))

    assert inner.graded == 1  # not one request per example of the bank
    assert grade.verdict == "correct" and "exemplars" not in grade.details


def test_a_question_with_a_few_examples_is_pulled_toward_its_bank() -> None:
    own = (Exemplar(words(6), 100.0), Exemplar(words(2), 0.0))
    grader = ReferenceGrader(CountingGrader(), embedder=FakeEmbedder)
    without_bank = grader.grade(question(None, own), words(5)).details["exemplars"]
    with_bank = grader.grade(question(bank_of(LENIENT), own), words(5)).details["exemplars"]

    assert with_bank["threshold_from"] == "question"
    assert with_bank["threshold"] < without_bank["threshold"]
    # The prior alone, when the examples are of one kind.
    assert threshold([(30.0, 100.0), (80.0, 100.0)], prior=25.0) == 25.0
    assert threshold([(50.0, 100.0), (20.0, 0.0)], prior=25.0) < threshold(
        [(50.0, 100.0), (20.0, 0.0)]
    )


def test_spread_takes_in_turn_from_each_group_up_to_the_limit() -> None:
    groups = [["a1", "a2", "a3"], ["b1"], ["c1", "c2"]]
    assert spread(groups, 4) == ["a1", "b1", "c1", "a2"]
    assert spread(groups, 100) == ["a1", "b1", "c1", "a2", "c2", "a3"]
    assert spread([], 3) == []


def test_eval_examples_make_one_bank_per_data_set(tmp_path: Path) -> None:
    rows = [
        ["beetle", "Why?", "it is closed", "it is closed", 1, 1],
        ["beetle", "Why?", "it is closed", "no idea", 0, 1],
        ["beetle", "How?", "in series", "in series", 1, 1],
        ["sciEntsBank", "What?", "gravity", "gravity pulls", 1, 1],
    ]
    examples = read_examples(write_csv(tmp_path / "ex.csv", rows))

    assert sorted(examples.banks) == ["beetle", "scientsbank"]
    beetle = examples.bank_for("Beetle")
    assert beetle is not None and len(beetle.examples) == 3
    # Drawn in turn from the questions: the second question's example comes second.
    assert [e.question.question for e in beetle.examples] == ["Why?", "How?", "Why?"]
    assert examples.bank_for("unknown") is None
    # A file without the column is one bank, for every data set.
    plain = read_examples(
        write_csv(
            tmp_path / "plain.csv",
            [r[1:] for r in rows],
            header=HEADER[1:],
        )
    )
    assert plain.bank_for("anything") is plain.banks[""]


def test_eval_unseen_questions_are_calibrated_by_their_bank(tmp_path: Path) -> None:
    # The grader scores every right answer of this data set 50 and every wrong one 20: a
    # global cut at 60 calls none of them correct; the bank's examples put the cut lower.
    def rows(question: str) -> list[list[object]]:
        return [
            ["terse", question, REFERENCE, words(5), 1, 1],
            ["terse", question, REFERENCE, words(2), 0, 1],
        ]

    examples = write_csv(tmp_path / "ex.csv", [r for q in ("Q1?", "Q2?", "Q3?") for r in rows(q)])
    data = write_csv(tmp_path / "d.csv", rows("Unseen?") * 3)

    plain = run_eval(data, grader=CountingGrader())
    banked = run_eval(data, grader=CountingGrader(), exemplars=examples)

    assert plain.macro_f1 is not None and plain.macro_f1 < 0.5
    assert banked.macro_f1 == pytest.approx(1.0)
    assert banked.exemplars == 0 and banked.bank_examples == 6
