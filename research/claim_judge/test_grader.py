"""The claim grader: its rules on a fake judge, and the tries a candidate made on the real model."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from app.grading.base import CAP_CONTRADICTED, CORRECT_FROM, GradingQuestion
from app.grading.embedder import SentenceTransformerEmbedder
from app.grading.key_points import extract_key_points
from research.claim_judge.grader import ClaimGrader, answer_windows
from research.claim_judge.model import MODEL_DIR, ClaimJudge, model_card
from tests.grading_fakes import FakeEmbedder, _root

DAY1 = Path(__file__).resolve().parents[2] / "app" / "material" / "default" / "day1.txt"

QUESTION = GradingQuestion(
    question="What is the difference between supervised and unsupervised learning?",
    reference_answer=(
        "Supervised learning uses labeled data. Unsupervised learning finds clusters in "
        "unlabeled data."
    ),
    key_points=(
        "Supervised learning uses labeled data.",
        "Unsupervised learning finds clusters in unlabeled data.",
    ),
)


class RuleJudge:
    """A judge by rule: a span states a point when it holds all of the point's words, and
    contradicts it when it holds them with a 'not'."""

    model_dir = MODEL_DIR

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def start_background_load(self) -> None:
        """Nothing to load."""

    def is_ready(self) -> bool:
        """Always ready."""
        return True

    def judge(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Probabilities by rule, and the pairs asked, kept for the test."""
        self.pairs.extend(pairs)
        out = []
        for point, span in pairs:
            needed = {_root(w) for w in re.findall(r"\w+", point)}
            said = {_root(w) for w in re.findall(r"\w+", span)}
            if needed <= said - {"not"} and "not" in said:
                out.append([0.05, 0.9, 0.05])
            elif needed <= said:
                out.append([0.9, 0.05, 0.05])
            else:
                out.append([0.05, 0.05, 0.9])
        return np.array(out, dtype=np.float32).reshape(-1, 3)


@pytest.fixture
def rule_grader() -> ClaimGrader:
    return ClaimGrader(FakeEmbedder(), RuleJudge())  # type: ignore[arg-type]


def test_windows_are_the_answers_sentences() -> None:
    text = "First claim here. Second claim there! Third one?"
    windows = [w.text for w in answer_windows(text)]
    assert windows == ["First claim here.", "Second claim there!", "Third one?"]
    assert all(text[w.start : w.end] == w.text for w in answer_windows(text))


def test_a_transcript_without_full_stops_is_read_in_overlapping_chunks() -> None:
    text = " ".join(f"word{i}" for i in range(100))
    windows = answer_windows(text)
    assert len(windows) == 3
    assert all(len(w.text.split()) <= 40 for w in windows)
    assert windows[0].text.split()[-8:] == windows[1].text.split()[:8]
    assert windows[-1].text.endswith("word99")


def test_stated_points_are_covered_with_the_sentence_that_states_them(
    rule_grader: ClaimGrader,
) -> None:
    answer = (
        "Unsupervised learning finds clusters in unlabeled data. "
        "Supervised learning uses labeled data."
    )
    grade = rule_grader.grade(QUESTION, answer)
    assert [r.status for r in grade.key_points] == ["covered", "covered"]
    assert grade.key_points[0].evidence == "Supervised learning uses labeled data."
    assert grade.key_points[1].evidence == "Unsupervised learning finds clusters in unlabeled data."
    assert grade.verdict == "correct"
    assert grade.grader == "claims" and grade.details["claim_share"] > 0.8


def test_a_contradicted_point_caps_the_score_and_is_named_in_the_feedback(
    rule_grader: ClaimGrader,
) -> None:
    answer = (
        "Supervised learning does not use labeled data. "
        "Unsupervised learning finds clusters in unlabeled data."
    )
    grade = rule_grader.grade(QUESTION, answer)
    assert grade.key_points[0].status == "contradicted"
    assert grade.key_points[0].evidence == "Supervised learning does not use labeled data."
    assert grade.score <= CAP_CONTRADICTED
    assert "contradicts_reference" in grade.details["flags"]
    assert "does not use labeled data" in grade.feedback


def test_points_the_answer_does_not_make_are_missed_without_evidence(
    rule_grader: ClaimGrader,
) -> None:
    grade = rule_grader.grade(QUESTION, "Supervised learning uses labeled data.")
    assert [r.status for r in grade.key_points] == ["covered", "missed"]
    assert grade.key_points[1].evidence is None
    assert grade.score < 100


def test_an_empty_answer_scores_zero_without_asking_the_judge(rule_grader: ClaimGrader) -> None:
    grade = rule_grader.grade(QUESTION, "   ")
    assert grade.score == 0 and grade.verdict == "incorrect"
    assert rule_grader.judge.pairs == []  # type: ignore[attr-defined]


