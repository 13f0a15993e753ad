"""The kiosk's live microphone and speaker: opened by name, watched, and reopened after they went away.

A USB microphone pulled out mid-day stops its stream; PortAudio then either marks the stream
inactive or simply stops calling back. A watcher thread notices either within ~2 s, closes the
stream and tries to reopen it every couple of seconds, so the kiosk hears again as soon as the
device is back. PortAudio only learns about newly attached hardware when it is re-initialised,
which closes every stream: that is done only while the avatar is silent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kiosk.audio.config import AudioDeviceSettings
from kiosk.audio.echo import EchoCanceller
from kiosk.audio.playback import PlaybackBuffer
from kiosk.audio.sinks import Speaker
from kiosk.audio.sources import FrameQueue, Microphone
from kiosk.errors import KioskError

log = logging.getLogger(__name__)

CHECK_S = 0.5
RETRY_S = 2.0
RESCAN_EVERY = 5  # failed reopen attempts between PortAudio re-initialisations


class AudioDevices:
    """Owns the Microphone and the Speaker. ``on_change(problems)`` hears about every change."""

    def __init__(
        self,
        frames: FrameQueue,
        playback: PlaybackBuffer,
        settings: AudioDeviceSettings,
        echo: EchoCanceller | None = None,
        on_change: Callable[[list[str]], None] = lambda problems: None,
    ) -> None:
        self.microphone = Microphone(frames, settings.input_device, echo=echo)
        self.speaker = Speaker(playback, settings.output_device, echo=echo)
        self.playback = playback
        self.on_change = on_change
        self._problems: dict[str, str] = {}  # "microphone"/"speaker" -> plain description
        self._up = {"microphone": False, "speaker": False}
        self._failures = 0
        self._next_try = 0.0
        self._lock = threading.Lock()
        self._wanted: tuple[str, str] | None = None  # staff picked other devices
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="audio-devices", daemon=True)

    # ---- public ---------------------------------------------------------------------------------
    def start(self) -> None:
        """Open both devices and watch them, on the watcher thread (problems are reported, not raised)."""
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=3)
        self.microphone.stop()
        self.speaker.stop()

    def use(self, input_device: str, output_device: str) -> None:
        """Switch to other devices (staff panel); applied by the watcher thread within ~0.5 s."""
        with self._lock:
            self._wanted = (input_device, output_device)

    @property
    def problems(self) -> list[str]:
        with self._lock:
            return list(self._problems.values())

    @property
    def level(self) -> float:
        return self.microphone.level if self._up["microphone"] else 0.0

    @property
    def latency(self) -> float:
        return self.speaker.latency

    # ---- watcher thread -------------------------------------------------------------------------
    def _watch(self) -> None:
        while True:
            try:
                self._check()
            except Exception:  # the watcher must outlive any surprise from the audio library
                log.exception("checking the audio devices failed")
            if self._stop.wait(CHECK_S):
                return

    def _check(self) -> None:
        now = time.monotonic()
        changed = False
        with self._lock:
            wanted, self._wanted = self._wanted, None
        if wanted is not None:
            self.microphone.name, self.speaker.name = wanted
            self._up = {"microphone": False, "speaker": False}
            self.microphone.close_stream()
            self.speaker.close_stream()
            self._next_try = 0.0
            changed = True
        for kind, device in (("microphone", self.microphone), ("speaker", self.speaker)):
            if self._up[kind] and not device.alive(now):
                log.warning("the %s stopped delivering audio (unplugged?); trying to reopen it", kind)
                device.close_stream()
                self._up[kind] = False
                self._set_problem(kind, f"The {kind} stopped working (unplugged?). The kiosk will use it again "
                                        "as soon as it is back.")
                self._next_try = now + RETRY_S
                changed = True
        down = [kind for kind, up in self._up.items() if not up]
        if down and now >= self._next_try:
            self._failures += 1
            if self._failures % RESCAN_EVERY == 0 and not self.playback.speaking:
                self._rescan()
                down = ["speaker", "microphone"]
            for kind in down:
                self._open(kind)
            if all(self._up.values()):
                self._failures = 0
            self._next_try = now + RETRY_S
            changed = True
        if changed:
            self._report()

    def _open(self, kind: str) -> None:
        device = self.microphone if kind == "microphone" else self.speaker
        try:
            device.start()
        except KioskError as exc:
            self._up[kind] = False
            fix = f" To fix: {exc.fix}." if exc.fix else ""
            problem = f"{exc.message[:1].upper()}{exc.message[1:]}.{fix} The kiosk keeps trying."
            if self._problems.get(kind) != problem:
                log.warning("%s", problem)
            self._set_problem(kind, problem)
            return
        if not self._up[kind]:
            log.info("%s open: %s", kind, device.name or "system default")
        self._up[kind] = True
        self._set_problem(kind, None)

    def _rescan(self) -> None:
        """Let PortAudio see devices attached since it started (closes every stream first)."""
        import sounddevice as sd

        self.microphone.close_stream()
        self.speaker.close_stream()
        self._up = {"microphone": False, "speaker": False}
        try:
            sd._terminate()
            sd._initialize()
        except Exception as exc:
            log.warning("re-scanning the audio devices failed: %s", exc)

    def _set_problem(self, kind: str, problem: str | None) -> None:
        with self._lock:
            if problem:
                self._problems[kind] = problem
            else:
                self._problems.pop(kind, None)

    def _report(self) -> None:
        try:
            self.on_change(self.problems)
        except Exception:
            log.exception("reporting the audio device state failed")
