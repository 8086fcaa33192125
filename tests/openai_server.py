"""A local HTTP server that speaks the Chat Completions API and replies from a script.

Usage, in a test:

    with FakeOpenAIServer() as server:
        server.enqueue_content({"score": 80, ...})
        client = openai.OpenAI(base_url=server.base_url, api_key="test")
        ...
        assert server.requests[0].body["temperature"] == 0

Replies are served in the order they were queued, one per chat completion request. When the
queue is empty the `responder` (if any) builds the reply from the request, which suits
concurrent requests; otherwise the request gets a 500 (with `x-should-retry: false`, so the
client fails fast) and the test sees the fallback it caused.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass(frozen=True)
class ScriptedReply:
    """One HTTP reply: a status, a JSON (or raw text) body, extra headers and a delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request the server received; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of a chat completion request."""
        return list(self.body.get("messages", [])) if isinstance(self.body, dict) else []

    def message(self, role: str) -> str:
        """The content of the first message with `role`."""
        return next(str(m.get("content")) for m in self.messages if m.get("role") == role)


class FakeOpenAIServer:
    """A Chat Completions server on 127.0.0.1 and a free port, running in a thread."""

    def __init__(
        self,
        *,
        unsupported_response_formats: tuple[str, ...] = (),
        responder: Callable[[RecordedRequest], ScriptedReply] | None = None,
    ) -> None:
        # Like a server without structured outputs, answer 400 to these `response_format`
        # types without consuming a scripted reply.
        self.unsupported_response_formats = set(unsupported_response_formats)
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self._replies: deque[ScriptedReply] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """The URL to give the `openai` client as `base_url`."""
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def completion_requests(self) -> list[RecordedRequest]:
        """The chat completion requests received, in order."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def enqueue(self, reply: ScriptedReply) -> None:
        """Queue one reply for the next chat completion request."""
        with self._lock:
            self._replies.append(reply)

    def enqueue_content(
        self,
        content: str | dict[str, Any],
        *,
        prompt_tokens: int = 100,
        completion_tokens: int = 20,
        finish_reason: str = "stop",
        delay_s: float = 0.0,
    ) -> None:
        """Queue a successful completion whose message is `content` (a dict is sent as JSON)."""
        text = content if isinstance(content, str) else json.dumps(content)
        self.enqueue(
            ScriptedReply(
                body=completion_body(
                    text,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=completion_tokens,
                    finish_reason=finish_reason,
                ),
                delay_s=delay_s,
            )
        )

    def enqueue_error(
        self,
        status: int,
        message: str = "scripted error",
        *,
        error_type: str = "server_error",
        headers: dict[str, str] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        """Queue an error reply in the shape the OpenAI API uses."""
        body = {"error": {"message": message, "type": error_type, "param": None, "code": None}}
        self.enqueue(
            ScriptedReply(status=status, body=body, headers=headers or {}, delay_s=delay_s)
        )

    @property
    def pending(self) -> int:
        """How many queued replies have not been served yet."""
        with self._lock:
            return len(self._replies)

    def start(self) -> FakeOpenAIServer:
        """Start serving in a daemon thread."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; a reply still sleeping on its delay is cut short."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_reply(self, request: RecordedRequest) -> ScriptedReply:
        body = request.body
        fmt = body.get("response_format") if isinstance(body, dict) else None
        fmt_type = fmt.get("type") if isinstance(fmt, dict) else None
        if fmt_type in self.unsupported_response_formats:
            return ScriptedReply(
                status=400,
                body={
                    "error": {
                        "message": f"response_format type {fmt_type!r} is not supported",
                        "type": "invalid_request_error",
                        "param": "response_format",
                        "code": None,
                    }
                },
            )
        with self._lock:
            if self._replies:
                return self._replies.popleft()
        if self.responder is not None:
            return self.responder(request)
        return ScriptedReply(
            status=500,
            body={"error": {"message": "no scripted reply queued", "type": "server_error"}},
            headers={"x-should-retry": "false"},
        )


def completion_body(
    content: str,
    *,
    model: str = "fake-model",
    prompt_tokens: int = 100,
    completion_tokens: int = 20,
    finish_reason: str = "stop",
) -> dict[str, Any]:
    """A Chat Completions response body whose only choice says `content`."""
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        request = self._record(body)
        if not self.path.endswith("/chat/completions"):
            self._send(ScriptedReply(status=404, body={"error": {"message": "not found"}}))
            return
        reply = self.fake._next_reply(request)
        # Wait on the stop event, not time.sleep, so stopping the server ends a long delay.
        if reply.delay_s and self.fake._stopping.wait(reply.delay_s):
            return
        self._send(reply)

    def do_GET(self) -> None:
        self._record(None)
        if self.path.rstrip("/").endswith("/models"):
            body = {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
            self._send(ScriptedReply(body=body))
        else:
            self._send(ScriptedReply(status=404, body={"error": {"message": "not found"}}))

    def _record(self, body: Any) -> RecordedRequest:
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        with self.fake._lock:
            self.fake.requests.append(request)
        return request

    def _send(self, reply: ScriptedReply) -> None:
        payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
        data = payload.encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test); nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A running FakeOpenAIServer, stopped after the test."""
    with FakeOpenAIServer() as server:
        yield server
