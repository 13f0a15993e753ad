from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from kiosk.config import Section


class WhisperSettings(Section):
    """Whisper through faster-whisper (CTranslate2). Not streaming; fast on short questions."""

    engine: Literal["whisper"] = Field("whisper", description="Speech recogniser: 'whisper' or 'vosk'.")
    model: Path | None = Field(
        None,
        description="Folder of a CTranslate2 Whisper model. Empty: the embedded English tiny.en model.",
    )
    language: str = Field("en", description="Spoken language code (tiny.en only knows 'en').")
    threads: int = Field(1, ge=1, le=16, description="CPU threads for recognition.")
    beam_size: int = Field(5, ge=1, le=8, description="Beam search width: 5 is accurate (+20 ms), 1 is fastest.")
    no_speech_threshold: float = Field(
        0.6, ge=0, le=1, description="Discard an utterance Whisper thinks is not speech above this probability."
    )


class VoskSettings(Section):
    """Vosk (Kaldi) streaming recogniser with partial results and word times."""

    engine: Literal["vosk"] = Field(description="Speech recogniser: 'whisper' or 'vosk'.")
    model: Path = Field(
        description="Folder of a Vosk model (for English, unpack vosk-model-small-en-us-0.15 and give its folder)."
    )
    words: bool = Field(True, description="Ask for word start/end times.")


ASRSettings = Annotated[WhisperSettings | VoskSettings, Field(discriminator="engine")]
