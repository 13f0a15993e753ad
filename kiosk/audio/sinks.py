"""Where the reply's audio goes: a virtual speaker running at real-time pace, or a real one."""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import numpy as np

from kiosk.audio.echo import EchoCanceller
from kiosk.audio.playback import PlaybackBuffer
from kiosk.errors import AudioInputError


class VirtualSpeaker:
    """Pulls 10 ms blocks from the buffer at real-time pace and keeps what it played.

    Stands in for a sound card in headless runs: the time a block is pulled is the time it leaves.
    """

    def __init__(self, buffer: PlaybackBuffer, block_s: float = 0.01, record: bool = True) -> None:
        self.buffer = buffer
        self.block = max(1, int(buffer.sample_rate * block_s))
        self.record = record
        self.recording: list[np.ndarray] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="virtual-speaker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        period = self.block / self.buffer.sample_rate
        due = time.monotonic()
        while not self._stop.is_set():
            block = self.buffer.read(self.block, at=due)
            if self.record:
                self.recording.append(block)
            due += period
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            elif delay < -0.5:
                due = time.monotonic()  # fell far behind (machine stalled): don't burst to catch up

    def audio(self) -> np.ndarray:
        return np.concatenate(self.recording) if self.recording else np.zeros(0, np.float32)


OUTPUT_LATENCY_S = 0.05  # 'low' (~8 ms on PulseAudio) underruns as soon as the CPU is busy with inference


class Speaker:
    """A sounddevice output stream fed from the buffer in its callback (copy only)."""

    def __init__(self, buffer: PlaybackBuffer, name: str = "", echo: EchoCanceller | None = None) -> None:
        self.buffer = buffer
        self.name = name
        self.echo = echo
        self._stream: Any = None
        self._offset = 0.0  # monotonic time minus PortAudio stream time
        self.opened_at = 0.0
        self.last_callback = 0.0

    def start(self) -> None:
        """Open the device. Raises AudioInputError."""
        try:
            import sounddevice as sd
        except OSError as exc:
            raise AudioInputError(f"the audio library is missing: {exc}", fix="install libportaudio2") from None
        from kiosk.audio.sources import _find_device

        self.close_stream()
        device = _find_device(self.name, "output") if self.name else None
        try:
            stream = sd.OutputStream(
                device=device, channels=1, samplerate=self.buffer.sample_rate, dtype="float32",
                latency=OUTPUT_LATENCY_S, callback=self._callback,
            )
            self._offset = time.monotonic() - stream.time
            self.opened_at, self.last_callback = time.monotonic(), 0.0
            stream.start()
            self._stream = stream
        except Exception as exc:
            raise AudioInputError(
                f"no speaker is working{' named ' + repr(self.name) if self.name else ''} (the audio system says: {exc})",
                fix="connect a speaker or set audio.output_device in the persona file",
            ) from None

    def alive(self, now: float) -> bool:
        from kiosk.audio.sources import device_alive

        return device_alive(self._stream, self.opened_at, self.last_callback, now)

    def close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.close()

    def _callback(self, outdata, frames, time_info, status) -> None:  # PortAudio thread: copy only
        self.last_callback = time.monotonic()
        at = time_info.outputBufferDacTime + self._offset if time_info.outputBufferDacTime else None
        block = self.buffer.read(frames, at=at)
        outdata[:, 0] = block
        if self.echo is not None:
            self.echo.far(block, self.buffer.sample_rate)  # copies; the canceller runs on the mic thread

    @property
    def latency(self) -> float:
        """Seconds between a block leaving ``read`` and it being heard."""
        return float(self._stream.latency) if self._stream is not None else 0.0

    def stop(self) -> None:
        self.close_stream()
