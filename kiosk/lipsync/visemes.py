"""Viseme curves: how strongly each of the 15 Oculus visemes shows on the lips over time.

``VisemeTrack`` is the one type every lip-sync source produces (TTS phoneme timings here, the audio
model elsewhere) and every renderer consumes. ``track_from_phonemes`` builds one from Piper's
per-phoneme alignments with a dominance model of coarticulation (Cohen & Massaro 1993): each phoneme
holds full dominance over its own interval and fades out around it, so neighbours blend; lips begin
to form a sound ``anticipation_s`` before it is heard, while each sound's peak stays on its audio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.lipsync.phonemes import VISEME_INDEX, VISEMES, viseme_of

SIL = VISEME_INDEX["sil"]
CLOSURE = VISEME_INDEX["PP"]

# How firmly a viseme holds its shape against its neighbours: lips must close for p/b/m and touch the
# teeth for f/v, while tongue-only consonants (t, k, n) borrow the shape of the vowels around them.
DOMINANCE: dict[str, float] = {
    "sil": 1.0, "PP": 2.0, "FF": 1.6, "TH": 0.9, "DD": 0.45, "kk": 0.35, "CH": 1.0, "SS": 0.7,
    "nn": 0.45, "RR": 0.8, "aa": 1.0, "E": 0.9, "I": 0.9, "O": 1.2, "U": 1.3,
}
RELEASES = {"PP", "FF"}  # lips part at once when these are released
SHORT_PAUSE_S = 0.08  # pauses shorter than this (word gaps) let the mouth relax only partly
# espeak's stress marks come out of Piper as symbols with durations of their own: that time is heard
# as the next sound. Length marks lengthen the sound before them.
STRESS = {"ˈ", "ˌ"}
LENGTH = {"ː", "ˑ"}


def _merged(phonemes: Sequence[PhonemeLike]) -> list[tuple[str, float, float]]:
    """(phoneme, start, end) with stress and length marks folded into the sounds they belong to."""
    out: list[list] = []
    carry: float | None = None  # start of pending stress marks
    for p in sorted(phonemes, key=lambda p: p.start):
        if p.duration <= 0.0:
            continue
        start, end = float(p.start), float(p.start + p.duration)
        if p.phoneme in STRESS:
            carry = start if carry is None else carry
            continue
        if p.phoneme in LENGTH and out:
            out[-1][2] = max(out[-1][2], end)
            continue
        if carry is not None:
            start, carry = carry, None
        out.append([p.phoneme, start, end])
    return [(name, start, end) for name, start, end in out]


class PhonemeLike(Protocol):
    """Anything with Piper's timing fields, such as kiosk.pipeline.messages.PhonemeTiming."""

    @property
    def phoneme(self) -> str: ...
    @property
    def start(self) -> float: ...
    @property
    def duration(self) -> float: ...


@dataclass(frozen=True)
class VisemeTrack:
    """Viseme weights sampled at ``fps``; frame k is time k / fps seconds from the audio's start.

    ``weights`` has shape (frames, 15) in the order of ``kiosk.lipsync.phonemes.VISEMES``; each row
    sums to 1 (silence included). ``at(t)`` interpolates linearly and holds the first/last frame
    outside the track.
    """

    fps: float
    weights: np.ndarray

    def __post_init__(self) -> None:
        if self.weights.ndim != 2 or self.weights.shape[1] != len(VISEMES):
            raise ValueError(f"weights must have shape (frames, {len(VISEMES)}), got {self.weights.shape}")
        if len(self.weights) == 0:
            raise ValueError("a viseme track needs at least one frame")

    @property
    def duration(self) -> float:
        return (len(self.weights) - 1) / self.fps

    def at(self, t: float) -> np.ndarray:
        x = min(max(t * self.fps, 0.0), len(self.weights) - 1.0)
        i = int(x)
        if i >= len(self.weights) - 1:
            return self.weights[-1].copy()
        f = x - i
        return (self.weights[i] * (1.0 - f) + self.weights[i + 1] * f).astype(np.float32)

    def sample(self, times: np.ndarray) -> np.ndarray:
        """Weights at many times at once: shape (len(times), 15)."""
        x = np.clip(np.asarray(times, dtype=np.float64) * self.fps, 0.0, len(self.weights) - 1.0)
        i = np.minimum(x.astype(int), len(self.weights) - 2) if len(self.weights) > 1 else np.zeros(len(x), int)
        f = (x - i)[:, None] if len(self.weights) > 1 else np.zeros((len(x), 1))
        j = np.minimum(i + 1, len(self.weights) - 1)
        return (self.weights[i] * (1.0 - f) + self.weights[j] * f).astype(np.float32)

    @classmethod
    def silent(cls, duration: float, fps: float = 100.0) -> VisemeTrack:
        weights = np.zeros((max(2, math.ceil(duration * fps) + 1), len(VISEMES)), np.float32)
        weights[:, SIL] = 1.0
        return cls(fps, weights)


