"""The whole pipeline with the real engines: interrupting, barge-in, typed turns."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.wavio import resample
from kiosk.persona import default_persona
from kiosk.pipeline.conversation import Conversation
from kiosk.pipeline.headless import HeadlessSession

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def session():
    persona = default_persona()
    persona.audio.echo_cancellation = "off"  # headless: the virtual speaker does not leak into the input
    conversation = Conversation(persona)
    conversation.load()
    session = HeadlessSession(conversation)
    yield session
    session.close()


def wait_for(session, kind, turn=None, timeout=20.0):
    deadline = time.monotonic() + timeout
    with session._changed:
        while time.monotonic() < deadline:
            for event in session._events:
                if event.kind == kind and (turn is None or event.turn == turn):
                    return event
            session._changed.wait(0.02)
    raise AssertionError(f"no {kind} event within {timeout} s: {[e.kind for e in session._events]}")


def test_interrupt_silences_the_reply_within_100ms(session):
    conversation = session.conversation
    with session._changed:
        session._events.clear()
    turn = conversation.submit_text("Tell me about the history of this city in detail.")
    wait_for(session, "speaking", turn)
    time.sleep(0.3)
    start = time.monotonic()
    conversation.interrupt()
    silent_after = None
    while time.monotonic() - start < 1.0:
        if conversation.playback.position() is None and not conversation.playback.speaking:
            silent_after = time.monotonic() - start
            break
        time.sleep(0.002)
    assert silent_after is not None and silent_after < 0.1
    recorded_before = len(session.speaker.recording)
    time.sleep(0.3)
    tail = np.concatenate(session.speaker.recording[recorded_before:])
    assert not np.abs(tail).any(), "audio kept playing after the interrupt"
    assert all(stage.busy_turn != turn for stage in (conversation.answer, conversation.speak))
    assert not any(e.kind == "done" and e.turn == turn for e in session._events)


def test_typed_question_is_answered_and_remembered(session):
    conversation = session.conversation
    conversation.history.clear()
    turn = conversation.submit_text("Hello!")
    wait_for(session, "done", turn, timeout=30)
    messages = conversation.history.messages("system", "next")
    assert messages[1] == {"role": "user", "content": "Hello!"}
    assert messages[2]["role"] == "assistant" and messages[2]["content"]


def test_visitor_talking_over_the_reply_barges_in_and_is_answered(session, questions):
    first, second = questions[2], questions[1]
    rate = 16000
    audio = np.concatenate([
        resample(first.audio, first.rate, rate),
        np.zeros(int(2.2 * rate), np.float32),  # the reply to the first question starts in here
        resample(second.audio, second.rate, rate),
    ])
    result = session.run(audio, rate, timeout_s=40)
    kinds = result.events
    assert "interrupted" in kinds, kinds
    interrupted = [e for e in session._events if e.kind == "interrupted"]
    assert interrupted[0].data["reason"] == "barge-in"
    assert result.outcome == "answered"
    assert result.transcript.lower().startswith("where can i find the restroom")


def test_engine_crash_speaks_the_fallback_and_the_next_turn_works(session, monkeypatch):
    conversation = session.conversation
    calls = {"n": 0}
    original = conversation.llm.stream

    def broken(messages, cancel, **kwargs):
        calls["n"] += 1
        raise RuntimeError("simulated crash inside the engine")

    monkeypatch.setattr(conversation.llm, "stream", broken)
    turn = conversation.submit_text("Hi")
    wait_for(session, "error", turn)
    done = wait_for(session, "done", turn, timeout=30)  # the visitor still hears the fallback line
    reply = next(e for e in session._events if e.kind == "reply" and e.turn == turn)
    assert reply.data["text"] == conversation.persona.fallback_line and done
    monkeypatch.setattr(conversation.llm, "stream", original)
    turn2 = conversation.submit_text("Hello again")
    wait_for(session, "done", turn2, timeout=30)
    assert calls["n"] >= 1
    assert threading.active_count() < 40


def test_push_to_talk_listens_only_while_the_button_is_held(questions):
    from kiosk.audio.sources import WavFeeder

    persona = default_persona()
    persona.listening.mode = "push_to_talk"
    conversation = Conversation(persona)
    conversation.load()
    session = HeadlessSession(conversation)
    try:
        question = questions[1]
        rate = question.rate
        # spoken without the button: ignored
        feeder = WavFeeder(np.concatenate([question.audio, np.zeros(rate, np.float32)]), rate, session.frames)
        feeder.start()
        feeder.finished.wait(15)
        feeder.stop()
        time.sleep(0.5)
        assert not [e for e in session._events if e.kind in ("listening", "transcript")]
        # held while speaking, released after: answered
        conversation.set_talk_button(True)
        feeder = WavFeeder(np.concatenate([question.audio, np.zeros(rate // 2, np.float32)]), rate, session.frames)
        feeder.start()
        feeder.finished.wait(15)
        conversation.set_talk_button(False)
        transcript = wait_for(session, "transcript", timeout=10)
        assert transcript.data["text"].lower().startswith("where can i find the restroom")
        wait_for(session, "done", transcript.turn, timeout=30)
        feeder.stop()
    finally:
        session.close()


def test_a_curated_match_ends_the_question_after_the_shorter_silence(questions):
    """The speculative transcript matched a curated entry: matched_end_of_speech_s of silence is enough."""
    from kiosk.persona import load_persona

    persona = load_persona(Path(__file__).parents[2] / "assets/personas/museum-greeter/persona.toml")
    persona.audio.echo_cancellation = "off"
    persona.listening.end_of_speech_s = 2.5  # far from the 0.3 s matched silence: no timing race in the test
    persona.listening.matched_end_of_speech_s = 0.3
    conversation = Conversation(persona)
    conversation.load()
    session = HeadlessSession(conversation)
    try:
        closing = next(q for q in questions if "restrooms" in q.text)
        result = session.run(closing.audio, closing.rate)
        assert result.outcome == "answered" and result.source == "direct", result.events
        assert result.reply in [qa.answer for qa in persona.knowledge.qa]
        assert result.marks["endpoint"] < 2.0, result.marks  # not the 2.5 s endpoint
        assert "interrupted" not in result.events  # the trailing silence is not taken for a barge-in
        # a question the model answers still waits for the full end-of-speech silence
        other = next(q for q in questions if "who are you" in q.text)
        result = session.run(other.audio, other.rate)
        assert result.outcome == "answered"
        assert result.marks["endpoint"] >= 2.4, result.marks
    finally:
        session.close()


def test_the_greeting_comes_before_a_new_conversations_first_answer_only(session):
    conversation = session.conversation
    conversation.persona.kiosk.greet_visitors = True
    try:
        conversation.reset_session()
        turn = conversation.submit_text("Hello, who are you?")
        wait_for(session, "done", turn, timeout=60)
        clauses = [e.data["text"] for e in session._events if e.kind == "clause" and e.turn == turn]
        assert clauses[0] == conversation.persona.greeting and len(clauses) >= 2
        turn = conversation.submit_text("What can you do?")
        wait_for(session, "done", turn, timeout=60)
        clauses = [e.data["text"] for e in session._events if e.kind == "clause" and e.turn == turn]
        assert clauses and clauses[0] != conversation.persona.greeting
    finally:
        conversation.persona.kiosk.greet_visitors = False
