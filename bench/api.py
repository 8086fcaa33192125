"""Throughput and latency of POST /score and /score/batch against in-process grading.

Starts uvicorn on 127.0.0.1 (a free port, a temporary data directory, the real "embedding"
grader), then, in one run:

- grades the same answers in-process with the same grader (one call per answer, and
  `grade_batch` over 64 answers), while the server is idle;
- POST /score with 1, 4 and 16 concurrent clients;
- POST /score/batch with 64 items.

Run: .venv/bin/python bench/api.py [--requests 200] [--batches 12] [--json results.json]
Everything is bounded by count and by --max-seconds per measurement.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# Two processes run torch here, the server and this one. With OpenMP's default wait policy
# the threads of whichever just finished spin on both cores for a while and slow the other
# down; passive waiting, in both processes, measures each side as if it were alone.
THREAD_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}
os.environ.update(THREAD_ENV)

from app.config import Settings  # noqa: E402
from app.grading.base import GradingQuestion  # noqa: E402

HOST = "127.0.0.1"
BATCH_SIZE = 64
CONCURRENCY = (1, 4, 16)
FILLER = """I think in practice this depends on the data and on how the model is trained and
evaluated so one would measure it carefully before deciding""".split()  # noqa: SIM905


@dataclass
class Measurement:
    """Latencies (ms) of one kind of call and the answers graded per second overall."""

    name: str
    calls: int
    answers: int
    seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def answers_per_s(self) -> float:
        """Answers graded per second of wall time."""
        return self.answers / self.seconds if self.seconds else 0.0

    def row(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {**asdict(self), "answers_per_s": round(self.answers_per_s, 1)}


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _measure(
    name: str,
    calls: int,
    answers_per_call: int,
    concurrency: int,
    max_seconds: float,
    call: Callable[[int], None],
) -> Measurement:
    """Run `call(i)` for i < calls on `concurrency` threads; stop early after max_seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + max_seconds

    def one(i: int) -> None:
        if time.perf_counter() > deadline:
            return
        started = time.perf_counter()
        call(i)
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)

    started = time.perf_counter()
    if concurrency == 1:
        for i in range(calls):
            one(i)
    else:
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(one, range(calls)))
    seconds = time.perf_counter() - started
    return Measurement(
        name=name,
        calls=len(latencies),
        answers=len(latencies) * answers_per_call,
        seconds=seconds,
        p50_ms=round(statistics.median(latencies), 2) if latencies else 0.0,
        p95_ms=round(_percentile(latencies, 0.95), 2),
    )


