"""Uploads that cannot hurt the server: size limits, YAML without aliases, answer limits."""

from __future__ import annotations

import multiprocessing
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.accounts.users import ensure_local_user
from app.config import Settings
from app.main import create_app
from app.material import importer
from app.material.importer import import_notes_text
from app.material.notes import NotesError
from app.material.parser import parse_notes
from app.models import Question
from tests.browser_support import free_port
from tests.fakes import FAKE_GRADERS
from tests.web_client import page_token

GIB = 1 << 30


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, int]]:
    """The app in a real uvicorn on 127.0.0.1 (default TRUSTED_HOSTS); yields (host, port)."""
    port = free_port()
    local = settings.model_copy(update={"trusted_hosts": None})
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(local, graders=FAKE_GRADERS), host="127.0.0.1", port=port, log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield "127.0.0.1", port
    server.should_exit = True
    thread.join(timeout=10)


def _cookie_and_token(host: str, port: int) -> tuple[str, str]:
    # A fresh server's first page compiles its templates: on a busy machine that can take more
    # than httpx's default 5 s, which is not what these tests are about.
    page = httpx.get(f"http://{host}:{port}/material", timeout=30)
    cookie = page.headers["set-cookie"].split(";")[0]
    return cookie, page_token(page.text)


def _status_of(sock: socket.socket) -> tuple[int, str]:
    sock.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.decode("latin-1")


def _upload_head(host: str, port: int, *, length: int | None) -> bytes:
    cookie, token = _cookie_and_token(host, port)
    size = (
        f"Content-Length: {length}\r\n" if length is not None else "Transfer-Encoding: chunked\r\n"
    )
    return (
        f"POST /material HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Cookie: {cookie}\r\nX-CSRF-Token: {token}\r\n"
        "Content-Type: multipart/form-data; boundary=XyZ\r\n"
        f"{size}\r\n"
    ).encode()


FILE_PART = (
    b'--XyZ\r\nContent-Disposition: form-data; name="notes"; filename="big.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\n"
)


def test_a_1_gib_upload_is_refused_before_its_body_is_sent(served: tuple[str, int]) -> None:
    host, port = served
    with socket.create_connection((host, port)) as sock:
        sock.sendall(_upload_head(host, port, length=GIB))
        # Not one byte of the body: the answer comes from the declared length alone.
        status, response = _status_of(sock)
    assert status == 413
    assert "content-security-policy" in response.lower()


def test_a_chunked_upload_is_cut_off_once_it_passes_the_limit(served: tuple[str, int]) -> None:
    host, port = served
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection((host, port)) as sock:
        sock.sendall(_upload_head(host, port, length=None))
        sock.sendall(b"%x\r\n%s\r\n" % (len(FILE_PART), FILE_PART))
        sock.settimeout(0.5)
        status = None
        # Send up to 64 MB; the server must answer long before.
        while sent < 64 * (1 << 20):
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break
            sent += len(chunk)
            try:
                peek = sock.recv(12, socket.MSG_PEEK)
            except TimeoutError:
                continue
            except OSError:
                break
            if peek:
                break
        status, _ = _status_of(sock)
    assert status == 413
    assert sent < 8 * (1 << 20), f"the server read {sent:,} bytes before refusing"


def test_an_oversized_upload_is_413_with_a_page(app: FastAPI, client: TestClient) -> None:
    big = b"Part 1: P\n" + b"x" * (3 * (1 << 20))
    response = client.post("/material", files={"notes": ("big.txt", big, "text/plain")})
    assert response.status_code == 413
    notice = BeautifulSoup(response.text, "html.parser").select_one("[data-testid=error]")
    assert notice is not None and notice["data-status"] == "413"
    assert "nothing was stored" in notice.get_text()


BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{level}: &{level} [" + ",".join([f"*{chr(ord(level) - 1)}"] * 9) + "]"
        for level in "bcdefgh"
    ]
    + ["questions:", "  - question: What is it?", "    answer: *h"]
)


def _bank_size(app: FastAPI) -> int:
    with app.state.database.session() as session:
        return session.scalar(select(func.count()).select_from(Question)) or 0


def _upload(client: TestClient, name: str, text: str) -> tuple[int, str]:
    response = client.post("/material", files={"notes": (name, text.encode(), "text/plain")})
    page = BeautifulSoup(response.text, "html.parser")
    notice = page.select_one("[data-testid=error], [data-testid=import-error], [role=alert]")
    return response.status_code, notice.get_text(" ", strip=True) if notice else response.text


def test_the_yaml_alias_bomb_is_refused_and_nothing_is_stored(
    app: FastAPI, client: TestClient
) -> None:
    before = _bank_size(app)
    status, message = _upload(client, "bomb.yaml", BOMB)
    assert status == 422
    assert "bomb.yaml:1" in message and "not accepted" in message
    assert _bank_size(app) == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("questions:\n - &q {question: a, answer: b}\n - *q\n", "anchors (&name)"),
        ("- question: a\n  answer: b\n  alternatives: [*x]\n", "aliases (*name)"),
        ("- " * 50 + "x\n", "nested more than 20 levels"),
        ("[" * 100_000 + "]" * 100_000, "not valid YAML"),
        ("- question: a\n  answer: [a, list]\n", "'answer' must be text"),
    ],
)
def test_yaml_that_notes_never_need_is_refused(text: str, expected: str) -> None:
    with pytest.raises(NotesError, match=re.escape(expected)):
        parse_notes(text, source="bank.yaml")


