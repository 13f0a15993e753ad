"""Shared fixtures: spoken questions made with the installed Piper voice (cached between runs), a real
screen (Xvfb) and real audio devices (a private PulseAudio server with a null sink)."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from kiosk.audio.wavio import write_wav
from kiosk.bench.questions import spoken_questions


@pytest.fixture(scope="session")
def questions():
    return spoken_questions()


@pytest.fixture(scope="session")
def question_wav(questions):
    """(path, text) of a clear spoken question."""
    return questions[0].path, questions[0].text


@pytest.fixture()
def write_audio(tmp_path):
    def write(name: str, audio: np.ndarray, rate: int = 16000):
        path = tmp_path / name
        write_wav(path, audio, rate)
        return path

    return write


def _free_display() -> int:
    for number in range(60, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def start_screen():
    """Starts fresh Xvfb 1280x720 screens (stopped at the end of the session); returns their DISPLAY."""
    servers: list[subprocess.Popen] = []

    def start() -> str:
        assert shutil.which("Xvfb"), "Xvfb is required (installer/debian-packages-test.txt)"
        number = _free_display()
        servers.append(subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            assert time.monotonic() < deadline, "Xvfb did not start"
            time.sleep(0.1)
        return f":{number}"

    yield start
    for server in servers:
        server.terminate()
        server.wait(5)


@pytest.fixture(scope="session")
def screen(start_screen):
    """DISPLAY of a fresh Xvfb 1280x720 screen."""
    return start_screen()


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """Environment for a private PulseAudio server with one null sink 'room' (speaker = microphone)."""
    from sandbox import start_pulse, stop_pulse

    runtime = tmp_path_factory.mktemp("pulse")
    env = start_pulse(runtime, (
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/native\n"
        "load-module module-null-sink sink_name=room rate=48000 sink_properties=device.description=Room\n"
        "set-default-sink room\nset-default-source room.monitor\n"
    ))
    yield env
    stop_pulse(env)
