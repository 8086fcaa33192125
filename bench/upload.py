"""Uploads of hostile or huge notes files: import time, and /healthz latency during each import.

Starts `mock-interview serve` in its own process (SQLite in a temporary folder), uploads a ~2 MB
notes file of each shape through the web form (same-origin, with the CSRF token), and polls
/healthz every 20 ms from another thread while the upload runs.

Run: .venv/bin/python bench/upload.py [--repeats 3] [--shapes many-topic-lines,...]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.material.parser import read_notes_file  # noqa: E402

SIZE = 2_000_000  # "a 2 MB notes file"; the upload limit is 2 MiB
POLL_EVERY_S = 0.02


def _fill(unit: Callable[[int], str], *, head: str = "", tail: str = "") -> str:
    parts, size, n = [head], len(head) + len(tail), 0
    while True:
        piece = unit(n)
        if size + len(piece.encode()) > SIZE:
            break
        parts.append(piece)
        size += len(piece.encode())
        n += 1
    parts.append(tail)
    return "".join(parts)


def many_topic_lines() -> tuple[str, str]:
    """The issue's file: nothing but '1. a' lines (took 175 s before the parser was linear)."""
    return "topics.txt", _fill(lambda n: "1. a\n", head="Part 1: P\n")


def one_giant_line() -> tuple[str, str]:
    """A question whose answer is one 2 MB line of words: over MAX_ANSWER_CHARS."""
    head = "Part 1: P\n1. T\nInterviewer: What is it?\nYour Answer: "
    return "giant.txt", _fill(lambda n: "word ", head=head)


def glued_capitals_line() -> tuple[str, str]:
    """One 2 MB line of 'aB-C' runs: the shape that makes heading regexes backtrack."""
    head = "Part 1: P\n1. T\nInterviewer: What is it?\nYour Answer: "
    return "glued.txt", _fill(lambda n: "aB-C", head=head)


def many_questions() -> tuple[str, str]:
    """A real notes file, 2 MB of day-1 style questions and answers in many topics."""
    day1 = read_notes_file(ROOT / "app/material/default/day1.txt").questions

    def block(n: int) -> str:
        source = day1[n % len(day1)]
        part = f"Part {n // 20 + 1}: Generated part {n // 20 + 1}\n" if n % 20 == 0 else ""
        return (
            f"{part}{n % 20 + 1}. {source.topic_title} {n}\n"
            f'Interviewer: "{source.question} (variant {n})"\n'
            f'Your Answer: "{source.answer} Variant {n}."\n'
        )

    return "many.txt", _fill(block)


def many_questions_changed() -> tuple[str, str]:
    """The same 2 MB file again with every answer changed: 1,306 new versions (uploaded after
    `many-questions`, which is not measured)."""
    name, text = many_questions()
    return name, text.replace(" Variant ", " Revised variant ")


def deep_yaml() -> tuple[str, str]:
    """YAML nested a million levels deep."""
    half = SIZE // 2 - 10
    return "deep.yaml", "- " + "[" * half + "]" * half + "\n"


def many_yaml_items() -> tuple[str, str]:
    """A 2 MB YAML bank of small items."""
    return "bank.yaml", _fill(
        lambda n: (
            f"- part: 'Part {n // 400 + 1}: P'\n  topic: T{n % 40}\n"
            f"  question: Question {n} about attention?\n"
            f"  answer: Attention weighs every token by its similarity, case {n}.\n"
        )
    )


