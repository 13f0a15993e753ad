import numpy as np
import pytest

from kiosk.audio.vad import FRAME, SileroVAD
from kiosk.audio.wavio import resample

pytestmark = pytest.mark.real


def probabilities(vad, audio):
    vad.reset()
    return np.array([vad(audio[i : i + FRAME]) for i in range(0, len(audio) - FRAME + 1, FRAME)])


def test_silero_tells_speech_from_silence_and_noise(questions):
    vad = SileroVAD()
    speech = resample(questions[1].audio, questions[1].rate, 16000)
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal(32000) * 0.03).astype(np.float32)
    assert probabilities(vad, speech).max() > 0.9
    assert (probabilities(vad, speech) > 0.5).mean() > 0.4
    assert probabilities(vad, np.zeros(32000, np.float32)).max() < 0.2
    assert (probabilities(vad, noise) > 0.5).mean() < 0.05
