from __future__ import annotations

from typing import Literal

from pydantic import Field

from kiosk.config import Section


class PiperSettings(Section):
    """Piper neural TTS; every audio chunk carries per-phoneme timings for lip-sync."""

    engine: Literal["piper"] = Field("piper", description="Speech synthesiser (only 'piper' for now).")
    voice: str = Field(
        "joe",
        description="'joe' (embedded US English voice) or the path of a Piper .onnx voice (its .onnx.json beside it).",
    )
    speaker: int | None = Field(None, ge=0, description="Speaker number for multi-speaker voices.")
    speed: float = Field(1.0, ge=0.5, le=2.0, description="Speaking rate; 1.2 is 20% faster.")
    variation: float = Field(
        0.667, ge=0, le=1.5, description="Expressiveness (Piper noise scale); lower is flatter."
    )
    rhythm_variation: float = Field(
        0.8, ge=0, le=1.5, description="Variation of phoneme lengths (Piper noise_w)."
    )
    volume: float = Field(1.0, ge=0, le=2, description="Output gain.")
    threads: int = Field(1, ge=1, le=16, description="CPU threads for synthesis.")
