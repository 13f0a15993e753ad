"""Log-mel features for the audio lip-sync model, in numpy only (shared by training and runtime).

Frames are causal: frame ``i`` is a 25 ms Hann window that *ends* at sample ``(i + 1) * HOP`` of the
16 kHz signal (the signal is preceded by zeros). Frame ``i`` stands for time ``i * 10 ms`` (as in
``VisemeTrack``), so a frame's features see 10 ms past its time.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16000
HOP = 160  # 10 ms
WINDOW = 400  # 25 ms
N_FFT = 512
N_MELS = 40
FMIN, FMAX = 50.0, 7600.0
FPS = SAMPLE_RATE // HOP  # 100 frames per second
LOG_FLOOR = 1e-8  # power floor: exact digital silence maps to log(1e-8) = -18.4


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank() -> np.ndarray:
    """(N_FFT // 2 + 1, N_MELS) triangular HTK-mel filters, each normalised to unit area."""
    bins = np.fft.rfftfreq(N_FFT, 1.0 / SAMPLE_RATE)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), N_MELS + 2))
    bank = np.zeros((len(bins), N_MELS), dtype=np.float64)
    for m in range(N_MELS):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rising = (bins - lo) / (mid - lo)
        falling = (hi - bins) / (hi - mid)
        bank[:, m] = np.maximum(0.0, np.minimum(rising, falling))
        bank[:, m] /= max(bank[:, m].sum(), 1e-9)
    return bank.astype(np.float32)


_BANK = mel_filterbank()
_WINDOW = np.hanning(WINDOW + 1)[:WINDOW].astype(np.float32)  # periodic Hann


def frames_to_logmel(frames: np.ndarray) -> np.ndarray:
    """(N, WINDOW) float32 windows of 16 kHz audio -> (N, N_MELS) float32 log-mel power."""
    spectrum = np.fft.rfft(frames * _WINDOW, n=N_FFT, axis=-1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return np.log(power @ _BANK + LOG_FLOOR).astype(np.float32)


def logmel(audio16k: np.ndarray) -> np.ndarray:
    """Whole-clip features: (ceil(len / HOP), N_MELS); the last partial hop is padded with zeros."""
    audio = np.asarray(audio16k, dtype=np.float32).reshape(-1)
    n = -(-len(audio) // HOP)
    padded = np.zeros(WINDOW - HOP + n * HOP, dtype=np.float32)
    padded[WINDOW - HOP : WINDOW - HOP + len(audio)] = audio
    if n == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(padded, WINDOW)[::HOP][:n]
    return frames_to_logmel(np.ascontiguousarray(frames))


class StreamingLogMel:
    """The same features as :func:`logmel`, fed with 16 kHz audio in pieces of any size."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._buffer = np.zeros(WINDOW - HOP, dtype=np.float32)

    def push(self, audio16k: np.ndarray) -> np.ndarray:
        """Features for every hop completed by this audio: (n, N_MELS)."""
        self._buffer = np.concatenate([self._buffer, np.asarray(audio16k, dtype=np.float32).reshape(-1)])
        n = (len(self._buffer) - (WINDOW - HOP)) // HOP
        if n <= 0:
            return np.zeros((0, N_MELS), dtype=np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(self._buffer[: WINDOW - HOP + n * HOP], WINDOW)[
            ::HOP
        ]
        out = frames_to_logmel(np.ascontiguousarray(frames[:n]))
        self._buffer = self._buffer[n * HOP :].copy()
        return out

    def flush(self) -> np.ndarray:
        """Features for a last partial hop (zero-padded), if any; then the stream is empty."""
        pending = len(self._buffer) - (WINDOW - HOP)
        if pending <= 0:
            return np.zeros((0, N_MELS), dtype=np.float32)
        return self.push(np.zeros(HOP - pending, dtype=np.float32))