def make_answers(questions: list[dict[str, Any]], n: int, seed: int = 0) -> list[tuple[int, str]]:
    """n distinct answers of ~40-80 words: shuffled sentences of the reference plus filler."""
    rng = random.Random(seed)
    filler = [*FILLER]
    answers = []
    for i in range(n):
        question = questions[i % len(questions)]
        sentences = [s for s in question["reference_answer"].split(". ") if s]
        rng.shuffle(sentences)
        words = " ".join(sentences[: rng.randint(1, 3)]).split()[: rng.randint(30, 60)]
        words += [*rng.sample(filler, rng.randint(5, 15)), f"(variant {i})"]
        answers.append((question["id"], " ".join(words)))
    return answers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """uvicorn with the app factory, the embedding grader warming up at start."""
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "GRADER": "embedding",
        "EMBEDDING_WARMUP": "true",
        "API_KEYS_REQUIRED": "false",
        # Throughput is what is measured here: the per-address limit on /score is off.
        "SCORE_RATE_LIMIT": "0",
        **THREAD_ENV,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout_s: float = 180) -> float:
    """Seconds until /healthz says the grader is ready."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout_s:
        if server.poll() is not None:
            raise RuntimeError("the server exited; see its log")
        try:
            body = httpx.get(f"{base}/healthz", timeout=2).json()
            if body.get("status") == "ok":
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise RuntimeError("the server did not become ready in time")


def run(*, requests: int, batches: int, max_seconds: float) -> dict[str, Any]:
    """Start the server, measure in-process and HTTP grading, stop the server."""
    results: dict[str, Any] = {"cpus": os.cpu_count(), "batch_size": BATCH_SIZE}
    with tempfile.TemporaryDirectory(prefix="mi-bench-api-") as tmp:
        data_dir = Path(tmp) / "data"
        port = _free_port()
        base = f"http://{HOST}:{port}"
        log = Path(tmp) / "server.log"
        server = start_server(data_dir, port, log)
        try:
            results["server_ready_s"] = round(wait_ready(base, server), 1)
            results.update(_bench(base, data_dir, requests, batches, max_seconds))
        except Exception:
            print(log.read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return results


def _bench(
    base: str, data_dir: Path, requests: int, batches: int, max_seconds: float
) -> dict[str, Any]:
    from app.grading.embedding import EmbeddingGrader
    from app.material.bank import get_question, grading_question
    from app.startup import open_database

    with httpx.Client(base_url=base, timeout=120) as client:
        questions = client.get("/api/v1/questions", params={"limit": 200}).json()["items"]
    answers = make_answers(questions, max(requests, BATCH_SIZE * batches))

    # The in-process side: the same grader class and model, the same stored questions.
    settings = Settings(_env_file=None, data_dir=data_dir, embedding_warmup=False)  # type: ignore[call-arg]
    database = open_database(settings)
    with database.session() as session:
        bank: dict[int, GradingQuestion] = {}
        for q in questions:
            found = get_question(session=session, user_id=None, question_id=q["id"])
            assert found is not None
            bank[q["id"]] = grading_question(found, user_id=None)
    database.dispose()
    grader = EmbeddingGrader.from_settings(settings)
    grader.grade_batch([(bank[qid], text) for qid, text in answers[:16]])  # load + warm caches

    local = threading.local()
    port = int(base.rsplit(":", 1)[1])

    def post(path: str, body: object) -> dict[str, Any]:
        # The standard library's client, one keep-alive connection per thread: it adds less
        # of its own time than httpx (about 0.5 ms a call here), so the figures are the server's.
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection(HOST, port, timeout=120)
        connection: http.client.HTTPConnection = local.connection
        connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        response = connection.getresponse()
        payload = response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status} {payload[:300]!r}")
        result: dict[str, Any] = json.loads(payload)
        return result

    server_model_ms: list[float] = []
    local_model_ms: list[float] = []

    def score(i: int) -> None:
        qid, text = answers[i % len(answers)]
        grade = post("/api/v1/score", {"question_id": qid, "answer": text})
        server_model_ms.append(grade["elapsed_ms"])

    def score_batch(i: int) -> None:
        items = [{"question_id": qid, "answer": text} for qid, text in _batch(answers, i)]
        assert post("/api/v1/score/batch", {"items": items})["graded"] == BATCH_SIZE

    def grade(i: int) -> None:
        qid, text = answers[i % len(answers)]
        local_model_ms.append(grader.grade(bank[qid], text).elapsed_ms)

    def grade_batch(i: int) -> None:
        grader.grade_batch([(bank[qid], text) for qid, text in _batch(answers, i)])

    for i in range(8):  # connections, threads and the server's caches
        score(i)
        grade(i)

    # The machine is shared: in-process and HTTP calls alternate, one by one, so that both
    # sides of each ratio see the same background load.
    server_model_ms.clear()
    local_model_ms.clear()
    single_in, single_http = _interleaved(
        ("in-process grade()", grade), ("POST /score, 1 client", score), requests, 1, max_seconds
    )
    # The grader's own elapsed_ms (its model pass) on each side: tells a slower model pass
    # in the server apart from time spent in HTTP, FastAPI and the database.
    model_pass = {
        "in_process_p50_ms": round(statistics.median(local_model_ms), 2),
        "server_p50_ms": round(statistics.median(server_model_ms), 2),
    }
    batch_in, batch_http = _interleaved(
        (f"in-process grade_batch({BATCH_SIZE})", grade_batch),
        (f"POST /score/batch ({BATCH_SIZE} items), 1 client", score_batch),
        batches,
        BATCH_SIZE,
        max_seconds,
    )
    measured = [single_in, single_http, batch_in, batch_http]
    for concurrency in CONCURRENCY[1:]:
        measured.append(
            _measure(
                f"POST /score, {concurrency} clients", requests, 1, concurrency, max_seconds, score
            )
        )
    return {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "model_pass": model_pass,
        "measurements": [m.row() for m in measured],
        "http_overhead_p50": round(single_http.p50_ms / single_in.p50_ms, 3),
        "batch_http_overhead_p50": round(batch_http.p50_ms / batch_in.p50_ms, 3),
        "batch_answers_per_s": round(batch_http.answers_per_s, 1),
    }


def _interleaved(
    first: tuple[str, Callable[[int], None]],
    second: tuple[str, Callable[[int], None]],
    calls: int,
    answers_per_call: int,
    max_seconds: float,
) -> tuple[Measurement, Measurement]:
    """Alternate two kinds of call, one of each per round; a Measurement for each."""
    latencies: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + 2 * max_seconds
    for i in range(calls):
        if time.perf_counter() > deadline:
            break
        for (_, call), bucket in zip((first, second), latencies, strict=True):
            started = time.perf_counter()
            call(i)
            bucket.append((time.perf_counter() - started) * 1000)
    return tuple(  # type: ignore[return-value]
        Measurement(
            name=name,
            calls=len(bucket),
            answers=len(bucket) * answers_per_call,
            seconds=sum(bucket) / 1000,
            p50_ms=round(statistics.median(bucket), 2),
            p95_ms=round(_percentile(bucket, 0.95), 2),
        )
        for (name, _), bucket in zip((first, second), latencies, strict=True)
    )


def _batch(answers: list[tuple[int, str]], i: int) -> list[tuple[int, str]]:
    start = (i * BATCH_SIZE) % max(1, len(answers) - BATCH_SIZE)
    return answers[start : start + BATCH_SIZE]


def _ignore(_value: object) -> None:
    return None


def format_table(results: dict[str, Any]) -> str:
    """The results as a Markdown table and the two ratios."""
    lines = [
        "| measurement | calls | p50 ms | p95 ms | answers/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for m in results["measurements"]:
        lines.append(
            f"| {m['name']} | {m['calls']} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} "
            f"| {m['answers_per_s']:.1f} |"
        )
    lines.append("")
    lines.append(
        f"HTTP/in-process at p50, single answer: {results['http_overhead_p50']:.3f} "
        f"(target <= 1.15); batch of {results['batch_size']}: "
        f"{results['batch_http_overhead_p50']:.3f}"
    )
    model = results["model_pass"]
    lines.append(
        f"The grader's own elapsed_ms (model pass), p50: in-process {model['in_process_p50_ms']} "
        f"ms, in the server {model['server_p50_ms']} ms"
    )
    lines.append(
        f"POST /score/batch: {results['batch_answers_per_s']:.1f} answers/s (target >= 100); "
        f"{results['cpus']} CPUs, load average {results['load_average_1m']} at the end; "
        f"server ready after {results['server_ready_s']} s"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run, print the table (and write JSON if asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="POST /score calls per level")
    parser.add_argument("--batches", type=int, default=12, help="POST /score/batch calls")
    parser.add_argument("--max-seconds", type=float, default=60, help="cap per measurement")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    try:
        import app.grading.embedding  # noqa: F401
    except ImportError as exc:
        print(f"the embedding grader does not import ({exc}); nothing to measure", file=sys.stderr)
        return 1
    results = run(requests=args.requests, batches=args.batches, max_seconds=args.max_seconds)
    print(format_table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
