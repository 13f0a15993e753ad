"""Private PulseAudio servers for tests: real capture and playback devices without a sound card."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path


def start_pulse(runtime: Path, script: str) -> dict[str, str]:
    """Start a private PulseAudio daemon running ``script``; the environment to reach it."""
    assert shutil.which("pulseaudio"), "pulseaudio is required (installer/debian-packages.txt)"
    config = runtime / "kiosk.pa"
    config.write_text(script)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), PULSE_RUNTIME_PATH=str(runtime),
               PULSE_SERVER=f"unix:{runtime}/native", HOME=str(runtime))
    subprocess.run(["pulseaudio", "--daemonize=yes", "-n", "-F", str(config), "--exit-idle-time=-1",
                    "--use-pid-file=no", "--system=no"], env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    return {k: env[k] for k in ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER")}


def stop_pulse(env: dict[str, str]) -> None:
    subprocess.run(["pactl", "exit"], env=dict(os.environ, **env), capture_output=True)
