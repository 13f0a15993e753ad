"""Real Piper synthesis with the embedded Joe voice, alignments on."""

from __future__ import annotations

import threading
import time

import pytest

from kiosk.errors import EngineError, ModelError
from kiosk.tts import Cancelled, create_tts
from kiosk.tts.config import PiperSettings

pytestmark = pytest.mark.real


@pytest.fixture(scope="module")
def piper():
    engine = create_tts(PiperSettings())
    engine.load()
    return engine


def test_every_chunk_carries_phoneme_timings_that_cover_the_audio(piper):
    pieces = list(piper.synthesize("Hello there. The museum opens at nine."))
    assert len(pieces) == 2  # one per sentence
    for piece in pieces:
        assert piece.sample_rate == 22050
        assert piece.phonemes
        total = sum(p.duration for p in piece.phonemes)
        assert abs(total - len(piece.audio) / piece.sample_rate) < 1e-6
        starts = [p.start for p in piece.phonemes]
        assert starts == sorted(starts)


@pytest.mark.parametrize(
    "text",
    ["I love it 😊🎉", "See https://example.org/a?b=c now", "Call 555-0100 or pay $12.50, 3/4 off!",
     "Привет, мир", "東京へようこそ", "ÆØÅ café naïve", "", "   ", "...", "\u202e\u200b"],
)
def test_odd_text_never_crashes(piper, text):
    try:
        for piece in piper.synthesize(text):
            assert piece.audio.dtype.name == "float32"
    except EngineError as exc:  # allowed: a clear message, never another exception type
        assert exc.message


def test_cancel_aborts_within_100ms(piper):
    text = "This is a very long sentence about the museum " * 8
    timer = threading.Timer(0.15, piper.cancel)
    timer.start()
    start = time.monotonic()
    with pytest.raises(Cancelled):
        list(piper.synthesize(text))
    assert time.monotonic() - start < 0.15 + 0.1


def test_speed_setting_changes_duration():
    fast = create_tts(PiperSettings(speed=1.5, variation=0.0, rhythm_variation=0.0))
    fast.load()
    normal = create_tts(PiperSettings(variation=0.0, rhythm_variation=0.0))
    normal.load()
    text = "The museum opens at nine in the morning."
    duration = lambda engine: sum(len(p.audio) for p in engine.synthesize(text))  # noqa: E731
    assert duration(fast) < 0.8 * duration(normal)


def test_missing_voice_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="Piper voice not found"):
        create_tts(PiperSettings(voice=str(tmp_path / "nope.onnx"))).load()


def test_voice_without_its_json_is_a_clear_error(tmp_path):
    voice = tmp_path / "v.onnx"
    voice.write_bytes(b"x" * 100)
    with pytest.raises(ModelError, match=r"\.onnx\.json"):
        create_tts(PiperSettings(voice=str(voice))).load()


def test_corrupt_voice_is_a_clear_error(tmp_path):
    from kiosk import models

    voice = tmp_path / "v.onnx"
    voice.write_bytes(b"\x08garbage" * 1000)
    (tmp_path / "v.onnx.json").write_bytes(models.PIPER_JOE.path().with_suffix(".onnx.json").read_bytes())
    with pytest.raises(ModelError, match="not a valid ONNX model|cannot load the Piper voice"):
        create_tts(PiperSettings(voice=str(voice))).load()
