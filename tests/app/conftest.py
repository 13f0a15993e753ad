"""A screen with a window manager and a PulseAudio "room" for the kiosk app tests (plain `screen` and
`pulse` are in tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest


@pytest.fixture(scope="module")
def kiosk_screen(start_screen):
    """DISPLAY of a fresh Xvfb 1280x720 screen with a window manager, so that fullscreen is real."""
    assert shutil.which("matchbox-window-manager"), "matchbox-window-manager is required (installer/debian-packages-test.txt)"
    display = start_screen()
    manager = subprocess.Popen(["matchbox-window-manager", "-use_titlebar", "no"], env=dict(os.environ, DISPLAY=display),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    yield display
    manager.terminate()
    manager.wait(5)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """Environment for a private PulseAudio 'room' (see tests/app/room.py): the kiosk's speaker and a
    visitor's voice both reach the kiosk's microphone, and room.monitor records both on one clock."""
    from room import room_script, start_pulse, stop_pulse

    runtime = tmp_path_factory.mktemp("room")
    env = start_pulse(runtime, room_script(runtime))
    yield env
    stop_pulse(env)
