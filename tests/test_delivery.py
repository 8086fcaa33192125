"""Delivery figures and feedback from word timings and audio, without a speech model."""

from __future__ import annotations

import numpy as np
import pytest

from app.voice.accuracy import word_error_rate
from app.voice.delivery import assess, combine, find_fillers, measure_delivery, silent_spans
from app.voice.model import SAMPLE_RATE, Word


def words(*timed: tuple[str, float]) -> list[Word]:
    """Words of 0.3 s each, starting at the given times."""
    return [Word(text=t, start=s, end=s + 0.3, probability=0.9) for t, s in timed]


def steady(count: int, *, per_minute: float, first: str = "word") -> list[Word]:
    """`count` words spoken evenly at `per_minute`."""
    step = 60 / per_minute
    return [
        Word(text=first if i == 0 else "word", start=i * step, end=i * step + step * 0.8,
             probability=0.9)
        for i in range(count)
    ]  # fmt: skip


def test_fillers_count_sounds_always_and_like_or_you_know_only_when_set_off() -> None:
    said = words(
        ("Um,", 0.0), ("models", 0.4), ("like", 0.8), ("BERT", 1.2), ("read,", 1.6),
        ("like,", 2.0), ("both", 2.4), ("directions.", 2.8), ("Do", 3.2), ("you", 3.6),
        ("know", 4.0), ("why?", 4.4), ("Basically,", 4.8), ("you", 5.2), ("know,", 5.6),
        ("uh", 6.0), ("context.", 6.4),
    )  # fmt: skip
    found = [name for name, _at in find_fillers(said)]
    assert found == ["um", "like", "basically", "you know", "uh"]


def test_long_pauses_come_from_the_audio_when_whisper_stretches_a_word() -> None:
    tone = (0.3 * np.sin(np.arange(SAMPLE_RATE * 2) * 2 * np.pi * 220 / SAMPLE_RATE)).astype(
        np.float32
    )
    samples = np.concatenate([tone, np.zeros(SAMPLE_RATE * 4, np.float32), tone])
    spans = silent_spans(samples, min_s=3.0)
    assert len(spans) == 1 and spans[0][0] == pytest.approx(2.0, abs=0.05)
    # Whisper would say the first word lasted until 5 s; the audio says the silence is 4 s.
    said = [
        Word("First", 0.0, 1.0, 0.9),
        Word("point.", 1.0, 5.0, 0.9),
        Word("Second", 6.0, 6.6, 0.9),
        Word("point.", 6.6, 8.0, 0.9),
    ]
    from_words = measure_delivery(said, duration_s=8.0)
    assert from_words.long_pauses == []
    from_audio = measure_delivery(said, duration_s=8.0, samples=samples)
    assert [(p.after, round(p.duration_s)) for p in from_audio.long_pauses] == [("point", 4)]


def test_pace_and_length_are_judged_against_the_coaches_ranges() -> None:
    good = measure_delivery(steady(225, per_minute=150), duration_s=92)
    notes = {n.aspect: n for n in assess(good)}
    assert good.words_per_minute == pytest.approx(150, abs=2)
    assert notes["Pace"].status == "good" and notes["Speaking time"].status == "good"
    assert notes["Filler words"].status == "good" and notes["Long pauses"].status == "good"

    rushed = measure_delivery(steady(100, per_minute=200, first="um"), duration_s=31)
    notes = {n.aspect: n for n in assess(rushed)}
    assert notes["Pace"].status == "work_on" and "Faster" in notes["Pace"].message
    assert notes["Speaking time"].status == "work_on"
    assert notes["Filler words"].status == "good"  # one "um" in half a minute

    slow = measure_delivery(steady(220, per_minute=100), duration_s=135)
    notes = {n.aspect: n for n in assess(slow)}
    assert notes["Pace"].status == "work_on" and "Slower" in notes["Pace"].message
    assert notes["Speaking time"].status == "work_on" and "Long" in notes["Speaking time"].message


def test_many_fillers_are_flagged_and_recordings_of_one_answer_add_up() -> None:
    chatty = [Word("um" if i % 5 == 0 else "word", i * 0.4, i * 0.4 + 0.3, 0.9) for i in range(150)]
    delivery = measure_delivery(chatty, duration_s=60)
    assert delivery.fillers == {"um": 30}
    assert delivery.fillers_per_minute is not None and delivery.fillers_per_minute > 25
    assert {n.aspect: n.status for n in assess(delivery)}["Filler words"] == "work_on"
    both = combine([delivery, delivery])
    assert both is not None
    assert both.fillers == {"um": 60} and both.word_count == 300
    assert both.words_per_minute == delivery.words_per_minute
    assert combine([]) is None


def test_nothing_said_gives_empty_figures_not_an_error() -> None:
    empty = measure_delivery([], duration_s=3.0)
    assert empty.word_count == 0 and empty.words_per_minute is None
    assert [n.aspect for n in assess(empty)] == ["Speaking time", "Long pauses"]


def test_word_error_rate() -> None:
    assert word_error_rate("Self-attention, in 2 words.", "self attention in two words") == 0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    assert word_error_rate("", "") == 0.0
