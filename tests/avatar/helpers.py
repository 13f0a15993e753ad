"""Measuring what the avatar shows: how open its mouth is in a rendered frame."""

from __future__ import annotations

import numpy as np


def mouth_box(width: int, height: int) -> tuple[slice, slice]:
    """Pixel rows and columns around the mouth (the mouth sits at the frame's centre, zoom 1)."""
    unit = height / 2.0
    cx, cy = width / 2.0, height / 2.0
    rows = slice(int(cy - 0.07 * unit), int(cy + 0.16 * unit))
    cols = slice(int(cx - 0.16 * unit), int(cx + 0.16 * unit))
    return rows, cols


def mouth_openness(image: np.ndarray) -> float:
    """Fraction of the mouth box showing the dark inside of the mouth."""
    rows, cols = mouth_box(image.shape[1], image.shape[0])
    roi = image[rows, cols].astype(np.float32)
    luminance = roi @ np.array([0.2126, 0.7152, 0.0722], np.float32)
    redness = roi[..., 0] - roi[..., 2]
    return float(np.mean((luminance < 70.0) & (redness > 8.0)))


def envelope(audio: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Audio RMS over each video frame's duration."""
    out = np.zeros(frames)
    for index in range(frames):
        a, b = int(index * rate / fps), int((index + 1) * rate / fps)
        piece = audio[a:b]
        out[index] = float(np.sqrt(np.mean(piece**2))) if len(piece) else 0.0
    return out


def lag_seconds(reference: np.ndarray, follower: np.ndarray, rate: float, max_lag: int) -> float:
    """How late ``follower`` is relative to ``reference`` (cross-correlation peak, parabolic sub-sample)."""
    a = (reference - reference.mean()) / (reference.std() + 1e-12)
    b = (follower - follower.mean()) / (follower.std() + 1e-12)
    lags = np.arange(-max_lag, max_lag + 1)
    scores = np.array([np.mean(a[max(0, -k) : len(a) - max(0, k)] * b[max(0, k) : len(b) - max(0, -k)]) for k in lags])
    i = int(np.argmax(scores))
    shift = 0.0
    if 0 < i < len(scores) - 1:
        y0, y1, y2 = scores[i - 1], scores[i], scores[i + 1]
        denom = y0 - 2 * y1 + y2
        shift = 0.5 * (y0 - y2) / denom if denom != 0 else 0.0
    return float((lags[i] + shift) / rate)


def syllable_pattern(seconds: float, rate: int, seed: int = 3) -> tuple[np.ndarray, list[dict]]:
    """Audio of 'ba'-like syllables at irregular times, and their phoneme timeline (kiosk converse style).

    Each syllable: a 50 ms bilabial closure (silent), then a voiced vowel of 120-260 ms.
    """
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(seconds * rate), np.float32)
    phonemes: list[dict] = []
    t = 0.3
    while t < seconds - 0.6:
        vowel = float(rng.uniform(0.12, 0.26))
        start = t + 0.05
        phonemes.append({"phoneme": "b", "start": round(t, 4), "duration": 0.05})
        phonemes.append({"phoneme": "ɑ", "start": round(start, 4), "duration": round(vowel, 4)})
        n = int(vowel * rate)
        k = np.arange(n) / rate
        ramp = np.minimum(1.0, np.minimum(k, vowel - k) / 0.01)
        voice = np.sin(2 * np.pi * 140 * k) + 0.5 * np.sin(2 * np.pi * 280 * k) + 0.3 * np.sin(2 * np.pi * 700 * k)
        audio[int(start * rate) : int(start * rate) + n] = (0.25 * ramp * voice).astype(np.float32)
        gap = float(rng.uniform(0.12, 0.5))
        phonemes.append({"phoneme": "_", "start": round(start + vowel, 4), "duration": round(gap, 4)})
        t = start + vowel + gap
    return audio, phonemes
