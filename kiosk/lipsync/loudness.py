"""A loudness-driven mouth: the baseline the audio lip-sync model is compared with, and a last resort.

The jaw opens with the short-term level (RMS per 10 ms frame) relative to a running peak, so it works
at any playback volume. Only two visemes are used: ``sil`` (closed) and ``aa`` (open), mixed by the
openness. It knows nothing about lips, teeth or tongue.
"""

from __future__ import annotations

import numpy as np

from kiosk.lipsync.phonemes import VISEME_INDEX, VISEMES

FPS = 100


class LoudnessMouth:
    """Streaming loudness mouth at 100 frames per second for audio at any sample rate.

    ``range_db``: how far below the running peak the mouth is fully closed.
    ``peak_release_db_s``: how fast the running peak falls when the voice gets quieter.
    """

    fps = FPS

    def __init__(
        self, range_db: float = 30.0, peak_release_db_s: float = 3.0, floor_dbfs: float = -65.0
    ) -> None:
        self.range_db = range_db
        self.peak_release_db_s = peak_release_db_s
        self.floor_dbfs = floor_dbfs
        self.reset()

    def reset(self) -> None:
        self._rate: int | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._consumed = 0  # samples of the stream already turned into frames
        self._frames = 0
        self._peak_db = -30.0

    def _bounds(self, frame: int) -> int:
        assert self._rate is not None
        return (frame * self._rate) // FPS  # exact frame edges, no drift at 22050 Hz

    def push_openness(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Openness in [0, 1] for every 10 ms frame completed by this audio."""
        if self._rate != sample_rate:
            self.reset()
            self._rate = int(sample_rate)
        self._pending = np.concatenate([self._pending, np.asarray(audio, dtype=np.float32).reshape(-1)])
        out = []
        while True:
            end = self._bounds(self._frames + 1) - self._consumed
            if end > len(self._pending):
                break
            out.append(self._frame_openness(self._pending[:end]))
            self._pending = self._pending[end:]
            self._consumed += end
            self._frames += 1
        return np.asarray(out, dtype=np.float32)

    def flush_openness(self) -> np.ndarray:
        """Openness of a last partial frame, if any."""
        if len(self._pending) == 0:
            return np.zeros(0, dtype=np.float32)
        value = self._frame_openness(self._pending)
        self._consumed += len(self._pending)
        self._pending = np.zeros(0, dtype=np.float32)
        self._frames += 1
        return np.asarray([value], dtype=np.float32)

    def _frame_openness(self, samples: np.ndarray) -> float:
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0
        level = 20.0 * np.log10(max(rms, 1e-9))
        self._peak_db = max(
            level, self._peak_db - self.peak_release_db_s / FPS, self.floor_dbfs + self.range_db
        )
        return float(np.clip((level - (self._peak_db - self.range_db)) / self.range_db, 0.0, 1.0))

    @staticmethod
    def to_weights(openness: np.ndarray) -> np.ndarray:
        """(N,) openness -> (N, 15) viseme weights: closed ``sil`` and open ``aa``."""
        weights = np.zeros((len(openness), len(VISEMES)), dtype=np.float32)
        weights[:, VISEME_INDEX["sil"]] = 1.0 - openness
        weights[:, VISEME_INDEX["aa"]] = openness
        return weights

    def push(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.to_weights(self.push_openness(audio, sample_rate))

    def flush(self) -> np.ndarray:
        return self.to_weights(self.flush_openness())

    def openness(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Whole-clip openness: ceil(duration * 100) frames."""
        self.reset()
        values = np.concatenate([self.push_openness(audio, sample_rate), self.flush_openness()])
        self.reset()
        return values

    def predict(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        return self.to_weights(self.openness(audio, sample_rate))
