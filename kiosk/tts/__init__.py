"""Speech synthesis engines, chosen by ``engines.tts.engine`` in the persona."""

from __future__ import annotations

from kiosk.tts.base import Cancelled, Synthesized, TTSEngine
from kiosk.tts.config import PiperSettings


def create_tts(settings: PiperSettings) -> TTSEngine:
    from kiosk.tts.piper import PiperTTS

    return PiperTTS(settings)


__all__ = ["Cancelled", "Synthesized", "TTSEngine", "create_tts"]
