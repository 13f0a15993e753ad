"""Turn ids, cancellation and the per-turn timeline of layer timestamps."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Names of the marks on a turn's timeline, in pipeline order.
MARKS = (
    "speech_start",
    "speech_end",  # the true end of the visitor's speech (the reference for every latency)
    "vad_speech_end",  # where voice activity detection put it
    "thinking_cue",  # the visitor's pause was noticed: the avatar shows it is thinking
    "speculative_start",  # recognition began during the trailing silence
    "endpoint",  # end-of-speech silence complete: the turn is confirmed
    "asr_final",
    "llm_first_token",
    "first_clause",
    "tts_first_chunk",
    "first_audio_out",  # first reply sample handed to the speaker
    "turn_end",  # last reply sample played
)


class Timeline:
    """Monotonic timestamps (time.monotonic seconds) of the marks of one turn."""

    def __init__(self, turn: int) -> None:
        self.turn = turn
        self._marks: dict[str, float] = {}
        self._lock = threading.Lock()

    def mark(self, name: str, at: float | None = None, *, overwrite: bool = False) -> None:
        with self._lock:
            if overwrite or name not in self._marks:
                self._marks[name] = time.monotonic() if at is None else at

    def get(self, name: str) -> float | None:
        with self._lock:
            return self._marks.get(name)

    def relative(self, origin: str = "speech_end") -> dict[str, float]:
        """Every mark in seconds after ``origin`` (negative: before it)."""
        with self._lock:
            zero = self._marks.get(origin)
            if zero is None:
                return {}
            return {name: round(self._marks[name] - zero, 4) for name in MARKS if name in self._marks}


class TurnControl:
    """Hands out turn ids and knows which turns are cancelled.

    Stages call ``is_live(turn)`` before and during work; ``cancel`` is cheap and callable from any
    thread (the barge-in path).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 1
        self._cancelled: dict[int, threading.Event] = {}
        self._listeners: list[Callable[[int], None]] = []
        self.timelines: dict[int, Timeline] = {}

    def new_turn(self) -> int:
        with self._lock:
            turn = self._next
            self._next += 1
            self._cancelled[turn] = threading.Event()
            self.timelines[turn] = Timeline(turn)
            # keep memory flat over thousands of turns
            for old in [t for t in self._cancelled if t < turn - 16]:
                self._cancelled.pop(old, None)
                self.timelines.pop(old, None)
            return turn

    def timeline(self, turn: int) -> Timeline:
        with self._lock:
            return self.timelines.setdefault(turn, Timeline(turn))

    def on_cancel(self, callback: Callable[[int], None]) -> None:
        self._listeners.append(callback)

    def cancel(self, turn: int) -> None:
        with self._lock:
            event = self._cancelled.get(turn)
            if event is None or event.is_set():
                return
            event.set()
        for callback in self._listeners:
            callback(turn)

    def cancel_all(self) -> None:
        with self._lock:
            live = [t for t, e in self._cancelled.items() if not e.is_set()]
        for turn in live:
            self.cancel(turn)

    def is_live(self, turn: int) -> bool:
        with self._lock:
            event = self._cancelled.get(turn)
        return event is not None and not event.is_set()

    def cancelled_event(self, turn: int) -> threading.Event:
        with self._lock:
            event = self._cancelled.get(turn)
        if event is None:
            event = threading.Event()
            event.set()
        return event
