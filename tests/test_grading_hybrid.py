"""The hybrid grader: offline first, the real LLM grader (on a local server) for the middle band."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from app.config import Settings
from app.grading.base import Grade, GradingQuestion
from app.grading.embedding import EmbeddingGrader
from app.grading.hybrid import HybridGrader
from app.grading.llm import LLMGrader
from tests.conftest import pinned_settings
from tests.grading_fakes import FakeEmbedder
from tests.openai_server import FakeOpenAIServer

QUESTION = GradingQuestion(
    question="Why scale the dot products in attention?",
    reference_answer="Large dot products push the softmax into regions with tiny gradients.",
    key_points=("Large dot products saturate the softmax and shrink its gradients",),
)


class ScriptedOfflineGrader:
    """An offline grader whose score for an answer is the number the answer starts with."""

    name = "fake-offline"
    version = "1"

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Score each answer by its leading number."""
        self.batches.append([answer for _, answer in items])
        return [self._grade(answer) for _, answer in items]

    def _grade(self, answer: str) -> Grade:
        score = float(answer.split()[0])
        # "90 doubt=0.6 ...": the claim judge's doubt, as embedding-1.18 reports it.
        doubt = [float(w[6:]) for w in answer.split() if w.startswith("doubt=")]
        return Grade(
            score=score,
            verdict="correct"
            if score >= 70
            else "partially_correct"
            if score >= 40
            else "incorrect",
            key_points=[],
            feedback="offline",
            grader=self.name,
            grader_version=self.version,
            elapsed_ms=2.0,
            details={"claim_doubt": doubt[0]} if doubt else {},
        )

    def is_ready(self) -> bool:
        """Always ready."""
        return True


def llm_reply(score: int) -> dict[str, Any]:
    return {
        "key_points": [{"id": 1, "status": "missed", "evidence": None}],
        "score": score,
        "feedback": "llm feedback",
    }


def make_settings(**values: Any) -> Settings:
    """Settings from `values` only, whatever the environment or a `.env` file say."""
    return pinned_settings(**values)


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as running:
        yield running


@pytest.fixture
def offline() -> ScriptedOfflineGrader:
    return ScriptedOfflineGrader()


@pytest.fixture
def hybrid(server: FakeOpenAIServer, offline: ScriptedOfflineGrader) -> HybridGrader:
    settings = make_settings(openai_base_url=server.base_url, llm_max_retries=0)
    return HybridGrader(offline=offline, llm=LLMGrader.from_settings(settings, fallback=offline))


@pytest.mark.parametrize("answer", ["10 clearly wrong", "34.9 just below", "75.1 just above"])
def test_clear_cases_never_reach_the_llm(
    hybrid: HybridGrader, server: FakeOpenAIServer, answer: str
) -> None:
    grade = hybrid.grade(QUESTION, answer)

    assert server.requests == []
    assert grade.score == float(answer.split()[0])
    assert (grade.grader, grade.feedback) == ("hybrid", "offline")
    assert grade.details["decided_by"] == "fake-offline"
    assert grade.details["llm_called"] is False
    assert grade.details["disagreement"] is False
    assert not grade.fallback


@pytest.mark.parametrize("answer", ["35 low edge", "55 middle", "75 high edge"])
def test_middle_cases_are_decided_by_the_llm(
    hybrid: HybridGrader, server: FakeOpenAIServer, answer: str
) -> None:
    offline_score = float(answer.split()[0])
    server.enqueue_content(llm_reply(int(offline_score) + 10), prompt_tokens=50)
    grade = hybrid.grade(QUESTION, answer)

    [request] = server.completion_requests
    assert answer in request.message("user")
    assert grade.score == offline_score + 10
    assert grade.grader == "hybrid"
    assert grade.details["llm_details"]["model_feedback"] == "llm feedback"
    assert grade.details["decided_by"] == "llm"
    assert grade.details["offline"]["score"] == offline_score
    assert grade.details["llm"]["score"] == offline_score + 10
    assert grade.details["disagreement"] is False
    assert grade.usage is not None and grade.usage["prompt_tokens"] == 50
    assert grade.elapsed_ms >= 2.0