def alias_bomb() -> tuple[str, str]:
    """The 390-byte YAML 'billion laughs' that expanded into a 34.7-million-character answer."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefgh":
        previous = chr(ord(level) - 1)
        lines.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    lines.append("questions:\n  - question: q\n    answer: *h")
    return "bomb.yaml", "\n".join(lines) + "\n"


SHAPES: dict[str, Callable[[], tuple[str, str]]] = {
    "many-topic-lines": many_topic_lines,
    "one-giant-line": one_giant_line,
    "glued-capitals-line": glued_capitals_line,
    "many-questions": many_questions,
    "many-questions-changed": many_questions_changed,
    "deep-yaml": deep_yaml,
    "many-yaml-items": many_yaml_items,
    "alias-bomb": alias_bomb,
}


# Files uploaded (and not measured) before a shape's own upload, on the same server.
BEFORE: dict[str, Callable[[], tuple[str, str]]] = {"many-questions-changed": many_questions}
# The target: a 2 MB file of any shape imports in under 5 s while /healthz keeps
# answering in under 100 ms.
TARGET_IMPORT_S, TARGET_HEALTH_MS = 5.0, 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, *, cold: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """`mock-interview serve` on a free port; returns the process and its base URL once
    /healthz answers and (unless `cold`) the upload parsing process has started."""
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "GRADER": "embedding",
        "EMBEDDING_WARMUP": "false",
        "VOICE_WARMUP": "false",
        "PYTHONPATH": str(ROOT),
    }
    command = "import sys; from app.cli import main; sys.exit(main())"
    process = subprocess.Popen(
        [sys.executable, "-c", command, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{base}/healthz", timeout=2)
            if health.status_code in (200, 503) and (
                cold or "upload" not in health.json()["warming_up"]
            ):
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def upload(
    base: str, name: str, text: str, *, before: tuple[str, str] | None = None
) -> dict[str, object]:
    """Upload one file while polling /healthz; the import's time and status, health latencies.

    `before`, a file uploaded first (not measured), for shapes that re-import.
    """
    with httpx.Client(base_url=base, timeout=300) as browser:
        page = browser.get("/material")
        body = BeautifulSoup(page.text, "html.parser").body
        assert body is not None
        token = json.loads(str(body["hx-headers"]))["X-CSRF-Token"]
        if before is not None:
            first = browser.post(
                "/material",
                files={"notes": (before[0], before[1].encode(), "text/plain")},
                headers={"X-CSRF-Token": token, "Origin": base},
            )
            assert first.status_code == 200, first.status_code
        latencies: list[float] = []
        done = threading.Event()

        def poll() -> None:
            with httpx.Client(base_url=base, timeout=30) as health:
                while not done.is_set():
                    started = time.perf_counter()
                    health.get("/healthz")
                    latencies.append((time.perf_counter() - started) * 1000)
                    time.sleep(POLL_EVERY_S)

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.2)  # a few polls before the upload
        started = time.perf_counter()
        response = browser.post(
            "/material",
            files={"notes": (name, text.encode(), "text/plain")},
            headers={"X-CSRF-Token": token, "Origin": base},
        )
        elapsed = time.perf_counter() - started
        time.sleep(0.2)
        done.set()
        poller.join()
    notice = BeautifulSoup(response.text, "html.parser").select_one(
        "[data-testid=import-report], [data-testid=error], [role=alert]"
    )
    message = notice.get_text(" ", strip=True) if notice else ""
    return {
        "status": response.status_code,
        "seconds": elapsed,
        "health_p50_ms": statistics.median(latencies),
        "health_p99_ms": percentile(latencies, 99),
        "health_max_ms": max(latencies),
        "polls": len(latencies),
        "message": message[:90],
    }


def main() -> None:
    """Run every shape `--repeats` times against a fresh server each; print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument(
        "--cold",
        action="store_true",
        help="upload as soon as /healthz answers, while the parsing process may still boot",
    )
    args = parser.parse_args()
    print(f"load average at start: {_load()}{' (cold: no wait for the parser)' * args.cold}")
    print(
        f"{'shape':22} {'bytes':>9} {'status':>6} {'import s':>9} {'worst':>6} "
        f"{'health p50':>10} {'p99':>6} {'worst':>6} {'max':>6} {'target':>6}  message"
    )
    for shape in args.shapes.split(","):
        name, text = SHAPES[shape]()
        before = BEFORE[shape]() if shape in BEFORE else None
        runs = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory() as tmp:
                process, base = start_server(Path(tmp) / "data", cold=args.cold)
                try:
                    runs.append(upload(base, name, text, before=before))
                finally:
                    process.terminate()
                    process.wait(timeout=30)
        seconds = [float(r["seconds"]) for r in runs]  # type: ignore[arg-type]
        p99s = [float(r["health_p99_ms"]) for r in runs]  # type: ignore[arg-type]
        worst = runs[seconds.index(max(seconds))]
        met = statistics.median(seconds) < TARGET_IMPORT_S and (
            statistics.median(p99s) < TARGET_HEALTH_MS
        )
        print(
            f"{shape:22} {len(text.encode()):>9,} {worst['status']:>6} "
            f"{statistics.median(seconds):>9.2f} {max(seconds):>6.2f} "
            f"{statistics.median(float(r['health_p50_ms']) for r in runs):>10.1f} "  # type: ignore[arg-type]
            f"{statistics.median(p99s):>6.1f} {max(p99s):>6.1f} "
            f"{max(float(r['health_max_ms']) for r in runs):>6.1f} "  # type: ignore[arg-type]
            f"{'met' if met else 'MISSED':>6}  {worst['message']}"
        )
    print(
        "import s and health p50/p99: median of the repeats; worst: the worst repeat; max: the "
        "slowest /healthz of all repeats. target: median import under "
        f"{TARGET_IMPORT_S:g} s and median /healthz p99 under {TARGET_HEALTH_MS:g} ms."
    )
    print(f"load average at the end: {_load()} (2 cores here: above 2, figures are upper bounds)")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
