"""Uploads that cannot hurt the server: size limits while the body streams in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.fakes import FAKE_GRADERS
from tests.test_browser import _free_port
from tests.web_client import page_token

GIB = 1 << 30


@pytest.fixture
def served(settings: Settings) -> Iterator[tuple[str, int]]:
    """The app in a real uvicorn on 127.0.0.1 (default TRUSTED_HOSTS); yields (host, port)."""
    port = _free_port()
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

    page = httpx.get(f"http://{host}:{port}/material")
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
