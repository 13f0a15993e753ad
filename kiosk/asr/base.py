"""The speech recogniser interface every ASR engine implements."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from kiosk.pipeline.messages import Word


class Recognition(Protocol):
    text: str
    words: tuple[Word, ...]


class ASRStream(Protocol):
    """Incremental recognition of one utterance (streaming engines only)."""

    def accept(self, audio: np.ndarray) -> str | None:
        """Feed 16 kHz float32 audio; returns the new partial text when it changed."""

    def finish(self) -> tuple[str, tuple[Word, ...]]:
        """Final text and word times; the stream cannot be fed afterwards."""


class ASREngine(Protocol):
    name: str
    streaming: bool  # True: start_stream() is available and gives partial results

    def load(self) -> None:
        """Check the model files, load them and run one warm-up recognition."""

    def transcribe(self, audio: np.ndarray) -> tuple[str, tuple[Word, ...]]:
        """Recognise a whole utterance (16 kHz mono float32). Empty text: nothing intelligible."""

    def start_stream(self) -> ASRStream: ...
