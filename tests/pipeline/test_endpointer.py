import numpy as np

from kiosk.audio.config import ListeningSettings
from kiosk.audio.endpointer import FRAME_S, Endpointer
from kiosk.audio.vad import FRAME


def run(probabilities, settings=None):
    endpointer = Endpointer(settings or ListeningSettings())
    events = []
    for index, p in enumerate(probabilities):
        frame = np.full(FRAME, index, dtype=np.float32)
        for event in endpointer.push(frame, p, index * FRAME_S):
            events.append((event.kind, index, event))
    return events


def frames(seconds):
    return round(seconds / FRAME_S)


def test_question_gives_start_early_and_end_at_configured_silences():
    settings = ListeningSettings(early_start_s=0.2, end_of_speech_s=0.5)
    probs = [0.0] * 10 + [0.9] * frames(1.0) + [0.0] * frames(1.0)
    events = run(probs, settings)
    kinds = [k for k, _, _ in events]
    assert kinds == ["start", "early", "end"]
    last_voiced = 10 + frames(1.0) - 1
    _, early_at, early = events[1]
    _, end_at, end = events[2]
    assert early_at - last_voiced == frames(0.2)
    assert end_at - last_voiced == frames(0.5)
    assert end.speech_end == last_voiced * FRAME_S
    # the utterance keeps a pre-roll before the detected start
    assert end.audio[0] < 10


def test_speech_resuming_after_early_start_voids_it():
    probs = [0.9] * frames(0.6) + [0.0] * frames(0.3) + [0.9] * frames(0.5) + [0.0] * frames(1.0)
    kinds = [k for k, _, _ in run(probs)]
    assert kinds == ["start", "early", "resume", "early", "end"]


def test_short_clicks_are_ignored():
    probs = ([0.9] * 2 + [0.0] * 10) * 5
    assert run(probs) == []


def test_monologue_is_cut_at_max_listen_and_keeps_the_last_seconds():
    settings = ListeningSettings(max_listen_s=10, max_utterance_s=5)
    events = run([0.9] * frames(12), settings)
    ends = [e for k, _, e in events if k == "end"]
    assert len(ends) == 1
    assert len(ends[0].audio) == frames(5) * FRAME


def test_hysteresis_keeps_quiet_syllables_inside_the_utterance():
    probs = [0.9] * frames(0.5) + [0.4] * frames(0.6) + [0.9] * frames(0.3) + [0.0] * frames(1.0)
    kinds = [k for k, _, _ in run(probs)]
    assert kinds == ["start", "early", "end"]


def test_push_to_talk_button_defines_the_utterance():
    endpointer = Endpointer(ListeningSettings(mode="push_to_talk"))
    frame = np.zeros(FRAME, np.float32)
    for _ in range(5):
        endpointer.idle(frame)  # pre-roll only
    kinds = [e.kind for i in range(20) for e in endpointer.hold(frame, i * FRAME_S)]
    assert kinds == ["start"]
    (end,) = endpointer.release(1.0)
    assert end.kind == "end" and len(end.audio) == (5 + 20) * FRAME
    assert endpointer.release(1.1) == []