def _gaussian_smooth(weights: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Zero-phase smoothing along time (no lag), edges held."""
    if sigma_frames <= 0.0:
        return weights
    radius = max(1, int(3 * sigma_frames))
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(weights, ((radius, radius), (0, 0)), mode="edge")
    out = np.empty_like(weights)
    for column in range(weights.shape[1]):
        out[:, column] = np.convolve(padded[:, column], kernel, mode="valid")
    return out


def track_from_phonemes(
    phonemes: Sequence[PhonemeLike],
    duration: float,
    fps: float = 100.0,
    anticipation_s: float = 0.05,
    smoothing_s: float = 0.012,
) -> VisemeTrack:
    """Viseme curves for audio of ``duration`` seconds whose phonemes start ``phoneme.start`` s in.

    Silence fills the time before the first sound, after the last and across pauses, so the mouth
    closes at commas and at the end (the final frame is always pure silence).
    """
    frames = max(2, math.ceil(duration * fps) + 1)
    t = np.arange(frames) / fps
    segments: list[tuple[float, float, int, float, float, float]] = []  # start, end, viseme, strength, rise, fall
    last_end = 0.0
    for phoneme, start, end in _merged(phonemes):
        name = viseme_of(phoneme)
        length = end - start
        if start - last_end > 1e-3:  # a gap in the alignment is silence
            segments.append((last_end, start, SIL, 1.0, 0.03, 0.03))
        strength = DOMINANCE[name]
        if name == "sil" and length < SHORT_PAUSE_S:
            strength = 0.25
        rise = anticipation_s + 0.15 * length  # how far ahead the lips start moving
        fall = 0.012 if name in RELEASES else 0.025 + 0.15 * length
        segments.append((start, end, VISEME_INDEX[name], strength, rise, fall))
        last_end = max(last_end, end)
    segments.insert(0, (-1.0, min((s[0] for s in segments), default=duration), SIL, 1.0, 0.02, 0.02))
    segments.append((last_end, duration + 1.0, SIL, 1.0, 0.03, 0.03))

    weights = np.zeros((frames, len(VISEMES)), np.float64)
    weights[:, SIL] = 1e-3  # far from every sound the mouth rests
    total = np.full(frames, 1e-3)
    for start, end, index, strength, rise, fall in segments:
        lo = np.searchsorted(t, start - 4.0 * rise)
        hi = np.searchsorted(t, end + 4.0 * fall)
        if hi <= lo:
            continue
        ts = t[lo:hi]
        before = np.maximum(start - ts, 0.0) / rise
        after = np.maximum(ts - end, 0.0) / fall
        dominance = strength * np.exp(-(before**2) - after**2)
        weights[lo:hi, index] += dominance
        total[lo:hi] += dominance
    weights /= total[:, None]
    for start, end, index, *_ in segments:  # lips must really meet for p, b, m
        if index == CLOSURE:
            core = (t >= start + 0.2 * (end - start)) & (t <= end - 0.2 * (end - start))
            hold = np.clip((0.95 - weights[core, index]) / (1.0 - weights[core, index] + 1e-9), 0.0, 1.0)
            weights[core] *= (1.0 - hold)[:, None]
            weights[core, index] += hold
    weights = _gaussian_smooth(weights, smoothing_s * fps)
    weights[-1] = 0.0
    weights[-1, SIL] = 1.0
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    return VisemeTrack(fps, weights.astype(np.float32))
