"""Scale-out: two server processes and a separate grading worker on one database.

On the PostgreSQL pass of `.ci/run` this is the documented deployment for several users (app
replicas behind a proxy, workers apart); on SQLite the same processes share one file.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.db import Database
from app.models import Answer, StoredGrade

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cli_with_fakes", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{base} exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} never became healthy:\n{log.read_text()}")


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two servers without grading workers, and one `mock-interview worker`; their URLs."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url,
        "DATA_DIR": str(tmp_path / "data"),
        "GRADER": "fake",
        "EMBEDDING_WARMUP": "false",
        "GRADING_WORKERS": "0",
    }
    ports = [_free_port(), _free_port()]
    processes = []
    try:
        for n, port in enumerate(ports):
            log = tmp_path / f"server{n}.log"
            process = _start(["serve", "--port", str(port)], env, log)
            processes.append(process)
            _wait_healthy(f"http://127.0.0.1:{port}", process, log)
        processes.append(_start(["worker", "--threads", "2"], env, tmp_path / "worker.log"))
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def _answer_all(base: str, marker: str) -> list[int]:
    """Start a session on one server and answer each of its turns; the answer ids."""
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as client:
        session = client.post("/sessions", json={"count": 5}).json()
        ids = []
        for n, item in enumerate(session["items"]):
            response = client.post(
                f"/sessions/{session['id']}/answers",
                json={"item_id": item["id"], "answer": f"{marker}-{n} attention heads"},
            )
            assert response.status_code == 202, response.text
            ids.append(response.json()["answer"]["id"])
        return ids


def test_two_servers_and_a_worker_grade_each_answer_exactly_once(
    deployment: list[str], database_url: str
) -> None:
    jobs = [(deployment[n % 2], f"client{n}") for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        posted = [i for ids in pool.map(lambda job: _answer_all(*job), jobs) for i in ids]
    assert len(posted) == len(set(posted)) == 40

    database = Database.from_url(database_url)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            with database.session(write=False) as session:
                waiting = session.scalar(
                    select(func.count()).select_from(Answer).where(Answer.grading_state != "done")
                )
            if not waiting:
                break
            time.sleep(0.2)
        with database.session(write=False) as session:
            grades = dict(
                session.execute(
                    select(StoredGrade.answer_id, func.count()).group_by(StoredGrade.answer_id)
                ).all()
            )
            attempts = set(session.scalars(select(Answer.grading_attempts)).all())
    finally:
        database.dispose()
    assert grades == dict.fromkeys(posted, 1)
    assert attempts == {1}
    # Either server shows the grade, and sees the worker process alive.
    for base in deployment:
        answer = httpx.get(f"{base}/api/v1/answers/{posted[0]}").json()
        assert answer["grading"]["state"] == "done" and answer["grade"] is not None
        health = httpx.get(f"{base}/healthz").json()
        assert health["grading"]["workers_alive"] == 1
