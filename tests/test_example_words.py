"""A question's own classifier of the words of its graded example answers."""

from __future__ import annotations

import dataclasses
import math

import pytest

from app.grading import example_words
from app.grading.base import CORRECT_FROM, Exemplar, Grade, GradingQuestion
from app.grading.example_words import features, fit
from app.grading.references import ReferenceGrader
from tests.fakes import OverlapGrader
from tests.grading_fakes import FakeEmbedder

QUESTION = "What happens to the current when a second bulb is added in series?"
REFERENCE = "Adding a bulb in series raises the total resistance, so less current flows."

RIGHT = (
    "The resistance increases so the current decreases.",
    "More resistance in the loop, the current decreases.",
    "Total resistance increases, current decreases, both bulbs dimmer.",
    "The current decreases because the resistance increases.",
    "Resistance adds in series, it increases and current decreases.",
    "With two bulbs the resistance increases and so the current decreases a lot.",
)
WRONG = (
    "The resistance decreases so the current increases.",
    "Less resistance in the loop, the current increases.",
    "Total resistance decreases, current increases, both bulbs brighter.",
    "The current increases because the resistance decreases.",
    "Resistance splits in series, it decreases and current increases.",
    "With two bulbs the resistance decreases and so the current increases a lot.",
)
EXAMPLES = tuple(Exemplar(t, 100.0) for t in RIGHT) + tuple(Exemplar(t, 0.0) for t in WRONG)
RIGHT_ANSWER = "I think the resistance increases when you add it, the current decreases."
SWAPPED_ANSWER = "I think the resistance decreases when you add it, the current increases."


def test_too_few_or_one_sided_examples_teach_nothing() -> None:
    assert fit(EXAMPLES[: example_words.MIN_EXAMPLES - 1]) is None
    assert fit([Exemplar(t, 100.0) for t in RIGHT + WRONG]) is None
    assert fit((*EXAMPLES[:6], EXAMPLES[6])) is None  # one wrong example only


def test_the_words_that_separate_right_from_wrong_examples_decide() -> None:
    model = fit(EXAMPLES)
    assert model is not None
    # Both answers share most words with both kinds; the word pairs tell them apart.
    assert model.probability(RIGHT_ANSWER) > 0.5 > model.probability(SWAPPED_ANSWER)
    assert {"resist increas", "current decreas"} <= features(RIGHT_ANSWER)
    # Trust grows with the number of examples, up to MAX_WEIGHT.
    assert model.weight() == pytest.approx(example_words.MAX_WEIGHT * len(EXAMPLES) / 20)


def test_the_fit_is_the_penalised_logistic_regression() -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    feature_extraction = pytest.importorskip("sklearn.feature_extraction")
    model = fit(EXAMPLES)
    assert model is not None
    # The same problem in the primal: binary features, the intercept as a constant feature
    # of value sqrt(INTERCEPT_SCALE) penalised like the others (liblinear's intercept_scaling).
    vectorizer = feature_extraction.DictVectorizer()
    rows = vectorizer.fit_transform([dict.fromkeys(features(e.text), 1) for e in EXAMPLES])
    rows = rows.toarray()
    labels = [e.score >= CORRECT_FROM for e in EXAMPLES]
    reference = sklearn.LogisticRegression(
        solver="liblinear",
        C=example_words.INVERSE_PENALTY,
        intercept_scaling=math.sqrt(example_words.INTERCEPT_SCALE),
        tol=1e-10,
        max_iter=10_000,
    ).fit(rows, labels)
    for answer in (RIGHT_ANSWER, SWAPPED_ANSWER, "No idea.", WRONG[0]):
        row = vectorizer.transform([dict.fromkeys(features(answer), 1)]).toarray()
        expected = reference.predict_proba(row)[0, 1]
        assert model.probability(answer) == pytest.approx(expected, abs=1e-3)


def wrapped(inner: OverlapGrader) -> ReferenceGrader:
    return ReferenceGrader(inner, embedder=FakeEmbedder)


def test_a_question_with_many_graded_examples_tells_a_swap_from_the_right_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    question = GradingQuestion(QUESTION, REFERENCE, exemplars=EXAMPLES)
    items = [(question, RIGHT_ANSWER), (question, SWAPPED_ANSWER)]
    right, swapped = wrapped(OverlapGrader()).grade_batch(items)
    with monkeypatch.context() as patch:
        patch.setattr(example_words, "MIN_EXAMPLES", 1_000)
        without_words = wrapped(OverlapGrader()).grade_batch(items)

    # The same words in another order: the references and the nearest examples cannot tell
    # the two apart ...
    assert without_words[0].score == without_words[1].score
    assert without_words[0].details["exemplars"]["words"] is None
    # ... the word pairs of the examples can.
    assert right.score > without_words[0].score > swapped.score
    assert right.score > swapped.score + 10
    words = right.details["exemplars"]["words"]
    assert words["examples"] == len(EXAMPLES) and words["probability"] > 0.5
    assert swapped.details["exemplars"]["words"]["probability"] < 0.5


def test_a_few_examples_leave_the_words_out() -> None:
    question = GradingQuestion(QUESTION, REFERENCE, exemplars=EXAMPLES[:3] + EXAMPLES[6:9])
    grade = wrapped(OverlapGrader()).grade(question, RIGHT_ANSWER)
    assert grade.details["exemplars"]["words"] is None


class Capping(OverlapGrader):
    """Caps every grade as a contradiction guard would."""

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        grade = super().grade(question, answer)
        details = {**grade.details, "flags": ["contradicts a key point"]}
        return dataclasses.replace(grade, score=min(grade.score, 10.0), details=details)


def test_words_shared_with_right_examples_never_lift_a_guard_cap() -> None:
    question = GradingQuestion(QUESTION, REFERENCE, exemplars=EXAMPLES)
    grade = wrapped(Capping()).grade(question, RIGHT_ANSWER)
    uncapped = wrapped(OverlapGrader()).grade(question, RIGHT_ANSWER)

    assert grade.details["exemplars"]["words"]["probability"] > 0.5
    assert grade.score < uncapped.score
