"""Delivery: speaking time, pace, filler words and long pauses, read from word timings.

The ranges come from interview and speaking coaches; docs/voice.md lists the sources:
- pace: 130-160 words per minute (SimplyHired and Impact Interview give 130-150 for
  conversation; Huru and Cruit 140-160 for interviews);
- length: one to two minutes for most answers (Climb the Ladder, Artisan Creative,
  Mythic Intel's "two-minute answer");
- fillers: up to about five a minute carry no measurable penalty for listeners (Speech Away,
  citing Laske et al. 2024); past six a minute "it's probably a problem" (Recipient Labs);
- pauses: a deliberate pause of up to about three seconds between points reads as thinking
  (Cruit), so only silences longer than that are reported.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from app.voice.model import SAMPLE_RATE, Word

PACE_RANGE = (130, 160)
LENGTH_RANGE_S = (60, 120)
FILLERS_PER_MINUTE_OK = 5.0
LONG_PAUSE_S = 3.0

# Always fillers: sounds, and "basically" (nearly never needed in an answer).
_SOUNDS = {
    "um": "um",
    "umm": "um",
    "ummm": "um",
    "uh": "uh",
    "uhh": "uh",
    "uhm": "um",
    "er": "er",
    "erm": "er",
    "ah": "ah",
    "hmm": "hmm",
    "mm": "hmm",
    "basically": "basically",
}
# "like" and "you know" are fillers only when set off from the sentence ("it's, like, ...");
# "models like BERT" and "do you know why" are not.
_SET_OFF = {"like"}
_WORD = re.compile(r"[^a-z']+")


def _clean(text: str) -> str:
    """A word as shown: without the punctuation Whisper attaches ("-attention." -> "attention")."""
    return text.strip(" ,.;:!?-\"'") or text


def _bare(text: str) -> str:
    return _WORD.sub("", text.lower())


def _set_off(words: Sequence[Word], index: int, last: int) -> bool:
    """True when words[index..last] has a comma or a pause before or after it."""
    before = words[index - 1].text.rstrip() if index > 0 else ""
    after = words[last].text.rstrip()
    gap_before = index > 0 and words[index].start - words[index - 1].end > 0.3
    at_start = index == 0 or before.endswith((",", ".", "?", "!", "...", "-"))
    return at_start or gap_before or after.endswith((",", ".", "?", "!", "..."))


def find_fillers(words: Sequence[Word]) -> list[tuple[str, float]]:
    """Each filler said, with when it started."""
    found: list[tuple[str, float]] = []
    index = 0
    while index < len(words):
        bare = _bare(words[index].text)
        if bare in _SOUNDS:
            found.append((_SOUNDS[bare], words[index].start))
        elif bare in _SET_OFF and _set_off(words, index, index):
            found.append((bare, words[index].start))
        elif (
            bare == "you"
            and index + 1 < len(words)
            and _bare(words[index + 1].text) == "know"
            and _set_off(words, index, index + 1)
        ):
            found.append(("you know", words[index].start))
            index += 1
        index += 1
    return found


@dataclass(frozen=True)
class Pause:
    """A silence between two words."""

    after: str
    at_s: float
    duration_s: float


@dataclass(frozen=True)
class Delivery:
    """How an answer was spoken: the figures, with no judgement in them."""

    duration_s: float
    speaking_s: float
    word_count: int
    fillers: dict[str, int] = field(default_factory=dict)
    long_pauses: list[Pause] = field(default_factory=list)

    @property
    def words_per_minute(self) -> float | None:
        """Pace over the time from the first word to the last; None for too little speech."""
        if self.speaking_s < 5 or self.word_count < 5:
            return None
        return round(self.word_count / self.speaking_s * 60, 1)

    @property
    def filler_count(self) -> int:
        """Fillers said, all kinds together."""
        return sum(self.fillers.values())

    @property
    def fillers_per_minute(self) -> float | None:
        """Fillers per minute of speaking."""
        if self.speaking_s < 5:
            return None
        return round(self.filler_count / self.speaking_s * 60, 1)

    def as_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready values, derived ones included."""
        return {
            "duration_s": round(self.duration_s, 2),
            "speaking_s": round(self.speaking_s, 2),
            "word_count": self.word_count,
            "words_per_minute": self.words_per_minute,
            "filler_count": self.filler_count,
            "fillers": dict(self.fillers),
            "fillers_per_minute": self.fillers_per_minute,
            "long_pauses": [
                {"after": p.after, "at_s": round(p.at_s, 2), "duration_s": round(p.duration_s, 2)}
                for p in self.long_pauses
            ],
        }


FRAME_S = 0.03
# A frame is silent when it is 26 dB below the loud end of the recording's speech: room noise
# in a laptop microphone sits well below that, soft syllables above it.
SILENCE_BELOW_P95 = 0.05


def silent_spans(samples: np.ndarray, *, min_s: float) -> list[tuple[float, float]]:
    """(start, end) in seconds of every stretch of silence at least `min_s` long."""
    frame = int(FRAME_S * SAMPLE_RATE)
    count = len(samples) // frame
    if count == 0:
        return []
    frames = samples[: count * frame].astype(np.float32).reshape(count, frame)
    rms = np.sqrt(np.mean(frames * frames, axis=1))
    loud = float(np.percentile(rms, 95))
    if loud <= 0:
        return [(0.0, count * FRAME_S)] if count * FRAME_S >= min_s else []
    quiet = rms < loud * SILENCE_BELOW_P95
    spans = []
    start: int | None = None
    for index, is_quiet in enumerate([*quiet.tolist(), False]):
        if is_quiet and start is None:
            start = index
        elif not is_quiet and start is not None:
            if (index - start) * FRAME_S >= min_s:
                spans.append((start * FRAME_S, index * FRAME_S))
            start = None
    return spans


