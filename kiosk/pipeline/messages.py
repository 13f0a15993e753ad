"""The messages that flow through the conversation pipeline.

Every message carries the id of the turn it belongs to; cancelling a turn (barge-in, or a speculative
start that the visitor talked over) makes every stage drop that turn's messages at once.
Audio inside the pipeline is mono float32 in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PIPELINE_RATE = 16000  # Hz: microphone audio as seen by VAD and ASR


@dataclass(frozen=True, slots=True)
class Utterance:
    """What the visitor said, cut by the endpointer (16 kHz)."""

    turn: int
    audio: np.ndarray
    speculative: bool  # True: started before the end-of-speech silence was complete


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float  # seconds from the utterance's start
    end: float
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Transcript:
    turn: int
    text: str
    final: bool
    words: tuple[Word, ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    """A piece of the answer ready to speak: a sentence, or a clause of one."""

    turn: int
    index: int
    text: str
    last: bool = False


@dataclass(frozen=True, slots=True)
class PhonemeTiming:
    phoneme: str  # IPA symbol as Piper/espeak writes it; '^' '$' ' ' and '_' mark pauses
    start: float  # seconds from the start of its SpeechChunk
    duration: float


@dataclass(frozen=True, slots=True)
class SpeechChunk:
    """Synthesized audio of one clause, at the output rate, with the phonemes it contains."""

    turn: int
    index: int
    text: str
    audio: np.ndarray
    sample_rate: int
    phonemes: tuple[PhonemeTiming, ...] = ()
    last: bool = False

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate


@dataclass(frozen=True, slots=True)
class EndOfAnswer:
    """No more clauses will come for this turn (sent after the last Clause or SpeechChunk)."""

    turn: int
    reply: str = ""


@dataclass(slots=True)
class TurnEvent:
    """Something observers (UI, logs, tests) may want to know; never needed by stages."""

    kind: str  # see Conversation docs: listening, speech_start, transcript, thinking, reply, speaking, done, ...
    turn: int
    data: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StreamAudio:
    """Microphone audio for streaming recognisers while the visitor talks (no turn exists yet)."""

    audio: np.ndarray
    start: bool = False  # first block of a new utterance
    turn: None = None
