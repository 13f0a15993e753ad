"""Stages with fake engines: each stage is handed its input and its output is read back."""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from kiosk.errors import EngineError
from kiosk.llm.prompt import History, PromptBuilder
from kiosk.persona import default_persona
from kiosk.pipeline.messages import Clause, EndOfAnswer, SpeechChunk, Transcript, Utterance
from kiosk.pipeline.stages import AnswerStage, RecognizeStage, SpeakStage
from kiosk.pipeline.turns import TurnControl
from kiosk.tts.base import Cancelled, Synthesized


class FakeLLM:
    name = "fake"

    def __init__(self, pieces, delay=0.0, fail=False):
        self.pieces, self.delay, self.fail = pieces, delay, fail
        self.primed = 0

    def load(self):
        pass

    def prime(self, messages):
        self.primed += 1

    def stream(self, messages, cancel):
        for piece in self.pieces:
            if cancel.is_set():
                return
            time.sleep(self.delay)
            yield piece
        if self.fail:
            raise EngineError("model crashed")


class FakeTTS:
    name = "fake"
    sample_rate = 1000

    def __init__(self, seconds=0.0, fail_on=""):
        self.seconds, self.fail_on = seconds, fail_on
        self._cancel = threading.Event()

    def load(self):
        pass

    def cancel(self):
        self._cancel.set()

    def synthesize(self, text):
        if self.fail_on and self.fail_on in text:
            raise EngineError(f"cannot speak {text!r}")
        if self._cancel.wait(self.seconds):
            self._cancel.clear()
            raise Cancelled()
        yield Synthesized(np.full(100, 0.5, np.float32), 1000, ())


class FakeASR:
    name = "fake"
    streaming = False

    def __init__(self, text):
        self.text = text

    def transcribe(self, audio):
        return self.text, ()


def collect():
    out: queue.Queue = queue.Queue()
    return out, out.put


def drain(out: queue.Queue, until=EndOfAnswer, timeout=5.0):
    items = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            item = out.get(timeout=0.05)
        except queue.Empty:
            continue
        items.append(item)
        if isinstance(item, until):
            break
    return items


def answer_stage(llm, turns=None):
    turns = turns or TurnControl()
    persona = default_persona()
    out, emit = collect()
    events = []
    stage = AnswerStage(
        turns, llm, History(), lambda: PromptBuilder(persona), lambda: (3, 60), lambda: "Sorry, say again?", emit, events.append
    )
    stage.start()
    return stage, turns, out, events


def test_answer_is_streamed_as_clauses_then_end_of_answer():
    stage, turns, out, _ = answer_stage(FakeLLM(["Sure, the museum ", "opens at nine. ", "Enjoy your visit!"]))
    turn = turns.new_turn()
    stage.put(Transcript(turn, "When do you open?", True))
    items = drain(out)
    assert [c.text for c in items if isinstance(c, Clause)] == ["Sure, the museum opens at nine.", "Enjoy your visit!"]
    assert isinstance(items[-1], EndOfAnswer)
    assert turns.timeline(turn).get("first_clause") is not None
    stage.stop()


def test_empty_answer_speaks_the_fallback_line():
    stage, turns, out, events = answer_stage(FakeLLM([]))
    turn = turns.new_turn()
    stage.put(Transcript(turn, "hello", True))
    items = drain(out)
    assert [c.text for c in items if isinstance(c, Clause)] == ["Sorry, say again?"]
    assert any(e.kind == "fallback" for e in events)
    stage.stop()


def test_model_crash_before_any_word_speaks_the_fallback_and_stage_survives():
    stage, turns, out, events = answer_stage(FakeLLM([], fail=True))
    turn = turns.new_turn()
    stage.put(Transcript(turn, "hello", True))
    items = drain(out)
    assert [c.text for c in items if isinstance(c, Clause)] == ["Sorry, say again?"]
    assert any(e.kind == "error" for e in events)
    turn2 = turns.new_turn()
    stage.put(Transcript(turn2, "again", True))
    assert drain(out)[-1].turn == turn2
    stage.stop()


def test_runaway_model_is_stopped_at_the_sentence_cap():
    llm = FakeLLM(["Yes. "] * 500)
    stage, turns, out, _ = answer_stage(llm)
    turn = turns.new_turn()
    stage.put(Transcript(turn, "talk", True))
    items = drain(out)
    assert len([c for c in items if isinstance(c, Clause)]) == 3
    stage.stop()


