"""The conversation: engines, stages and turn logic wired into one pipeline.

    microphone -> Listener (VAD, endpointing) -> RecognizeStage -> AnswerStage -> SpeakStage
               -> PlaybackBuffer -> speaker (its clock drives the avatar's mouth)

Recognition and the answer start speculatively after ``early_start_s`` of silence; the answer only
becomes audible once ``end_of_speech_s`` of silence confirms the visitor finished. If they go on
talking, the speculative turn is cancelled and everything it produced is dropped. When the
speculative transcript matched a curated answer, the shorter ``matched_end_of_speech_s`` is enough:
a whole question was recognised, so the staff's answer starts sooner.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable

import numpy as np

from kiosk.asr import create_asr
from kiosk.audio.endpointer import Endpointer, EndpointEvent
from kiosk.audio.playback import PlaybackBuffer
from kiosk.audio.sources import FrameQueue
from kiosk.audio.vad import SileroVAD
from kiosk.errors import KioskError
from kiosk.knowledge import GroundedPrompts, GuardedLLM
from kiosk.llm import create_llm
from kiosk.llm.prompt import History, PromptBuilder
from kiosk.llm.speech_text import ClauseSplitter
from kiosk.persona.schema import Persona
from kiosk.pipeline.listener import Listener
from kiosk.pipeline.messages import Clause, EndOfAnswer, SpeechChunk, StreamAudio, TurnEvent, Utterance
from kiosk.pipeline.stages import AnswerStage, RecognizeStage, SpeakStage
from kiosk.pipeline.turns import TurnControl
from kiosk.tts import create_tts

log = logging.getLogger(__name__)

Observer = Callable[[TurnEvent], None]
PAUSE_PROBABILITY, PAUSE_FRAMES = 0.5, 2  # a voice over the avatar's: it goes silent (~0.1 s of voice)
ONSET_PROBABILITY, ONSET_RATIO, ONSET_MIN_LEVEL = 0.2, 4.0, 0.0056  # or one block 12 dB over the
# echo residual and above -45 dBFS (on room recordings: 0.1-0.17 s after onset, never on the echo)
RESIDUAL_DECAY = 0.97  # per 32 ms block: ~8 dB a second
ONSET_SETTLE_S = 0.6
PAUSE_HOLD_S = 0.7  # ... and carries on if that did not become speech within this long
PAUSE_CUE_S = 0.06  # two silent VAD frames: show "thinking" (the endpoint comes later)
ECHO_TAIL_S = 0.5  # after the avatar stops, its voice may still reach the microphone for a moment
ECHO_TEXT_WINDOW_S = 3.0  # transcripts this soon after the avatar spoke are compared with what it said
ECHO_SAID_S = 15.0  # ... with what it said this recently
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "is", "are", "was", "were", "be", "to", "of", "in", "on", "at", "for", "and", "or",
    "but", "it", "its", "this", "that", "there", "here", "i", "you", "we", "they", "he", "she", "me",
    "my", "your", "our", "do", "does", "did", "can", "could", "will", "would", "have", "has", "had", "not",
    "no", "yes", "so", "what",
})
ECHO_WORD_SHARE = 0.7  # ... and dropped as echo when this share of their words was in its answer


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


class Conversation:
    def __init__(self, persona: Persona, output_rate: int | None = None) -> None:
        self.persona = persona
        self.turns = TurnControl()
        self.history = History()
        # curated answers, fact grounding and the guard that stops invented venue facts; the
        # GroundedPrompts (an embedding index of the persona) is built in load()
        self.prompts: PromptBuilder = PromptBuilder(persona)
        self.asr = create_asr(persona.engines.asr)
        self.llm = GuardedLLM(create_llm(persona.engines.llm), lambda: self.prompts)
        self.tts = create_tts(persona.engines.tts)
        self.vad: SileroVAD | None = None
        self._output_rate = output_rate
        self.playback: PlaybackBuffer | None = None
        self.observers: list[Observer] = []
        self.load_seconds: dict[str, float] = {}
        self._pending: int | None = None  # speculative turn waiting for the end of speech
        self._direct: int | None = None  # latest turn answered from a curated entry (no LLM)
        self._paused = False  # the visitor is silent inside an utterance (listener thread)
        self._paused_at: float | None = None
        self._voiced_run = 0  # frames in a row with a voice, while the avatar speaks
        self._residual = 0.0  # level of the echo left after cancellation, while the avatar speaks
        self._playing_since = 0.0  # when the answer playing now started
        self._paused_for: float | None = None  # when the answer went silent for a possible barge-in
        self._confirmed: set[int] = set()
        self._playing: int | None = None
        self._last_audio = 0.0  # monotonic time the last reply audio finished
        self._talk_button = False  # push-to-talk button (or key) held
        self._heard: deque[tuple[float, str]] = deque(maxlen=32)  # (start time, text) of played chunks
        self._lock = threading.Lock()
        self.listener: Listener | None = None
        self.frames: FrameQueue | None = None

    # ---- set-up -------------------------------------------------------------------------------
    def load(self) -> None:
        """Load every engine (in parallel threads) and warm each up. Raises KioskError."""
        errors: list[KioskError] = []

        def run(name: str, load: Callable[[], None]) -> None:
            start = time.monotonic()
            try:
                load()
            except KioskError as exc:
                errors.append(exc)
            except Exception as exc:  # an engine bug at load: still a plain message
                errors.append(KioskError(f"the {name} engine failed to start: {exc}"))
            self.load_seconds[name] = round(time.monotonic() - start, 3)

        def load_vad() -> None:
            self.vad = SileroVAD()

        def load_knowledge() -> None:
            self.prompts = GroundedPrompts(self.persona)

        jobs = [("asr", self.asr.load), ("llm", self.llm.load), ("tts", self.tts.load), ("vad", load_vad),
                ("knowledge", load_knowledge)]
        threads = [threading.Thread(target=run, args=job, name=f"load-{job[0]}") for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0] if len(errors) == 1 else KioskError("\n".join(str(e) for e in errors))
        self.llm.prime(self.history.messages(self.prompts.system_prompt(), "")[:-1])

    def start(self, frames: FrameQueue) -> None:
        """Start listening on ``frames``; audio comes out of ``self.playback``."""
        assert self.vad is not None, "load() first"
        rate = self._output_rate or self.tts.sample_rate
        self.playback = PlaybackBuffer(rate)
        self.playback.on_first_audio = self._first_audio
        self.playback.on_turn_end = self._turn_end
        self.playback.on_chunk_start = self._chunk_start
        persona = self.persona
        self.speak = SpeakStage(self.turns, self.tts, rate, lambda: self.persona.fallback_line, self.playback.enqueue, self._notify)
        self.answer = AnswerStage(
            self.turns, self.llm, self.history, lambda: self.prompts,
            lambda: (self.persona.style.max_sentences, self.persona.style.max_words),
            lambda: self.persona.fallback_line, self.speak.put, self._notify,
        )
        self.recognize = RecognizeStage(self.turns, self.asr, self.answer.put, self._notify)
        self.recognize.is_echo = self._is_echo
        self.answer.greeting = lambda: self.persona.greeting if self.persona.kiosk.greet_visitors else None
        for stage in (self.recognize, self.answer, self.speak):
            stage.on_error = self._stage_error
            stage.start()
        self.turns.on_cancel(self._on_cancel)
        self.frames = frames
        self.listener = Listener(
            frames, self.vad, Endpointer(persona.listening), self._on_endpoint,
            on_block=self._on_block, muted=self._muted, strict=self._strict,
            talk_button=(lambda: self._talk_button) if persona.listening.mode == "push_to_talk" else None,
        )
        self.listener.start()
        self.speak.prepare(self._known_lines())

    def _known_lines(self) -> list[str]:
        """The first clause of every answer known in advance, as the AnswerStage will send it."""
        persona = self.persona
        knowledge = persona.knowledge
        lines = [persona.greeting] if persona.kiosk.greet_visitors else []
        for text in [*(qa.answer for qa in knowledge.qa), knowledge.unknown_line, knowledge.decline_line,
                     persona.fallback_line]:
            splitter = ClauseSplitter(max_sentences=persona.style.max_sentences, max_words=persona.style.max_words)
            lines += (splitter.push(text) + splitter.finish())[:1]
        return lines

    def stop(self) -> None:
        self.turns.cancel_all()
        if self.listener:
            self.listener.stop()
        for stage in (self.recognize, self.answer, self.speak):
            stage.stop()

    # ---- observers ------------------------------------------------------------------------------
    def _notify(self, event: TurnEvent) -> None:
        if event.kind == "answer_source" and event.data.get("kind") == "curated":
            self._direct = event.turn
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception:
                log.exception("observer failed on %s", event.kind)

    def _stage_error(self, stage: str, turn: int, exc: BaseException) -> None:
        self._notify(TurnEvent("error", turn, {"stage": stage, "message": str(exc)}))
        if turn and self.turns.is_live(turn) and stage == "asr":
            # the visitor spoke and must hear something: apologise instead of going silent
            line = self.persona.fallback_line
            self.speak.put(Clause(turn, 0, line))
            self.speak.put(EndOfAnswer(turn, line))

    # ---- listening ----------------------------------------------------------------------------
    def _muted(self) -> bool:
        half_duplex = self.persona.audio.echo_cancellation == "half_duplex"
        return bool(half_duplex and self.playback is not None and self._playing is not None)

    def _is_echo(self, text: str) -> bool:
        """A transcript made of the words the avatar just said, heard while it spoke: its own voice."""
        now = time.monotonic()
        if self._playing is None and now - self._last_audio > ECHO_TEXT_WINDOW_S:
            return False
        said = {w for at, t in self._heard if now - at < ECHO_SAID_S for w in _words(t)}
        # content words only: a visitor's "is there a cafe in the building" shares "is", "a", "in" and
        # "the" with almost any answer
        heard = [w for w in _words(text) if w not in FUNCTION_WORDS] or _words(text)
        return bool(heard) and sum(w in said for w in heard) >= ECHO_WORD_SHARE * len(heard)

    def _strict(self) -> bool:
        """While speaking (and shortly after: the room still rings), starting a new utterance is harder."""
        return self._playing is not None or time.monotonic() - self._last_audio < ECHO_TAIL_S

    def _on_block(self, block, speaking: bool, events: list[EndpointEvent]) -> None:
        if speaking and self._pending is not None and self._pending == self._direct and self._confirm_matched():
            speaking = False
        # the visible "thinking" cue as soon as the visitor pauses, long before the endpoint
        assert self.listener is not None
        paused = speaking and self.listener.endpointer.silence_s >= PAUSE_CUE_S
        if paused != self._paused:
            self._paused = paused
            self._paused_at = time.monotonic() if paused else None
            if speaking:
                self._notify(TurnEvent("paused" if paused else "talking", 0))
        if self.asr.streaming and speaking:
            started = any(e.kind == "start" for e in events)
            if started:
                start = next(e for e in events if e.kind == "start")
                assert start.audio is not None
                self.recognize.put(StreamAudio(start.audio, start=True))
            else:
                self.recognize.put(StreamAudio(block))
        listening = self.persona.listening
        if listening.barge_in and self._playing is not None and self.playback is not None:
            self._barge_in(block, speaking)

    def _barge_in(self, block, speaking: bool) -> None:  # noqa: ANN001 (a float32 array)
        """Listener thread, while the avatar speaks: go silent at the first hint of a voice (~0.1 s), and
        drop the answer once it is clearly speech; a cough or a bang only pauses the answer briefly."""
        assert self.listener is not None and self.playback is not None
        listening = self.persona.listening
        now = self.listener.block_time  # capture time: the listener may run behind on a busy machine
        probability = self.listener.probability
        self._voiced_run = self._voiced_run + 1 if probability >= PAUSE_PROBABILITY else 0
        # What is left of the avatar's own voice after echo cancellation is quiet; a visitor's voice
        # stands well above it from its first block, before the voice detector is sure.
        level = float(np.sqrt(np.mean(block**2))) if len(block) else 0.0
        onset = probability >= ONSET_PROBABILITY and level > max(ONSET_MIN_LEVEL, self._residual * ONSET_RATIO)
        if probability < PAUSE_PROBABILITY:  # the echo's level, held and slowly forgotten
            self._residual = max(level, self._residual * RESIDUAL_DECAY)
        # the canceller re-learns the room at the start of every answer: no quick pause meanwhile
        settled = now - self._playing_since >= ONSET_SETTLE_S
        if speaking and self.listener.endpointer.speech_duration >= listening.barge_in_min_speech_s:
            self.interrupt(reason="barge-in")
        elif self._paused_for is None and settled and (self._voiced_run >= PAUSE_FRAMES or onset):
            self._paused_for = now
            self.playback.pause()
            log.debug("answer paused: a voice? (probability %.2f, level %.4f, echo residual %.4f)",
                      probability, level, self._residual)
        elif self._paused_for is not None and not speaking and now - self._paused_for > PAUSE_HOLD_S:
            self._paused_for = None
            self.playback.resume()  # not speech after all: carry on
            log.debug("answer resumed: it was not speech")

    def _on_endpoint(self, event: EndpointEvent) -> None:
        if event.kind == "start":
            self._notify(TurnEvent("listening", 0, {"at": event.time}))
        elif event.kind == "early" and not self.asr.streaming:
            assert event.audio is not None
            turn = self.turns.new_turn()
            timeline = self.turns.timeline(turn)
            timeline.mark("vad_speech_end", event.speech_end)
            timeline.mark("speculative_start", event.time)
            if self._paused_at is not None:
                timeline.mark("thinking_cue", self._paused_at)
            with self._lock:
                self._pending = turn
            self.recognize.put(Utterance(turn, event.audio, speculative=True))
        elif event.kind == "resume":
            with self._lock:
                pending, self._pending = self._pending, None
            if pending is not None:
                self.turns.cancel(pending)
        elif event.kind == "end":
            assert event.audio is not None
            with self._lock:
                pending, self._pending = self._pending, None
            if pending is not None and self.turns.is_live(pending):
                turn = pending
            else:
                turn = self.turns.new_turn()
                self.turns.timeline(turn).mark("vad_speech_end", event.speech_end)
                self.recognize.put(Utterance(turn, event.audio, speculative=False))
            self.turns.timeline(turn).mark("endpoint", event.time)
            self._confirm(turn)

    def _unpause(self) -> None:
        self._paused_for = None
        self._voiced_run = 0
        if self.playback is not None:
            self.playback.resume()

    def _confirm_matched(self) -> bool:
        """Listener thread: the speculative turn found a curated answer; end the question early."""
        assert self.listener is not None
        endpointer = self.listener.endpointer
        if endpointer.silence_s < min(self.persona.listening.matched_end_of_speech_s,
                                      self.persona.listening.end_of_speech_s):
            return False
        with self._lock:
            turn, self._pending = self._pending, None
        if turn is None or not self.turns.is_live(turn):
            return False
        # the utterance is over for the endpointer too: talking on from here is a barge-in
        endpointer.reset()
        self.turns.timeline(turn).mark("endpoint")
        self._confirm(turn)
        return True

    def _confirm(self, turn: int) -> None:
        with self._lock:
            older = [t for t in self._confirmed if t != turn]
            self._confirmed = {turn}
        for old in older:  # a new question replaces an answer still being prepared or played
            self.turns.cancel(old)
        self._notify(TurnEvent("thinking", turn))
        assert self.playback is not None
        self._unpause()
        self.playback.release(turn)

    def set_talk_button(self, held: bool) -> None:
        """Push-to-talk: the visitor pressed (True) or released (False) the talk button or key.

        Pressing it while the avatar speaks interrupts the answer. Callable from any thread.
        """
        if held and not self._talk_button and self._playing is not None:
            self.interrupt(reason="talk button")
        self._talk_button = held

    def submit_text(self, text: str) -> int:
        """Start a turn from typed text (tests, staff test-speak, persona eval)."""
        from kiosk.pipeline.messages import Transcript

        turn = self.turns.new_turn()
        self.turns.timeline(turn).mark("speech_end")
        self.turns.timeline(turn).mark("asr_final")
        self._confirm(turn)
        self.answer.put(Transcript(turn, text, True))
        return turn

    def say(self, text: str) -> int:
        """Speak ``text`` as it is (staff test-speak): no model, nothing added to the history."""
        turn = self.turns.new_turn()
        self.turns.timeline(turn).mark("speech_end")
        self._confirm(turn)
        splitter = ClauseSplitter(max_sentences=20, max_words=200)
        for index, clause in enumerate(splitter.push(text) + splitter.finish()):
            self.speak.put(Clause(turn, index, clause))
        self.speak.put(EndOfAnswer(turn, text))
        return turn

    # ---- cancelling -----------------------------------------------------------------------------
    def interrupt(self, reason: str = "interrupt") -> None:
        """Stop speaking now and drop the rest of the answer (barge-in, staff, idle timeout)."""
        with self._lock:
            targets = set(self._confirmed)
            if self._playing is not None:
                targets.add(self._playing)
        for turn in targets:
            self.turns.cancel(turn)
            self._notify(TurnEvent("interrupted", turn, {"reason": reason}))
        self._unpause()

    def _on_cancel(self, turn: int) -> None:
        if self.playback is not None:
            self.playback.drop(turn)
        with self._lock:
            self._confirmed.discard(turn)
            if self._playing == turn:
                self._playing = None
            confirmed = self.turns.timeline(turn).get("endpoint") is not None
        if not confirmed:
            self.history.discard(turn)

    # ---- playback callbacks (sink thread: keep them short) ----------------------------------------
    def _first_audio(self, turn: int, at: float) -> None:
        self._playing = turn
        self._playing_since = at
        self.turns.timeline(turn).mark("first_audio_out", at)
        self._notify(TurnEvent("speaking", turn, {"at": at}))

    def _chunk_start(self, chunk: SpeechChunk, at: float) -> None:
        self._heard.append((at, chunk.text))
        self._notify(TurnEvent("chunk", chunk.turn, {"chunk": chunk, "at": at}))

    def _turn_end(self, turn: int, at: float) -> None:
        self.turns.timeline(turn).mark("turn_end", at)
        self._last_audio = max(self._last_audio, at)
        with self._lock:
            if self._playing == turn:
                self._playing = None
            self._confirmed.discard(turn)
        self._notify(TurnEvent("done", turn, {"at": at}))

    def reset_session(self) -> None:
        """Forget the conversation (idle timeout / privacy)."""
        self.interrupt(reason="session reset")
        self.history.clear()

    def apply_persona(self, persona: Persona) -> None:
        """Use an edited persona from the next turn on (live reload). Engine changes need a restart."""
        if persona.engines != self.persona.engines:
            log.warning("engine settings changed: they apply at the next start of the kiosk")
        prompts = GroundedPrompts(persona)  # ~1 s: built before the switch so no turn waits
        self.persona, self.prompts = persona, prompts
        self.history.clear()
        if self.listener is not None:  # started: get the new persona's lines ready
            self.speak.prepare(self._known_lines())
        self.llm.prime(self.history.messages(prompts.system_prompt(), "")[:-1])

    def health(self, hang_s: float = 120.0) -> str | None:
        """What is broken (a dead or stuck thread), or None when every part is running."""
        if self.listener is not None and not self.listener.alive:
            return "the listening thread stopped"
        for stage in (self.recognize, self.answer, self.speak):
            problem = stage.health(hang_s)
            if problem:
                return problem
        return None

    @property
    def speaking(self) -> bool:
        return self._playing is not None
