"""Load, hang and crash runs against a real server on loopback; figures for docs/reliability.md.

N concurrent clients post answers for a bounded time, half through the web flow (start an
interview, read the question page, post the form, follow the redirect to the grade) and half
through the API (start a session, post answers). Every answer carries a unique marker; after
the run the database is read to count lost (acknowledged but not stored) and duplicated
answers, and answers not graded exactly once.

    python bench/load.py                              # SQLite, 8/64/256 clients, fake grader
    python bench/load.py --postgres                   # the same on a throw-away PostgreSQL
    python bench/load.py --clients 1,64 --grader embedding --seconds 30
    python bench/load.py --scenario hang              # LLM endpoint that never answers
    python bench/load.py --scenario crash             # kill -9 mid-run, restart

The fake grader (instant) keeps runs about the server; `--grader embedding` is the real model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import Database  # noqa: E402
from app.models import Answer, StoredGrade  # noqa: E402

MARK = "benchmark-"
KEY = re.compile(r'name="idempotency_key" value="([0-9a-f]+)"')
ACTION = re.compile(r'<form class="answer-form" method="post" action="([^"]+)"')
SHOWN = re.compile(r'name="shown_at" value="(\d+)"')
TURNS = 50


@dataclass
class Stats:
    """What the clients saw."""

    acked: set[str] = field(default_factory=set)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def took(self, kind: str, seconds: float, status: int) -> None:
        """Record one request."""
        self.latencies.setdefault(kind, []).append(seconds)
        self.statuses[status] += 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


# --- the server ---------------------------------------------------------------------------


class Server:
    """`bench/server.py` (= `mock-interview serve`) in a process of its own."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until /healthz answers."""
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "server.py"), "--port", str(self.port)],
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("server did not start")

    def kill(self) -> None:
        """kill -9."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Terminate politely."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()


# --- clients ------------------------------------------------------------------------------


async def web_client(http: httpx.AsyncClient, n: int, stats: Stats, until: float) -> None:
    """Start interviews and answer their questions through the pages, as a browser does."""
    while time.monotonic() < until:
        started = await _timed(
            stats, "web start", http.post("/interviews", data={"count": str(TURNS)})
        )
        if started is None or started.status_code != 303:
            await asyncio.sleep(0.5)
            continue
        url = started.headers["location"]
        for _turn in range(TURNS):
            if time.monotonic() >= until:
                return
            page = await _timed(stats, "web question page", http.get(url, follow_redirects=True))
            if page is None or page.status_code != 200:
                break
            action, key, shown = (
                ACTION.search(page.text),
                KEY.search(page.text),
                SHOWN.search(page.text),
            )
            if not (action and key and shown):
                break
            marker = f"{MARK}{uuid.uuid4().hex}"
            form = {
                "answer": f"{marker} attention lets every token weigh every other token",
                "idempotency_key": key.group(1),
                "shown_at": shown.group(1),
            }
            posted = await _timed(stats, "web answer", http.post(action.group(1), data=form))
            if posted is None:
                continue
            if posted.status_code == 303:
                stats.acked.add(marker)
                # The page the browser is sent to: it waits (briefly) for the grade.
                await _timed(stats, "web grade page", http.get(posted.headers["location"]))
            # The interview's own page redirects to its next unanswered question.
            url = url.rsplit("/items", 1)[0]


async def one_web_answer(http: httpx.AsyncClient, stats: Stats, until: float) -> None:
    """Start a one-question interview and answer it through the pages."""
    started = await _timed(stats, "web start", http.post("/interviews", data={"count": "1"}))
    if started is None or started.status_code != 303:
        return
    page = await _timed(
        stats, "web question page", http.get(started.headers["location"], follow_redirects=True)
    )
    if page is None:
        return
    action, key = ACTION.search(page.text), KEY.search(page.text)
    if not (action and key):
        return
    marker = f"{MARK}{uuid.uuid4().hex}"
    form = {"answer": f"{marker} attention", "idempotency_key": key.group(1)}
    posted = await _timed(stats, "web answer", http.post(action.group(1), data=form))
    if posted is not None and posted.status_code == 303:
        stats.acked.add(marker)
        await _timed(stats, "web grade page", http.get(posted.headers["location"]))


async def api_client(http: httpx.AsyncClient, n: int, stats: Stats, until: float) -> None:
    """Start sessions and post answers over the REST API."""
    while time.monotonic() < until:
        started = await _timed(
            stats, "api start", http.post("/api/v1/sessions", json={"count": TURNS})
        )
        if started is None or started.status_code != 201:
            await asyncio.sleep(0.5)
            continue
        session = started.json()
        for item in session["items"]:
            if time.monotonic() >= until:
                return
            marker = f"{MARK}{uuid.uuid4().hex}"
            body = {"item_id": item["id"], "answer": f"{marker} attention weighs tokens"}
            posted = await _timed(
                stats,
                "api answer",
                http.post(
                    f"/api/v1/sessions/{session['id']}/answers",
                    json=body,
                    headers={"Idempotency-Key": marker},
                ),
            )
            if posted is not None and posted.status_code in (201, 202):
                stats.acked.add(marker)


async def _timed(stats: Stats, kind: str, request: Any) -> httpx.Response | None:
    start = time.monotonic()
    try:
        response: httpx.Response = await request
    except httpx.HTTPError as exc:
        stats.errors[type(exc).__name__] += 1
        return None
    stats.took(kind, time.monotonic() - start, response.status_code)
    return response


async def run_clients(base: str, clients: int, seconds: float, stats: Stats) -> None:
    """`clients` concurrent clients, alternately web and API, for `seconds`."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *[
                (web_client if n % 2 == 0 else api_client)(http, n, stats, until)
                for n in range(clients)
            ]
        )


