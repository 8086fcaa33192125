"""Several reference answers and graded example answers, around any grader."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from app.grading.base import CORRECT_FROM, Exemplar, Grade, GradingQuestion
from app.grading.exemplars import calibrate, threshold
from app.grading.references import ReferenceGrader, decided_by_examples, decided_reference
from tests.fakes import OverlapGrader
from tests.grading_fakes import FakeEmbedder

QUESTION = GradingQuestion(
    question="Why does the bulb light up?",
    reference_answer="The bulb is in a closed path with the battery.",
    reference_answers=(
        "The bulb is in a closed path with the battery.",
        "Current flows through the circuit because the switch is closed.",
    ),
)


def wrapped(inner: OverlapGrader | None = None) -> ReferenceGrader:
    return ReferenceGrader(inner or OverlapGrader(), embedder=FakeEmbedder)


def test_the_main_reference_comes_first_whatever_the_caller_gave() -> None:
    question = GradingQuestion("q", "main", reference_answers=("other", "main", "other"))
    assert question.reference_answers == ("main", "other")
    assert GradingQuestion("q", "", reference_answers=("only",)).reference_answer == "only"
    assert GradingQuestion("q", "main").reference_answers == ("main",)


def test_an_answer_is_judged_against_the_reference_it_matches_best() -> None:
    answer = "Current flows through the circuit since the switch is closed."
    grade = wrapped().grade(QUESTION, answer)
    first_only = OverlapGrader().grade(
        GradingQuestion(QUESTION.question, QUESTION.reference_answer), answer
    )

    assert first_only.verdict == "incorrect"
    assert grade.verdict == "correct" and grade.score > first_only.score
    assert decided_reference(grade.details) == 1
    assert grade.details["references"]["count"] == 2
    assert grade.details["references"]["scores"][0] == first_only.score
    # The key points shown are those of the reference that decided.
    assert grade.key_points[0].point == QUESTION.reference_answers[1]


def test_one_reference_and_no_examples_is_the_wrapped_grader_unchanged() -> None:
    inner = OverlapGrader()
    question = GradingQuestion(QUESTION.question, QUESTION.reference_answer)
    answers = ["The bulb is in a closed path.", "No idea."]

    assert wrapped(inner).grade_batch([(question, a) for a in answers]) == [
        OverlapGrader().grade(question, a) for a in answers
    ]
    assert inner.calls == 2


def test_one_pass_of_the_wrapped_grader_per_batch() -> None:
    class Counting(OverlapGrader):
        batches = 0

        def grade_batch(self, items):  # type: ignore[no-untyped-def]
            self.batches += 1
            return super().grade_batch(items)

    inner = Counting()
    wrapped(inner).grade_batch([(QUESTION, "the switch is closed"), (QUESTION, "closed path")])
    assert inner.batches == 1


EXAMPLES = (
    Exemplar("The bulb is in a closed path with the battery and the switch.", 100.0),
    Exemplar("The bulb is on a path with the battery but the path is open.", 0.0),
    Exemplar("The battery is dead so nothing happens to the bulb path.", 0.0),
)


def test_a_near_wrong_example_decides_against_a_reference_lookalike() -> None:
    question = GradingQuestion(QUESTION.question, QUESTION.reference_answer, exemplars=EXAMPLES)
    answer = "The bulb is on a path with the battery but the path is open."
    plain = OverlapGrader().grade(
        GradingQuestion(question.question, question.reference_answer), answer
    )
    grade = wrapped().grade(question, answer)

    assert plain.verdict == "correct"  # the words of the reference, the wrong claim
    assert grade.verdict != "correct"
    assert decided_by_examples(grade.details)
    nearest = grade.details["exemplars"]["nearest"][0]
    assert nearest["score"] == 0 and nearest["similarity"] == pytest.approx(1.0, abs=1e-5)
    assert "Graded examples of this question decided the verdict" in grade.feedback


def test_a_near_strong_example_counts_as_a_reference() -> None:
    strong = Exemplar("Electrons go round the loop through the lamp filament.", 100.0)
    question = GradingQuestion(
        QUESTION.question, QUESTION.reference_answer, exemplars=(strong, *EXAMPLES[1:])
    )
    answer = "Electrons go round the loop through the filament of the lamp."
    grade = wrapped().grade(question, answer)

    assert grade.verdict == "correct"
    assert grade.details["exemplars"]["matched_example"] == strong.text
    assert grade.details["exemplars"]["reference_score"] < CORRECT_FROM


def test_threshold_moves_to_where_the_examples_separate() -> None:
    # The grader gives right answers 30-45 and wrong ones 5-15 on this question.
    observed = [(30, 100), (38, 100), (45, 100), (41, 100), (5, 0), (12, 0), (15, 0), (9, 0)]
    cut = threshold(observed)
    assert 15 < cut < CORRECT_FROM
    assert calibrate(38, cut) >= CORRECT_FROM > calibrate(14, cut)
    assert calibrate(0, cut) == 0 and calibrate(100, cut) == pytest.approx(100)
    # Examples of one kind only say nothing about where the cut is.
    assert threshold([(30, 100), (80, 100)]) == CORRECT_FROM


class Preparing(OverlapGrader):
    """The overlap grader, recording what it prepares and each batch it grades."""

    def __init__(self) -> None:
        super().__init__()
        self.prepared: list[GradingQuestion] = []
        self.batches: list[list[tuple[GradingQuestion, str]]] = []

    def prepare(self, questions: Sequence[GradingQuestion]) -> int:
        self.prepared.extend(questions)
        return len(questions)

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        self.batches.append(list(items))
        return super().grade_batch(items)


def test_preparing_passes_every_reference_on_and_sets_the_threshold_ahead() -> None:
    question = GradingQuestion(
        QUESTION.question,
        QUESTION.reference_answer,
        reference_answers=QUESTION.reference_answers,
        exemplars=EXAMPLES,
    )
    inner = Preparing()
    grader = ReferenceGrader(inner, embedder=FakeEmbedder)
    answer = "The bulb is on a path with the battery but the path is open."

    assert grader.prepare([question]) == 2
    assert [q.reference_answer for q in inner.prepared] == list(QUESTION.reference_answers)
    # The examples were graded against both references then, not with the first answer.
    assert [len(batch) for batch in inner.batches] == [len(EXAMPLES) * 2]

    grade = grader.grade(question, answer)

    # The answer's batch holds its references and the strong example only.
    assert len(inner.batches[1]) == 2 + 1
    assert grade == wrapped().grade(question, answer)


def test_a_grader_with_nothing_to_prepare_is_left_alone() -> None:
    inner = OverlapGrader()
    assert wrapped(inner).prepare([QUESTION]) == 0
    assert inner.calls == 0
