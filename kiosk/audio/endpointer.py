"""Deciding where a visitor's utterance starts and ends, from per-frame speech probabilities.

Pure logic (no threads, no models) so it is tested by handing it probabilities. Events:
- ``start``: speech lasted ``min_speech_s``; ``audio`` holds it plus a short pre-roll.
- ``early``: the silence after speech reached ``early_start_s``; recognition and the answer may
  start now, speculatively.
- ``resume``: speech came back after ``early``: the speculative start is void.
- ``end``: the silence reached ``end_of_speech_s`` (or the visitor talked for ``max_listen_s``):
  the utterance is complete.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from kiosk.audio.config import ListeningSettings
from kiosk.audio.vad import FRAME
from kiosk.pipeline.messages import PIPELINE_RATE

FRAME_S = FRAME / PIPELINE_RATE
PREROLL_S = 0.5  # audio kept from before the detected start (the first words of an interruption too)
HYSTERESIS = 0.15  # once speaking, probabilities down to threshold - HYSTERESIS still count as speech
# Speech probability needed to start an utterance while the avatar speaks (and just after). On
# echo-cancelled room recordings 0.85 missed a third of real interruptions; 0.4-0.6 started on none
# of the avatar's own echo (tests/app/test_room.py records the room this was measured on).
STRICT_THRESHOLD = 0.6


@dataclass(frozen=True, slots=True)
class EndpointEvent:
    kind: str  # "start" | "early" | "resume" | "end"
    time: float  # capture time of the frame that caused it
    audio: np.ndarray | None = None  # "early" and "end": the utterance so far, trailing silence included
    speech_end: float | None = None  # "early" and "end": capture time of the last voiced frame


class Endpointer:
    def __init__(self, settings: ListeningSettings) -> None:
        self.settings = settings
        self._frames_needed = max(1, round(settings.min_speech_s / FRAME_S))
        self._strict_frames = max(self._frames_needed, round(settings.barge_in_min_speech_s / FRAME_S))
        # While the avatar speaks, what reaches the microphone is mostly its own (echo-cancelled)
        # voice: a new utterance then needs a clearer and longer voice to start.
        self.strict = False
        self._early_frames = max(1, round(settings.early_start_s / FRAME_S))
        self._end_frames = max(self._early_frames, round(settings.end_of_speech_s / FRAME_S))
        self._max_frames = round(settings.max_listen_s / FRAME_S)
        self._keep_frames = round(settings.max_utterance_s / FRAME_S)
        self._preroll: deque[np.ndarray] = deque(maxlen=round(PREROLL_S / FRAME_S) + self._frames_needed)
        self.reset()

    def reset(self) -> None:
        self.speaking = False
        self._voiced_run = 0
        self._gap = 0
        self._silence = 0
        self._early_sent = False
        self._frames: deque[np.ndarray] = deque(maxlen=self._keep_frames)
        self._count = 0
        self._last_voiced = 0.0
        self._preroll.clear()

    @property
    def speech_duration(self) -> float:
        """Seconds since the current utterance started (0 when not speaking)."""
        return self._count * FRAME_S if self.speaking else 0.0

    @property
    def silence_s(self) -> float:
        """Seconds of silence since the current utterance's last voiced frame (0 when not speaking)."""
        return self._silence * FRAME_S if self.speaking else 0.0

    def _utterance(self) -> np.ndarray:
        return np.concatenate(list(self._frames)) if self._frames else np.zeros(0, np.float32)

    def idle(self, frame: np.ndarray) -> None:
        """Push-to-talk, button up: only keep the pre-roll."""
        self._preroll.append(frame)

    def hold(self, frame: np.ndarray, time: float) -> list[EndpointEvent]:
        """Push-to-talk, button held: everything is part of the utterance."""
        events = []
        if not self.speaking:
            self.speaking = True
            self._frames.extend(self._preroll)
            self._count = len(self._preroll)
            self._preroll.clear()
            events.append(EndpointEvent("start", time, self._utterance()))
        self._frames.append(frame)
        self._count += 1
        self._last_voiced = time
        return events

    def release(self, time: float) -> list[EndpointEvent]:
        """Push-to-talk, button released: the utterance ends now."""
        if not self.speaking:
            return []
        event = EndpointEvent("end", time, self._utterance(), speech_end=self._last_voiced)
        self.reset()
        return [event]

    def push(self, frame: np.ndarray, probability: float, time: float) -> list[EndpointEvent]:
        threshold = max(self.settings.vad_threshold, STRICT_THRESHOLD) if self.strict else self.settings.vad_threshold
        needed = self._strict_frames if self.strict else self._frames_needed
        events: list[EndpointEvent] = []
        if not self.speaking:
            self._preroll.append(frame)
            if probability >= threshold:
                self._voiced_run += 1
                self._gap = 0
                self._last_voiced = time
            elif self._voiced_run:
                self._gap += 1
                if self._gap > 2:  # a short dip inside the first syllables is tolerated
                    self._voiced_run = 0
                    self._gap = 0
            if self._voiced_run >= needed:
                self.speaking = True
                self._frames.extend(self._preroll)
                self._count = len(self._preroll)
                self._preroll.clear()
                self._silence = 0
                self._early_sent = False
                events.append(EndpointEvent("start", time, self._utterance()))
            return events

        self._frames.append(frame)
        self._count += 1
        if probability >= threshold - HYSTERESIS:
            self._last_voiced = time
            self._silence = 0
            if self._early_sent:
                self._early_sent = False
                events.append(EndpointEvent("resume", time))
        else:
            self._silence += 1
        if self._count >= self._max_frames:
            audio = self._utterance()
            events.append(EndpointEvent("end", time, audio, speech_end=self._last_voiced))
            self.reset()
            return events
        if self._silence == self._early_frames and not self._early_sent and self._early_frames < self._end_frames:
            self._early_sent = True
            events.append(EndpointEvent("early", time, self._utterance(), speech_end=self._last_voiced))
        if self._silence >= self._end_frames:
            events.append(EndpointEvent("end", time, self._utterance(), speech_end=self._last_voiced))
            self.reset()
        return events
