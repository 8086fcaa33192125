"""Speech to text: load time, real-time factor, peak memory and word error rate.

Speaks day-1 reference answers with espeak-ng (the same synthetic set as the tests, more of
it), transcribes each with every configuration asked for, and prints one row per configuration:

    python bench/voice.py                      # tiny.en int8 (the default) and float32
    python bench/voice.py --answers 4 --json   # fewer answers, machine-readable

Each configuration runs in a fresh process so that load time and peak memory are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.voice.accuracy import word_error_rate  # noqa: E402
from tests.speech import day1_answers, speak, write_wav  # noqa: E402

RTF_TARGET = 0.25


def measure(
    model: str, compute_type: str, keep_fillers: bool, files: list[dict[str, Any]]
) -> dict[str, Any]:
    """Load the model and transcribe every file, in this process."""
    from app.voice.audio import decode_audio
    from app.voice.model import Transcriber

    started = time.perf_counter()
    transcriber = Transcriber(model, compute_type=compute_type, keep_fillers=keep_fillers)
    transcriber.load()
    load_s = time.perf_counter() - started
    rows = []
    for item in files:
        data = Path(item["path"]).read_bytes()
        audio = decode_audio(data, "audio/wav", max_bytes=10**9, max_seconds=3600)
        began, began_cpu = time.perf_counter(), time.process_time()
        transcript = transcriber.transcribe(audio.samples)
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - began_cpu
        rows.append(
            {
                "seconds": audio.duration_s,
                "elapsed_s": elapsed,
                "rtf": elapsed / audio.duration_s,
                "cpu_s": cpu,
                "wer": word_error_rate(item["text"], transcript.text),
            }
        )
    total_audio = sum(r["seconds"] for r in rows)
    total_elapsed = sum(r["elapsed_s"] for r in rows)
    return {
        "model": model,
        "compute_type": compute_type,
        "keep_fillers": keep_fillers,
        "answers": len(rows),
        "audio_s": round(total_audio, 1),
        "load_s": round(load_s, 2),
        "rtf": round(total_elapsed / total_audio, 3),
        "rtf_median": round(statistics.median(r["rtf"] for r in rows), 3),
        # CPU time over audio time does not depend on what else the machine is doing; on an
        # idle machine the real-time factor is about this divided by the cores used.
        "cpu_per_audio_s": round(sum(r["cpu_s"] for r in rows) / total_audio, 3),
        "wer_mean": round(statistics.mean(r["wer"] for r in rows), 3),
        "wer_max": round(max(r["wer"] for r in rows), 3),
        # ru_maxrss is in KiB on Linux.
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    """Build the synthetic set, run each configuration in its own process, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=8, help="day-1 answers to speak")
    parser.add_argument(
        "--config",
        action="append",
        metavar="MODEL:COMPUTE[:fillers]",
        help="a configuration (repeatable); default tiny.en:int8 and tiny.en:float32",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        job = json.loads(args.child)
        print(json.dumps(measure(job["model"], job["compute"], job["fillers"], job["files"])))
        return 0

    configs = args.config or ["tiny.en:int8", "tiny.en:float32", "tiny.en:int8:fillers"]
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as folder:
        files = []
        for index, (_question, text) in enumerate(day1_answers(args.answers)):
            path = write_wav(Path(folder) / f"answer{index}.wav", speak(text))
            files.append({"path": str(path), "text": text})
        print(f"spoke {len(files)} day-1 answers with espeak-ng", file=sys.stderr)
        results = []
        for config in configs:
            model, compute, *rest = config.split(":")
            fillers = rest == ["fillers"]
            job = {"model": model, "compute": compute, "fillers": fillers, "files": files}
            print(f"running {config}…", file=sys.stderr)
            out = subprocess.run(
                [sys.executable, __file__, "--child", json.dumps(job)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "HF_HUB_OFFLINE": "1"},
            ).stdout
            results.append(json.loads(out.strip().splitlines()[-1]))
            print(json.dumps(results[-1]), file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"CPU cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}")
    header = "| model | compute | um/uh prompt | answers (audio) | load | RTF | RTF median | CPU s / audio s | WER mean | WER max | peak RSS |"  # noqa: E501
    print(header)
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        flag = "ok" if r["rtf"] <= RTF_TARGET else f"over {RTF_TARGET}"
        print(
            f"| {r['model']} | {r['compute_type']} | {'yes' if r['keep_fillers'] else 'no'} "
            f"| {r['answers']} ({r['audio_s']} s) | {r['load_s']} s | {r['rtf']} ({flag}) "
            f"| {r['rtf_median']} | {r['cpu_per_audio_s']} | {r['wer_mean']:.1%} "
            f"| {r['wer_max']:.1%} | {r['peak_rss_mb']} MB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
