"""`kiosk converse` end to end with the real engines, as an operator would run it."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from kiosk.audio.wavio import read_wav, resample

pytestmark = pytest.mark.real


def kiosk(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "kiosk", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def assert_no_traceback(result):
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


def test_converse_answers_a_spoken_question(tmp_path, questions):
    question = questions[1]  # "Where can I find the restrooms?"
    # stereo, 48 kHz: any rate and channel count is accepted
    audio = resample(question.audio, question.rate, 48000)
    stereo = np.stack([audio, audio * 0.8], axis=1)
    wav = tmp_path / "question.wav"
    import wave

    with wave.open(str(wav), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes((stereo * 32767).astype("<i2").tobytes())
    reply, timeline = tmp_path / "reply.wav", tmp_path / "turn.json"
    result = kiosk("converse", "--input", wav, "--output", reply, "--timeline", timeline)
    assert result.returncode == 0, result.stderr
    assert_no_traceback(result)
    data = json.loads(timeline.read_text())
    assert data["outcome"] == "answered"
    assert data["transcript"].lower().startswith("where can i find the restroom")
    assert data["reply"]
    times = data["times_s"]
    for mark in ("speech_end", "endpoint", "asr_final", "llm_first_token", "first_clause", "tts_first_chunk",
                 "first_audio_out", "turn_end"):
        assert mark in times, mark
    assert times["speech_end"] == 0.0
    assert 0 < times["first_audio_out"] < 3.0
    assert times["endpoint"] <= times["first_audio_out"]  # never speaks before the visitor has finished
    audio, rate = read_wav(reply)
    assert rate == data["sample_rate"]
    assert abs(len(audio) / rate - data["reply_duration_s"]) < 0.05
    assert np.abs(audio).max() > 0.1
    phonemes = data["phonemes"]
    assert phonemes and phonemes[-1]["start"] + phonemes[-1]["duration"] <= len(audio) / rate + 0.05


def test_unreadable_wav_is_a_clear_message(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"this is not audio")
    result = kiosk("converse", "--input", bad, "--output", tmp_path / "r.wav")
    assert result.returncode == 2
    assert "is not a WAV file" in result.stderr
    assert_no_traceback(result)
    missing = kiosk("converse", "--input", tmp_path / "missing.wav")
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    assert_no_traceback(missing)


@pytest.mark.parametrize("kind", ["silence", "noise"])
def test_silence_or_noise_only_says_nothing_was_heard(tmp_path, write_audio, kind):
    rng = np.random.default_rng(3)
    audio = np.zeros(16000 * 3, np.float32) if kind == "silence" else (rng.standard_normal(16000 * 3) * 0.05).astype(np.float32)
    result = kiosk("converse", "--input", write_audio(f"{kind}.wav", audio), "--timeline", tmp_path / "t.json")
    assert result.returncode == 3, result.stderr
    assert "No speech was recognised" in result.stderr
    assert_no_traceback(result)
    assert json.loads((tmp_path / "t.json").read_text())["outcome"] == "no_speech"


def test_a_60_second_monologue_is_capped_and_still_answered(tmp_path, questions, write_audio):
    parts = []
    while sum(len(p) for p in parts) < 61 * 16000:
        for q in questions:
            parts.append(resample(q.audio, q.rate, 16000))
    monologue = np.concatenate(parts)[: 61 * 16000]
    result = kiosk("converse", "--input", write_audio("long.wav", monologue), "--timeline", tmp_path / "t.json", timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["outcome"] == "answered" and data["reply"]


def test_broken_model_in_persona_is_a_clear_message(tmp_path, question_wav):
    gguf = tmp_path / "broken.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 1000)
    persona = tmp_path / "p.toml"
    persona.write_text(f'[engines.llm]\nengine = "llama_cpp"\nmodel = "{gguf}"\n')
    result = kiosk("converse", "--input", question_wav[0], "--persona", persona)
    assert result.returncode == 2
    assert "cannot load the language model" in result.stderr and "fix:" in result.stderr
    assert_no_traceback(result)


def test_broken_persona_file_is_a_clear_message(tmp_path, question_wav):
    persona = tmp_path / "p.toml"
    persona.write_text('nmae = "Bob"\n[style]\nmax_sentences = 0\n')
    result = kiosk("converse", "--input", question_wav[0], "--persona", persona)
    assert result.returncode == 2
    assert "did you mean 'name'" in result.stderr
    assert f"{persona}:3: [style.max_sentences]" in result.stderr
    assert_no_traceback(result)
