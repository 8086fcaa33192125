"""The candidate's tries of issue 8, replayed on the default grader with the real model."""

from __future__ import annotations

import pytest

from app.grading.base import CORRECT_FROM, Grade, GradingQuestion, KeyPointResult
from app.grading.embedding import EmbeddingGrader
from app.grading.key_points import extract_key_points
from app.material.parser import read_notes_file
from tests.test_grading_embedding import DAY1, SUPERVISED, real_grader  # noqa: F401

pytestmark = pytest.mark.model

TEXTBOOK = (
    "The difference is whether the training data has labels. In supervised learning every "
    "example comes with the right answer, for instance emails labelled spam or not spam, "
    "and the model learns to map inputs to those outputs; it covers classification and "
    "regression, like predicting a house price. Unsupervised learning gets data without "
    "labels and has to find structure by itself, for example K-Means clustering customers "
    "into segments by their purchases, or PCA for dimensionality reduction."
)
# Eight points in one breath: dropout is named once, at the end of a list (before: "Mention
# dropout" in the feedback, the point missed).
OVERFITTING = (
    "Overfitting is when a model learns the training data too well, noise included, and fails "
    "to generalise to new data; underfitting is the opposite, a model too simple to capture "
    "even the training patterns. I detect it by watching training and validation error: if "
    "training error keeps falling while validation error starts rising, it is overfitting. To "
    "prevent it, get more data, use cross-validation for a robust estimate on unseen data, "
    "simplify the model with fewer layers or a smaller depth, and add regularization such as "
    "L1 or L2 penalties, or dropout."
)


def day1_question(interviewer: str) -> GradingQuestion:
    """A day-1 question as the importer stores it, key points included."""
    parsed = next(q for q in read_notes_file(DAY1).questions if q.question == interviewer)
    points = tuple(p.display for p in extract_key_points(parsed.answer))
    return GradingQuestion(
        question=parsed.question, reference_answer=parsed.answer, key_points=points
    )


def point(grade: Grade, start: str) -> KeyPointResult:
    """The key point of a grade whose text starts with `start`."""
    return next(r for r in grade.key_points if r.point.startswith(start))


def test_svms_with_the_minimum_margin_do_not_cover_the_svm_point(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    answer = (
        "Linear regression predicts a continuous value by fitting a line. Logistic regression "
        "is used for binary classification with the sigmoid. Decision trees split on feature "
        "values and overfit easily; random forests average many trees to reduce that. SVMs "
        "find the hyperplane with the minimum margin between the classes."
    )
    grade = real_grader.grade(
        day1_question("Tell me about a few fundamental ML algorithms you're familiar with."),
        answer,
    )
    svm = point(grade, "Support Vector")
    assert svm.status == "contradicted", grade.details
    assert "minimum" in (svm.evidence or "")
    assert "You said \u201cSVMs find the hyperplane with the minimum margin" in grade.feedback
    assert grade.score < CORRECT_FROM


def test_zero_shot_as_zero_epochs_does_not_cover_zero_shot(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    answer = (
        "Prompt engineering is designing the input text so the model gives the output you want. "
        "Zero-shot means you train the model for zero epochs before prompting it. One-shot "
        "means one epoch, and few-shot a few epochs of training."
    )
    grade = real_grader.grade(
        day1_question(
            "What is prompt engineering, and can you explain different prompting techniques?"
        ),
        answer,
    )
    assert point(grade, "Zero-Shot").status != "covered"
    assert grade.verdict != "correct", grade.score


def test_a_textbook_answer_is_correct_and_k_means_is_not_missed(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    grade = real_grader.grade(day1_question(SUPERVISED), TEXTBOOK)
    # Correct up to embedding-1.17; 1.18's claim judge doubts one of its claims and holds it at
    # partial (docs/claim-judge.md, Limits). Never contradicted, never incorrect.
    assert grade.verdict != "incorrect", grade.score
    assert "contradicts_reference" not in grade.details["flags"]
    assert point(grade, "An algorithm like K-Means").status in ("covered", "partial")
    assert "K-Means" not in grade.feedback


def test_supervised_claims_do_not_cover_the_unsupervised_point(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    grade = real_grader.grade(
        day1_question(SUPERVISED), "Supervised learning uses labelled data to learn a mapping."
    )
    assert point(grade, "Supervised Learning uses").status in ("covered", "partial")
    unsupervised = point(grade, "Unsupervised Learning uses")
    assert unsupervised.status == "missed", unsupervised
    assert unsupervised.evidence is None


def test_feedback_never_asks_for_what_the_answer_says(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    grade = real_grader.grade(
        day1_question("How do you detect and prevent overfitting?"), OVERFITTING
    )
    assert grade.verdict == "correct", grade.score
    said = ("dropout", "regularization", "cross-validation", "more data", "simplify")
    for line in grade.feedback.lower().splitlines():
        assert not any(term in line for term in said), grade.feedback
    assert all(r.status in ("covered", "partial") for r in grade.key_points), grade.key_points
    dropout = point(grade, "Dropout")
    assert dropout.evidence and "dropout" in dropout.evidence


def test_swapped_word2vec_and_bert_is_not_correct(
    real_grader: EmbeddingGrader,  # noqa: F811
) -> None:
    answer = (
        "Embeddings are vectors for words, but similar words are not close together in the "
        "vector space. Word2Vec produces contextual embeddings: the vector for 'bank' changes "
        "with the sentence. BERT is static: it assigns a single fixed vector to each word, "
        "whatever the context."
    )
    grade = real_grader.grade(
        day1_question(
            "What are word embeddings, and how do contextual embeddings like those from BERT "
            "differ from older models like Word2Vec?"
        ),
        answer,
    )
    assert grade.verdict != "correct", grade.details
    assert "contradicts_reference" in grade.details["flags"]
