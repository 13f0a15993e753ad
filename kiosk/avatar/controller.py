"""The avatar's animation state: state, expression, idle life and the mouth, one frame at a time.

``AvatarController.update(now)`` is called on the Qt thread once per frame and only does arithmetic;
its result is the set of shader uniforms for that frame. The mouth follows the audio playback clock:
give the controller a clock (``set_clock``) returning ``PlaybackPosition | None`` (what
``PlaybackBuffer.position`` returns) and it reads the viseme track of the playing chunk at the position
actually heard. Tracks can be prepared ahead from any thread (``prepare``), so a frame never waits.
"""

from __future__ import annotations

import math
import random
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

import numpy as np

from kiosk.avatar.spec import EXPRESSIONS, FACE_KEYS, MOUTH_KEYS, STATES, AvatarSpec
from kiosk.lipsync.phonemes import VISEMES
from kiosk.lipsync.visemes import VisemeTrack, track_from_phonemes
from kiosk.pipeline.messages import SpeechChunk

# Shader uniforms by name, plus "visemes" (15 weights) and "expressions" (name -> weight) for mesh rigs.
Uniforms = dict[str, object]


class Position(Protocol):
    chunk: SpeechChunk
    seconds: float


Clock = Callable[[], Position | None]


def _approach(current: float, target: float, dt: float, tau: float) -> float:
    return target + (current - target) * math.exp(-dt / tau) if tau > 0 else target


