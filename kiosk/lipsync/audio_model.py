"""Lip-sync from audio alone: a small ONNX model (trained by ``python -m kiosk.lipsync.train``) maps
speech to the 15 Oculus viseme weights at 100 frames per second, in real time.

Used when a voice gives no phoneme timings. Runtime needs only numpy, soxr and onnxruntime.

The model is a stateful recurrent network: ``features`` (1, T, 40 log-mel) and ``state`` in,
``visemes`` (1, T, 15, softmax weights) and ``state_out`` out. It answers for frame ``t - delay`` when it
is given frame ``t``; with the 10 ms each feature frame sees past its own time, that is 40 ms of
lookahead. This class hides the delay: frame ``i`` of its output always stands for audio time
``i * 10 ms`` (the ``VisemeTrack`` convention).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiosk import paths
from kiosk.errors import ModelError
from kiosk.lipsync import features
from kiosk.lipsync.phonemes import VISEMES

DEFAULT_MODEL = Path("assets") / "lipsync" / "visemes.onnx"
_FIX = "reinstall the kiosk, or rebuild the model with: python -m kiosk.lipsync.train --out assets/lipsync/visemes.onnx"


def default_model_path() -> Path:
    return paths.repo_root() / DEFAULT_MODEL


class AudioLipSync:
    """Streaming audio-to-viseme model. Not thread-safe: one instance per audio stream."""

    fps = features.FPS

    def __init__(self, model_path: str | Path | None = None, *, threads: int = 1) -> None:
        path = Path(model_path) if model_path is not None else default_model_path()
        self.model_path = path
        if not path.is_file():
            raise ModelError(f"the audio lip-sync model is missing: {path}", fix=_FIX, path=str(path))
        try:
            import onnxruntime
        except ImportError:
            raise ModelError("onnxruntime is not installed", fix="pip install onnxruntime") from None
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self._session = onnxruntime.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise ModelError(
                f"the audio lip-sync model is not a valid ONNX file ({str(exc).splitlines()[0][:160]})",
                fix=_FIX,
                path=str(path),
            ) from None
        meta = self._session.get_modelmeta().custom_metadata_map
        names = {i.name: i for i in self._session.get_inputs()}
        if "features" not in names or "state" not in names or meta.get("visemes") != ",".join(VISEMES):
            raise ModelError(
                "the file is not a kiosk audio lip-sync model (wrong inputs or viseme list)",
                fix=_FIX,
                path=str(path),
            )
        if int(meta.get("n_mels", -1)) != features.N_MELS or int(meta.get("fps", -1)) != features.FPS:
            raise ModelError(
                "the audio lip-sync model expects other features than this version computes",
                fix=_FIX,
                path=str(path),
            )
        self.delay = int(meta.get("delay_frames", "0"))
        self.lookahead_s = (self.delay + 1) / features.FPS  # model delay + the 10 ms a feature frame spans
        self._state_shape = [int(d) for d in names["state"].shape]
        self._silence = features.logmel(np.zeros(features.HOP, dtype=np.float32))
        self._mel = features.StreamingLogMel()
        self.reset()

    def reset(self) -> None:
        """Forget the stream: the next push starts a new clip at time 0."""
        self._state = np.zeros(self._state_shape, dtype=np.float32)
        self._mel.reset()
        self._resampler = None
        self._rate: int | None = None
        self._to_skip = self.delay  # the first outputs answer for frames before time 0

    def _run(self, feats: np.ndarray) -> np.ndarray:
        if len(feats) == 0:
            return np.zeros((0, len(VISEMES)), dtype=np.float32)
        out, self._state = self._session.run(
            ["visemes", "state_out"], {"features": feats[None].astype(np.float32), "state": self._state}
        )
        out = out[0]
        if self._to_skip:
            skipped = min(self._to_skip, len(out))
            self._to_skip -= skipped
            out = out[skipped:]
        return out

    def _to_16k(self, audio: np.ndarray, sample_rate: int, last: bool = False) -> np.ndarray:
        if sample_rate == features.SAMPLE_RATE:
            return audio
        if self._resampler is None:
            import soxr

            self._resampler = soxr.ResampleStream(sample_rate, features.SAMPLE_RATE, 1, dtype="float32")
        return self._resampler.resample_chunk(audio, last=last)

    def push(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Viseme weights (n, 15) for every 10 ms frame this audio completes (n may be 0).

        Audio is mono float32 in [-1, 1]. Frames come out ``delay`` frames (plus the resampler's
        buffering) after their audio was pushed.
        """
        audio = np.ascontiguousarray(audio, dtype=np.float32).reshape(-1)
        if self._rate is None:
            self._rate = int(sample_rate)
        elif self._rate != sample_rate:
            raise ValueError(
                f"sample rate changed mid-stream ({self._rate} -> {sample_rate}); call reset() first"
            )
        return self._run(self._mel.push(self._to_16k(audio, self._rate)))

    def flush(self) -> np.ndarray:
        """The remaining frames at the end of a clip (as if silence followed), then reset()."""
        parts = []
        if self._rate is not None and self._rate != features.SAMPLE_RATE and self._resampler is not None:
            parts.append(
                self._run(self._mel.push(self._to_16k(np.zeros(0, np.float32), self._rate, last=True)))
            )
        parts.append(self._run(self._mel.flush()))
        parts.append(self._run(np.repeat(self._silence, self.delay, axis=0)))
        self.reset()
        return np.concatenate(parts, axis=0)

    def predict(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        """Whole clip: (ceil(duration * 100), 15) weights, identical to streaming it in pieces."""
        self.reset()
        head = self.push(audio, sample_rate)
        return np.concatenate([head, self.flush()], axis=0)

    def predict_track(self, audio: np.ndarray, sample_rate: int):
        """The whole clip as a ``kiosk.lipsync.visemes.VisemeTrack`` at 100 fps."""
        from kiosk.lipsync.visemes import VisemeTrack

        weights = self.predict(audio, sample_rate)
        if len(weights) == 0:  # a track needs one frame: an empty clip is a closed mouth
            weights = np.eye(len(VISEMES), dtype=np.float32)[:1]
        return VisemeTrack(fps=float(self.fps), weights=weights)
