"""A real screen (Xvfb) and real audio devices (a PulseAudio null sink) for the kiosk app tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest


def _free_display() -> int:
    for number in range(60, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise RuntimeError("no free X display number")


@pytest.fixture(scope="session")
def screen():
    """DISPLAY of a fresh Xvfb 1280x720 screen."""
    assert shutil.which("Xvfb"), "Xvfb is required (installer/debian-packages-test.txt)"
    number = _free_display()
    process = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    yield f":{number}"
    process.terminate()
    process.wait(5)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory):
    """Environment for a private PulseAudio server with one null sink 'room' (speaker = microphone)."""
    assert shutil.which("pulseaudio"), "pulseaudio is required (installer/debian-packages.txt)"
    runtime = tmp_path_factory.mktemp("pulse")
    config = runtime / "kiosk.pa"
    config.write_text(
        f"load-module module-native-protocol-unix auth-anonymous=1 socket={runtime}/native\n"
        "load-module module-null-sink sink_name=room rate=48000 sink_properties=device.description=Room\n"
        "set-default-sink room\nset-default-source room.monitor\n"
    )
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), PULSE_RUNTIME_PATH=str(runtime),
               PULSE_SERVER=f"unix:{runtime}/native", HOME=str(runtime))
    subprocess.run(["pulseaudio", "--daemonize=yes", "-n", "-F", str(config), "--exit-idle-time=-1",
                    "--use-pid-file=no", "--system=no"], env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    pulse_env = {k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER")}
    yield pulse_env
    subprocess.run(["pactl", "exit"], env=env, capture_output=True)


@pytest.fixture(scope="module")
def kiosk_screen():
    """DISPLAY of a fresh Xvfb 1280x720 screen with a window manager, so that fullscreen is real."""
    assert shutil.which("Xvfb"), "Xvfb is required (installer/debian-packages-test.txt)"
    assert shutil.which("matchbox-window-manager"), "matchbox-window-manager is required (installer/debian-packages-test.txt)"
    number = _free_display()
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        assert time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    manager = subprocess.Popen(["matchbox-window-manager", "-use_titlebar", "no"],
                               env=dict(os.environ, DISPLAY=f":{number}"),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield f":{number}"
    for process in (manager, server):
        process.terminate()
        process.wait(5)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """Environment for a private PulseAudio 'room' (see tests/app/room.py): the kiosk's speaker and a
    visitor's voice both reach the kiosk's microphone, and room.monitor records both on one clock."""
    from room import room_script, start_pulse, stop_pulse

    runtime = tmp_path_factory.mktemp("room")
    env = start_pulse(runtime, room_script(runtime))
    yield env
    stop_pulse(env)
