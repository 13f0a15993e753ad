"""One spoken turn from a WAV file, without screen or sound card (``kiosk converse``, tests, bench).

The recording is fed at real-time pace as if it came from a microphone; the reply goes to a virtual
speaker that also runs at real-time pace, so every timestamp is what a visitor would experience.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.audio.sinks import VirtualSpeaker
from kiosk.audio.sources import FrameQueue, WavFeeder
from kiosk.audio.wavio import speech_bounds
from kiosk.pipeline.conversation import Conversation
from kiosk.pipeline.messages import SpeechChunk, TurnEvent

TAIL_S = 4.0  # silence fed after the recording, so the end of speech can be detected


@dataclass
class TurnResult:
    outcome: str  # "answered" | "no_speech" | "timeout"
    source: str = ""  # "llm": the language model answered; "direct": a curated answer or fixed line
    kind: str = ""  # for "direct": "curated" (a staff answer), "unknown", "decline", ...
    transcript: str = ""
    reply: str = ""
    marks: dict[str, float] = field(default_factory=dict)  # seconds after the end of speech
    reply_audio: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    sample_rate: int = 22050
    phonemes: list[dict[str, object]] = field(default_factory=list)
    clauses: list[dict[str, object]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def timeline_json(self, extra: dict[str, object] | None = None) -> dict[str, object]:
        return {
            "outcome": self.outcome,
            "transcript": self.transcript,
            "reply": self.reply,
            "times_s": self.marks,
            "latency_s": self.marks.get("first_audio_out"),
            "answer_source": self.source,
            "sample_rate": self.sample_rate,
            "reply_duration_s": round(len(self.reply_audio) / self.sample_rate, 3),
            "clauses": self.clauses,
            "phonemes": self.phonemes,
            "errors": self.errors,
            **(extra or {}),
        }


class HeadlessSession:
    """A loaded Conversation with a frame queue and a virtual speaker, reusable across turns."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.frames = FrameQueue()
        conversation.start(self.frames)
        assert conversation.playback is not None
        self.speaker = VirtualSpeaker(conversation.playback)
        self.speaker.start()
        self._events: list[TurnEvent] = []
        self._changed = threading.Condition()
        conversation.observers.append(self._observe)

    def _observe(self, event: TurnEvent) -> None:
        with self._changed:
            self._events.append(event)
            self._changed.notify_all()

    def close(self) -> None:
        self.speaker.stop()
        self.conversation.stop()

    def run(self, audio: np.ndarray, rate: int, timeout_s: float = 60.0) -> TurnResult:
        """Feed one recording and wait for its answer to finish playing."""
        bounds = speech_bounds(audio, rate)
        padded = np.concatenate([audio, np.zeros(int(TAIL_S * rate), np.float32)])
        with self._changed:
            self._events.clear()
        recorded_from = len(self.speaker.recording)
        feeder = WavFeeder(padded, rate, self.frames, speech_end_s=bounds[1] if bounds else None)
        feeder.start()
        deadline = time.monotonic() + len(padded) / rate + timeout_s
        done_turn = None
        with self._changed:
            while time.monotonic() < deadline:
                done = [e for e in self._events if e.kind == "done"]
                if done:
                    done_turn = done[-1].turn
                    break
                if feeder.finished.is_set() and not self._turn_in_progress():
                    break
                self._changed.wait(0.05)
        feeder.stop()
        events = list(self._events)
        result = TurnResult("timeout", sample_rate=self.speaker.buffer.sample_rate)
        result.events = [e.kind for e in events]
        result.errors = [str(e.data.get("message")) for e in events if e.kind == "error"]
        transcripts = [e for e in events if e.kind == "transcript"]
        if done_turn is None:
            result.outcome = "no_speech" if not transcripts else "timeout"
            if transcripts:
                result.transcript = str(transcripts[-1].data["text"])
            return result
        turn = done_turn
        result.outcome = "answered"
        result.transcript = next((str(e.data["text"]) for e in transcripts if e.turn == turn), "")
        result.reply = next((str(e.data["text"]) for e in events if e.kind == "reply" and e.turn == turn), "")
        source = next((e.data for e in events if e.kind == "answer_source" and e.turn == turn), {})
        result.source = str(source.get("source", ""))
        result.kind = str(source.get("kind", result.source))
        timeline = self.conversation.turns.timeline(turn)
        if bounds is not None and feeder.speech_end_time is not None:
            timeline.mark("speech_end", feeder.speech_end_time, overwrite=True)
        result.marks = timeline.relative("speech_end")
        first = timeline.get("first_audio_out")
        end = timeline.get("turn_end")
        chunks = [e for e in events if e.kind == "chunk" and e.turn == turn]
        if first is not None and end is not None:
            result.reply_audio = self._recorded(recorded_from, first, end)
            for event in chunks:
                chunk = event.data["chunk"]
                assert isinstance(chunk, SpeechChunk)
                offset = float(event.data["at"]) - first  # type: ignore[arg-type]
                result.clauses.append({"text": chunk.text, "start": round(offset, 4), "duration": round(chunk.duration, 4)})
                for p in chunk.phonemes:
                    result.phonemes.append(
                        {"phoneme": p.phoneme, "start": round(offset + p.start, 4), "duration": round(p.duration, 4)}
                    )
        return result

    def _turn_in_progress(self) -> bool:
        kinds = [e.kind for e in self._events if e.kind in ("listening", "no_speech", "transcript", "done")]
        return bool(kinds) and kinds[-1] != "no_speech"

    def _recorded(self, recorded_from: int, first: float, end: float) -> np.ndarray:
        """The played audio between two sink timestamps."""
        audio = np.concatenate(self.speaker.recording[recorded_from:]) if self.speaker.recording[recorded_from:] else np.zeros(0, np.float32)
        rate = self.speaker.buffer.sample_rate
        # VirtualSpeaker blocks are contiguous: locate the first non-zero sample at/after `first`.
        loud = np.flatnonzero(np.abs(audio) > 1e-6)
        if len(loud) == 0:
            return np.zeros(0, np.float32)
        start = int(loud[0])
        return audio[start : start + int(round((end - first) * rate))]


def write_timeline(path: Path, data: dict[str, object]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
