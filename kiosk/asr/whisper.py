"""Whisper through faster-whisper / CTranslate2, on short windows instead of the usual 30 s.

``WhisperModel.transcribe`` pads every utterance to a 30 s window (~0.4 s for a short question on
2 cores). The CTranslate2 model accepts shorter mel windows: a question padded to 10 s takes ~80 ms
with the same transcript. Windows much shorter than 10 s make tiny.en loop, so 10 s is the minimum.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import numpy as np

from kiosk import models
from kiosk.asr.config import WhisperSettings
from kiosk.errors import EngineError, ModelError
from kiosk.pipeline.messages import PIPELINE_RATE, Word

log = logging.getLogger(__name__)

HOP = 160  # samples per mel frame at 16 kHz
WINDOWS_S = (10, 20, 30)  # padded window lengths tried in order; 30 s is Whisper's maximum
MODEL_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
# Whisper's well-known inventions on silence or noise.
_HALLUCINATIONS = re.compile(
    r"^\s*(thank you\.?|thanks for watching!?|you|bye\.?|\.+|\[.*\]|\(.*\))\s*$", re.IGNORECASE
)


class WhisperASR:
    name = "whisper"
    streaming = False

    def __init__(self, settings: WhisperSettings) -> None:
        self.settings = settings
        self._model: Any = None
        self._features: Any = None
        self._prompt: list[int] = []
        self._tokenizer: Any = None

    def model_dir(self) -> Path:
        if self.settings.model is None:
            models.check_embedded(models.WHISPER_TINY_EN, kind="Whisper model", setting="engines.asr.model")
            return models.WHISPER_TINY_EN.path().parent
        folder = Path(self.settings.model).expanduser()
        if not folder.is_dir():
            raise ModelError(
                f"Whisper model folder not found: {folder}",
                fix="set engines.asr.model to a folder holding a CTranslate2 Whisper model (model.bin, config.json, tokenizer.json)",
            )
        for name in MODEL_FILES[:3]:
            models.check_file(folder / name, kind=f"Whisper model file {name}", setting="engines.asr.model")
        return folder

    def load(self) -> None:
        folder = self.model_dir()
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"faster-whisper is not installed ({exc})", fix="pip install faster-whisper==1.2.1") from None
        try:
            whisper = WhisperModel(
                str(folder), device="cpu", compute_type="int8", cpu_threads=self.settings.threads, num_workers=1
            )
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on bad files
            raise ModelError(f"cannot load the Whisper model in {folder}: {exc}", fix="reinstall or replace the model folder") from None
        self._model = whisper.model
        self._features = whisper.feature_extractor
        multilingual = whisper.model.is_multilingual
        self._tokenizer = Tokenizer(
            whisper.hf_tokenizer, multilingual, task="transcribe", language=self.settings.language if multilingual else None
        )
        self._prompt = [*self._tokenizer.sot_sequence, self._tokenizer.no_timestamps]
        self.transcribe(np.zeros(PIPELINE_RATE // 2, dtype=np.float32))  # warm-up

    def transcribe(self, audio: np.ndarray) -> tuple[str, tuple[Word, ...]]:
        if self._model is None:
            raise EngineError("Whisper used before load()")
        import ctranslate2

        seconds = len(audio) / PIPELINE_RATE
        window = next((w for w in WINDOWS_S if seconds <= w - 0.5), WINDOWS_S[-1])
        samples = window * PIPELINE_RATE
        audio = audio[-samples:].astype(np.float32, copy=False)  # keep the end: the question is there
        padded = np.zeros(samples, dtype=np.float32)
        padded[: len(audio)] = audio
        features = self._features(padded, padding=0)[:, : samples // HOP]
        storage = ctranslate2.StorageView.from_array(np.ascontiguousarray(features[None]))
        max_length = min(448, 32 + int(seconds * 8))
        result = self._model.generate(
            storage,
            [self._prompt],
            beam_size=self.settings.beam_size,
            max_length=max_length,
            return_no_speech_prob=True,
            return_scores=True,
            no_repeat_ngram_size=0,
        )[0]
        tokens = [t for t in result.sequences_ids[0] if t < self._tokenizer.eot]
        text = self._tokenizer.decode(tokens).strip()
        if result.no_speech_prob > self.settings.no_speech_threshold or _HALLUCINATIONS.match(text):
            log.debug("discarded as non-speech: %r (no_speech_prob %.2f)", text, result.no_speech_prob)
            return "", ()
        return text, ()

    def start_stream(self):  # pragma: no cover - not a streaming engine
        raise NotImplementedError("whisper is not a streaming recogniser")
