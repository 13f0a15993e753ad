"""The speech synthesiser interface every TTS engine implements."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.pipeline.messages import PhonemeTiming


@dataclass(frozen=True, slots=True)
class Synthesized:
    audio: np.ndarray  # mono float32 at ``sample_rate``
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...]  # empty when the voice gives no timings


class TTSEngine(Protocol):
    name: str
    sample_rate: int

    def load(self) -> None:
        """Check and load the voice, then synthesize one warm-up phrase."""

    def synthesize(self, text: str) -> Iterator[Synthesized]:
        """Audio for ``text``, one piece per sentence. Raises EngineError on failure."""

    def cancel(self) -> None:
        """Abort the synthesis in progress (callable from another thread); it raises Cancelled."""


class Cancelled(Exception):
    """The synthesis was aborted by ``cancel()``."""
