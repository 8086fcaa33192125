"""Feedback and follow-ups all graders share: what to add, what to correct, asked like a person."""

from __future__ import annotations

import pytest

from app.grading.base import KeyPointResult
from app.grading.feedback import compose_feedback, follow_up_question, what_to_add
from app.grading.key_points import extract_key_points, label_and_text
from app.material.text_format import parse_text_notes
from tests.conftest import DAY1

OVERFITTING = (
    "Overfitting happens when a model learns the noise in the training data rather than the "
    "signal, so it does well on training data and badly on new data."
)
DETECT = "How to detect it: Compare training and validation error as training goes on."
CROSS_VALIDATION = "Cross-Validation: Use k-fold cross-validation to estimate performance."
MORE_DATA = "Get More Data: More examples make the noise harder to memorise."
FILLER = "I'm familiar with several core algorithms."


def test_a_point_has_a_short_label_and_keeps_its_full_text() -> None:
    assert label_and_text(CROSS_VALIDATION) == (
        "Cross-Validation",
        "Use k-fold cross-validation to estimate performance.",
    )
    label, text = label_and_text(OVERFITTING)
    assert text == OVERFITTING
    assert label == "Overfitting happens when a model learns…"
    assert KeyPointResult(OVERFITTING, "missed").label == label


def test_missed_points_say_what_to_add_in_the_candidates_terms() -> None:
    results = [
        KeyPointResult(OVERFITTING, "covered", evidence="it learns the noise"),
        KeyPointResult(DETECT, "missed"),
        KeyPointResult(CROSS_VALIDATION, "missed"),
        KeyPointResult(FILLER, "missed"),
    ]
    lines = compose_feedback(results).splitlines()
    assert lines == [
        "Say how to detect it: compare training and validation error as training goes on.",
        "Mention cross-validation: use k-fold cross-validation to estimate performance.",
    ]


def test_nothing_is_said_about_covered_points() -> None:
    results = [KeyPointResult(p, "covered") for p in (OVERFITTING, DETECT, CROSS_VALIDATION)]
    feedback = compose_feedback(results)
    assert feedback == "Every key point is there."
    for point in (OVERFITTING, DETECT, CROSS_VALIDATION):
        assert label_and_text(point)[0] not in feedback


def test_a_contradicted_point_says_what_was_said_and_what_is_true() -> None:
    point = "SVM: A support vector machine finds the hyperplane with the maximum margin."
    result = KeyPointResult(point, "contradicted", evidence="SVMs find the minimum margin.")
    assert compose_feedback([result]) == (
        "You said \u201cSVMs find the minimum margin\u201d; in fact a support vector machine "
        "finds the hyperplane with the maximum margin."
    )


def test_a_point_opening_with_a_heading_style_name_reads_as_one_sentence() -> None:
    result = KeyPointResult(
        "Supervised Learning uses labeled data.",
        "contradicted",
        evidence="Supervised learning doesn't use labels",
    )
    assert compose_feedback([result]) == (
        "You said \u201cSupervised learning doesn't use labels\u201d; in fact supervised "
        "learning uses labeled data."
    )


def test_many_missed_points_are_counted_not_listed() -> None:
    points = [f"Point {n}: Claim number {n} about gradient descent steps." for n in range(6)]
    lines = compose_feedback([KeyPointResult(p, "missed") for p in points]).splitlines()
    assert len(lines) == 4 and lines[-1] == "3 more missed points below."


@pytest.mark.parametrize(
    ("point", "question"),
    [
        (DETECT, "How would you detect it?"),
        (
            CROSS_VALIDATION,
            "How does cross-validation work, and when would you use it?",
        ),
        (MORE_DATA, "When would you get more data, and what does it buy you?"),
        (OVERFITTING, "When does overfitting happen?"),
        ("Supervised learning uses labeled data: pairs of inputs and outputs.", None),
        ("Supervised Learning uses labeled data.", "What does supervised learning use?"),
        ("Embeddings are numerical vectors of words.", "What are embeddings?"),
        (
            "Decision Trees: A flowchart-like model.",
            "How do decision trees work, and when would you use them?",
        ),
    ],
)
def test_follow_ups_are_asked_from_the_label(point: str, question: str | None) -> None:
    asked = follow_up_question(point)
    if question is not None:
        assert asked == question
    # Never the claim itself: the question must not give the answer away.
    assert "labeled data" not in asked and "flowchart" not in asked


def test_no_follow_up_or_feedback_quotes_the_day1_references() -> None:
    notes = parse_text_notes(DAY1.read_text(), source="day1.txt")
    for parsed in notes.questions:
        points = extract_key_points(parsed.answer)
        results = [KeyPointResult(p.display, "missed") for p in points]
        for point in points:
            asked = follow_up_question(point.display)
            assert asked.endswith("?") and "\u201c" not in asked, asked
            # An interviewer's question, not the reference read out: few of its words.
            assert len(asked.split()) <= 16, asked
            assert point.text not in asked
        for line in compose_feedback(results).splitlines():
            assert len(line.split()) <= 22, line
            assert not line.startswith("Add: ")


def test_a_headings_other_names_in_brackets_are_not_asked_about() -> None:
    point = (
        "L2 Regularization (Ridge, or weight decay): Adds the sum of the squared weights to the "
        "loss."
    )
    assert follow_up_question(point) == (
        "How does L2 regularization work, and when would you use it?"
    )
    assert what_to_add(KeyPointResult(point, "missed")).startswith("Mention L2 regularization: ")
