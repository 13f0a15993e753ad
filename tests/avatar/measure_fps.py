"""Frames per second of the on-screen avatar widget under Xvfb, optionally while Piper speaks alongside.

    python tests/avatar/measure_fps.py --size 1280x720 [--fixed] [--speaking] [--seconds 8]

--speaking runs Piper synthesis paced at real time in a second process (what the pipeline does while
the avatar talks), and drives the mouth from a playback-like clock. --fixed disables the adaptive
internal resolution.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def cpu_seconds(xvfb_pid: int | None) -> float:
    """CPU time of this process (llvmpipe's threads included) and of our Xvfb (which receives each frame)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    if xvfb_pid is not None:
        fields = Path(f"/proc/{xvfb_pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def speak_forever(stop) -> None:  # noqa: ANN001 (an Event)
    from kiosk.tts.config import PiperSettings
    from kiosk.tts.piper import PiperTTS

    tts = PiperTTS(PiperSettings())
    tts.load()
    while not stop.is_set():
        for piece in tts.synthesize("Welcome to the museum. The east wing shows the bronze age, and the cafe is open."):
            spent = time.monotonic()
            time.sleep(max(0.0, len(piece.audio) / piece.sample_rate - (time.monotonic() - spent)))
            if stop.is_set():
                return


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--fixed", action="store_true", help="no adaptive internal resolution")
    parser.add_argument("--speaking", action="store_true")
    parser.add_argument("--avatar", default="aria")
    parser.add_argument("--widget", action="store_true", help="measure AvatarWidget instead of AvatarWindow")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))

    from kiosk.avatar.offscreen import ensure_display, set_default_format

    xvfb = ensure_display()
    set_default_format()
    import numpy as np
    from helpers import syllable_pattern
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.avatar.spec import load_avatar
    from kiosk.avatar.widget import AvatarWidget, AvatarWindow
    from kiosk.pipeline.messages import PhonemeTiming, SpeechChunk

    app = QApplication([])
    stop = multiprocessing.Event()
    speaker = None
    if args.speaking:
        speaker = multiprocessing.Process(target=speak_forever, args=(stop,), daemon=True)
        speaker.start()
    if args.widget:
        widget = AvatarWidget(load_avatar(args.avatar), adaptive=not args.fixed)
        widget.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    else:
        widget = AvatarWindow(load_avatar(args.avatar), adaptive=not args.fixed)
        widget.setFlag(Qt.WindowType.FramelessWindowHint)
    widget.setGeometry(0, 0, width, height)
    widget.show()
    audio, phonemes = syllable_pattern(20.0, 22050)
    chunk = SpeechChunk(1, 0, "", audio, 22050, tuple(PhonemeTiming(**p) for p in phonemes))
    started = time.monotonic()

    class Position:
        def __init__(self, seconds: float) -> None:
            self.turn, self.chunk, self.seconds = 1, chunk, seconds

    widget.controller.set_clock(lambda: Position((time.monotonic() - started) % 20.0))
    widget.controller.set_state("speaking")

    marks: dict[str, tuple[int, float]] = {}
    scales: list[float] = []

    cpu: dict[str, float] = {}

    def mark(name: str) -> None:
        marks[name] = (widget.driver.frames, time.monotonic())
        cpu[name] = cpu_seconds(xvfb.pid if xvfb is not None else None)

    sampler = QTimer()
    sampler.timeout.connect(lambda: scales.append(widget.driver.scale) if "start" in marks else None)
    sampler.start(250)
    QTimer.singleShot(3000, lambda: mark("start"))  # warm up, let the adaptive resolution settle
    QTimer.singleShot(int((3.0 + args.seconds) * 1000), lambda: (mark("end"), app.quit()))
    app.exec()
    (f0, t0), (f1, t1) = marks["start"], marks["end"]
    fps = (f1 - f0) / (t1 - t0)
    cpu_ms = (cpu["end"] - cpu["start"]) / max(1, f1 - f0) * 1000.0
    stop.set()
    if speaker is not None:
        speaker.join(10)
    print(json.dumps({"surface": "AvatarWidget" if args.widget else "AvatarWindow", "size": args.size, "adaptive": widget.driver.adaptive, "speaking": args.speaking,
                      "fps": round(fps, 1), "cpu_ms_per_frame": round(cpu_ms, 1),
                      "fps_on_2_idle_cores": round(min(60.0, 2000.0 / cpu_ms), 1) if cpu_ms > 0 else None,
                      "load_average": round(os.getloadavg()[0], 1), "full_redraws": widget.driver.scene.full_frames, "frames": widget.driver.frames, "internal_scale": round(float(np.mean(scales)), 2),
                      "internal_size": f"{round(width * np.mean(scales))}x{round(height * np.mean(scales))}"}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