def test_a_confident_grade_whose_claims_the_judge_doubts_goes_to_the_llm(
    hybrid: HybridGrader, server: FakeOpenAIServer
) -> None:
    server.enqueue_content(llm_reply(30), prompt_tokens=50)
    doubted = hybrid.grade(QUESTION, "90 doubt=0.6 confident but swapped")
    trusted = hybrid.grade(QUESTION, "90 doubt=0.2 confident and right")

    assert len(server.completion_requests) == 1
    assert (doubted.details["decided_by"], doubted.score) == ("llm", 30)
    assert (trusted.details["decided_by"], trusted.score) == ("fake-offline", 90)


def test_a_strong_disagreement_is_flagged(hybrid: HybridGrader, server: FakeOpenAIServer) -> None:
    server.enqueue_content(llm_reply(95))
    grade = hybrid.grade(QUESTION, "40 the offline grader is unsure")

    assert grade.score == 95
    assert grade.details["disagreement"] is True
    assert grade.details["score_gap"] == 55


def test_an_llm_failure_keeps_the_offline_grade_and_says_why(
    hybrid: HybridGrader, server: FakeOpenAIServer
) -> None:
    server.enqueue_content("not json at all")
    grade = hybrid.grade(QUESTION, "50 middling")

    assert grade.score == 50 and grade.feedback == "offline"
    assert grade.grader == "hybrid"
    assert grade.fallback
    assert grade.fallback_reason is not None and grade.fallback_reason.startswith("unparseable")
    assert grade.details["decided_by"] == "fake-offline"
    assert grade.details["llm_called"] is True


def test_batch_sends_only_the_middle_to_the_llm_and_keeps_order(
    hybrid: HybridGrader, server: FakeOpenAIServer, offline: ScriptedOfflineGrader
) -> None:
    answers = ["90 right", "50 unsure", "5 wrong", "60 unsure too", "80 right"]
    server.enqueue_content(llm_reply(45))
    server.enqueue_content(llm_reply(45))
    grades = hybrid.grade_batch([(QUESTION, a) for a in answers])

    assert [g.score for g in grades] == [90, 45, 5, 45, 80]
    assert [g.details["decided_by"] for g in grades] == [
        "fake-offline",
        "llm",
        "fake-offline",
        "llm",
        "fake-offline",
    ]
    asked = sorted(
        next(a for a in answers if a in r.message("user")) for r in server.completion_requests
    )
    assert asked == ["50 unsure", "60 unsure too"]
    assert offline.batches == [answers]  # one offline pass over the whole batch


def test_from_settings_shares_one_offline_grader() -> None:
    offline = ScriptedOfflineGrader()
    hybrid = HybridGrader.from_settings(make_settings(), offline=offline)

    assert isinstance(hybrid, HybridGrader)
    assert hybrid.offline is offline
    assert isinstance(hybrid.llm, LLMGrader) and hybrid.llm.fallback is offline
    assert hybrid.is_ready()
    # No endpoint configured: the middle band falls back, with the reason.
    grade = hybrid.grade(QUESTION, "50 middling")
    assert grade.fallback and grade.score == 50
    assert grade.fallback_reason is not None and "OPENAI_BASE_URL" in grade.fallback_reason


def test_version_names_both_parts(hybrid: HybridGrader) -> None:
    assert "fake-offline-1" in hybrid.version and "llm-" in hybrid.version


def test_a_band_upside_down_is_refused(offline: ScriptedOfflineGrader) -> None:
    with pytest.raises(ValueError, match="band"):
        HybridGrader(offline=offline, llm=offline, band=(80, 20))


def test_details_are_json_ready(hybrid: HybridGrader, server: FakeOpenAIServer) -> None:
    server.enqueue_content(llm_reply(70))
    grade = hybrid.grade(QUESTION, "50 middling")

    assert json.loads(json.dumps(grade.to_dict()))["details"]["decided_by"] == "llm"


def test_the_offline_grader_prepares_and_the_llm_is_not_asked(
    server: FakeOpenAIServer,
) -> None:
    offline = EmbeddingGrader(FakeEmbedder())
    settings = make_settings(openai_base_url=server.base_url, llm_max_retries=0)
    hybrid = HybridGrader(
        offline=offline,
        llm=LLMGrader.from_settings(settings, fallback=offline),
    )
    question = GradingQuestion("What is PCA?", "PCA reduces the number of dimensions.")

    assert hybrid.prepare([question]) == 1
    assert offline.prepare([question]) == 0
    assert server.requests == []
