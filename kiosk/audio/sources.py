"""Where microphone audio comes from: a WAV file fed at real-time pace, or a live microphone.

Both deliver 16 kHz mono float32 blocks with their capture time into a bounded queue that the
listener thread reads. The microphone callback only copies; resampling happens on the reader side.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Any

import numpy as np

from kiosk.audio.echo import EchoCanceller
from kiosk.audio.wavio import resample
from kiosk.errors import AudioInputError
from kiosk.pipeline.messages import PIPELINE_RATE

log = logging.getLogger(__name__)

BLOCK = 512  # samples per block at 16 kHz (one VAD frame)


class FrameQueue:
    """Bounded queue of (block, capture time); the oldest block is dropped when the reader lags."""

    def __init__(self, seconds: float = 10.0) -> None:
        self._queue: queue.Queue[tuple[np.ndarray, float]] = queue.Queue(maxsize=int(seconds * PIPELINE_RATE / BLOCK))
        self.dropped = 0

    def put(self, block: np.ndarray, at: float) -> None:
        while True:
            try:
                self._queue.put_nowait((block, at))
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except queue.Empty:
                    pass

    def get(self, timeout: float) -> tuple[np.ndarray, float] | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


class WavFeeder:
    """Plays a recording into a FrameQueue at real-time pace, then silence, like a microphone would.

    ``speech_end_time`` is the moment the last sample of speech was delivered (the reference every
    latency is measured from); ``speech_end_s`` is where that is in the recording.
    """

    def __init__(self, audio: np.ndarray, rate: int, frames: FrameQueue, speech_end_s: float | None = None) -> None:
        self.audio = resample(audio, rate, PIPELINE_RATE)
        self.frames = frames
        self.speech_end_s = speech_end_s if speech_end_s is not None else len(self.audio) / PIPELINE_RATE
        self.speech_end_time: float | None = None
        self.finished = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wav-feeder", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        start = time.monotonic()
        total = len(self.audio)
        end_sample = int(self.speech_end_s * PIPELINE_RATE)
        index = 0
        while not self._stop.is_set():
            block = self.audio[index : index + BLOCK]
            if len(block) < BLOCK:
                block = np.concatenate([block, np.zeros(BLOCK - len(block), np.float32)])
            index += BLOCK
            due = start + index / PIPELINE_RATE  # a block exists once its last sample was captured
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if self.speech_end_time is None and index >= end_sample:
                self.speech_end_time = due - (index - end_sample) / PIPELINE_RATE
            self.frames.put(block, due)
            if index >= total:
                self.finished.set()


class Microphone:
    """A sounddevice input stream; ``name`` picks a device by (part of) its name."""

    def __init__(self, frames: FrameQueue, name: str = "", echo: EchoCanceller | None = None) -> None:
        self.frames = frames
        self.name = name
        self.echo = echo
        self._stream: Any = None
        self._rate = PIPELINE_RATE
        self._pending: queue.Queue[tuple[np.ndarray, float, int]] = queue.Queue(maxsize=512)
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._convert, name="mic-convert", daemon=True)
        self.level = 0.0  # RMS of the last block, for the staff panel's meter
        self.opened_at = 0.0
        self.last_callback = 0.0  # monotonic time of the last block from the device

    def start(self) -> None:
        """Open the device and start converting. Raises AudioInputError."""
        self.open()
        if not self._worker.is_alive():
            self._worker.start()

    def open(self) -> None:
        try:
            import sounddevice as sd
        except OSError as exc:
            raise AudioInputError(f"the audio library is missing: {exc}", fix="install libportaudio2") from None
        self.close_stream()
        device = _find_device(self.name, "input") if self.name else None
        try:
            info = sd.query_devices(device, "input")
            rate = int(info["default_samplerate"])
            stream = sd.InputStream(
                device=device, channels=1, samplerate=rate, dtype="float32",
                blocksize=int(rate * 0.02), latency="low", callback=self._callback,
            )
            self._rate = rate  # the converter picks a new resampler when the rate changes
            self.opened_at, self.last_callback = time.monotonic(), 0.0
            stream.start()
            self._stream = stream
        except Exception as exc:
            raise AudioInputError(
                f"no microphone is working{' named ' + repr(self.name) if self.name else ''} (the audio system says: {exc})",
                fix="plug in a microphone or set audio.input_device in the persona file",
            ) from None

    def alive(self, now: float) -> bool:
        """The device delivers audio (a freshly opened stream gets a few seconds for its first block)."""
        return device_alive(self._stream, self.opened_at, self.last_callback, now)

    def close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):  # an unplugged device may fail to close cleanly
                stream.close()

    def _callback(self, indata, frames, time_info, status) -> None:  # PortAudio thread: copy and return
        self.last_callback = now = time.monotonic()
        with contextlib.suppress(queue.Full):
            self._pending.put_nowait((indata[:, 0].copy(), now, self._rate))

    def _convert(self) -> None:
        carry = np.zeros(0, np.float32)
        resampler: Any = None
        resampler_rate = PIPELINE_RATE
        while not self._stop.is_set():
            try:
                block, at, rate = self._pending.get(timeout=0.2)
            except queue.Empty:
                continue
            self.level = float(np.sqrt(np.mean(block**2))) if len(block) else 0.0
            if rate != resampler_rate:  # first block, or a device reopened at another rate
                import soxr

                # a stream keeps the filter state across blocks; 'LQ' adds ~20 ms, 'HQ' up to 40 ms
                resampler = soxr.ResampleStream(rate, PIPELINE_RATE, 1, dtype="float32", quality="LQ")
                resampler_rate = rate
            audio = block if resampler is None else resampler.resample_chunk(block)
            if self.echo is not None:
                audio = self.echo.near(audio)
            carry = np.concatenate([carry, audio])
            while len(carry) >= BLOCK:
                self.frames.put(carry[:BLOCK], at)
                carry = carry[BLOCK:]

    def stop(self) -> None:
        self._stop.set()
        self.close_stream()


FIRST_BLOCK_S = 5.0  # a PulseAudio stream on a busy machine took up to 2 s for its first callback
STALL_S = 2.0  # no callback for this long: the device is gone even if PortAudio says it is active


def device_alive(stream: Any, opened_at: float, last_callback: float, now: float) -> bool:
    if stream is None or not stream.active:
        return False
    if last_callback == 0.0:
        return now - opened_at < FIRST_BLOCK_S
    return now - last_callback < STALL_S


def _find_device(name: str, kind: str) -> int:
    import sounddevice as sd

    wanted = name.lower()
    for index, device in enumerate(sd.query_devices()):
        channels = device["max_input_channels"] if kind == "input" else device["max_output_channels"]
        if channels > 0 and wanted in device["name"].lower():
            return index
    raise AudioInputError(f"no {kind} device named {name!r}", fix=f"run `kiosk devices` and set audio.{kind}_device")
