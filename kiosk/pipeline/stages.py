"""The three engine stages of a turn: recognise, answer, speak."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.asr.base import ASREngine
from kiosk.audio.wavio import resample
from kiosk.errors import EngineError
from kiosk.llm.base import LLMEngine
from kiosk.llm.prompt import History, PromptBuilder
from kiosk.llm.speech_text import ClauseSplitter
from kiosk.pipeline.messages import (
    Clause,
    EndOfAnswer,
    PhonemeTiming,
    SpeechChunk,
    StreamAudio,
    Transcript,
    TurnEvent,
    Utterance,
)
from kiosk.pipeline.stage import Stage
from kiosk.pipeline.turns import TurnControl
from kiosk.tts.base import Cancelled, TTSEngine

log = logging.getLogger(__name__)

Emit = Callable[[Any], None]
Notify = Callable[[TurnEvent], None]


class RecognizeStage(Stage):
    """Utterance -> Transcript. Streaming engines also get StreamAudio and report partial text."""

    name = "asr"

    def __init__(self, turns: TurnControl, engine: ASREngine, emit: Emit, notify: Notify) -> None:
        super().__init__(turns)
        self.engine, self.emit, self.notify = engine, emit, notify
        self._stream: Any = None
        # is_echo(text): the transcript is the avatar's own voice that got past echo cancellation
        self.is_echo: Callable[[str], bool] = lambda text: False

    def handle(self, message: Utterance | StreamAudio) -> None:
        if isinstance(message, StreamAudio):
            if message.start or self._stream is None:
                self._stream = self.engine.start_stream()
            partial = self._stream.accept(message.audio)
            if partial:
                self.notify(TurnEvent("partial", 0, {"text": partial}))
            return
        if self.engine.streaming and self._stream is not None:
            text, words = self._stream.finish()
            self._stream = None
        else:
            text, words = self.engine.transcribe(message.audio)
        self.turns.timeline(message.turn).mark("asr_final")
        if not text.strip() or self.is_echo(text):
            self.notify(TurnEvent("no_speech", message.turn, {"echo": bool(text.strip())}))
            self.turns.cancel(message.turn)
            return
        self.notify(TurnEvent("transcript", message.turn, {"text": text}))
        self.emit(Transcript(message.turn, text, True, words))


class AnswerStage(Stage):
    """Transcript -> Clauses, streamed from the language model, cleaned and capped for speech."""

    name = "llm"

    def __init__(
        self,
        turns: TurnControl,
        engine: LLMEngine,
        history: History,
        prompts: Callable[[], PromptBuilder],
        limits: Callable[[], tuple[int, int]],
        fallback_line: Callable[[], str],
        emit: Emit,
        notify: Notify,
    ) -> None:
        super().__init__(turns)
        self.engine, self.history, self.emit, self.notify = engine, history, emit, notify
        self.prompts, self.limits, self.fallback_line = prompts, limits, fallback_line
        self.greeting: Callable[[], str | None] = lambda: None  # spoken before a new conversation's first answer

    def handle(self, message: Transcript) -> None:
        turn = message.turn
        timeline = self.turns.timeline(turn)
        cancel = self.turns.cancelled_event(turn)
        max_sentences, max_words = self.limits()
        splitter = ClauseSplitter(max_sentences=max_sentences, max_words=max_words)
        index = 0

        def send(clauses: list[str]) -> None:
            nonlocal index
            for text in clauses:
                if index == 0:
                    timeline.mark("first_clause")
                self.notify(TurnEvent("clause", turn, {"text": text, "index": index}))
                self.emit(Clause(turn, index, text))
                index += 1

        prompts = self.prompts()
        greeting = self.greeting() if not len(self.history) else None
        if greeting:
            send([greeting])
        direct = prompts.direct(message.text)
        source = {"source": "direct", "kind": direct[0]} if direct else {"source": "llm"}
        self.notify(TurnEvent("answer_source", turn, source))
        if direct:
            timeline.mark("llm_first_token")
            send(splitter.push(direct[1]) + splitter.finish())
        else:
            messages = self.history.messages(prompts.system_prompt(), prompts.user_message(message.text))
            try:
                for piece in self.engine.stream(messages, cancel):
                    timeline.mark("llm_first_token")
                    send(splitter.push(piece))
                    if splitter.done:
                        break
                if cancel.is_set():
                    return
                send(splitter.finish())
            except Exception as exc:  # an engine crash must end in a spoken fallback, not silence
                reason = exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
                self.notify(TurnEvent("error", turn, {"stage": "llm", "message": reason}))
                log.warning("language model failed: %s", reason)
        if cancel.is_set():
            return
        if index == (1 if greeting else 0):  # the model said nothing usable (or failed before speaking)
            self.notify(TurnEvent("fallback", turn, {"reason": "empty answer"}))
            send([self.fallback_line()])
        reply = splitter.text or self.fallback_line()
        self.history.add(turn, message.text, reply)
        self.notify(TurnEvent("reply", turn, {"text": reply}))
        self.emit(EndOfAnswer(turn, reply))
        # Evaluate the next prompt's prefix now, while the answer is being spoken. Only an
        # optimisation: if it fails, the next turn evaluates the prompt itself.
        try:
            self.engine.prime(self.history.messages(prompts.system_prompt(), "")[:-1])
        except Exception as exc:
            log.debug("priming the next prompt failed: %s", exc)


def trim_leading_silence(audio: np.ndarray, rate: int, floor: float = 0.003, keep_s: float = 0.01) -> int:
    """Samples of near-silence at the start to skip (keeps ``keep_s`` before the first sound)."""
    loud = np.flatnonzero(np.abs(audio) > floor)
    if len(loud) == 0:
        return 0
    return max(0, int(loud[0]) - int(keep_s * rate))


@dataclass(frozen=True, slots=True)
class Prepare:
    """Synthesize these lines ahead of time (the staff's curated answers, fixed lines), when idle."""

    texts: tuple[str, ...]


PREPARED_MAX = 128  # lines kept ready (~150 KB of audio each)


class SpeakStage(Stage):
    """Clause -> SpeechChunk at the output rate, with phoneme timings; EndOfAnswer passes through.

    Lines known in advance (``Prepare``) are synthesized while nothing else is queued and kept, so a
    curated answer's first words are ready the moment it is matched.
    """

    name = "tts"

    def __init__(
        self, turns: TurnControl, engine: TTSEngine, output_rate: int, fallback_line: Callable[[], str], emit: Emit, notify: Notify
    ) -> None:
        super().__init__(turns)
        self.engine, self.output_rate, self.emit, self.notify = engine, output_rate, emit, notify
        self.fallback_line = fallback_line
        self._spoken: dict[int, int] = {}  # chunks produced per turn
        self._prepared: OrderedDict[str, list[tuple[np.ndarray, tuple[PhonemeTiming, ...]]]] = OrderedDict()
        self._lock = threading.Lock()
        turns.on_cancel(self._cancelled)

    def prepare(self, texts: list[str]) -> None:
        self.put(Prepare(tuple(dict.fromkeys(t for t in texts if t.strip()))))

    def _cancelled(self, turn: int) -> None:
        if self.busy_turn == turn:
            self.engine.cancel()

    def handle(self, message: Clause | EndOfAnswer | Prepare) -> None:
        if isinstance(message, Prepare):
            self._prepare_one(message)
            return
        turn = message.turn
        if isinstance(message, EndOfAnswer):
            if not self._spoken.pop(turn, 0):
                self.notify(TurnEvent("fallback", turn, {"reason": "nothing could be spoken"}))
                self._speak(Clause(turn, 0, self.fallback_line()), quiet=True)
                self._spoken.pop(turn, None)
            self.emit(message)
            return
        self._speak(message)
        if len(self._spoken) > 32:
            for old in sorted(self._spoken)[:-8]:
                self._spoken.pop(old, None)

    def _prepare_one(self, message: Prepare) -> None:
        """One line per message, so a visitor's turn queued meanwhile goes first."""
        todo = [t for t in message.texts if t not in self._prepared]
        if not todo:
            return
        try:
            self._prepared[todo[0]] = list(self._pieces(todo[0]))
        except Exception as exc:  # preparing is only an optimisation: the line is synthesized when needed
            log.debug("could not prepare %r: %s", todo[0], exc)
        while len(self._prepared) > PREPARED_MAX:
            self._prepared.popitem(last=False)
        if len(todo) > 1:
            self.put(Prepare(tuple(todo[1:])))

    def _pieces(self, text: str):  # noqa: ANN202 (a generator of (audio, phonemes))
        for piece in self.engine.synthesize(text):
            # phoneme times are in seconds: unchanged by resampling
            yield resample(piece.audio, piece.sample_rate, self.output_rate), piece.phonemes

    def _speak(self, clause: Clause, quiet: bool = False) -> None:
        turn = clause.turn
        prepared = self._prepared.get(clause.text)
        try:
            for audio, phonemes in prepared if prepared is not None else self._pieces(clause.text):
                if not self.turns.is_live(turn):
                    return
                first = self._spoken.get(turn, 0) == 0
                if first:
                    skip = trim_leading_silence(audio, self.output_rate)
                    if skip:
                        audio = audio[skip:]
                        shift = skip / self.output_rate
                        phonemes = _shift(phonemes, shift)
                    self.turns.timeline(turn).mark("tts_first_chunk")
                self._spoken[turn] = self._spoken.get(turn, 0) + 1
                self.emit(SpeechChunk(turn, clause.index, clause.text, audio, self.output_rate, phonemes))
        except Cancelled:
            return
        except Exception as exc:  # one unspeakable clause must not end the answer
            message = exc.message if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"
            if quiet:
                log.error("the fallback line could not be spoken either: %s", message)
                return
            self.notify(TurnEvent("error", turn, {"stage": "tts", "message": message}))
            log.warning("%s", message)


def _shift(phonemes: tuple[PhonemeTiming, ...], seconds: float) -> tuple[PhonemeTiming, ...]:
    """Move timings earlier by ``seconds`` (after trimming audio), clipping at 0."""
    out = []
    for p in phonemes:
        start = p.start - seconds
        end = start + p.duration
        if end <= 0:
            continue
        out.append(PhonemeTiming(p.phoneme, max(0.0, start), end - max(0.0, start)))
    return tuple(out)
