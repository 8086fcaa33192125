"""A grader that asks any OpenAI-compatible chat model, falling back to an offline grader."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import openai

from app.config import Settings
from app.grading.base import (
    Grade,
    Grader,
    GradingError,
    GradingQuestion,
    KeyPointResult,
    contradiction_cap,
    verdict_for,
)
from app.grading.feedback import compose_feedback
from app.grading.key_points import extract_key_points
from app.grading.llm_prompt import (
    PROMPT_VERSION,
    RESPONSE_FORMATS,
    ParsedReply,
    ReplyError,
    build_messages,
    find_span,
    parse_reply,
)
from app.grading.registry import create_grader

log = logging.getLogger(__name__)

# Local servers (Ollama, vLLM, LM Studio) ignore the key, but the client insists on one.
PLACEHOLDER_API_KEY = "not-needed"
DEFAULT_SEED = 1234
DEFAULT_CONCURRENCY = 4
# Credit the model may claim for a point; each needs a quote from the answer to count.
_CREDITED = {"covered": 1.0, "partial": 0.5}
NOT_CONFIGURED = "no LLM endpoint configured: set OPENAI_BASE_URL (local server) or OPENAI_API_KEY"


@dataclass(frozen=True)
class LLMFailure:
    """Why the LLM did not grade an answer; `kind` is a short code, `reason` a sentence."""

    kind: str
    reason: str
    elapsed_ms: float = 0.0

    @property
    def fallback_reason(self) -> str:
        """The reason as stored in Grade.fallback_reason."""
        return f"{self.kind}: {self.reason}"


class LLMGrader:
    """Grades with a chat model through the `openai` client; never raises on an endpoint failure."""

    name = "llm"
    # Each grading is a request to a model service (see references.ReferenceGrader).
    calls_service = True
    version = f"1-prompt{PROMPT_VERSION}"

    def __init__(
        self,
        *,
        client: openai.OpenAI | None,
        model: str,
        fallback: Grader,
        seed: int = DEFAULT_SEED,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        not_ready_reason: str = NOT_CONFIGURED,
    ) -> None:
        self.client = client
        self.model = model
        self.fallback = fallback
        self.seed = seed
        self.max_concurrency = max(1, max_concurrency)
        self._not_ready_reason = not_ready_reason
        # Index into RESPONSE_FORMATS of the best format the endpoint has accepted; it only
        # moves down, and only after the lower format actually worked.
        self._format_index = 0
        self._format_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, fallback: Grader | None = None) -> LLMGrader:
        """An LLM grader for the configured endpoint, with the offline grader as its fallback."""
        if fallback is None:
            fallback = create_grader("embedding", settings)
        return cls(client=build_client(settings), model=settings.llm_model, fallback=fallback)

    @property
    def unavailable_reason(self) -> str | None:
        """Why the grader cannot reach a model, or None when it is configured."""
        return None if self.client is not None else self._not_ready_reason

    @property
    def response_format(self) -> dict[str, Any] | None:
        """The response format the next request will ask for."""
        return RESPONSE_FORMATS[self._format_index]

    def is_ready(self) -> bool:
        """True when an endpoint is configured; whether it answers shows only when grading."""
        return self.client is not None

    def grade(self, question: GradingQuestion, answer: str) -> Grade:
        """Grade one answer with the model, or with the offline grader if the model fails."""
        return self.grade_batch([(question, answer)])[0]

    def grade_batch(self, items: Sequence[tuple[GradingQuestion, str]]) -> list[Grade]:
        """Grade many answers, a few requests at a time, in input order."""
        if not items:
            return []
        # Without a client every item fails at once; threads would only add overhead.
        workers = min(self.max_concurrency, len(items)) if self.client is not None else 1
        if workers == 1:
            outcomes = [self._try_llm(q, a) for q, a in items]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llm-grade") as pool:
                outcomes = list(pool.map(lambda item: self._try_llm(*item), items))
        failed = [i for i, outcome in enumerate(outcomes) if isinstance(outcome, LLMFailure)]
        if failed:
            # One pass of the offline grader over every failure: it batches better than one by one.
            fallback_grades = self._fallback_grades([items[i] for i in failed])
            for i, grade in zip(failed, fallback_grades, strict=True):
                failure = outcomes[i]
                assert isinstance(failure, LLMFailure)
                if failure.kind != "not_configured":
                    log.warning("LLM grading fell back to %s: %s", grade.grader, failure.reason)
                outcomes[i] = dataclasses.replace(
                    grade,
                    elapsed_ms=failure.elapsed_ms + grade.elapsed_ms,
                    fallback=True,
                    fallback_reason=failure.fallback_reason,
                    details={
                        **grade.details,
                        "fallback_kind": failure.kind,
                        "requested": self.name,
                    },
                )
        grades = [g for g in outcomes if isinstance(g, Grade)]
        assert len(grades) == len(items)
        return grades

    def _fallback_grades(self, items: list[tuple[GradingQuestion, str]]) -> list[Grade]:
        try:
            return self.fallback.grade_batch(items)
        except GradingError:
            raise
        except Exception as exc:
            log.exception("the offline grader failed after the LLM did")
            raise GradingError("the LLM and the offline grader both failed") from exc

    def _try_llm(self, question: GradingQuestion, answer: str) -> Grade | LLMFailure:
        started = time.perf_counter()
        outcome = self._ask(question, answer)
        if isinstance(outcome, LLMFailure):
            elapsed_ms = (time.perf_counter() - started) * 1000
            return dataclasses.replace(outcome, elapsed_ms=elapsed_ms)
        return outcome

    def _ask(self, question: GradingQuestion, answer: str) -> Grade | LLMFailure:
        if self.client is None:
            return LLMFailure("not_configured", self._not_ready_reason)
        started = time.perf_counter()
        points = question.key_points or tuple(
            p.display for p in extract_key_points(question.reference_answer)
        )
        messages = build_messages(
            question=question.question,
            reference_answer=question.reference_answer,
            key_points=points,
            answer=answer,
        )
        try:
            completion, response_format = self._complete(self.client, messages)
            choice = completion.choices[0]
            text = choice.message.content
            if not text:
                refusal = getattr(choice.message, "refusal", None)
                reason = "a refusal" if refusal else "no content"
                raise ReplyError("unparseable", f"empty reply ({reason})")
            parsed = parse_reply(text, n_points=len(points))
        except openai.APITimeoutError:
            return LLMFailure("timeout", f"no reply from {self.model} within the timeout")
        # What an endpoint says in an error can hold anything (its own prompt, the answer, or
        # the request echoed with its `Authorization: Bearer sk-…`): only its status and a
        # fixed message go into the grade, and only the status and error type into the log.
        except openai.APIConnectionError as exc:
            log.warning("cannot reach the LLM endpoint (%s)", type(exc.__cause__ or exc).__name__)
            return LLMFailure("connection", "cannot reach the LLM endpoint")
        except openai.APIStatusError as exc:
            log.warning(
                "LLM endpoint answered HTTP %s (request id %s)", exc.status_code, exc.request_id
            )
            return LLMFailure("status", f"HTTP {exc.status_code} from the LLM endpoint")
        except ReplyError as exc:
            return LLMFailure(exc.kind, str(exc))
        except Exception as exc:
            # The contract is a grade, never an exception, whatever the endpoint sent back.
            log.error("LLM grading failed unexpectedly (%s)", type(exc).__name__)
            return LLMFailure("error", "the LLM endpoint's reply could not be used")
        return self._to_grade(
            parsed,
            answer=answer,
            points=points,
            usage=_usage(completion),
            response_format=response_format,
            elapsed_ms=(time.perf_counter() - started) * 1000,
        )

    def _complete(
        self, client: openai.OpenAI, messages: list[dict[str, str]]
    ) -> tuple[Any, dict[str, Any] | None]:
        index = self._format_index
        while True:
            response_format = RESPONSE_FORMATS[index]
            extra: dict[str, Any] = {}
            if response_format is not None:
                extra["response_format"] = response_format
            try:
                completion = client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=0,
                    seed=self.seed,
                    **extra,
                )
            except (openai.BadRequestError, openai.UnprocessableEntityError):
                # Servers without structured outputs reject the format with a 400 (or 422);
                # try the next, plainer one. A 400 for another cause fails at every format.
                if index + 1 >= len(RESPONSE_FORMATS):
                    raise
                index += 1
                continue
            with self._format_lock:
                if index > self._format_index:
                    log.info("LLM endpoint: using response format %s", response_format)
                    self._format_index = index
            return completion, response_format

    def _to_grade(
        self,
        parsed: ParsedReply,
        *,
        answer: str,
        points: tuple[str, ...],
        usage: dict[str, int] | None,
        response_format: dict[str, Any] | None,
        elapsed_ms: float,
    ) -> Grade:
        results: list[KeyPointResult] = []
        dropped = 0
        unverified: list[int] = []
        for number, (point, verdict) in enumerate(zip(points, parsed.points, strict=True), 1):
            evidence = find_span(answer, verdict.evidence)
            if verdict.evidence and evidence is None:
                dropped += 1
            status = verdict.status
            if status in _CREDITED and evidence is None:
                # Trust but verify: a point is covered only where the answer says it, in words
                # the model can quote. Without a quote the model may be crediting the reference.
                status = "missed"
                unverified.append(number)
            results.append(KeyPointResult(point=point, status=status, evidence=evidence))
        score = parsed.score
        claimed = sum(_CREDITED.get(v.status, 0.0) for v in parsed.points)
        if unverified and claimed:
            verified = sum(_CREDITED.get(r.status, 0.0) for r in results)
            score = score * verified / claimed
        verified_score = score
        # The prompt asks for the cap; enforced here too so a model that ignores it (or was
        # talked out of it by the answer) cannot award a contradiction.
        cap = contradiction_cap(sum(r.status == "contradicted" for r in results), len(results))
        if cap is not None:
            score = min(score, cap)
        score = round(score, 1)
        feedback = compose_feedback(results)
        if unverified:
            feedback = (
                f"{feedback}\n{_count(len(unverified), 'point')} the grader called covered "
                "had no quote from your answer and did not count."
            ).strip()
        return Grade(
            score=score,
            verdict=verdict_for(score),
            key_points=results,
            feedback=feedback,
            grader=self.name,
            grader_version=self.version,
            elapsed_ms=elapsed_ms,
            usage=usage,
            details={
                "model": self.model,
                "model_score": parsed.score,
                "model_feedback": parsed.feedback,
                "capped": score < verified_score,
                "evidence_dropped": dropped,
                "unverified_points": unverified,
                "response_format": _format_name(response_format),
            },
        )


def build_client(settings: Settings) -> openai.OpenAI | None:
    """An `openai` client for the configured endpoint, or None when none is configured."""
    if not settings.openai_base_url and not settings.openai_api_key:
        return None
    return openai.OpenAI(
        base_url=settings.openai_base_url or None,
        api_key=settings.openai_api_key or PLACEHOLDER_API_KEY,
        timeout=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
    )


def _usage(completion: Any) -> dict[str, int] | None:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return None
    return {
        "prompt_tokens": int(usage.prompt_tokens or 0),
        "completion_tokens": int(usage.completion_tokens or 0),
        "total_tokens": int(usage.total_tokens or 0),
    }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _format_name(response_format: dict[str, Any] | None) -> str:
    return "text" if response_format is None else str(response_format["type"])