def test_plain_yaml_still_reads_types_and_lines() -> None:
    text = (
        "questions:\n"
        "  - part: 'Part 2: Models'\n    topic: Trees\n    question: Why prune?\n"
        "    answer: To stop overfitting.\n    follow_up: true\n"
        "    examples:\n      - {answer: It is faster, grade: 40}\n"
        "  - question: 42\n    answer: 0.5\n"
    )
    notes = parse_notes(text, source="bank.yaml")
    first, second = notes.questions
    assert (first.part_number, first.part_title, first.topic_title) == (2, "Models", "Trees")
    assert first.follow_up is True and first.examples[0].score == 40.0
    assert (first.line, second.line) == (2, 9)
    assert (second.question, second.answer) == ("42", "0.5")


def test_imported_answers_obey_max_answer_chars(app: FastAPI, client: TestClient) -> None:
    before = _bank_size(app)
    limit = app.state.settings.max_answer_chars
    long_answer = "word " * (limit // 5 + 10)
    text = f"Part 1: P\n1. T\nInterviewer: What is it?\nYour Answer: {long_answer}\n"
    status, message = _upload(client, "long.txt", text)
    assert status == 422
    assert "long.txt:3" in message and f"{limit:,} (MAX_ANSWER_CHARS)" in message
    assert _bank_size(app) == before


def test_a_file_of_topic_lines_is_refused_with_a_message(client: TestClient) -> None:
    # The 800 KB file (the parser used to be quadratic on it); figures: bench/upload.py.
    status, message = _upload(client, "topics.txt", "1. a\n" * 160_000)
    assert status == 422
    assert "no questions found" in message


def test_question_lines_join_and_headings_split_as_before() -> None:
    text = (
        "Part 1: P\n1. T\nInterviewer: What is\nthe softmax\nfor?\n"
        "Your Answer: It makes weights.Self-Attention: every token looks at the others.\n"
    )
    (question,) = parse_notes(text, source="n.txt").questions
    assert question.question == "What is the softmax for?"
    assert question.answer == "It makes weights.\nSelf-Attention: every token looks at the others."


def test_a_file_of_too_many_questions_is_refused(app: FastAPI, client: TestClient) -> None:
    before = _bank_size(app)
    items = "".join(f"- question: Q{n}?\n  answer: A{n}.\n" for n in range(2001))
    status, message = _upload(client, "many.yaml", items)
    assert status == 422
    assert "2,001 questions; at most 2,000" in message
    assert _bank_size(app) == before


def test_a_line_longer_than_notes_have_is_refused_with_its_number() -> None:
    text = "Part 1: P\n1. T\nInterviewer: What?\nYour Answer: " + "aB-C" * 30_000 + "\n"
    with pytest.raises(NotesError, match=r"n\.txt:4: the line is 120,0\d\d characters"):
        parse_notes(text, source="n.txt")


NOTES = (
    "Part 1: Basics\n1. Softmax\nInterviewer: What does softmax do?\n"
    "Your Answer: It turns scores into probabilities that sum to one.\n"
)


def test_uploads_keep_working_after_the_parsing_process_dies(
    app: FastAPI, client: TestClient
) -> None:
    # The file is parsed in a process of the server's own; killed (say by the kernel when
    # memory runs out), it is replaced and the next upload imports as if nothing happened.
    assert _upload(client, "first.txt", NOTES)[0] == 200
    workers = multiprocessing.active_children()
    assert workers
    for worker in workers:
        worker.kill()
        worker.join(timeout=10)
    status, _ = _upload(client, "second.txt", NOTES.replace("softmax", "a sigmoid"))
    assert status == 200
    with app.state.database.session() as session:
        texts = set(session.scalars(select(Question.text)))
    assert {"What does softmax do?", "What does a sigmoid do?"} <= texts


def test_an_import_that_fails_half_way_leaves_the_bank_as_it_was(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The new questions are written before their revisions: a failure in between must not
    # leave questions without their first revision (or any of the file) behind.
    before = _bank_size(app)

    def fail(*_args: object) -> dict[str, object]:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_revision", fail)
    with pytest.raises(RuntimeError), app.state.database.session() as session:
        user_id = ensure_local_user(session=session).id
        import_notes_text(session=session, text=NOTES, name="half.txt", user_id=user_id)
    assert _bank_size(app) == before


def test_the_parsing_process_ends_when_its_server_is_killed(tmp_path: Path) -> None:
    # A server killed outright never shuts its worker down; the worker must not outlive it.
    port = free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path / "data"),
        "GRADER": "embedding",
        "EMBEDDING_WARMUP": "false",
        "VOICE_WARMUP": "false",
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    serve = "import sys; from app.cli import main; sys.exit(main())"
    server = subprocess.Popen(
        [sys.executable, "-c", serve, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert time.monotonic() < deadline, "the server did not start its parsing process"
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
                if "upload" not in health["warming_up"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        workers = [
            int(pid)
            for pid in children
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        ]
        assert workers, "no parsing process"
    finally:
        server.kill()
        server.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "the parsing process outlived its server"
        time.sleep(0.2)
