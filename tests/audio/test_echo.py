"""WebRTC echo cancellation on a synthetic room: the kiosk's voice leaks into its microphone."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.echo import WebRTCEcho
from kiosk.audio.wavio import resample

pytestmark = pytest.mark.real


def room(far: np.ndarray, delay_s: float = 0.04) -> np.ndarray:
    """Speaker -> microphone: a delay, attenuation and a short reverberant tail."""
    delay = int(delay_s * 16000)
    echo = np.zeros(len(far) + delay + 1600, np.float32)
    echo[delay : delay + len(far)] += 0.5 * far
    tail = int(0.08 * 16000)
    echo[delay + tail : delay + tail + len(far)] += 0.25 * far
    return echo[: len(far)]


def run(canceller, far_rate_audio, far_rate, mic):
    """Feed 20 ms blocks: the speaker's block, then the microphone's block, as the threads would."""
    block_far = far_rate // 50
    out = []
    far16 = resample(far_rate_audio, far_rate, 16000)
    for index in range(len(mic) // 320):
        canceller.far(far_rate_audio[index * block_far : (index + 1) * block_far], far_rate)
        out.append(canceller.near(mic[index * 320 : (index + 1) * 320]))
    assert len(far16) >= len(mic) - 400
    return np.concatenate(out)


def power_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)


def test_echo_of_the_kiosk_voice_is_removed_and_a_visitor_still_heard(questions):
    far = np.concatenate([q.audio for q in questions[:6]])  # 22.05 kHz, ~15 s of the kiosk talking
    far16 = resample(far, questions[0].rate, 16000)
    mic = room(far16)
    visitor = resample(questions[7].audio, questions[7].rate, 16000) * 0.5
    start = len(mic) - len(visitor) - 16000
    mic_with_visitor = mic.copy()
    mic_with_visitor[start : start + len(visitor)] += visitor

    out = run(WebRTCEcho(), far, questions[0].rate, mic_with_visitor)
    n = min(len(out), len(mic))
    settled = slice(n // 3, start)  # after convergence, before the visitor speaks
    erle = power_db(mic[settled]) - power_db(out[settled])
    assert erle > 15, f"echo reduced by only {erle:.1f} dB"
    # the visitor's voice survives: far louder than the residual echo
    visitor_out = out[start : min(n, start + len(visitor))]
    assert power_db(visitor_out) - power_db(out[settled]) > 10
