"""The adversarial sets: well-formed (fast), and regression guards on the real grader (day 1)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.grading.base import GradingQuestion
from app.grading.embedding import EmbeddingGrader
from app.grading.registry import create_grader
from app.material.notes import question_key
from bench.adversarial import (
    DAY1,
    DAY2,
    DAY2_SET_PATH,
    DAY3,
    DAY3_SET_PATH,
    DAY4,
    DAY4_SET_PATH,
    DAY5,
    DAY5_SET_PATH,
    DAY6,
    DAY6_SET_PATH,
    DAY7,
    DAY7_SET_PATH,
    DAY8,
    DAY8_SET_PATH,
    DAY9,
    DAY9_SET_PATH,
    DAY10,
    DAY10_SET_PATH,
    DAY11,
    DAY11_SET_PATH,
    DAY12,
    DAY12_SET_PATH,
    DAY13,
    DAY13_SET_PATH,
    DAY14,
    DAY14_SET_PATH,
    DAY15,
    DAY15_SET_PATH,
    DAY16,
    DAY16_SET_PATH,
    DAY17,
    DAY17_SET_PATH,
    DAY18,
    DAY18_SET_PATH,
    DAY19,
    DAY19_SET_PATH,
    DAY20,
    DAY20_SET_PATH,
    DAY21,
    DAY21_SET_PATH,
    DAY22,
    DAY22_SET_PATH,
    DAY23,
    DAY23_SET_PATH,
    DAY24,
    DAY24_SET_PATH,
    DAY25,
    DAY25_SET_PATH,
    KIND_GRADES,
    RIGHT_KINDS,
    SET_PATH,
    UNREAD_DAYS,
    WRONG_KINDS,
    AdversarialAnswer,
    day_set,
    evaluate,
    load_set,
    main,
    notes_questions,
    pairwise_accuracy,
    spearman,
)
from tests.conftest import pinned_settings

# Regression guards, a little below what the default grader (1.8 and 1.9 alike) measured on this
# set (`bench/adversarial.py --grader embedding`: Spearman 0.848, pairwise 0.903, strong 82.1
# vs swapped 40.5 on average, 2 false verdicts; embedding-1.4: 0.789, 0.862, 3; embedding-1.3:
# 0.598, 0.768, 7; embedding-1.2: 0.492, 0.709, 13). Issue 8's goal is above them (Spearman
# >= 0.85, no false verdict): they only keep the grader from getting worse.
# embedding-1.18, whose claim judge trains on this set: 0.887, 0.900, 0 false verdicts, strong
# 72.8 vs swapped 40.6 (the judge takes about 10 points off strong answers it half doubts).
SPEARMAN_FLOOR = 0.80
PAIRWISE_FLOOR = 0.87
STRONG_OVER_SWAPPED = 28.0
MOST_FALSE_VERDICTS = 2
# The same for the day-2 set, held out up to embedding-1.6 (0.537, 0.757, 16 false verdicts)
# and a development set since embedding-1.7 was written reading its failures (1.8: 0.837,
# 0.910, 3; 1.18: 0.866, 0.914, 1).
DAY2_SPEARMAN_FLOOR = 0.78
DAY2_PAIRWISE_FLOOR = 0.86
DAY2_MOST_FALSE_VERDICTS = 3
# And for the day-3 set, held out up to embedding-1.7 (0.541, 0.766, 14 false verdicts) and a
# development set since embedding-1.8 was written reading its failures (0.736, 0.854, 9;
# 1.18: 0.741, 0.842, 4).
DAY3_SPEARMAN_FLOOR = 0.70
DAY3_PAIRWISE_FLOOR = 0.81
DAY3_MOST_FALSE_VERDICTS = 9


# Days 4 to 7, held out when first measured, have been read since (day 6 to write
# embedding-1.9; days 4, 5 and 7 to write 1.11 to 1.13), days 9, 11, 12 and 13 (written by
# helper sessions that never saw the grader) to write 1.14, days 15 to 17 to write 1.15, and
# days 18 and 19 to write 1.16: development sets, and since 1.18 the claim judge's training
# sets, so their figures (at 1.18, a little below) only keep the grader from getting worse; they
# say nothing of unseen answers (docs/claim-judge.md). Spearman, pairwise, most false verdicts,
# most strong answers called wrong: since 1.17 none, as one contradiction holds an answer at
# the bottom of partial (day 12's
# "GPT-style models don't have cross-attention" read against the decoder's cross-attention,
# day 16's "multi-query attention had every query head share one key and one value head" read
# as a role swap: both still capped, no longer `incorrect`).
DEVELOPMENT_FLOORS = {
    "day4": (0.84, 0.89, 3, 0),
    "day5": (0.82, 0.86, 3, 0),
    "day6": (0.78, 0.84, 4, 0),
    "day7": (0.76, 0.84, 5, 0),
    "day9": (0.80, 0.88, 4, 0),
    "day11": (0.82, 0.87, 4, 0),
    "day12": (0.78, 0.84, 3, 0),
    "day13": (0.90, 0.93, 3, 0),
    "day15": (0.76, 0.85, 4, 0),
    "day16": (0.69, 0.80, 2, 0),
    "day17": (0.86, 0.90, 2, 0),
    "day18": (0.74, 0.82, 3, 0),
    "day19": (0.76, 0.84, 4, 0),
}


# Each set with the notes its questions come from: day 1, and days 2 to 25 (each written
# before any grader scored it, on questions no other day asks). Days 8, 10 and 14 have no
# floor here: they are the held-out sets (docs/grading.md) and are kept from being fitted.
SETS = {
    "day1": (SET_PATH, DAY1),
    "day2": (DAY2_SET_PATH, DAY2),
    "day3": (DAY3_SET_PATH, DAY3),
    "day4": (DAY4_SET_PATH, DAY4),
    "day5": (DAY5_SET_PATH, DAY5),
    "day6": (DAY6_SET_PATH, DAY6),
    "day7": (DAY7_SET_PATH, DAY7),
    "day8": (DAY8_SET_PATH, DAY8),
    "day9": (DAY9_SET_PATH, DAY9),
    "day10": (DAY10_SET_PATH, DAY10),
    "day11": (DAY11_SET_PATH, DAY11),
    "day12": (DAY12_SET_PATH, DAY12),
    "day13": (DAY13_SET_PATH, DAY13),
    "day14": (DAY14_SET_PATH, DAY14),
    "day15": (DAY15_SET_PATH, DAY15),
    "day16": (DAY16_SET_PATH, DAY16),
    "day17": (DAY17_SET_PATH, DAY17),
    "day18": (DAY18_SET_PATH, DAY18),
    "day19": (DAY19_SET_PATH, DAY19),
    "day20": (DAY20_SET_PATH, DAY20),
    "day21": (DAY21_SET_PATH, DAY21),
    "day22": (DAY22_SET_PATH, DAY22),
    "day23": (DAY23_SET_PATH, DAY23),
    "day24": (DAY24_SET_PATH, DAY24),
    "day25": (DAY25_SET_PATH, DAY25),
    # Days 26 to 33, written after embedding-1.17: 26 and 27 measured unread, 28 to 33 the
    # claim judge's (bench/claim_judge.py).
    **{f"day{n}": day_set(n) for n in range(26, 34)},
}

SetAndNotes = tuple[list[AdversarialAnswer], dict[str, GradingQuestion]]


@pytest.fixture(scope="module")
def answers() -> list[AdversarialAnswer]:
    return load_set()


@pytest.fixture(scope="module", params=sorted(SETS))
def any_set(request: pytest.FixtureRequest) -> SetAndNotes:
    set_path, notes = SETS[request.param]
    return load_set(set_path), notes_questions(notes)


def test_every_question_is_a_question_of_its_notes_word_for_word(any_set: SetAndNotes) -> None:
    answers, questions = any_set
    asked = {a.question for a in answers}
    assert asked == {q.question for q in questions.values()}
    assert len(asked) == 8


def test_no_two_days_ask_the_same_question() -> None:
    days = [set(notes_questions(notes)) for _, notes in SETS.values()]
    for i, asked in enumerate(days):
        for other in days[i + 1 :]:
            assert not asked & other


def test_every_question_has_one_answer_of_every_kind(any_set: SetAndNotes) -> None:
    answers, _ = any_set
    kinds: dict[str, Counter[str]] = {}
    for a in answers:
        kinds.setdefault(a.question, Counter())[a.kind] += 1
    for question, counts in kinds.items():
        assert counts == Counter(KIND_GRADES.keys()), question


def test_hand_grades_follow_the_kinds(any_set: SetAndNotes) -> None:
    answers, _ = any_set
    assert [a.grade for a in answers] == [KIND_GRADES[a.kind] for a in answers]
    assert set(RIGHT_KINDS) | set(WRONG_KINDS) | {"partial"} == set(KIND_GRADES)


def test_answers_are_spoken_answers_not_copies_of_the_reference(any_set: SetAndNotes) -> None:
    answers, questions = any_set
    references = {k: q.reference_answer for k, q in questions.items()}
    for a in answers:
        sentences = [s.strip() for s in a.text.split(". ") if len(s.split()) >= 8]
        copied = [s for s in sentences if s in references[question_key(a.question)]]
        assert not copied, (a.question, a.kind, copied)
    assert len({a.text for a in answers}) == len(answers)


def test_check_passes_a_well_formed_set_and_names_what_is_wrong_with_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `--check` is how a newly written set is checked before anything grades it.
    assert main(["--check", "--set", str(DAY9_SET_PATH), "--notes", str(DAY9)]) == 0
    assert "adversarial_day9.yaml: OK" in capsys.readouterr().out
    # Against another day's notes, every question is named.
    assert main(["--check", "--set", str(DAY9_SET_PATH), "--notes", str(DAY11)]) == 1
    assert capsys.readouterr().out.count("not a question of day11.txt") == 8
    # A strong answer graded 3, and a question left without its off-topic answer.
    text = DAY9_SET_PATH.read_text(encoding="utf-8")
    text = text.replace("kind: strong\n        grade: 4", "kind: strong\n        grade: 3", 1)
    off_topic = text.index("      - kind: off_topic")
    end = text.index("  - question:", off_topic)
    broken = tmp_path / "broken.yaml"
    broken.write_text(text[:off_topic] + text[end:], encoding="utf-8")
    assert main(["--check", "--set", str(broken), "--notes", str(DAY9)]) == 1
    out = capsys.readouterr().out
    assert "strong graded 3, not 4" in out
    assert out.count("not one answer of each kind") == 1


def test_spearman_averages_ties() -> None:
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # Ranks (1.5, 1.5, 3, 4) against (1, 2, 3, 4): rho = 4.5 / sqrt(4.5 * 5).
    assert spearman([7, 7, 8, 9], [1, 2, 3, 4]) == pytest.approx(4.5 / np.sqrt(4.5 * 5))


def test_pairwise_accuracy_compares_within_a_question_and_counts_ties_half() -> None:
    # Question a: (4 vs 2) tied, (4 vs 0) and (2 vs 0) right; question b: (4 vs 0) reversed.
    # The 50-vs-1 pair across questions is not compared.
    accuracy, pairs = pairwise_accuracy(
        ["a", "a", "a", "b", "b"], [4, 2, 0, 4, 0], [50, 50, 10, 1, 2]
    )
    assert (accuracy, pairs) == (2.5 / 4, 4)


def _graded_by_default(answers: list[AdversarialAnswer], notes: Path = DAY1) -> dict[str, Any]:
    settings = pinned_settings(embedding_warmup=False)
    return evaluate(create_grader(settings.grader, settings), answers, notes=notes)


def _assert_above_floors(
    report: dict[str, Any], spearman: float, pairwise: float, most_false: int
) -> None:
    assert report["spearman"] >= spearman, report["spearman"]
    assert report["pairwise_accuracy"] >= pairwise, report["pairwise_accuracy"]
    assert len(report["false_verdicts"]) <= most_false, report["false_verdicts"]


def _assert_textbook_answers_right_and_parroting_wrong(by_kind: dict[str, Any]) -> None:
    for kind in ("strong", "hedged"):
        assert by_kind[kind]["incorrect"] == 0, by_kind[kind]
    assert by_kind["parroting"]["incorrect"] == by_kind["parroting"]["answers"], by_kind


@pytest.mark.model
def test_default_grader_keeps_wrong_answers_apart_from_right_ones(
    answers: list[AdversarialAnswer],
) -> None:
    report = _graded_by_default(answers)

    by_kind = report["by_kind"]
    # embedding-1.18's claim judge holds two strong answers at partial: the bias-variance one
    # (one clause, "Bias is the error you get from a model that's too simple for the problem:",
    # matched to three points, the judge doubting one) and the algorithms one (half doubted
    # over five points). None is called incorrect (docs/claim-judge.md, Limits).
    assert by_kind["strong"]["incorrect"] == 0, by_kind["strong"]
    assert by_kind["strong"]["correct"] >= by_kind["strong"]["answers"] - 2, by_kind["strong"]
    for kind in ("off_topic", "parroting"):
        assert by_kind[kind]["incorrect"] == by_kind[kind]["answers"], by_kind[kind]
    # Naming the terms around the question's own words shows less than explaining them with
    # a claim wrong: parroting ranks below every wrong kind but off-topic.
    for kind in ("swapped", "negated", "misconception"):
        assert by_kind["parroting"]["mean_score"] < by_kind[kind]["mean_score"], by_kind
    margin = by_kind["strong"]["mean_score"] - by_kind["swapped"]["mean_score"]
    assert margin >= STRONG_OVER_SWAPPED, by_kind
    _assert_above_floors(report, SPEARMAN_FLOOR, PAIRWISE_FLOOR, MOST_FALSE_VERDICTS)


@pytest.mark.model
def test_default_grader_on_the_day2_set_keeps_right_answers_out_of_the_contradiction_cap() -> None:
    report = _graded_by_default(load_set(DAY2_SET_PATH), DAY2)

    # A textbook answer is never called wrong (embedding-1.6 capped one strong and three hedged
    # answers at 35 over opposites read across clauses), parroting never anything but wrong,
    # and at most one negated answer is called right (1.6: three).
    _assert_textbook_answers_right_and_parroting_wrong(report["by_kind"])
    assert report["by_kind"]["negated"]["correct"] <= 1, report["by_kind"]["negated"]
    _assert_above_floors(report, DAY2_SPEARMAN_FLOOR, DAY2_PAIRWISE_FLOOR, DAY2_MOST_FALSE_VERDICTS)


@pytest.mark.model
def test_default_grader_on_the_day3_set_calls_no_textbook_answer_wrong() -> None:
    report = _graded_by_default(load_set(DAY3_SET_PATH), DAY3)

    # embedding-1.7 capped two strong answers at 35 over a "not" the reference itself says
    # ("the p-value is not the probability that the null is true") and "unscaled ... slow"
    # read against "faster", and let four parroting answers through as partly right (a list
    # after a colon, "so you've got", "really important to get right").
    _assert_textbook_answers_right_and_parroting_wrong(report["by_kind"])
    _assert_above_floors(report, DAY3_SPEARMAN_FLOOR, DAY3_PAIRWISE_FLOOR, DAY3_MOST_FALSE_VERDICTS)


@pytest.mark.model
@pytest.mark.parametrize("day", sorted(DEVELOPMENT_FLOORS))
def test_default_grader_on_the_read_sets_keeps_their_figures(day: str) -> None:
    set_path, notes = SETS[day]
    report = _graded_by_default(load_set(set_path), notes)

    spearman, pairwise, most_false, most_strong_wrong = DEVELOPMENT_FLOORS[day]
    # embedding-1.10 called five strong and two short right answers of days 4, 5 and 7 wrong
    # over a clause read against the wrong point ("you reject the null when it's true" after
    # "A Type I error is a false positive:", against the Type II point), a "not" the point
    # says with "instead of" or "independently of", and "cost-complexity pruning" read as
    # post-pruning's words said of pruning. embedding-1.13 called nine strong answers of days
    # 11 to 13 wrong, over opposites the point says itself ("positive semi-definite"), a node
    # that "fails", "nobody asked for", "rather than a retrain" and the like.
    assert report["by_kind"]["strong"]["incorrect"] <= most_strong_wrong, report["by_kind"]
    _assert_above_floors(report, spearman, pairwise, most_false)


@pytest.mark.model
def test_a_terse_answer_to_a_three_part_question_is_no_restatement() -> None:
    # Day 5's short right answers read closer to their long, three-part questions than to the
    # references, and cover the references little better than the questions do: 1.11 capped
    # both at 20 as restatements. Each says 14-15 content words of its own (70 % of its own),
    # which a restatement does not (1.12); the parroting answers of the same questions still are.
    questions = notes_questions(DAY5)
    asked = {
        a.question
        for a in load_set(DAY5_SET_PATH)
        if a.question.startswith(("How does a decision tree", "What is special about time-series"))
    }
    answers = [a for a in load_set(DAY5_SET_PATH) if a.question in asked]
    settings = pinned_settings(embedding_warmup=False)
    grader = create_grader(settings.grader, settings)
    grades = grader.grade_batch([(questions[question_key(a.question)], a.text) for a in answers])
    by_kind = {(a.question, a.kind): g for a, g in zip(answers, grades, strict=True)}
    for question in asked:
        terse = by_kind[(question, "short_right")]
        assert "restates_question" not in terse.details["flags"], terse.details
        assert terse.verdict != "incorrect", terse.score
        assert "restates_question" in by_kind[(question, "parroting")].details["flags"]


@pytest.mark.model
@pytest.mark.parametrize("day", UNREAD_DAYS)
def test_the_claim_judge_ranks_wrong_claims_lower_on_a_day_it_never_learned_from(day: int) -> None:
    settings = pinned_settings(embedding_warmup=False)
    judged = create_grader("embedding", settings)
    assert isinstance(judged, EmbeddingGrader) and judged.judge is not None
    unjudged = EmbeddingGrader(judged.embedder)
    set_path, notes = day_set(day)
    answers = load_set(set_path)

    with_judge = evaluate(judged, answers, notes=notes)
    without = evaluate(unjudged, answers, notes=notes)

    # The answers that swap, negate or misstate a claim lose more than the right ones do.
    def mean(report: dict[str, Any], kinds: tuple[str, ...]) -> float:
        return float(np.mean([report["by_kind"][k]["mean_score"] for k in kinds]))

    wrong, right = ("swapped", "negated", "misconception"), ("strong", "hedged", "short_right")
    assert mean(without, wrong) - mean(with_judge, wrong) > mean(without, right) - mean(
        with_judge, right
    )
    assert with_judge["spearman"] > without["spearman"]
    assert len(with_judge["false_verdicts"]) < len(without["false_verdicts"])