def test_batch_and_single_grades_agree(rule_grader: ClaimGrader) -> None:
    answers = ["Supervised learning uses labeled data.", "Clusters.", "I do not know."]
    batch = rule_grader.grade_batch([(QUESTION, a) for a in answers])
    single = [rule_grader.grade(QUESTION, a) for a in answers]
    assert [g.score for g in batch] == [g.score for g in single]


# --- the real models: what a candidate tried in the browser (issue 8) ----------------------


def day1_question(fragment: str) -> GradingQuestion:
    """A day-1 question as the importer stores it, found by a fragment of its text."""
    from app.material.parser import parse_notes

    notes = parse_notes(DAY1.read_text(encoding="utf-8"), source="day1.txt")
    for q in notes.questions:
        if fragment.lower() in q.question.lower():
            points = tuple(p.display for p in extract_key_points(q.answer))
            return GradingQuestion(q.question, q.answer, points)
    raise LookupError(fragment)


@pytest.fixture(scope="module")
def real() -> ClaimGrader:
    if not (MODEL_DIR / "model.safetensors").is_file():
        pytest.fail("no trained claim judge: python -m research.claim_judge.training")
    return ClaimGrader(SentenceTransformerEmbedder(), ClaimJudge())


@pytest.mark.model
def test_the_trained_model_has_a_card_with_its_validation_figures() -> None:
    card = model_card()
    assert card["labels"] == ["stated", "contradicted", "absent"]
    assert card["validation"]["pairs"] > 1000
    assert (MODEL_DIR / "model.safetensors").stat().st_size < 25_000_000


@pytest.mark.model
def test_swapped_word2vec_and_bert_is_not_correct(real: ClaimGrader) -> None:
    q = day1_question("word embeddings")
    answer = (
        "Embeddings are vectors for words, but similar words are not close together in the "
        "vector space. Word2Vec produces contextual embeddings: the vector for 'bank' changes "
        "with the sentence. BERT is static: it assigns a single fixed vector to each word, "
        "whatever the context."
    )
    grade = real.grade(q, answer)
    assert grade.verdict != "correct", grade.details
    assert grade.score < CORRECT_FROM


@pytest.mark.model
def test_svm_with_the_minimum_margin_is_not_correct(real: ClaimGrader) -> None:
    q = day1_question("fundamental ML algorithms")
    answer = (
        "Linear regression predicts a continuous value by fitting a line. Logistic regression "
        "is used for binary classification with the sigmoid. Decision trees split on feature "
        "values and overfit easily; random forests average many trees to reduce that. SVMs "
        "find the hyperplane with the minimum margin between the classes."
    )
    grade = real.grade(q, answer)
    svm = next(r for r in grade.key_points if "Support Vector" in r.point)
    assert svm.status != "covered"


@pytest.mark.model
def test_zero_shot_as_zero_epochs_does_not_cover_zero_shot(real: ClaimGrader) -> None:
    q = day1_question("prompt engineering")
    answer = (
        "Prompt engineering is designing the input text so the model gives the output you want. "
        "Zero-shot means you train the model for zero epochs before prompting it. One-shot "
        "means one epoch, and few-shot a few epochs of training."
    )
    grade = real.grade(q, answer)
    zero = next(r for r in grade.key_points if r.point.startswith("Zero-Shot"))
    assert zero.status != "covered"
    assert grade.verdict != "correct"


@pytest.mark.model
def test_a_textbook_answer_with_a_correct_not_is_correct(real: ClaimGrader) -> None:
    q = day1_question("supervised and unsupervised")
    answer = (
        "The difference is whether the training data has labels. In supervised learning every "
        "example comes with the right answer, for instance emails labelled spam or not spam, "
        "and the model learns to map inputs to those outputs; it covers classification and "
        "regression, like predicting a house price. Unsupervised learning gets data without "
        "labels and has to find structure by itself, for example K-Means clustering customers "
        "into segments by their purchases, or PCA for dimensionality reduction."
    )
    grade = real.grade(q, answer)
    assert grade.verdict == "correct", (grade.score, grade.details)
    assert "contradicts_reference" not in grade.details["flags"]
    kmeans = [r for r in grade.key_points if "K-Means" in r.point]
    assert kmeans and kmeans[0].status in ("covered", "partial")


@pytest.mark.model
def test_supervised_claims_do_not_cover_the_unsupervised_point(real: ClaimGrader) -> None:
    q = day1_question("supervised and unsupervised")
    grade = real.grade(q, "Supervised learning uses labelled data to learn a mapping.")
    unsupervised = next(r for r in grade.key_points if r.point.startswith("Unsupervised"))
    assert unsupervised.status not in ("covered", "partial")