async def probe(base: str, paths: list[str], until: float) -> dict[str, list[float]]:
    """Request each path every 100 ms until `until`; their latencies."""
    seen: dict[str, list[float]] = {p: [] for p in paths}
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        while time.monotonic() < until:
            for path in paths:
                start = time.monotonic()
                try:
                    await http.get(path)
                except httpx.HTTPError:
                    continue
                seen[path].append(time.monotonic() - start)
            await asyncio.sleep(0.1)
    return seen


# --- the database afterwards --------------------------------------------------------------


def audit(url: str, acked: set[str], drain_s: float) -> dict[str, Any]:
    """Lost, duplicated and not-exactly-once-graded answers, after waiting for the queue."""
    database = Database.from_url(url)
    start = time.monotonic()
    waiting = 0
    while time.monotonic() - start < drain_s:
        with database.session(write=False) as session:
            waiting = (
                session.scalar(
                    select(func.count())
                    .select_from(Answer)
                    .where(Answer.grading_state.in_(("pending", "running")))
                )
                or 0
            )
        if not waiting:
            break
        time.sleep(0.5)
    drained = time.monotonic() - start
    with database.session(write=False) as session:
        stored = Counter(
            text.split()[0]
            for text in session.scalars(select(Answer.text))
            if text.startswith(MARK)
        )
        grade_counts = Counter(
            dict(
                session.execute(
                    select(StoredGrade.answer_id, func.count()).group_by(StoredGrade.answer_id)
                ).all()
            )
        )
        answer_ids = list(session.scalars(select(Answer.id).where(Answer.text.startswith(MARK))))
        states = Counter(session.scalars(select(Answer.grading_state)))
    database.dispose()
    return {
        "stored": sum(stored.values()),
        "lost": len(acked - set(stored)),
        "duplicated": sum(count - 1 for count in stored.values() if count > 1),
        "graded_once": sum(1 for i in answer_ids if grade_counts.get(i) == 1),
        "graded_twice_or_more": sum(1 for i in answer_ids if grade_counts.get(i, 0) > 1),
        "still_waiting": waiting,
        "states": dict(states),
        "drain_s": round(drained, 1),
    }


