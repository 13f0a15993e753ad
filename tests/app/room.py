"""A PulseAudio "room" and a screen recorder for end-to-end tests of the kiosk app.

The room (one private PulseAudio server):

    visitor  (mono sink)  the test plays questions here ----+--> room: left channel
    speaker  (mono sink)  the kiosk's default speaker  -----+--> room: right channel
    mic      (null sink)  mic.monitor is the kiosk's default microphone; it hears
                          visitor.monitor and speaker.monitor through module-loopback

``visitor`` and ``speaker`` are remap sinks over one 2-channel null sink ``room``, so recording
``room.monitor`` gives both sides on a single clock: the question's end and the reply's first sample
are measured in the same recording, with no loopback in between.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sandbox import start_pulse, stop_pulse  # noqa: F401 (the room tests use them from here)

RATE = 16000  # recording rate (Hz)
FRAME = 160  # 10 ms analysis frames
LOOPBACK_MS = 20  # how late the microphone hears the room


def room_script(runtime: Path) -> str:
    """The room's PulseAudio script (the speaker's leak into the microphone is set later: set_echo_gain)."""
    loop = f"latency_msec={LOOPBACK_MS} source_dont_move=true sink_dont_move=true"
    return (
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/native\n"
        "load-module module-null-sink sink_name=room rate=48000 channels=2 channel_map=front-left,front-right "
        "sink_properties=device.description=Recording\n"
        "load-module module-remap-sink sink_name=visitor master=room channels=1 master_channel_map=front-left "
        "channel_map=mono remix=no sink_properties=device.description=Visitor\n"
        "load-module module-remap-sink sink_name=speaker master=room channels=1 master_channel_map=front-right "
        "channel_map=mono remix=no sink_properties=device.description=Speaker\n"
        "load-module module-null-sink sink_name=mic rate=48000 channels=1 sink_properties=device.description=Microphone\n"
        f"load-module module-loopback source=visitor.monitor sink=mic {loop} "
        "sink_input_properties=media.name=visitor-to-mic\n"
        f"load-module module-loopback source=speaker.monitor sink=mic {loop} "
        "sink_input_properties=media.name=speaker-to-mic\n"
        "set-default-sink speaker\nset-default-source mic.monitor\n"
    )


def pactl(env: dict[str, str], *args: str) -> str:
    return subprocess.run(["pactl", *args], env=dict(os.environ, **env), capture_output=True, text=True,
                          check=True).stdout


def set_echo_gain(env: dict[str, str], db: float) -> None:
    """Level at which the microphone hears the kiosk's speaker, relative to the visitor (0 dB: as loud)."""
    for line in pactl(env, "list", "sink-inputs").split("Sink Input #")[1:]:
        if "speaker-to-mic" in line:
            index = line.split(None, 1)[0]
            pactl(env, "set-sink-input-volume", index, f"{db}dB")


def streams(env: dict[str, str], kind: str) -> list[str]:
    out = subprocess.run(["pactl", "list", "short", kind], env=dict(os.environ, **env), capture_output=True,
                         text=True).stdout
    return [line for line in out.splitlines() if line.strip()]


def app_streams(env: dict[str, str]) -> tuple[list[str], list[str]]:
    """Client (not module) capture and playback streams: (source outputs, sink inputs)."""
    def clients(kind: str) -> list[str]:
        return [s for s in streams(env, kind) if "protocol-native" in s]
    return clients("source-outputs"), clients("sink-inputs")


def end_reader(process: subprocess.Popen | None, thread: threading.Thread) -> None:
    """Stop a recording process and the thread reading its output."""
    if process is not None:
        process.terminate()
        process.wait(5)
    if thread.ident is not None:
        thread.join(5)