def _long_pauses(spoken: Sequence[Word], samples: np.ndarray | None) -> list[Pause]:
    """Long silences between the first word and the last.

    Whisper stretches a word's end over the silence after it, so when the audio is at hand the
    silence is measured in the audio and the words only say where it falls.
    """
    if samples is None:
        return [
            Pause(after=_clean(before.text), at_s=before.end, duration_s=after.start - before.end)
            for before, after in itertools.pairwise(spoken)
            if after.start - before.end > LONG_PAUSE_S
        ]
    first, last = spoken[0].start, spoken[-1].end
    pauses = []
    for start, end in silent_spans(samples, min_s=LONG_PAUSE_S):
        start, end = max(start, first), min(end, last)
        if end - start <= LONG_PAUSE_S:
            continue
        before = [w for w in spoken if w.start < start]
        after = _clean(before[-1].text if before else spoken[0].text)
        pauses.append(Pause(after=after, at_s=start, duration_s=end - start))
    return pauses


def measure_delivery(
    words: Sequence[Word], *, duration_s: float, samples: np.ndarray | None = None
) -> Delivery:
    """Delivery figures of one recording from its word timings (and its samples, for pauses)."""
    spoken = [w for w in words if w.text.strip()]
    if not spoken:
        return Delivery(duration_s=duration_s, speaking_s=0.0, word_count=0)
    counts: dict[str, int] = {}
    for name, _at in find_fillers(spoken):
        counts[name] = counts.get(name, 0) + 1
    pauses = _long_pauses(spoken, samples)
    return Delivery(
        duration_s=duration_s,
        speaking_s=max(0.0, spoken[-1].end - spoken[0].start),
        word_count=len(spoken),
        fillers=counts,
        long_pauses=pauses,
    )


def combine(deliveries: Iterable[Delivery]) -> Delivery | None:
    """One answer's delivery over the recordings it was spoken in (None for none)."""
    parts = list(deliveries)
    if not parts:
        return None
    fillers: dict[str, int] = {}
    for part in parts:
        for name, count in part.fillers.items():
            fillers[name] = fillers.get(name, 0) + count
    return Delivery(
        duration_s=sum(p.duration_s for p in parts),
        speaking_s=sum(p.speaking_s for p in parts),
        word_count=sum(p.word_count for p in parts),
        fillers=fillers,
        long_pauses=[pause for p in parts for pause in p.long_pauses],
    )


@dataclass(frozen=True)
class DeliveryNote:
    """One line of feedback: which aspect, whether it is in range, and what to do."""

    aspect: str
    status: str  # "good" or "work_on"
    figure: str
    message: str


def _minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def assess(delivery: Delivery) -> list[DeliveryNote]:
    """Feedback on length, pace, fillers and pauses against what coaches recommend."""
    notes: list[DeliveryNote] = []
    low, high = LENGTH_RANGE_S
    spoken = delivery.speaking_s
    if spoken < low:
        length = ("work_on", "Short for an interview answer: coaches suggest one to two minutes.")
    elif spoken > high:
        length = ("work_on", "Long: most answers land best within two minutes; lead with it.")
    else:
        length = ("good", "Within the one to two minutes coaches suggest.")
    notes.append(DeliveryNote("Speaking time", length[0], _minutes(spoken), length[1]))
    wpm = delivery.words_per_minute
    if wpm is not None:
        slow, fast = PACE_RANGE
        if wpm < slow:
            pace = ("work_on", f"Slower than the {slow}-{fast} words a minute coaches recommend.")
        elif wpm > fast:
            pace = ("work_on", f"Faster than {slow}-{fast} words a minute; slow down and pause.")
        else:
            pace = ("good", f"In the {slow}-{fast} words a minute coaches recommend.")
        notes.append(DeliveryNote("Pace", pace[0], f"{wpm:.0f} words/min", pace[1]))
    per_minute = delivery.fillers_per_minute
    if per_minute is not None:
        said = ", ".join(f"{name} ×{n}" for name, n in sorted(delivery.fillers.items()))
        if per_minute > FILLERS_PER_MINUTE_OK:
            filler = ("work_on", f"More than {FILLERS_PER_MINUTE_OK:g} a minute: pause instead.")
        elif delivery.filler_count:
            filler = ("good", f"Few enough that listeners will not notice ({said}).")
        else:
            filler = ("good", "None heard.")
        if delivery.filler_count and filler[0] == "work_on":
            filler = (filler[0], f"{filler[1]} ({said})")
        notes.append(DeliveryNote("Filler words", filler[0], f"{per_minute:g} a minute", filler[1]))
    pauses = delivery.long_pauses
    if pauses:
        longest = max(p.duration_s for p in pauses)
        message = (
            f"Silences over {LONG_PAUSE_S:g} s (longest {longest:.1f} s): a short pause reads as "
            "thinking, a long one as lost; say what you are weighing."
        )
        notes.append(DeliveryNote("Long pauses", "work_on", str(len(pauses)), message))
    else:
        notes.append(
            DeliveryNote("Long pauses", "good", "0", f"No silence over {LONG_PAUSE_S:g} s.")
        )
    return notes
