"""Spoken test questions, synthesized once with the installed Piper voice and cached as WAV files.

The voice is varied (speed, expressiveness, level) so the recogniser does not hear the reply voice's
exact delivery. Nothing is downloaded: the questions come from the TTS that ships with the kiosk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk import paths
from kiosk.audio.wavio import read_wav, write_wav
from kiosk.tts.config import PiperSettings
from kiosk.tts.piper import PiperTTS  # imports onnxruntime/piper lazily inside load()

QUESTIONS: tuple[str, ...] = (
    "What time does the museum close today?",
    "Where can I find the restrooms?",
    "Can you tell me about the dinosaur exhibit?",
    "Is there a cafe in the building?",
    "How much is a ticket for children?",
    "Hello, who are you?",
    "What can I see on the second floor?",
    "Do you have free wifi here?",
    "Where is the nearest exit?",
    "Can I take photos inside?",
    "What is your favorite painting?",
    "Is the gift shop open on Sunday?",
    "Can you tell me a fun fact?",
    "What do you like about your job?",
    "Good morning! How are you today?",
    "Can you recommend something to do this afternoon?",
)

LEAD_S = 0.5  # silence before each question
# (speed, variation, gain) cycled over the questions
DELIVERIES = ((1.0, 0.667, 0.6), (0.9, 0.8, 0.4), (1.15, 0.5, 0.8), (1.05, 0.9, 0.5))


@dataclass(frozen=True)
class SpokenQuestion:
    text: str
    path: Path
    audio: np.ndarray
    rate: int


def spoken_questions(texts: tuple[str, ...] = QUESTIONS, folder: Path | None = None) -> list[SpokenQuestion]:
    folder = folder or paths.cache_dir() / "bench-questions"
    folder.mkdir(parents=True, exist_ok=True)
    out: list[SpokenQuestion] = []
    engines: dict[tuple[float, float], PiperTTS] = {}
    for index, text in enumerate(texts):
        speed, variation, gain = DELIVERIES[index % len(DELIVERIES)]
        key = hashlib.sha256(f"{text}|{speed}|{variation}|{gain}".encode()).hexdigest()[:12]
        path = folder / f"q{index:02d}-{key}.wav"
        if not path.exists():
            engine = engines.get((speed, variation))
            if engine is None:
                engine = engines[(speed, variation)] = PiperTTS(PiperSettings(speed=speed, variation=variation))
                engine.load()
            pieces = list(engine.synthesize(text))
            rate = pieces[0].sample_rate
            speech = np.concatenate([p.audio for p in pieces]) * gain
            write_wav(path, np.concatenate([np.zeros(int(LEAD_S * rate), np.float32), speech]), rate)
        audio, rate = read_wav(path)
        out.append(SpokenQuestion(text, path, audio, rate))
    return out
