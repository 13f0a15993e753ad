"""Vosk (Kaldi) streaming recognition: partial results while the visitor talks, word times at the end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from kiosk.asr.config import VoskSettings
from kiosk.errors import EngineError, ModelError
from kiosk.pipeline.messages import PIPELINE_RATE, Word

REQUIRED = ("am/final.mdl", "conf/mfcc.conf")


def _pcm16(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def _words(result: dict) -> tuple[Word, ...]:
    return tuple(
        Word(w["word"], float(w["start"]), float(w["end"]), float(w.get("conf", 1.0))) for w in result.get("result", [])
    )


class VoskStream:
    def __init__(self, model, words: bool) -> None:
        import vosk

        self._rec = vosk.KaldiRecognizer(model, PIPELINE_RATE)
        self._rec.SetWords(words)
        self._rec.SetPartialWords(False)
        self._partial = ""
        self._done: list[str] = []
        self._words: list[Word] = []
        self._offset = 0.0  # Vosk's word times restart after each internal final

    def accept(self, audio: np.ndarray) -> str | None:
        if self._rec.AcceptWaveform(_pcm16(audio)):
            self._take(json.loads(self._rec.Result()))
            text = " ".join(self._done)
        else:
            partial = json.loads(self._rec.PartialResult()).get("partial", "")
            text = " ".join([*self._done, partial]).strip()
        if text != self._partial:
            self._partial = text
            return text
        return None

    def _take(self, result: dict) -> None:
        if result.get("text"):
            self._done.append(result["text"])
            self._words.extend(_words(result))

    def finish(self) -> tuple[str, tuple[Word, ...]]:
        self._take(json.loads(self._rec.FinalResult()))
        return " ".join(self._done).strip(), tuple(self._words)


class VoskASR:
    name = "vosk"
    streaming = True

    def __init__(self, settings: VoskSettings) -> None:
        self.settings = settings
        self._model = None

    def load(self) -> None:
        folder = Path(self.settings.model).expanduser()
        fix = "set engines.asr.model to an unpacked Vosk model folder (it contains am/, conf/ and graph/)"
        if not folder.is_dir():
            raise ModelError(f"Vosk model folder not found: {folder}", fix=fix)
        missing = [name for name in REQUIRED if not (folder / name).is_file()]
        if missing:
            raise ModelError(f"{folder} is not a Vosk model folder (missing {', '.join(missing)})", fix=fix)
        try:
            import vosk
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"vosk is not installed ({exc})", fix="pip install vosk==0.3.45") from None
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(folder))
        except Exception as exc:
            raise ModelError(f"cannot load the Vosk model in {folder}: {exc}", fix=fix) from None
        self.transcribe(np.zeros(PIPELINE_RATE // 2, dtype=np.float32))  # warm-up

    def start_stream(self) -> VoskStream:
        if self._model is None:
            raise EngineError("Vosk used before load()")
        return VoskStream(self._model, self.settings.words)

    def transcribe(self, audio: np.ndarray) -> tuple[str, tuple[Word, ...]]:
        stream = self.start_stream()
        step = PIPELINE_RATE // 5
        for start in range(0, len(audio), step):
            stream.accept(audio[start : start + step])
        return stream.finish()
