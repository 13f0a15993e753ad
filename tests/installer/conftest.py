"""A screen (Xvfb) and sound devices (a private PulseAudio null sink) for the installed kiosk's checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def screen():
    """DISPLAY of a fresh Xvfb screen."""
    assert shutil.which("Xvfb"), "Xvfb is required (installer/debian-packages-test.txt)"
    number = next(n for n in range(120, 300)
                  if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists())
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    process.terminate()
    process.wait(5)


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """Environment variables that reach a private PulseAudio server with one speaker and its monitor."""
    assert shutil.which("pulseaudio"), "pulseaudio is required (installer/debian-packages.txt)"
    runtime = tmp_path_factory.mktemp("pulse")
    (runtime / "kiosk.pa").write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/native\n"
        "load-module module-null-sink sink_name=booth rate=48000 sink_properties=device.description=Booth\n"
        "set-default-sink booth\nset-default-source booth.monitor\n"
    )
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), PULSE_RUNTIME_PATH=str(runtime),
               PULSE_SERVER=f"unix:{runtime}/native", HOME=str(runtime))
    subprocess.run(["pulseaudio", "--daemonize=yes", "-n", "-F", str(runtime / "kiosk.pa"), "--exit-idle-time=-1",
                    "--use-pid-file=no", "--system=no"], env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    yield {"PULSE_SERVER": env["PULSE_SERVER"]}
    subprocess.run(["pactl", "exit"], env=env, capture_output=True)
