"""The shipped audio lip-sync model, run by the real onnxruntime on real Piper speech."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.errors import ModelError
from kiosk.lipsync import features
from kiosk.lipsync.audio_model import AudioLipSync, default_model_path
from kiosk.lipsync.loudness import LoudnessMouth
from kiosk.lipsync.phonemes import VISEME_INDEX, VISEMES
from kiosk.lipsync.train import HELD_OUT_KIOSK, OPENNESS, frame_labels, segments

pytestmark = pytest.mark.real

SIL = VISEME_INDEX["sil"]


@pytest.fixture(scope="module")
def lipsync() -> AudioLipSync:
    return AudioLipSync()


@pytest.fixture(scope="module")
def speech():
    """Held-out sentences (never in training) spoken by Piper: [(audio, rate, labels per 10 ms)]."""
    from kiosk.tts.config import PiperSettings
    from kiosk.tts.piper import PiperTTS

    tts = PiperTTS(PiperSettings())
    tts.load()
    out = []
    for text in (HELD_OUT_KIOSK[0], HELD_OUT_KIOSK[12]):
        for piece in tts.synthesize(text):
            n = int(np.ceil(len(piece.audio) / piece.sample_rate * features.FPS))
            out.append((piece.audio, piece.sample_rate, frame_labels(segments(piece.phonemes), n)))
    return out


def test_model_ships_small_and_loads(lipsync):
    assert default_model_path().stat().st_size < 2_000_000
    assert lipsync.fps == 100
    assert 0 < lipsync.lookahead_s <= 0.04


def test_output_is_15_weights_at_100_fps(lipsync, speech):
    audio, rate, _ = speech[0]
    weights = lipsync.predict(audio, rate)
    assert weights.shape == (int(np.ceil(round(len(audio) * 16000 / rate) / 160)), len(VISEMES))
    assert abs(len(weights) - len(audio) / rate * 100) <= 1
    assert weights.dtype == np.float32
    assert np.all(weights >= 0) and np.allclose(weights.sum(axis=1), 1.0, atol=1e-4)


def test_streaming_in_20ms_chunks_equals_whole_clip(lipsync, speech):
    audio, rate, _ = speech[0]
    whole = lipsync.predict(audio, rate)
    for chunk in (rate // 50, 1234):
        lipsync.reset()
        parts = [lipsync.push(audio[i : i + chunk], rate) for i in range(0, len(audio), chunk)]
        streamed = np.concatenate([*parts, lipsync.flush()])
        assert streamed.shape == whole.shape
        np.testing.assert_allclose(streamed, whole, atol=1e-4)
    # frames come out while the audio is still arriving, not only at the end
    lipsync.reset()
    early = lipsync.push(audio[: rate // 2], rate)
    lipsync.reset()
    assert len(early) >= 30


def test_other_sample_rates_give_the_same_timeline(lipsync, speech):
    import soxr

    audio, rate, labels = speech[0]
    base = lipsync.predict(audio, rate).argmax(1)
    for other in (16000, 48000):
        weights = lipsync.predict(soxr.resample(audio, rate, other), other)
        assert abs(len(weights) - len(base)) <= 1
        n = min(len(weights), len(base))
        assert np.mean(weights[:n].argmax(1) == base[:n]) > 0.8


def test_mouth_closed_on_silence(lipsync):
    for rate in (16000, 22050):
        weights = lipsync.predict(np.zeros(rate, np.float32), rate)
        assert len(weights) == 100
        assert np.mean(weights.argmax(1) == SIL) > 0.95
        assert float(np.mean(weights @ OPENNESS)) < 0.1
    hiss = (np.random.default_rng(0).standard_normal(16000) * 1e-3).astype(np.float32)  # -60 dBFS room noise
    assert np.mean(lipsync.predict(hiss, 16000).argmax(1) == SIL) > 0.9


def test_mouth_opens_on_vowels_and_closes_in_pauses(lipsync, speech):
    open_vowels = [VISEME_INDEX[v] for v in ("aa", "E", "O")]
    vowel_open, closed_open = [], []
    for audio, rate, labels in speech:
        openness = lipsync.predict(audio, rate) @ OPENNESS
        n = min(len(openness), len(labels))
        vowel_open.append(openness[:n][np.isin(labels[:n], open_vowels)])
        closed_open.append(openness[:n][np.isin(labels[:n], [SIL, VISEME_INDEX["PP"]])])
    vowel, closed = np.concatenate(vowel_open), np.concatenate(closed_open)
    assert vowel.mean() > 0.45
    assert closed.mean() < 0.25
    assert vowel.mean() > closed.mean() + 0.3


def test_held_out_accuracy_beats_the_loudness_mouth(lipsync, speech):
    model_hits, loud_hits, frames = 0, 0, 0
    mouth = LoudnessMouth()
    for audio, rate, labels in speech:
        model = lipsync.predict(audio, rate).argmax(1)
        loud = mouth.predict(audio, rate).argmax(1)
        n = min(len(model), len(loud), len(labels))
        model_hits += int(np.sum(model[:n] == labels[:n]))
        loud_hits += int(np.sum(loud[:n] == labels[:n]))
        frames += n
    model_acc, loud_acc = model_hits / frames, loud_hits / frames
    assert model_acc > 0.45, (model_acc, loud_acc)
    assert model_acc > loud_acc + 0.2, (model_acc, loud_acc)


def test_loudness_mouth_follows_the_level(speech):
    audio, rate, labels = speech[0]
    mouth = LoudnessMouth()
    clip = np.concatenate([np.zeros(rate // 2, np.float32), audio])
    openness = mouth.openness(clip, rate)
    assert abs(len(openness) - len(clip) / rate * 100) <= 1
    assert openness[:45].max() == 0.0
    assert openness[60:].mean() > 0.25 and openness.max() == 1.0
    chunked = np.concatenate(
        [mouth.push_openness(clip[i : i + 441], rate) for i in range(0, len(clip), 441)]
        + [mouth.flush_openness()]
    )
    np.testing.assert_allclose(chunked, openness, atol=1e-6)


def test_missing_model_says_how_to_rebuild(tmp_path):
    with pytest.raises(ModelError) as info:
        AudioLipSync(tmp_path / "nowhere.onnx")
    text = str(info.value)
    assert "audio lip-sync model is missing" in text
    assert "python -m kiosk.lipsync.train" in text


def test_corrupt_model_is_a_model_error(tmp_path):
    bad = tmp_path / "visemes.onnx"
    bad.write_bytes(default_model_path().read_bytes()[:5000])  # truncated download
    with pytest.raises(ModelError, match="not a valid ONNX file"):
        AudioLipSync(bad)
    bad.write_bytes(b"")
    with pytest.raises(ModelError, match="not a valid ONNX file"):
        AudioLipSync(bad)


def test_other_onnx_model_is_rejected(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])],
        "other",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])],
    )
    other = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(other))
    with pytest.raises(ModelError, match="not a kiosk audio lip-sync model"):
        AudioLipSync(other)


def test_predict_track_is_a_viseme_track(lipsync, speech):
    audio, rate, _ = speech[0]
    track = lipsync.predict_track(audio, rate)
    assert track.fps == 100
    assert track.weights.shape == lipsync.predict(audio, rate).shape
    assert track.at(0.0).argmax() == SIL  # Piper starts every sentence with a short pause
    assert lipsync.predict_track(np.zeros(0, np.float32), 16000).weights.shape == (1, len(VISEMES))