class Recorder:
    """Records a source at 16 kHz, readable while it runs: by default room.monitor (left: visitor,
    right: speaker); ``t0`` is the monotonic time of sample 0 (within the capture latency, ~10 ms).
    """

    def __init__(self, env: dict[str, str], device: str = "room.monitor", channels: int = 2) -> None:
        self.env, self.device, self.channels = env, device, channels
        self._chunks: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.t0: float | None = None
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._read, name="room-recorder", daemon=True)

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["pacat", "--record", f"--device={self.device}", "--format=s16le", f"--rate={RATE}",
             f"--channels={self.channels}", "--latency-msec=10", "--raw"],
            env=dict(os.environ, **self.env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread.start()
        deadline = time.monotonic() + 10
        while self.t0 is None:
            assert time.monotonic() < deadline, "the recorder got no audio"
            time.sleep(0.02)

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        pending = b""
        while True:
            data = self._process.stdout.read1(65536)
            if not data:
                return
            pending += data
            usable = len(pending) // (2 * self.channels) * (2 * self.channels)
            block = np.frombuffer(pending[:usable], np.int16).reshape(-1, self.channels).astype(np.float32) / 32768.0
            pending = pending[usable:]
            with self._lock:
                if self.t0 is None:
                    self.t0 = time.monotonic() - len(block) / RATE
                self._chunks.append(block)

    def audio(self) -> np.ndarray:
        """Everything so far, shape (n, channels)."""
        with self._lock:
            if len(self._chunks) > 1:
                self._chunks = [np.concatenate(self._chunks)]
            return self._chunks[0].copy() if self._chunks else np.zeros((0, self.channels), np.float32)

    def now(self) -> float:
        """Seconds recorded so far (the recording's clock)."""
        with self._lock:
            return sum(len(c) for c in self._chunks) / RATE

    def stop(self) -> None:
        end_reader(self._process, self._thread)


@dataclass
class Frame:
    at: float  # monotonic time the frame arrived
    image: np.ndarray  # grey, uint8, (height, width)


class ScreenRecorder:
    """Grabs the X screen with ffmpeg x11grab (grey, a few frames a second) while ``capturing`` is set."""

    def __init__(self, display: str, size: tuple[int, int] = (1280, 720), fps: float = 6.0) -> None:
        assert shutil.which("ffmpeg"), "ffmpeg is required (installer/debian-packages-test.txt)"
        self.display = display
        self.width, self.height = size
        self.fps = fps
        self.frames: list[Frame] = []
        self.capturing = threading.Event()
        self._process: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._read, name="screen-recorder", daemon=True)

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "x11grab", "-draw_mouse", "0",
             "-framerate", str(self.fps), "-video_size", f"{self.width}x{self.height}", "-i", self.display,
             "-f", "rawvideo", "-pix_fmt", "gray", "-"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._thread.start()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        size = self.width * self.height
        while True:
            data = self._process.stdout.read(size)
            if len(data) < size:
                return
            if self.capturing.is_set():
                image = np.frombuffer(data, np.uint8).reshape(self.height, self.width).copy()
                self.frames.append(Frame(time.monotonic(), image))

    def stop(self) -> None:
        end_reader(self._process, self._thread)


# ---- analysis ---------------------------------------------------------------------------------------
def frame_level(channel: np.ndarray) -> np.ndarray:
    """Peak absolute value of each 10 ms frame."""
    usable = len(channel) // FRAME * FRAME
    return np.abs(channel[:usable]).reshape(-1, FRAME).max(axis=1)


def active_spans(channel: np.ndarray, threshold: float = 0.003, bridge_s: float = 0.35) -> list[tuple[float, float]]:
    """(start, end) seconds of sound louder than ``threshold``; gaps shorter than ``bridge_s`` are bridged.

    Start and end are refined to the first and last sample over the threshold.
    """
    level = frame_level(channel)
    loud = np.flatnonzero(level > threshold)
    if not loud.size:
        return []
    spans: list[list[int]] = [[int(loud[0]), int(loud[0])]]
    bridge = int(bridge_s * RATE / FRAME)
    for index in loud[1:]:
        if index - spans[-1][1] <= bridge:
            spans[-1][1] = int(index)
        else:
            spans.append([int(index), int(index)])
    out = []
    for first, last in spans:
        head = np.flatnonzero(np.abs(channel[first * FRAME:(first + 1) * FRAME]) > threshold)
        tail = np.flatnonzero(np.abs(channel[last * FRAME:(last + 1) * FRAME]) > threshold)
        out.append(((first * FRAME + head[0]) / RATE, (last * FRAME + tail[-1] + 1) / RATE))
    return out


def first_sound(channel: np.ndarray, after_s: float, threshold: float = 0.003) -> float | None:
    """Time of the first sample over ``threshold`` at or after ``after_s``."""
    start = int(after_s * RATE)
    loud = np.flatnonzero(np.abs(channel[start:]) > threshold)
    return (start + loud[0]) / RATE if loud.size else None


def last_sound(channel: np.ndarray, after_s: float, before_s: float, threshold: float = 0.003) -> float | None:
    """Time just after the last sample over ``threshold`` between ``after_s`` and ``before_s``."""
    start, end = int(after_s * RATE), int(before_s * RATE)
    loud = np.flatnonzero(np.abs(channel[start:end]) > threshold)
    return (start + loud[-1] + 1) / RATE if loud.size else None


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, float), q)) if values else float("nan")


# ---- images ---------------------------------------------------------------------------------------
def write_png(path: Path, image: np.ndarray) -> None:
    """A grey uint8 image as PNG (no imaging library needed)."""
    height, width = image.shape
    raw = b"".join(b"\x00" + image[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6))
                     + chunk(b"IEND", b""))


def ocr(image: np.ndarray, workdir: Path, name: str = "ocr") -> str:
    """Text in a grey image, read with tesseract (light text on dark is inverted first)."""
    assert shutil.which("tesseract"), "tesseract is required (installer/debian-packages-test.txt)"
    if image.mean() < 128:
        image = 255 - image
    path = workdir / f"{name}.pgm"
    path.write_bytes(f"P5 {image.shape[1]} {image.shape[0]} 255\n".encode() + image.astype(np.uint8).tobytes())
    result = subprocess.run(["tesseract", str(path), "-", "--psm", "6"], capture_output=True, text=True,
                            timeout=60)
    return result.stdout


def words(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() or c == "'" else " " for c in text).replace("'", "").split()


def word_overlap(expected: str, seen: str) -> float:
    """Share of the expected words that appear in ``seen``."""
    want = words(expected)
    got = set(words(seen))
    return sum(w in got for w in want) / len(want) if want else 0.0
