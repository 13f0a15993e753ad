"""Live audio devices: the microphone unplugged and plugged back in, and no audio device at all."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from room import pactl, start_pulse, stop_pulse, streams

from kiosk.audio.wavio import write_wav

pytestmark = pytest.mark.real

SCRIPT = (
    "load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/native\n"
    "load-module module-null-sink sink_name=speaker rate=48000 sink_properties=device.description=Speaker\n"
    "load-module module-null-sink sink_name=usbmic rate=48000 sink_properties=device.description=USB-Mic\n"
    "set-default-sink speaker\nset-default-source usbmic.monitor\n"
)


def wait_for(predicate, timeout: float, what: str, app: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert app.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{what}\n" + log.read_text()[-3000:]
        time.sleep(0.3)


def status_strip_shown(display: str, tmp_path: Path) -> bool:
    """The staff-facing status strip (amber text on dark brown) is on screen, at the top of the window."""
    shot = tmp_path / "screen.rgb"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-video_size", "1280x720", "-i", display,
                    "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", str(shot)], check=True)
    top = np.frombuffer(shot.read_bytes(), np.uint8).reshape(720, 1280, 3)[:40].astype(int)
    amber = (top[..., 0] > 180) & (top[..., 1] > 150) & (top[..., 2] < 160)
    return int(amber.sum()) > 50


def test_unplugged_microphone_is_reopened_when_it_comes_back(tmp_path, screen):
    env = start_pulse(tmp_path, SCRIPT.format(runtime=tmp_path))
    log = tmp_path / "app.log"
    app_env = dict(env, DISPLAY=screen, QT_QPA_PLATFORM="xcb", KIOSK_CONFIG_DIR=str(tmp_path))
    persona = tmp_path / "persona.toml"
    persona.write_text('[audio]\necho_cancellation = "off"\n')
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "--windowed", "--persona", str(persona), "-v"],
                               env=app_env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: streams(env, "source-outputs") and streams(env, "sink-inputs"), 120,
                 "the app did not open its microphone and speaker", app, log)
        # A USB speakerphone (microphone and speaker in one) is pulled out: with no other device
        # for PulseAudio to move the streams to, both streams end.
        modules = pactl(env, "list", "short", "modules").splitlines()
        for name in ("usbmic", "speaker"):
            pactl(env, "unload-module", next(m.split()[0] for m in modules if f"sink_name={name}" in m))
        wait_for(lambda: "microphone stopped delivering audio" in log.read_text(), 30,
                 "the app did not notice the microphone was gone", app, log)
        wait_for(lambda: status_strip_shown(screen, tmp_path), 30, "no message on screen", app, log)
        time.sleep(3)  # a few failed reopen attempts while it is missing
        for name in ("speaker", "usbmic"):
            pactl(env, "load-module", "module-null-sink", f"sink_name={name}", "rate=48000")
        pactl(env, "set-default-sink", "speaker")
        pactl(env, "set-default-source", "usbmic.monitor")
        wait_for(lambda: log.read_text().count("microphone open") >= 2 and log.read_text().count("speaker open") >= 2,
                 60, "the devices were not reopened", app, log)
        wait_for(lambda: not status_strip_shown(screen, tmp_path), 30, "the message stayed on screen", app, log)
        from kiosk.bench.questions import spoken_questions

        question = spoken_questions()[0]
        wav = tmp_path / "question.wav"
        write_wav(wav, question.audio, question.rate)
        time.sleep(1.0)
        subprocess.run(["paplay", "--device=usbmic", str(wav)], env=env, check=True, timeout=30)
        wait_for(lambda: "event transcript" in log.read_text(), 60,
                 "the reopened microphone's question was not heard", app, log)
    finally:
        app.terminate()
        app.wait(20)
        stop_pulse(env)
    assert "Traceback" not in log.read_text()


def test_without_any_audio_device_the_kiosk_runs_and_says_so(tmp_path, screen):
    log = tmp_path / "app.log"
    env = dict(os.environ, DISPLAY=screen, QT_QPA_PLATFORM="xcb", KIOSK_CONFIG_DIR=str(tmp_path),
               PULSE_SERVER=f"unix:{tmp_path}/no-such-server", XDG_RUNTIME_DIR=str(tmp_path))
    with log.open("w") as out:
        app = subprocess.Popen([sys.executable, "-m", "kiosk", "--windowed", "-v"],
                               env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "No microphone is working" in log.read_text(), 120, "no microphone problem reported", app, log)
        wait_for(lambda: status_strip_shown(screen, tmp_path), 20, "no message on screen", app, log)
        time.sleep(5)
        assert app.poll() is None, "the kiosk ended instead of waiting for a microphone"
    finally:
        app.terminate()
        app.wait(20)
    assert "Traceback" not in log.read_text()
