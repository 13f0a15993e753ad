"""Acoustic echo cancellation: removing the kiosk's own voice from its microphone.

The speaker callback hands a copy of every block it plays to ``far`` (copy only, no processing);
the microphone's conversion thread calls ``near`` on each 16 kHz block, which first feeds the queued
far-end audio to the canceller and then cleans the microphone audio. WebRTC's AEC3 estimates the
delay between the two streams itself, so the clocks need not be aligned by hand.
"""

from __future__ import annotations

import contextlib
import queue
from typing import Any, Protocol

import numpy as np

from kiosk.errors import KioskError
from kiosk.pipeline.messages import PIPELINE_RATE

FRAME = PIPELINE_RATE // 100  # WebRTC processes exactly 10 ms frames


class EchoCanceller(Protocol):
    def far(self, block: np.ndarray, rate: int) -> None:
        """A block the speaker is playing (called from the audio callback: must only copy)."""

    def near(self, block: np.ndarray) -> np.ndarray:
        """Clean 16 kHz microphone audio; returns the cleaned audio of the complete 10 ms frames so
        far (a remainder waits for the next call, so lengths vary by up to one frame)."""


def _to_pcm(audio: np.ndarray) -> bytes:
    return (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def _from_pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, "<i2").astype(np.float32) / 32768.0


class WebRTCEcho:
    """WebRTC audio processing (AEC3, plus its noise suppression) via aec-audio-processing."""

    def __init__(self, noise_suppression: bool = True) -> None:
        try:
            from aec_audio_processing import AudioProcessor
        except ImportError as exc:
            raise KioskError(
                f"echo cancellation is not installed ({exc})",
                fix="run installer/install.sh again, or set audio.echo_cancellation = \"half_duplex\"",
            ) from None
        self._apm: Any = AudioProcessor(enable_aec=True, enable_ns=noise_suppression, enable_agc=False)
        self._apm.set_stream_format(PIPELINE_RATE, 1, PIPELINE_RATE, 1)
        self._apm.set_reverse_stream_format(PIPELINE_RATE, 1)
        self._far: queue.Queue[tuple[np.ndarray, int]] = queue.Queue(maxsize=1000)
        self._far_rest = np.zeros(0, np.float32)
        self._near_rest = np.zeros(0, np.float32)
        self._resampler: Any = None
        self._rate = 0

    def far(self, block: np.ndarray, rate: int) -> None:
        with contextlib.suppress(queue.Full):  # the consumer stalled: drop, AEC re-converges
            self._far.put_nowait((block.copy(), rate))

    def _drain_far(self) -> None:
        import soxr

        while True:
            try:
                block, rate = self._far.get_nowait()
            except queue.Empty:
                return
            if rate != self._rate:
                self._rate = rate
                # 'QQ' (cubic) has no look-ahead; better filters delay the reference by 20-40 ms,
                # which puts it behind the echo it must predict and the canceller stops working.
                self._resampler = (
                    None if rate == PIPELINE_RATE else soxr.ResampleStream(rate, PIPELINE_RATE, 1, dtype="float32", quality="QQ")
                )
            audio = block if self._resampler is None else self._resampler.resample_chunk(block)
            self._far_rest = np.concatenate([self._far_rest, audio.astype(np.float32, copy=False)])
            while len(self._far_rest) >= FRAME:
                self._apm.process_reverse_stream(_to_pcm(self._far_rest[:FRAME]))
                self._far_rest = self._far_rest[FRAME:]

    def near(self, block: np.ndarray) -> np.ndarray:
        self._drain_far()
        self._near_rest = np.concatenate([self._near_rest, block.astype(np.float32, copy=False)])
        usable = len(self._near_rest) - len(self._near_rest) % FRAME
        cleaned = [_from_pcm(self._apm.process_stream(_to_pcm(self._near_rest[i : i + FRAME])))
                   for i in range(0, usable, FRAME)]
        self._near_rest = self._near_rest[usable:]
        return np.concatenate(cleaned) if cleaned else np.zeros(0, np.float32)


def create_echo_canceller(mode: str) -> EchoCanceller | None:
    """None for 'half_duplex' and 'off' (the conversation mutes or not); a canceller for 'webrtc'."""
    if mode == "webrtc":
        return WebRTCEcho()
    return None
