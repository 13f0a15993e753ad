"""The kiosk app for real: a window on Xvfb, microphone and speaker on PulseAudio, one spoken turn."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from kiosk.audio.wavio import read_wav, write_wav

pytestmark = pytest.mark.real


def streams(env, kind: str) -> list[str]:
    out = subprocess.run(["pactl", "list", "short", kind], env=env, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def test_app_hears_a_question_and_answers_through_the_speaker(tmp_path, screen, pulse, questions):
    env = dict(os.environ, **pulse, DISPLAY=screen, QT_QPA_PLATFORM="xcb", KIOSK_CONFIG_DIR=str(tmp_path))
    # no --persona: the embedded default persona, as `installer/install.sh --run` starts it
    app = subprocess.Popen([sys.executable, "-m", "kiosk", "--windowed"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    recorder = None
    try:
        deadline = time.monotonic() + 120
        while not (streams(env, "source-outputs") and streams(env, "sink-inputs")):
            assert app.poll() is None, app.stdout.read()
            assert time.monotonic() < deadline, "the app did not open its microphone and speaker"
            time.sleep(0.5)
        time.sleep(1.0)
        recording = tmp_path / "room.wav"
        recorder = subprocess.Popen(["parecord", "--device=room.monitor", "--file-format=wav", "--rate=16000",
                                     "--channels=1", str(recording)], env=env)
        question = questions[1]
        wav = tmp_path / "question.wav"
        write_wav(wav, question.audio, question.rate)
        time.sleep(0.5)
        subprocess.run(["paplay", "--device=room", str(wav)], env=env, check=True, timeout=30)
        time.sleep(12)
    finally:
        if recorder is not None:
            recorder.terminate()
            recorder.wait(5)
        app.terminate()
        output, _ = app.communicate(timeout=20)
    assert "Traceback" not in output, output
    audio, rate = read_wav(recording)
    question_len = len(question.audio) / question.rate
    # the question occupies the first seconds; anything loud well after it is the kiosk's reply
    after = audio[int((0.5 + question_len + 0.3) * rate):]
    assert after.size and np.abs(after).max() > 0.05, "no reply was heard from the kiosk's speaker"


def test_with_echo_cancellation_the_kiosk_does_not_answer_itself(tmp_path, screen, pulse, questions):
    """The microphone hears the kiosk's own speaker at full level (null sink monitor): with WebRTC
    echo cancellation and barge-in on, its own answers must not start new turns."""
    env = dict(os.environ, **pulse, DISPLAY=screen, QT_QPA_PLATFORM="xcb", KIOSK_CONFIG_DIR=str(tmp_path))
    persona = tmp_path / "persona.toml"
    persona.write_text('[avatar]\nname = "aria"\n[audio]\necho_cancellation = "webrtc"\n[listening]\nbarge_in = true\n')
    log = tmp_path / "app.log"
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "--windowed", "--persona", str(persona), "-v"],
                               env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while not (streams(env, "source-outputs") and streams(env, "sink-inputs")):
            assert app.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the app did not open its microphone and speaker"
            time.sleep(0.5)
        time.sleep(2.0)
        asked = 0
        for question in (questions[2], questions[4]):
            wav = tmp_path / f"q{asked}.wav"
            write_wav(wav, question.audio, question.rate)
            subprocess.run(["paplay", "--device=room", str(wav)], env=env, check=True, timeout=30)
            asked += 1
            time.sleep(14)  # the whole answer plays into the microphone
    finally:
        app.terminate()
        app.wait(20)
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    transcripts = [line for line in text.splitlines() if "event transcript" in line]
    speaking = [line for line in text.splitlines() if "event speaking" in line]
    assert len(speaking) >= asked, text[-3000:]
    assert len(transcripts) == asked, "self-triggered turns:\n" + "\n".join(transcripts)
