"""Spaced review benchmark: a simulated learner over 60 days, and the time to build the due queue.

    PYTHONPATH=$PWD .venv/bin/python bench/review.py [--days 60] [--seed 7] [--json OUT.json]

1. A learner practises the day-1 bank plus a generated 500-question bank for `--days` days,
   taking each day what the app offers (the due queue, most overdue first, within the daily
   limits, then new questions). Whether an answer is recalled is drawn from a forgetting model
   of the learner's own (hidden from the scheduler): recall probability (1 + t / (9 S))^-1 with a
   true stability S per question that grows after a recall and shrinks after a lapse; a recalled
   answer scores 60-100, a forgotten one 0-45. Scores go through the real rating thresholds and
   FSRS services on a real SQLite file. Reported: reviews per day, and retention reached — the
   share of introduced questions the learner would recall on the last day, by the hidden model.
2. The due queue (`daily_plan`, as the home page builds it, and `review_queue(due_only)`, as
   `GET /api/v1/reviews?due=true` does) for one user with 500 cards and 10,000 logged reviews:
   median, p90 and max of 50 builds. Target: under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from app.accounts.users import ensure_local_user  # noqa: E402
from app.config import Settings  # noqa: E402
from app.material.importer import import_notes_text  # noqa: E402
from app.models import Question, Review, ReviewLog, User, utcnow  # noqa: E402
from app.practice.reviews import daily_plan, record_review, review_queue  # noqa: E402
from app.startup import open_database  # noqa: E402

BANK_SIZE = 500
NEW_PER_DAY = 10
MAX_PER_DAY = 50
RETENTION = 0.9


def generated_notes(size: int, seed: int) -> str:
    """A notes file of `size` questions in 5 parts of 10 topics."""
    rng = random.Random(seed)
    words = [
        "model",
        "data",
        "layer",
        "token",
        "vector",
        "loss",
        "gradient",
        "batch",
        "attention",
        "query",
        "cache",
        "index",
    ]
    lines = ["Generated bank"]
    per_topic = max(1, size // 50)
    n = 0
    for part in range(1, 6):
        lines.append(f"Part {part}: Generated part {part}")
        for topic in range(1, 11):
            lines.append(f"{topic}. Topic {part}.{topic}")
            for _ in range(per_topic):
                n += 1
                terms = " ".join(rng.choice(words) for _ in range(6))
                lines.append(f'Interviewer: "Question {n}: how do {terms} relate?"')
                lines.append(
                    f'Your Answer: "Point one: {terms} matter for question {n}. '
                    f'Point two: the {rng.choice(words)} decides the {rng.choice(words)}."'
                )
    return "\n".join(lines) + "\n"


def simulate(*, days: int, seed: int, workdir: Path) -> dict[str, object]:
    """The 60-day learner; returns reviews per day and the retention reached."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=workdir / "sim",
        grader="embedding",
        embedding_warmup=False,
    )
    database = open_database(settings)
    rng = random.Random(seed)
    with database.session() as session:
        user = ensure_local_user(session=session)
        import_notes_text(
            session=session,
            text=generated_notes(BANK_SIZE, seed),
            name="gen.txt",
            user_id=user.id,
        )
    start = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=days)
    true_stability: dict[int, float] = {}
    last_seen: dict[int, float] = {}
    per_day: list[int] = []
    new_per_day: list[int] = []
    recalled = lapsed = 0
    for day in range(days):
        now = start + timedelta(days=day)
        with database.session() as session:
            user = ensure_local_user(session=session)
            plan = daily_plan(
                session=session,
                user_id=user.id,
                desired_retention=RETENTION,
                new_per_day=NEW_PER_DAY,
                max_per_day=MAX_PER_DAY,
                now=now,
            )
            todo = [item.question_id for item in plan.due] + plan.new_question_ids
            for i, question_id in enumerate(todo):
                at = now + timedelta(minutes=2 * i)
                if question_id not in true_stability:
                    # A new question: the learner has read the notes once; a few days' memory.
                    true_stability[question_id] = rng.uniform(0.5, 4.0)
                    p = 0.6
                else:
                    elapsed = day - last_seen[question_id]
                    p = (1 + elapsed / (9 * true_stability[question_id])) ** -1
                if rng.random() < p:
                    score = rng.uniform(60, 100)
                    true_stability[question_id] *= rng.uniform(2.0, 3.5)
                    recalled += 1
                else:
                    score = rng.uniform(0, 45)
                    true_stability[question_id] = max(0.3, true_stability[question_id] * 0.4)
                    lapsed += 1
                last_seen[question_id] = day
                record_review(
                    session=session,
                    user_id=user.id,
                    question_id=question_id,
                    score=score,
                    reviewed_at=at,
                    desired_retention=RETENTION,
                )
            per_day.append(len(todo))
            new_per_day.append(len(plan.new_question_ids))
    # Retention reached: the chance, by the learner's hidden model, of recalling each
    # introduced question on the last day; and what the scheduler predicts for the same day.
    recall_now = [(1 + (days - last_seen[q]) / (9 * s)) ** -1 for q, s in true_stability.items()]
    with database.session() as session:
        user = ensure_local_user(session=session)
        queue = review_queue(
            session=session,
            user_id=user.id,
            desired_retention=RETENTION,
            now=start + timedelta(days=days),
        )
        total_questions = session.scalar(
            select(func.count()).select_from(Question).where(Question.retired.is_(False))
        )
    database.dispose()
    predicted = [item.retrievability for item in queue]
    return {
        "days": days,
        "bank": total_questions,
        "introduced": len(true_stability),
        "reviews": sum(per_day),
        "reviews_per_day": per_day,
        "reviews_per_day_median": statistics.median(per_day),
        "reviews_per_day_max": max(per_day),
        "reviews_per_day_last_week_mean": round(statistics.mean(per_day[-7:]), 1),
        "recall_rate_at_review": round(recalled / max(1, recalled + lapsed), 3),
        "retention_reached": round(statistics.mean(recall_now), 3),
        "retention_predicted": round(statistics.mean(predicted), 3),
    }