class AvatarController:
    def __init__(self, spec: AvatarSpec, seed: int = 0, idle_life: bool = True) -> None:
        self.idle_life = idle_life
        self._rng = random.Random(seed)
        self.set_spec(spec)
        self.state = "idle"
        self.expression = "neutral"
        self.intensity = 1.0
        self._face = dict.fromkeys(FACE_KEYS, 0.0)
        self._expressions = {"neutral": 1.0}
        self._weights = np.zeros(len(VISEMES), np.float32)
        self._mouth = self._shapes[0].copy()
        self._visemes: np.ndarray | None = None
        self._clock: Clock | None = None
        self._latency = 0.0
        self._tracks: OrderedDict[int, tuple[SpeechChunk, VisemeTrack]] = OrderedDict()
        self._lock = threading.Lock()
        self._last: float | None = None
        self._gaze = [0.0, 0.0]
        self._gaze_target = (0.0, 0.0)
        self._next_saccade = 0.0
        self._blink_start = -10.0
        self._next_blink = 1.5
        self._talk = 0.0  # smoothed mouth opening, drives speaking head motion
        self._state_since = 0.0
        self._halo = 0.0

    # --- inputs (Qt thread unless noted) ---
    def set_spec(self, spec: AvatarSpec) -> None:
        """Use another avatar's viseme shapes and expressions (state and clock are kept)."""
        self.spec = spec
        self._shapes = np.array([[spec.visemes[v].get(k, 1.0 if k == "width" else 0.0) for k in MOUTH_KEYS]
                                 for v in VISEMES], np.float32)
        if getattr(self, "expression", "neutral") not in spec.expressions:
            self.expression = "neutral"

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"unknown state {state!r}; known: {', '.join(STATES)}")
        if state != self.state:
            self.state = state
            self._state_since = self._last or 0.0
            self._next_saccade = 0.0  # look somewhere fitting at once

    def set_expression(self, name: str, intensity: float = 1.0) -> None:
        if name not in self.spec.expressions:
            raise ValueError(f"unknown expression {name!r}; known: {', '.join(self.spec.expressions)}")
        self.expression, self.intensity = name, float(intensity)

    def set_clock(self, clock: Clock | None, latency_s: float = 0.0) -> None:
        """Follow ``clock`` (e.g. ``PlaybackBuffer.position``); ``latency_s``: device output latency."""
        self._clock, self._latency = clock, latency_s

    def set_visemes(self, weights: np.ndarray | None) -> None:
        """Show these 15 viseme weights now (overrides the clock until set back to None)."""
        self._visemes = None if weights is None else np.asarray(weights, np.float32)

    def prepare(self, chunk: SpeechChunk) -> VisemeTrack:
        """The chunk's viseme track, computed once (safe to call from the pipeline's thread)."""
        with self._lock:
            hit = self._tracks.get(id(chunk))
            if hit is not None and hit[0] is chunk:
                return hit[1]
        track = track_from_phonemes(chunk.phonemes, chunk.duration) if chunk.phonemes else VisemeTrack.silent(chunk.duration)
        with self._lock:
            self._tracks[id(chunk)] = (chunk, track)
            while len(self._tracks) > 32:
                self._tracks.popitem(last=False)
        return track

    def set_speech_position(self, chunk: SpeechChunk | None, seconds: float = 0.0) -> None:
        """Show the mouth for ``seconds`` into ``chunk`` (None: silence)."""
        self.set_visemes(None if chunk is None else self.prepare(chunk).at(seconds))

    # --- per frame ---
    def current_visemes(self) -> tuple[np.ndarray, bool]:
        """The viseme weights to show now, and whether they come from audio that is playing."""
        if self._visemes is not None:
            return self._visemes, True
        position = self._clock() if self._clock is not None else None
        if position is None:
            weights = np.zeros(len(VISEMES), np.float32)
            weights[0] = 1.0
            return weights, False
        return self.prepare(position.chunk).at(position.seconds - self._latency), True

    def update(self, now: float) -> Uniforms:
        dt = 0.0 if self._last is None else min(max(now - self._last, 0.0), 0.25)
        self._last = now
        weights, playing = self.current_visemes()
        self._weights = weights
        total = float(weights.sum())
        mouth = weights @ self._shapes + (max(0.0, 1.0 - total)) * self._shapes[0]
        if not playing:  # end of speech, a stall or a barge-in: the mouth relaxes shut
            self._mouth += (mouth - self._mouth) * (1.0 - math.exp(-dt / 0.06))
        else:
            self._mouth = mouth  # no smoothing on speech: the track is smooth and any lag shows
        self._talk = _approach(self._talk, float(self._mouth[0]), dt, 0.25)
        self._update_face(dt)
        return self._uniforms(now, dt)

    def _update_face(self, dt: float) -> None:
        target = dict.fromkeys(FACE_KEYS, 0.0)
        for key, value in self.spec.expressions.get("neutral", EXPRESSIONS["neutral"]).items():
            target[key] = value
        if self.expression != "neutral":
            for key, value in self.spec.expressions[self.expression].items():
                target[key] = target[key] * (1.0 - self.intensity) + value * self.intensity
        if self.state == "listening":
            target["brow_raise"] += 0.3
            target["tilt"] += 0.045
        elif self.state == "thinking":
            target["brow_squeeze"] += 0.4
            target["brow_inner"] += 0.15
        for key in FACE_KEYS:
            self._face[key] = _approach(self._face[key], target[key], dt, 0.12)
        for name in set(self._expressions) | {self.expression}:
            goal = self.intensity if name == self.expression else 0.0
            self._expressions[name] = _approach(self._expressions.get(name, 0.0), goal, dt, 0.12)

    def _idle(self, now: float) -> tuple[float, float, float, float, float, float]:
        """Head offset x/y, yaw, pitch, roll and breathing phase from slow incommensurate waves."""
        if not self.idle_life:
            return 0.0, 0.0, 0.0, 0.0, 0.0, 0.5
        s = math.sin
        breath = 0.5 + 0.5 * s(2.0 * math.pi * now / 4.3)
        yaw = 0.35 * s(0.37 * now) + 0.15 * s(0.91 * now + 1.3)
        pitch = 0.2 * s(0.29 * now + 0.4) + 0.1 * s(0.77 * now + 2.1)
        roll = 0.012 * s(0.23 * now + 0.7) + 0.006 * s(0.61 * now)
        if self.state == "speaking":
            pitch += 0.5 * self._talk * s(5.3 * now)
            yaw += 0.25 * self._talk * s(2.9 * now + 0.5)
        return 0.004 * s(0.21 * now), 0.01 * (breath - 0.5), yaw, pitch, roll, breath

    def _eyes(self, now: float, dt: float) -> tuple[float, float, float]:
        if self.idle_life and now >= self._next_saccade:
            rng = self._rng
            if self.state == "thinking":
                self._gaze_target = (0.55 + rng.uniform(-0.15, 0.15), 0.65 + rng.uniform(-0.1, 0.1))
                self._next_saccade = now + rng.uniform(0.8, 2.0)
            elif self.state in ("listening", "speaking"):
                self._gaze_target = (rng.gauss(0.0, 0.08), rng.gauss(0.0, 0.06))
                self._next_saccade = now + rng.uniform(0.6, 2.0)
            else:
                self._gaze_target = (rng.uniform(-0.55, 0.55), rng.uniform(-0.3, 0.35))
                self._next_saccade = now + rng.uniform(0.8, 3.0)
        elif not self.idle_life:
            self._gaze_target = (0.55, 0.65) if self.state == "thinking" else (0.0, 0.0)
        for i in (0, 1):
            self._gaze[i] = _approach(self._gaze[i], self._gaze_target[i], dt, 0.03)
        if self.idle_life and now >= self._next_blink:
            self._blink_start = now
            double = self._rng.random() < 0.15
            self._next_blink = now + (0.35 if double else self._rng.uniform(2.0, 5.5))
        phase = now - self._blink_start
        closure = 0.0
        if 0.0 <= phase < 0.07:
            closure = phase / 0.07
        elif 0.07 <= phase < 0.2:
            closure = 1.0 - (phase - 0.07) / 0.13
        openness = 1.0 - closure
        return self._gaze[0], self._gaze[1], openness

    def _uniforms(self, now: float, dt: float) -> Uniforms:
        hx, hy, yaw, pitch, roll, breath = self._idle(now)
        gx, gy, openness = self._eyes(now, dt)
        f = self._face
        lean = 0.01 if self.state == "listening" else 0.0
        halo_target = {"idle": 0.25, "listening": 1.0, "thinking": 0.8, "speaking": 0.45}[self.state]
        self._halo = _approach(self._halo, halo_target, dt, 0.1)
        halo_mode = {"listening": 1.0, "thinking": 2.0}.get(self.state, 0.0)
        m = self._mouth
        open_ = float(m[0]) + f["jaw"]
        lid = min(openness * (1.0 + 0.25 * f["wide"] - 0.3 * f["squint"]), 1.15)
        return {
            "u_time": now,
            "u_head": (hx, hy - lean, yaw + gx * 0.15, pitch + gy * 0.1),
            "u_pose": (roll + f["tilt"], breath),
            "u_eye": (gx, gy, lid, lid),
            "u_face": (f["smile"], f["squint"], f["wide"], f["blush"]),
            "u_brow": (f["brow_raise"], f["brow_raise"], f["brow_inner"], f["brow_squeeze"]),
            "u_mouth0": (open_, float(m[1]), float(m[2]) + 0.3 * f["jaw"], float(m[3])),
            "u_mouth1": (float(m[4]), float(m[5]), float(m[6]), float(m[7])),
            "u_mouth2": (float(m[8]), f["corner_down"], 0.0, 0.0),
            "u_halo": (self._halo, halo_mode, now * (2.4 if halo_mode == 2.0 else 3.0), 0.0),
            "visemes": tuple(float(w) for w in self._weights),
            "expressions": dict(self._expressions),
        }

    @property
    def mouth_open(self) -> float:
        return float(self._mouth[0])
