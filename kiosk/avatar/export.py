"""Rendering a spoken reply as a video: frames drawn offscreen, piped raw to ffmpeg with the audio muxed in."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kiosk.avatar.spec import AvatarSpec
from kiosk.errors import KioskError
from kiosk.lipsync.visemes import VisemeTrack, track_from_phonemes
from kiosk.pipeline.messages import PhonemeTiming

TAIL_S = 0.6  # idle time after the reply, so the mouth is seen closing


@dataclass
class ExportResult:
    frames: int
    duration: float
    render_seconds: float
    path: Path


def read_timeline(path: Path) -> tuple[list[PhonemeTiming], dict]:
    """The phoneme timings (relative to the reply audio's start) of a `kiosk converse --timeline` file."""
    fix = "give the JSON written by `kiosk converse --timeline FILE`"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise KioskError(f"cannot read {path}: {exc.strerror or exc}", fix=fix) from None
    except json.JSONDecodeError as exc:
        raise KioskError(f"{path} is not valid JSON (line {exc.lineno}: {exc.msg})", fix=fix) from None
    if not isinstance(data, dict) or not isinstance(data.get("phonemes"), list):
        raise KioskError(f"{path} has no \"phonemes\" list", fix=fix)
    phonemes = []
    for index, item in enumerate(data["phonemes"]):
        try:
            phonemes.append(PhonemeTiming(str(item["phoneme"]), float(item["start"]), float(item["duration"])))
        except (KeyError, TypeError, ValueError):
            raise KioskError(f"{path}: phonemes[{index}] needs phoneme, start and duration", fix=fix) from None
    return phonemes, data


def encoder_command(out: Path, audio: Path, width: int, height: int, fps: float) -> list[str]:
    return [
        "ffmpeg", "-y", "-loglevel", "error",
        "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-",
        "-i", str(audio),
        "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "160k", "-af", "apad", "-shortest",
        "-movflags", "+faststart", str(out),
    ]


def render_frames(spec: AvatarSpec, track: VisemeTrack, speech_s: float, width: int, height: int,
                  fps: float, tail_s: float = TAIL_S):
    """Yield (time, RGB frame) for a reply of ``speech_s`` seconds; needs a QGuiApplication."""
    from kiosk.avatar.controller import AvatarController
    from kiosk.avatar.offscreen import OffscreenRenderer

    renderer = OffscreenRenderer(spec, width, height)
    controller = AvatarController(spec, seed=7)
    try:
        controller.set_state("speaking")
        for index in range(int(np.ceil((speech_s + tail_s) * fps))):
            t = index / fps
            if t >= speech_s:
                controller.set_state("idle")
            controller.set_visemes(track.at(t + 0.5 / fps))  # the middle of the frame's time on screen
            yield t, renderer.render(controller.update(t))
    finally:
        renderer.close()


def export_clip(spec: AvatarSpec, timeline: Path, audio: Path, out: Path,
                width: int = 1280, height: int = 720, fps: float = 30.0) -> ExportResult:
    from kiosk.audio.wavio import read_wav
    from kiosk.avatar.offscreen import ensure_display, set_default_format

    if shutil.which("ffmpeg") is None:
        raise KioskError("ffmpeg is not installed", fix="install the Debian package ffmpeg")
    if width % 2 or height % 2:
        raise KioskError(f"the video size must be even, got {width}x{height}")
    phonemes, _ = read_timeline(timeline)
    samples, rate = read_wav(audio)
    speech_s = len(samples) / rate
    track = track_from_phonemes(phonemes, speech_s)
    ensure_display()  # a private Xvfb, if needed, ends when this process disconnects
    started = time.monotonic()
    frames = 0
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        set_default_format()
        app = QGuiApplication([])  # noqa: F841 (kept alive while rendering)
    encoder = subprocess.Popen(encoder_command(out, audio, width, height, fps),
                               stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert encoder.stdin is not None
    try:
        for _, image in render_frames(spec, track, speech_s, width, height, fps):
            encoder.stdin.write(image.tobytes())
            frames += 1
    except BrokenPipeError:
        pass
    finally:
        encoder.stdin.close()
        error = encoder.stderr.read().decode(errors="replace") if encoder.stderr else ""
        code = encoder.wait()
    if code != 0:
        raise KioskError(f"ffmpeg failed ({code}): {error.strip()[-400:]}")
    return ExportResult(frames, frames / fps, time.monotonic() - started, out)