def summary(stats: Stats, seconds: float) -> dict[str, Any]:
    """Throughput, latency percentiles and status counts."""
    answers = stats.latencies.get("web answer", []) + stats.latencies.get("api answer", [])
    return {
        "acked_answers": len(stats.acked),
        "answers_per_s": round(len(stats.acked) / seconds, 1),
        "answer_p50_ms": round(_pct(answers, 0.50), 1),
        "answer_p99_ms": round(_pct(answers, 0.99), 1),
        "by_kind": {
            kind: {
                "n": len(values),
                "p50_ms": round(_pct(values, 0.5), 1),
                "p99_ms": round(_pct(values, 0.99), 1),
            }
            for kind, values in sorted(stats.latencies.items())
        },
        "5xx": sum(n for status, n in stats.statuses.items() if status >= 500),
        "statuses": dict(sorted(stats.statuses.items())),
        "client_errors": dict(stats.errors),
    }


# --- runs ---------------------------------------------------------------------------------


class Databases:
    """Fresh databases for each run: SQLite files, or databases on one PostgreSQL server."""

    def __init__(self, postgres: str | None, folder: Path) -> None:
        self.postgres = postgres
        self.folder = folder

    def new(self, name: str) -> str:
        """The URL of a new empty database."""
        if self.postgres is None:
            return f"sqlite:///{self.folder / name / 'mock_interview.db'}"
        server = make_url(self.postgres)
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        db = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{db}"'))
        engine.dispose()
        return server.set(database=db).render_as_string(hide_password=False)


def _env(url: str, data: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": url,
        "DATA_DIR": str(data),
        "EMBEDDING_WARMUP": "true",
        # Hundreds of clients from one address on purpose: the per-address limits are off.
        "SCORE_RATE_LIMIT": "0",
        "API_RATE_LIMIT": "0",
        **extra,
    }


def load_run(
    dbs: Databases, clients: int, seconds: float, grader: str, tmp: Path
) -> dict[str, Any]:
    """One load run: clients post for `seconds`; then the queue drains and the DB is read."""
    url = dbs.new(f"load{clients}")
    server = Server(_env(url, tmp / f"data{clients}", GRADER=grader), tmp / f"load{clients}.log")
    server.start()
    if grader == "embedding":
        _wait_grader_ready(server.base)
    stats = Stats()
    try:
        started = time.monotonic()
        asyncio.run(run_clients(server.base, clients, seconds, stats))
        elapsed = time.monotonic() - started
        result = {"clients": clients, "seconds": round(elapsed, 1), **summary(stats, elapsed)}
        result["database"] = audit(url, stats.acked, drain_s=300)
        drained_in = elapsed + result["database"]["drain_s"]
        result["graded_per_s"] = round(result["database"]["graded_once"] / drained_in, 1)
    finally:
        server.stop()
    return result


def _wait_grader_ready(base: str) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if httpx.get(f"{base}/healthz", timeout=10).json()["grader"]["ready"]:
            return
        time.sleep(1)
    raise SystemExit("the grader never became ready")


