"""Speech recognition engines, chosen by ``engines.asr.engine`` in the persona."""

from __future__ import annotations

from kiosk.asr.base import ASREngine
from kiosk.asr.config import VoskSettings, WhisperSettings


def create_asr(settings: WhisperSettings | VoskSettings) -> ASREngine:
    if isinstance(settings, VoskSettings):
        from kiosk.asr.vosk import VoskASR

        return VoskASR(settings)
    from kiosk.asr.whisper import WhisperASR

    return WhisperASR(settings)


__all__ = ["ASREngine", "create_asr"]
