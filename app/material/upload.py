"""An uploaded notes file, from bytes to prepared notes, in a process of the server's own.

Decoding, parsing and splitting answers into key points is seconds of pure Python for a 2 MB
file. In a thread of the server it would hold the interpreter lock in turn with the event loop,
and every other request (health checks included) would wait in line for it; in another
process it shares nothing with them. Only the database writes stay in the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import PurePath
from typing import Any

from app.material.importer import PreparedNotes, prepare_notes
from app.material.notes import NotesError
from app.material.parser import SUPPORTED_SUFFIXES, parse_notes
from app.practice.errors import AnswerTooLongError

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# How often the worker process checks that the server that started it is still there.
PARENT_CHECK_S = 1.0


def accepted_formats() -> str:
    """The kinds of file an upload may be, for error messages."""
    return "plain text or Markdown notes (.txt, .md) or a YAML/JSON bank (.yaml, .json)"


def check_upload(name: str, raw: bytes) -> None:
    """NotesError or AnswerTooLongError for an upload that is no notes file by its name or
    size (cheap: the server checks before it hands the file to the worker process)."""
    if not name:
        raise NotesError("upload", 0, "choose a notes file to upload")
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kind = f"a {suffix} file" if suffix else "a file without an extension"
        raise NotesError(name, 0, f"{kind} cannot be imported; upload {accepted_formats()}")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise AnswerTooLongError(f"{name} is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")


def uploaded_text(name: str, raw: bytes) -> str:
    """The upload as text; NotesError or AnswerTooLongError when it cannot be imported."""
    check_upload(name, raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise NotesError(
            name, line, f"not UTF-8 text; save it as UTF-8 and upload {accepted_formats()}"
        ) from None


def prepare_upload(raw: bytes, *, name: str, target: str, max_answer_chars: int) -> PreparedNotes:
    """Decode, parse (as the bank file `target`) and prepare an uploaded file `name`."""
    text = uploaded_text(name, raw)
    return prepare_notes(parse_notes(text, source=target), max_answer_chars=max_answer_chars)


def _exit_with(parent: int) -> None:
    """In the worker, at its start: exit once the server that started it is gone.

    A server killed outright (SIGKILL, the OOM killer) never shuts its pool down, and the
    worker, waiting for files that will never come, would stay behind for good.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _loaded() -> bool:
    # Run in the worker at start: unpickling a reference to this module's function imports
    # it (and the parser, and the key point splitter) before the first file arrives.
    return True


class UploadPreparer:
    """One worker process, started at the first upload and kept, that runs `prepare_upload`.

    One process is enough: uploads are rare, and a second would compete with grading for the
    machine's cores. Uploads that arrive together wait their turn.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None

    async def prepare(
        self, raw: bytes, *, name: str, target: str, max_answer_chars: int
    ) -> PreparedNotes:
        """`prepare_upload` in the worker process; its NotesError or AnswerTooLongError.

        A worker that died (killed, out of memory) is replaced once, and the file tried again.
        """
        for attempt in (1, 2):
            pool = self._executor()
            try:
                return await asyncio.wrap_future(
                    pool.submit(
                        prepare_upload,
                        raw,
                        name=name,
                        target=target,
                        max_answer_chars=max_answer_chars,
                    )
                )
            except BrokenProcessPool:
                with self._lock:
                    if self._pool is pool:
                        self._pool = None
                pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def start(self) -> None:
        """Start the worker process now, in the background (at the server's start, so the
        first upload does not wait for an interpreter to load)."""
        self._started = self._executor().submit(_loaded)

    def readiness(self) -> dict[str, Any]:
        """What /healthz says: `loading` while the process started by `start` boots."""
        started = self._started
        loading = started is not None and not started.done()
        return {"ready": started is not None and started.done(), "loading": loading}

    def _executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # "spawn": a fresh interpreter. A fork of the server would copy its threads'
                # locks (the database pool, the grader) in whatever state they were.
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_exit_with,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def shutdown(self) -> None:
        """Stop the worker process, if one was started."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
