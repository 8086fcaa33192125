"""The claim judge: its training (seeded, learns), its weights file, and how the grader uses it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from app.grading.base import PARTIAL_FROM, GradingQuestion
from app.grading.claim_judge import ClaimJudge, Doubt, Pair
from app.grading.claim_training import Example, auc, doubt_logits, save, train
from app.grading.embedding import DOUBT_FROM, DOUBT_NAMED_FROM, DOUBT_WEIGHT, EmbeddingGrader
from tests.grading_fakes import FakeEmbedder

DIM = 8


def _examples(n: int, seed: int) -> list[Example]:
    """Answers of two kinds: right ones restate their points (span ~ point), wrong ones say
    one point's opposite (span ~ -point): learnable only from the pairs, never from size."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        wrong = i % 2 == 1
        pairs: list[Pair] = []
        for k in range(3):
            point = rng.standard_normal((6, DIM)).astype(np.float32)
            span = point[:4] + 0.1 * rng.standard_normal((4, DIM)).astype(np.float32)
            if wrong and k == 1:
                span = -span
            pairs.append((point, span))
        out.append(Example(group=f"day{i % 4}", wrong=wrong, pairs=pairs))
    return out


def _quiet(_: str) -> None:
    pass


def test_training_learns_which_pair_makes_an_answer_wrong() -> None:
    network = train(_examples(160, seed=1), epochs=6, log=_quiet)
    unseen = _examples(80, seed=2)
    logits = doubt_logits(network, unseen)
    wrong = [v for v, e in zip(logits, unseen, strict=True) if e.wrong]
    right = [v for v, e in zip(logits, unseen, strict=True) if not e.wrong]
    assert auc(wrong, right) > 0.9


def test_training_is_seeded_so_the_same_data_gives_the_same_weights() -> None:
    data = _examples(48, seed=3)
    first = train(data, epochs=2, seed=5, log=_quiet).state_dict()
    again = train(data, epochs=2, seed=5, log=_quiet).state_dict()
    other = train(data, epochs=2, seed=6, log=_quiet).state_dict()
    assert all(np.array_equal(first[k].numpy(), again[k].numpy()) for k in first)
    assert not all(np.array_equal(first[k].numpy(), other[k].numpy()) for k in first)


def test_saved_weights_judge_as_the_trained_network(tmp_path: Path) -> None:
    data = _examples(48, seed=4)
    network = train(data, epochs=2, log=_quiet)
    path = tmp_path / "judge.safetensors"
    assert save(network, path) > 0
    judge = ClaimJudge(weights=path)
    for example, logit in zip(data[:6], doubt_logits(network, data[:6]), strict=True):
        doubt = judge.doubt(example.pairs)
        assert doubt.probability == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-5)
        assert doubt.worst in range(len(example.pairs))


@pytest.mark.parametrize(("precision", "tolerance"), [("float32", 1e-6), ("bfloat16", 5e-3)])
def test_a_batch_of_answers_is_judged_as_each_answer_alone(
    tmp_path: Path, precision: str, tolerance: float
) -> None:
    path = tmp_path / "judge.safetensors"
    save(train(_examples(48, seed=6), epochs=1, log=_quiet), path)
    judge = ClaimJudge(weights=path, precision=precision)
    rng = np.random.default_rng(7)

    def text(n: int) -> np.ndarray:
        return rng.standard_normal((n, DIM)).astype(np.float32)

    # Points and spans of many lengths, so that in a batch most of them are padded, and an
    # answer with no pair at all among them.
    bags: list[list[Pair]] = [
        [(text(int(rng.integers(2, 40))), text(int(rng.integers(1, 30)))) for _ in range(k)]
        for k in (3, 1, 0, 5, 2)
    ]
    together = judge.doubts(bags)
    alone = [judge.doubt(bag) for bag in bags]

    exact = ClaimJudge(weights=path).doubts(bags)

    # Under bfloat16 the matrix shapes of a batch move the doubt by thousandths at most.
    for batched, single, reference in zip(together, alone, exact, strict=True):
        assert batched.probability == pytest.approx(single.probability, abs=tolerance)
        assert batched.probability == pytest.approx(reference.probability, abs=5 * tolerance)
        assert batched.worst == single.worst
    assert together[2].worst is None
    assert len({round(d.probability, 4) for d in together}) > 1