def test_cancel_stops_generation_quickly():
    llm = FakeLLM(["word "] * 1000, delay=0.01)
    stage, turns, out, _ = answer_stage(llm)
    turn = turns.new_turn()
    stage.put(Transcript(turn, "talk", True))
    time.sleep(0.2)
    started = time.monotonic()
    turns.cancel(turn)
    while stage.busy_turn == turn and time.monotonic() - started < 1:
        time.sleep(0.002)
    assert time.monotonic() - started < 0.1
    stage.stop()


def test_tts_failure_on_one_clause_keeps_the_rest_and_fallback_when_nothing_spoken():
    turns = TurnControl()
    out, emit = collect()
    events = []
    stage = SpeakStage(turns, FakeTTS(fail_on="☃"), 1000, lambda: "Sorry.", emit, events.append)
    stage.start()
    turn = turns.new_turn()
    stage.put(Clause(turn, 0, "bad ☃ clause"))
    stage.put(Clause(turn, 1, "good clause"))
    stage.put(EndOfAnswer(turn))
    items = drain(out)
    assert [c.text for c in items if isinstance(c, SpeechChunk)] == ["good clause"]
    turn2 = turns.new_turn()
    stage.put(Clause(turn2, 0, "only ☃"))
    stage.put(EndOfAnswer(turn2))
    items = drain(out)
    assert [c.text for c in items if isinstance(c, SpeechChunk)] == ["Sorry."]
    stage.stop()


def test_cancel_aborts_synthesis_in_progress_within_100ms():
    turns = TurnControl()
    out, emit = collect()
    stage = SpeakStage(turns, FakeTTS(seconds=5.0), 1000, lambda: "Sorry.", emit, lambda e: None)
    stage.start()
    turn = turns.new_turn()
    stage.put(Clause(turn, 0, "a long clause"))
    time.sleep(0.1)
    started = time.monotonic()
    turns.cancel(turn)
    while stage.busy_turn == turn and time.monotonic() - started < 1:
        time.sleep(0.002)
    assert time.monotonic() - started < 0.1
    assert out.empty()
    stage.stop()


def test_recognition_of_nothing_cancels_the_turn_quietly():
    turns = TurnControl()
    out, emit = collect()
    events = []
    stage = RecognizeStage(turns, FakeASR(""), emit, events.append)
    stage.start()
    turn = turns.new_turn()
    stage.put(Utterance(turn, np.zeros(16000, np.float32), speculative=False))
    deadline = time.monotonic() + 2
    while turns.is_live(turn) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not turns.is_live(turn)
    assert [e.kind for e in events] == ["no_speech"]
    assert out.empty()
    stage.stop()


def test_messages_of_cancelled_turns_are_dropped():
    turns = TurnControl()
    out, emit = collect()
    stage = RecognizeStage(turns, FakeASR("hello"), emit, lambda e: None)
    stage.start()
    old, new = turns.new_turn(), turns.new_turn()
    turns.cancel(old)
    stage.put(Utterance(old, np.zeros(10, np.float32), False))
    stage.put(Utterance(new, np.zeros(10, np.float32), False))
    item = out.get(timeout=2)
    assert item.turn == new and item.text == "hello"
    stage.stop()


def test_prepared_lines_are_spoken_without_synthesizing_again():
    """A curated answer's first clause is synthesized ahead of time, once."""
    calls: list[str] = []

    class CountingTTS:
        sample_rate = 16000

        def synthesize(self, text):
            calls.append(text)
            yield Synthesized(np.full(1600, 0.1, np.float32), 16000, ())

        def cancel(self):
            pass

    turns = TurnControl()
    out: list = []
    done = threading.Event()
    stage = SpeakStage(turns, CountingTTS(), 16000, lambda: "sorry", lambda m: (out.append(m), done.set()),
                       lambda e: None)
    stage.start()
    try:
        stage.prepare(["The restrooms are on the left.", "I'm not sure."])
        deadline = time.monotonic() + 5
        while len(calls) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        turn = turns.new_turn()
        stage.put(Clause(turn, 0, "The restrooms are on the left."))
        assert done.wait(5)
        assert calls == ["The restrooms are on the left.", "I'm not sure."]
        assert isinstance(out[0], SpeechChunk) and len(out[0].audio) == 1600
    finally:
        stage.stop()
