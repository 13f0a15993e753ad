"""The reply's audio on its way to the speaker, and the playback clock lip-sync follows.

Stages ``enqueue`` SpeechChunks (already at the output rate); the sink's thread or audio callback
calls ``read`` for each block it sends to the device. ``read`` only copies (never computes), and it
is the one place that knows which sample is playing: ``position()`` is the clock for the mouth.

A turn's chunks are held until ``release(turn)``: a speculative answer is prepared while the visitor
might still go on talking, and only becomes audible once the end of speech is confirmed.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from kiosk.pipeline.messages import EndOfAnswer, SpeechChunk


@dataclass(frozen=True, slots=True)
class PlaybackPosition:
    turn: int
    chunk: SpeechChunk
    seconds: float  # into ``chunk``, as of the last block handed to the device


class PlaybackBuffer:
    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._lock = threading.Lock()
        self._queue: deque[SpeechChunk | EndOfAnswer] = deque()
        self._released: set[int] = set()
        self._current: SpeechChunk | None = None
        self._offset = 0  # samples of _current already read
        self._started: set[int] = set()
        self.samples_played = 0  # total samples handed to the device, silence included
        self._paused = False  # a visitor may be starting to talk over the reply: silence, keep the place
        # callbacks(turn, monotonic time): run on the sink's thread, must be quick
        self.on_first_audio: Callable[[int, float], None] | None = None
        self.on_chunk_start: Callable[[SpeechChunk, float], None] | None = None
        self.on_turn_end: Callable[[int, float], None] | None = None

    def enqueue(self, item: SpeechChunk | EndOfAnswer) -> None:
        with self._lock:
            self._queue.append(item)

    def release(self, turn: int) -> None:
        with self._lock:
            self._released.add(turn)
            if len(self._released) > 64:
                self._released = {t for t in self._released if t >= turn - 8}

    def drop(self, turn: int) -> int:
        """Forget everything of ``turn``, including what is playing now. Returns samples dropped."""
        with self._lock:
            dropped = sum(len(c.audio) for c in self._queue if isinstance(c, SpeechChunk) and c.turn == turn)
            self._queue = deque(item for item in self._queue if item.turn != turn)
            if self._current is not None and self._current.turn == turn:
                dropped += len(self._current.audio) - self._offset
                self._current = None
                self._offset = 0
            self._released.discard(turn)
            return dropped

    def pause(self) -> None:
        """Go silent at once but keep the place (the mouth closes); ``resume`` carries on from there."""
        with self._lock:
            self._paused = True

    def resume(self) -> None:
        with self._lock:
            self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def drop_all(self) -> None:
        with self._lock:
            self._queue.clear()
            self._current = None
            self._offset = 0

    @property
    def speaking(self) -> bool:
        """True while reply audio is playing or released and waiting."""
        with self._lock:
            return self._current is not None or any(
                isinstance(c, SpeechChunk) and c.turn in self._released for c in self._queue
            )

    def position(self) -> PlaybackPosition | None:
        with self._lock:
            if self._current is None or self._paused:
                return None
            return PlaybackPosition(self._current.turn, self._current, self._offset / self.sample_rate)

    def read(self, frames: int, at: float | None = None) -> np.ndarray:
        """The next ``frames`` samples to play (zeros where nothing is ready). Called per device block.

        ``at`` is when the block's first sample will leave the speaker (monotonic seconds).
        """
        now = time.monotonic() if at is None else at
        out = np.zeros(frames, dtype=np.float32)
        filled = 0
        events: list[tuple[Callable, tuple]] = []
        with self._lock:
            while filled < frames and not self._paused:
                if self._current is None and not self._next(events, now + filled / self.sample_rate):
                    break
                chunk = self._current
                assert chunk is not None
                take = min(frames - filled, len(chunk.audio) - self._offset)
                out[filled : filled + take] = chunk.audio[self._offset : self._offset + take]
                filled += take
                self._offset += take
                if self._offset >= len(chunk.audio):
                    self._current = None
                    self._offset = 0
            self.samples_played += frames
        for callback, args in events:
            callback(*args)
        return out

    def _next(self, events: list, when: float) -> bool:
        """Move the next playable item to _current (lock held). False: nothing to play yet."""
        while self._queue:
            head = self._queue[0]
            if head.turn not in self._released:
                return False
            self._queue.popleft()
            if isinstance(head, EndOfAnswer):
                self._started.discard(head.turn)
                if self.on_turn_end:
                    events.append((self.on_turn_end, (head.turn, when)))
                continue
            if len(head.audio) == 0:
                continue
            self._current = head
            self._offset = 0
            if head.turn not in self._started:
                self._started.add(head.turn)
                if len(self._started) > 64:
                    self._started = {t for t in self._started if t >= head.turn - 8}
                if self.on_first_audio:
                    events.append((self.on_first_audio, (head.turn, when)))
            if self.on_chunk_start:
                events.append((self.on_chunk_start, (head, when)))
            return True
        return False
