"""`kiosk doctor`: checks a machine and prints one pass/warn/fail line per check, with the fix."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk import models, paths
from kiosk.errors import KioskError


@dataclass
class Check:
    status: str  # "pass" | "warn" | "fail"
    name: str
    detail: str
    fix: str = ""


def _cpu() -> Check:
    from kiosk.install.common import CPU_FEATURES, missing_cpu_features

    missing = missing_cpu_features()
    if missing is None:
        return Check("warn", "CPU features", "cannot read /proc/cpuinfo")
    if missing:
        return Check("fail", "CPU features", f"missing {', '.join(missing)} (the portable llama.cpp build needs AVX2)",
                     "use a PC with an x86-64-v3 CPU (Intel Haswell / AMD Zen or newer)")
    return Check("pass", "CPU features", f"{os.cpu_count()} cores, {'/'.join(f.upper() for f in CPU_FEATURES)} present")


def _models() -> list[Check]:
    out = []
    for model, kind in models.EMBEDDED:
        try:
            path = models.check_embedded(model, kind=kind, setting="(embedded default)")
            out.append(Check("pass", kind, f"{path.name} sha256 ok"))
        except KioskError as exc:
            out.append(Check("fail", kind, exc.message, exc.fix))
    return out


def _persona(path: Path | None) -> Check:
    from kiosk.app.main import persona_path
    from kiosk.persona import load_persona

    file = persona_path(path)
    try:
        persona = load_persona(file)
    except KioskError as exc:
        return Check("fail", "persona", str(exc).splitlines()[0], "run `kiosk persona check FILE` and fix what it lists")
    return Check("pass", "persona", f"{file or 'embedded default'} ({persona.id}) is valid")


def _audio() -> list[Check]:
    try:
        import sounddevice as sd
    except OSError as exc:
        return [Check("fail", "audio library", str(exc), "install libportaudio2")]
    try:
        devices = sd.query_devices()
    except Exception as exc:
        return [Check("fail", "audio devices", str(exc), "check that PulseAudio/PipeWire is running")]
    inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
    outputs = [d["name"] for d in devices if d["max_output_channels"] > 0]
    return [
        Check("pass" if inputs else "fail", "microphone", ", ".join(inputs[:4]) or "no input device",
              "" if inputs else "plug in a USB microphone"),
        Check("pass" if outputs else "fail", "speaker", ", ".join(outputs[:4]) or "no output device",
              "" if outputs else "connect a speaker or HDMI audio"),
    ]


def _opengl() -> Check:
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        return Check("warn", "OpenGL", "no display in this session: not checked", "run `kiosk doctor` on the kiosk's desktop")
    probe = (
        "from PySide6.QtGui import QGuiApplication, QOpenGLContext, QOffscreenSurface, QSurfaceFormat\n"
        "f = QSurfaceFormat(); f.setVersion(3, 3); f.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)\n"
        "QSurfaceFormat.setDefaultFormat(f); app = QGuiApplication([])\n"
        "ctx = QOpenGLContext(); ctx.setFormat(f); assert ctx.create(), 'no OpenGL context'\n"
        "s = QOffscreenSurface(); s.setFormat(ctx.format()); s.create(); ctx.makeCurrent(s)\n"
        "gl = ctx.functions(); v = ctx.format().version()\n"
        "print(f'{v[0]}.{v[1]}', gl.glGetString(0x1F01))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return Check("fail", "OpenGL", (result.stderr.strip().splitlines() or ["failed"])[-1],
                     "install the Mesa packages in installer/debian-packages.txt or the GPU driver")
    version, _, renderer = result.stdout.strip().partition(" ")
    major, minor = (int(x) for x in version.split("."))
    if (major, minor) < (3, 3):
        return Check("fail", "OpenGL", f"version {version} ({renderer}); 3.3 is needed", "update the graphics driver")
    return Check("pass", "OpenGL", f"{version} core, renderer {renderer}")


def _disk() -> Check:
    free = shutil.disk_usage(paths.cache_dir()).free / 2**30
    if free < 1:
        return Check("fail", "disk space", f"{free:.1f} GiB free", "free at least 1 GiB for caches and logs")
    return Check("pass", "disk space", f"{free:.1f} GiB free")


def _autostart() -> list[Check]:
    """What the offline installer sets up: the systemd user service (watchdog, restart on failure),
    the login entry that starts it (or `kiosk supervise`), and automatic login."""
    from kiosk.install import autostart

    return [Check(*line) for line in autostart.inspect()]


def _installed() -> list[Check]:
    """An install from a bundle: the app's files against the bundle's checksums (nothing for a checkout)."""
    from kiosk.install.common import MANIFEST, verify_manifest

    release = paths.repo_root().parent
    if not (release / "bundle.json").exists() or not (release / MANIFEST).exists():
        return []
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):
        problems = verify_manifest(release, "installed files")
    if problems:
        return [Check("fail", "installed app", f"{len(problems)} file(s) changed or missing: {problems[0]}",
                      "install the bundle again (persona files and logs are kept)")]
    return [Check("pass", "installed app", f"{release} matches its bundle's checksums")]


def _logs() -> Check:
    try:
        folder = paths.log_dir()
        probe = folder / ".doctor"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return Check("fail", "logs", f"cannot write the log folder: {exc}", "check the folder's owner and free space")
    return Check("pass", "logs", f"{folder} (kiosk.log; kiosk-console.log when started at login)")


def run_doctor(persona: Path | None = None) -> list[Check]:
    checks: list[Check] = [_cpu(), *_installed(), *_models(), _persona(persona), *_audio(), _opengl(), _disk(),
                           _logs(), *_autostart()]
    return checks


def _command(args: argparse.Namespace) -> int:
    checks = run_doctor(args.persona)
    for check in checks:
        print(f"{check.status.upper():4}  {check.name}: {check.detail}")
        if check.fix and check.status != "pass":
            print(f"      fix: {check.fix}")
    failed = sum(c.status == "fail" for c in checks)
    print(f"\n{len(checks) - failed} of {len(checks)} checks passed or warned; {failed} failed.")
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction, _: Callable | None = None) -> None:
    doctor = sub.add_parser("doctor", help="check this machine: CPU, models, persona, audio, OpenGL, disk, autostart")
    doctor.add_argument("--persona", type=Path, help="persona file to check (default: the one the kiosk would use)")
    doctor.set_defaults(func=_command)
