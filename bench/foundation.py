"""Import time of a large notes file, and app start time (to /healthz, to grading ready).

Run: .venv/bin/python bench/foundation.py [--questions 2000] [--repeats 5]
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
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.accounts.users import ensure_local_user  # noqa: E402
from app.config import Settings  # noqa: E402
from app.material.importer import import_notes_file  # noqa: E402
from app.material.parser import read_notes_file  # noqa: E402
from app.startup import open_database  # noqa: E402


def make_notes(path: Path, questions: int) -> None:
    """Write a notes file in day-1's format: 20 topics per part, answers of ~120 words."""
    day1 = read_notes_file(ROOT / "app/material/default/day1.txt").questions
    lines = ["Big notes", "An intro line."]
    for n in range(questions):
        if n % 20 == 0:
            lines.append(f"Part {n // 20 + 1}: Generated part {n // 20 + 1}")
        source = day1[n % len(day1)]
        lines.append(f"{n % 20 + 1}. {source.topic_title} {n}")
        lines.append(f'Interviewer: "{source.question} (variant {n})"')
        lines.append(f'Your Answer: "{source.answer} Variant {n}."')
    lines += ["Comments", "Post a Comment"]
    path.write_text("\n".join(lines), encoding="utf-8")


def bench_import(questions: int, repeats: int) -> dict[str, float]:
    """Median seconds to parse, import into an empty bank, and re-import unchanged."""
    parse, first, again = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        notes = Path(tmp) / "big.txt"
        make_notes(notes, questions)
        size_mb = notes.stat().st_size / 1e6
        for i in range(repeats):
            started = time.perf_counter()
            read_notes_file(notes)
            parse.append(time.perf_counter() - started)
            settings = Settings(
                _env_file=None,
                data_dir=Path(tmp) / f"db{i}",  # type: ignore[call-arg]
                load_default_material=False,
            )
            database = open_database(settings)
            for bucket in (first, again):
                started = time.perf_counter()
                with database.session() as session:
                    import_notes_file(
                        session=session, user_id=ensure_local_user(session=session).id, path=notes
                    )
                bucket.append(time.perf_counter() - started)
            database.dispose()
    return {
        "questions": questions,
        "file_mb": round(size_mb, 2),
        "parse_s_median": round(statistics.median(parse), 3),
        "import_new_s_median": round(statistics.median(first), 3),
        "reimport_unchanged_s_median": round(statistics.median(again), 3),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_start(repeats: int) -> dict[str, float]:
    """Median seconds from `mock-interview serve` to /healthz answering, and to grading ready."""
    serving, ready = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            port = _free_port()
            env = os.environ | {"DATA_DIR": tmp, "PORT": str(port)}
            started = time.perf_counter()
            process = subprocess.Popen(
                [str(Path(sys.executable).parent / "mock-interview"), "serve"],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                first_answer = None
                while time.perf_counter() - started < 120:
                    try:
                        with urllib.request.urlopen(
                            f"http://127.0.0.1:{port}/healthz", timeout=2
                        ) as response:
                            body = json.load(response)
                    except OSError:
                        time.sleep(0.05)
                        continue
                    now = time.perf_counter() - started
                    first_answer = first_answer or now
                    if body["grader"]["ready"]:
                        ready.append(now)
                        break
                    time.sleep(0.05)
                if first_answer:
                    serving.append(first_answer)
            finally:
                process.terminate()
                process.wait(timeout=10)
    return {
        "serving_s_median": round(statistics.median(serving), 2),
        "grader_ready_s_median": round(statistics.median(ready), 2) if ready else float("nan"),
        "runs": repeats,
    }


def main() -> None:
    """Run both benchmarks and print JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "import": bench_import(args.questions, args.repeats),
                "start": bench_start(args.repeats),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