class FixedJudge(ClaimJudge):
    """A judge that doubts every answer the same, about its first pair."""

    def __init__(self, probability: float) -> None:
        super().__init__()
        self.probability = probability
        self.seen: list[int] = []

    def doubts(self, bags: Sequence[Sequence[Pair]]) -> list[Doubt]:
        self.seen.extend(len(pairs) for pairs in bags)
        return [Doubt(self.probability, 0 if pairs else None) for pairs in bags]


QUESTION = GradingQuestion(
    question="What does a Bloom filter trade for its small size?",
    reference_answer=(
        "A Bloom filter can return false positives but never false negatives. "
        "It uses several hash functions to set bits in one bit array."
    ),
    key_points=(
        "A Bloom filter can return false positives but never false negatives.",
        "It uses several hash functions to set bits in one bit array.",
    ),
)
ANSWER = (
    "A Bloom filter may report false positives, yet it never gives false negatives. "
    "It sets bits in a single bit array with several hash functions."
)


def test_a_strong_doubt_costs_more_and_names_the_point_without_contradicting_it() -> None:
    plain = EmbeddingGrader(FakeEmbedder()).grade(QUESTION, ANSWER)
    judge = FixedJudge(DOUBT_NAMED_FROM + 0.1)
    doubted = EmbeddingGrader(FakeEmbedder(), judge=judge).grade(QUESTION, ANSWER)

    assert plain.verdict == "correct"
    assert judge.seen == [2]  # both points, each with the span that speaks of it
    expected = plain.score - DOUBT_WEIGHT * (DOUBT_NAMED_FROM + 0.1 - DOUBT_FROM)
    assert doubted.score == pytest.approx(max(expected, PARTIAL_FROM), abs=0.11)
    assert doubted.score < plain.score
    # The judge can be wrong: it names the point to check, it does not contradict it.
    assert [p.status for p in doubted.key_points] == [p.status for p in plain.key_points]
    assert "contradicts_reference" not in doubted.details["flags"]
    assert "claim_doubted" in doubted.details["flags"]
    first = doubted.key_points[0].label
    assert f"Check what you said about {first}" in doubted.feedback
    assert doubted.details["claim_doubt"] == pytest.approx(DOUBT_NAMED_FROM + 0.1)


def test_a_weak_doubt_costs_a_little_and_contradicts_nothing() -> None:
    plain = EmbeddingGrader(FakeEmbedder()).grade(QUESTION, ANSWER)
    doubted = EmbeddingGrader(FakeEmbedder(), judge=FixedJudge(0.3)).grade(QUESTION, ANSWER)

    assert doubted.score == pytest.approx(plain.score - DOUBT_WEIGHT * (0.3 - DOUBT_FROM), abs=0.11)
    assert [p.status for p in doubted.key_points] == [p.status for p in plain.key_points]
    assert "contradicts_reference" not in doubted.details["flags"]
    assert "claim_doubted" not in doubted.details["flags"]


def test_doubt_alone_never_takes_a_partial_answer_to_incorrect() -> None:
    half = "A Bloom filter may report false positives, yet it never gives false negatives."
    plain = EmbeddingGrader(FakeEmbedder()).grade(QUESTION, half)
    doubted = EmbeddingGrader(FakeEmbedder(), judge=FixedJudge(0.65)).grade(QUESTION, half)

    assert plain.verdict == "partially_correct"
    assert plain.score - DOUBT_WEIGHT * (0.65 - DOUBT_FROM) < PARTIAL_FROM
    assert doubted.score == PARTIAL_FROM
    assert doubted.verdict == "partially_correct"
