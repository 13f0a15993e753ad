"""Silero voice activity detection, run frame by frame (the ONNX model faster-whisper ships)."""

from __future__ import annotations

import numpy as np

from kiosk import models
from kiosk.errors import ModelError

FRAME = 512  # samples per VAD frame at 16 kHz (32 ms): the size Silero is trained on
CONTEXT = 64  # samples of the previous frame the model sees in front of each frame


class SileroVAD:
    """Speech probability of each 32 ms frame, keeping the model's recurrent state between calls."""

    def __init__(self) -> None:
        import onnxruntime

        path = models.check_embedded(models.SILERO_VAD, kind="voice activity model", setting="(embedded)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError(f"cannot load the voice activity model {path}: {exc}", fix="reinstall faster-whisper") from None
        self.reset()
        self(np.zeros(FRAME, dtype=np.float32))  # warm-up
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        """Probability (0..1) that this FRAME-sample frame is speech."""
        batch = np.concatenate([self._context, frame.astype(np.float32, copy=False)])[None, :]
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT:].astype(np.float32, copy=True)
        return float(np.asarray(out).reshape(-1)[0])