def queue_timing(*, seed: int, workdir: Path, cards: int, reviews: int, runs: int) -> dict:
    """Median/p90/max ms to build the due queue for `cards` cards and `reviews` logged reviews."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=workdir / "queue",
        grader="embedding",
        embedding_warmup=False,
    )
    database = open_database(settings)
    rng = random.Random(seed)
    now = utcnow()
    with database.session() as session:
        user = ensure_local_user(session=session)
        import_notes_text(
            session=session, text=generated_notes(cards, seed), name="gen.txt", user_id=user.id
        )
        ids = list(session.scalars(select(Question.id).order_by(Question.id)))[:cards]
        per_card = reviews // len(ids)
        logs = []
        for question_id in ids:
            at = now - timedelta(days=120)
            for _ in range(per_card):
                at += timedelta(days=rng.uniform(0.5, 120 / per_card))
                logs.append(
                    {
                        "user_id": user.id,
                        "question_id": question_id,
                        "rating": rng.choice((1, 2, 3, 3, 3, 4)),
                        "score": 70.0,
                        "source": "grade",
                        "reviewed_at": at,
                    }
                )
        session.execute(insert(ReviewLog), logs)
        session.flush()
        from app.practice.reviews import replay

        for question_id in ids:
            replay(session=session, user_id=user.id, question_id=question_id, desired_retention=0.9)
    timings: dict[str, list[float]] = {"daily_plan": [], "review_queue_due": []}
    with database.session() as session:
        user_id = session.scalar(select(User.id))
        assert user_id is not None
        counts = (
            session.scalar(select(func.count()).select_from(Review)),
            session.scalar(select(func.count()).select_from(ReviewLog)),
        )
        for _ in range(runs):
            t0 = time.perf_counter()
            plan = daily_plan(
                session=session,
                user_id=user_id,
                desired_retention=0.9,
                new_per_day=NEW_PER_DAY,
                max_per_day=MAX_PER_DAY,
            )
            t1 = time.perf_counter()
            due = review_queue(
                session=session, user_id=user_id, desired_retention=0.9, due_only=True
            )
            t2 = time.perf_counter()
            timings["daily_plan"].append((t1 - t0) * 1000)
            timings["review_queue_due"].append((t2 - t1) * 1000)
            session.expunge_all()
    database.dispose()

    def summary(values: list[float]) -> dict[str, float]:
        ordered = sorted(values)
        return {
            "median_ms": round(statistics.median(ordered), 2),
            "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))], 2),
            "max_ms": round(ordered[-1], 2),
        }

    return {
        "cards": counts[0],
        "reviews": counts[1],
        "due_now": len(due),
        "offered_today": len(plan.due),
        "runs": runs,
        **{name: summary(values) for name, values in timings.items()},
    }


def main() -> int:
    """Run both parts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        t0 = time.perf_counter()
        learner = simulate(days=args.days, seed=args.seed, workdir=workdir)
        learner["elapsed_s"] = round(time.perf_counter() - t0, 1)
        queue = queue_timing(
            seed=args.seed, workdir=workdir, cards=BANK_SIZE, reviews=10_000, runs=args.runs
        )
    per_day = learner.pop("reviews_per_day")
    print(f"Simulated learner, {learner['days']} days, bank of {learner['bank']} questions:")
    print(f"  introduced {learner['introduced']}, {learner['reviews']} reviews")
    print(
        f"  reviews per day: median {learner['reviews_per_day_median']}, "
        f"max {learner['reviews_per_day_max']}, "
        f"last week mean {learner['reviews_per_day_last_week_mean']}"
    )
    print("  per day:", " ".join(str(n) for n in per_day))
    print(f"  recalled at review: {learner['recall_rate_at_review']:.1%}")
    print(
        f"  retention reached on the last day: {learner['retention_reached']:.1%} "
        f"(scheduler predicts {learner['retention_predicted']:.1%}; target {RETENTION:.0%})"
    )
    print(
        f"Due queue, {queue['cards']} cards and {queue['reviews']} reviews "
        f"({queue['due_now']} due now), {queue['runs']} builds:"
    )
    for name in ("daily_plan", "review_queue_due"):
        figures = queue[name]
        print(
            f"  {name}: median {figures['median_ms']} ms, p90 {figures['p90_ms']} ms, "
            f"max {figures['max_ms']} ms (target < 50 ms)"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"learner": {**learner, "reviews_per_day": per_day}, "queue": queue}, indent=2
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