async def _hanging_endpoint(port: int, stop: asyncio.Event) -> None:
    """An 'OpenAI' endpoint that accepts connections and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await stop.wait()

    server = await asyncio.start_server(hold, "127.0.0.1", port)
    async with server:
        await stop.wait()


def hang_run(dbs: Databases, clients: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """`clients` answers posted at once in the web flow to an LLM grader whose endpoint hangs;
    then /healthz, the home page and the API are probed every 100 ms for `seconds`."""
    url = dbs.new("hang")
    llm_port = _free_port()
    env = _env(
        url,
        tmp / "datahang",
        GRADER="llm",
        OPENAI_BASE_URL=f"http://127.0.0.1:{llm_port}/v1",
        OPENAI_API_KEY="bench",
        LLM_TIMEOUT_S="30",
        LLM_MAX_RETRIES="2",
        EMBEDDING_WARMUP="false",
    )
    server = Server(env, tmp / "hang.log")

    async def scenario() -> tuple[Stats, dict[str, list[float]], float]:
        stop = asyncio.Event()
        endpoint = asyncio.create_task(_hanging_endpoint(llm_port, stop))
        await asyncio.sleep(0.2)
        await asyncio.to_thread(server.start)
        stats = Stats()
        started = time.monotonic()
        # As in the report: many answers submitted in the browser at once, each waiting for
        # an LLM that never answers; then the pages are used while the workers hang.
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(base_url=server.base, timeout=120, limits=limits) as http:
            until = time.monotonic() + 10
            await asyncio.gather(*[one_web_answer(http, stats, until) for _ in range(clients)])
        seen = await probe(
            server.base, ["/healthz", "/", "/api/v1/topics"], time.monotonic() + seconds
        )
        elapsed = time.monotonic() - started
        stop.set()
        await endpoint
        return stats, seen, elapsed

    try:
        stats, seen, elapsed = asyncio.run(scenario())
        result = {"clients": clients, "seconds": round(elapsed, 1), **summary(stats, elapsed)}
        result["probes"] = {
            path: {
                "n": len(values),
                "p50_ms": round(_pct(values, 0.5), 1),
                "p99_ms": round(_pct(values, 0.99), 1),
                "max_ms": round(max(values) * 1000, 1) if values else None,
            }
            for path, values in seen.items()
        }
        result["database"] = audit(url, stats.acked, drain_s=0)
    finally:
        server.stop()
    return result


def crash_run(dbs: Databases, clients: int, seconds: float, tmp: Path) -> dict[str, Any]:
    """Clients post; the server is killed with SIGKILL halfway and restarted; all get graded."""
    url = dbs.new("crash")
    env = _env(url, tmp / "datacrash", GRADER="slow-fake", BENCH_GRADE_MS="20")
    server = Server(env, tmp / "crash.log")
    server.start()
    stats = Stats()

    async def scenario() -> float:
        clients_done = asyncio.create_task(run_clients(server.base, clients, seconds, stats))
        await asyncio.sleep(seconds / 2)
        server.kill()
        killed_at = time.monotonic()
        await asyncio.to_thread(server.start)
        restarted = time.monotonic() - killed_at
        await clients_done
        return restarted

    try:
        restart_s = asyncio.run(scenario())
        restarted_at = time.monotonic()
        result = {"clients": clients, "restart_s": round(restart_s, 1), **summary(stats, seconds)}
        result["database"] = audit(url, stats.acked, drain_s=120)
        result["graded_all_within_s_of_run_end"] = result["database"]["drain_s"]
        result["after_restart_until_all_graded_s"] = round(
            time.monotonic() - restarted_at + seconds / 2, 1
        )
    finally:
        server.stop()
    return result


def main() -> None:
    """Parse arguments, run, print a table and write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=["load", "hang", "crash"], default="load")
    parser.add_argument("--clients", default="8,64,256", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--grader", default="fake", help="fake (instant) or a real grader name")
    parser.add_argument("--postgres", action="store_true", help="on a throw-away PostgreSQL")
    parser.add_argument("--json", type=Path, help="write the results here too")
    args = parser.parse_args()

    postgres = os.environ.get("TEST_DATABASE_URL")
    if args.postgres and not postgres:
        script = str(ROOT / "scripts" / "with-postgres.sh")
        os.execv(script, [script, sys.executable, *sys.argv])
    with tempfile.TemporaryDirectory(prefix="mock-interview-load-") as folder:
        tmp = Path(folder)
        dbs = Databases(postgres if args.postgres else None, tmp)
        results = []
        for clients in [int(c) for c in args.clients.split(",")]:
            if args.scenario == "load":
                result = load_run(dbs, clients, args.seconds, args.grader, tmp)
            elif args.scenario == "hang":
                result = hang_run(dbs, clients, args.seconds, tmp)
            else:
                result = crash_run(dbs, clients, args.seconds, tmp)
            result |= {
                "scenario": args.scenario,
                "database_kind": "postgresql" if args.postgres else "sqlite",
                "grader": args.grader if args.scenario == "load" else None,
            }
            results.append(result)
            print(json.dumps(result), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
