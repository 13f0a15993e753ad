"""The offline installer end to end: build a bundle, install it with the network really unavailable
(``unshare -n``, pip ``--no-index``), one spoken turn from the installed copy, `kiosk doctor`, the login
entry starting the kiosk and bringing it back after a crash, a failed upgrade that rolls back, an
upgrade that keeps the staff's persona and logs, rollback, and uninstall.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import models
from kiosk.install.common import write_manifest

pytestmark = pytest.mark.real

ROOT = Path(__file__).resolve().parents[2]
# a new network namespace with nothing in it: no route to PyPI or anything else
OFFLINE = ["unshare", "-n", "--"] if os.geteuid() == 0 else ["unshare", "-r", "-n", "--"]
EXTRA_VOICE = "en_US-booth-medium.onnx"
ANSWER = "The restrooms are next to the main entrance, on the left."


def booth_env(home: Path, **extra: str) -> dict[str, str]:
    """A bare login environment: the system's Python (the bundle's version) and nothing of this venv."""
    python_bin = str(Path(sys._base_executable).parent)
    env = {"PATH": f"{python_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": str(home), "LANG": "C.UTF-8", "USER": "root", "LOGNAME": "root"}
    env.update(extra)
    return env


def run(command: list, env: dict[str, str], timeout: float = 600, offline: bool = True) -> subprocess.CompletedProcess:
    command = [*(OFFLINE if offline else []), *map(str, command)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout)


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


def hardlink_copy(source: Path, dest: Path) -> Path:
    """A copy of a bundle that costs no disk (files are replaced, never written in place)."""
    shutil.copytree(source, dest, copy_function=os.link)
    return dest


def replace(path: Path, data: bytes) -> None:
    path.unlink()
    path.write_bytes(data)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """A bundle built by installer/build-bundle, with an operator's extra Piper voice folded in."""
    work = tmp_path_factory.mktemp("bundle")
    voice = models.PIPER_JOE.path()
    shutil.copy(voice, work / EXTRA_VOICE)
    shutil.copy(voice.with_name(voice.name + ".json"), work / (EXTRA_VOICE + ".json"))
    out = work / "dist"
    started = time.monotonic()
    result = subprocess.run([ROOT / "installer/build-bundle", "--out", out, "--voice", work / EXTRA_VOICE],
                            env=dict(os.environ, KIOSK_VENV=sys.prefix), capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, output(result)[-4000:]
    built = [p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(built) == 1, built
    info = json.loads((built[0] / "bundle.json").read_text())
    size = sum(p.stat().st_size for p in built[0].rglob("*") if p.is_file())
    print(f"\nbundle: {built[0].name}: {size / 1e6:.0f} MB in all, {info['sizes']['wheels'] / 1e6:.0f} MB wheels "
          f"({info['wheel_count']}), {info['sizes']['app'] / 1e6:.1f} MB app, "
          f"{info['sizes'].get('extras', 0) / 1e6:.0f} MB extras; built in {time.monotonic() - started:.0f} s")
    return built[0]


def newer_bundle(bundle: Path, dest: Path, version: str) -> Path:
    """The same bundle as a newer version (what the next release would look like to the installer)."""
    newer = hardlink_copy(bundle, dest)
    info = json.loads((newer / "bundle.json").read_text())
    info.update(version=version, id=f"kiosk-avatar-{version}-test")
    replace(newer / "bundle.json", json.dumps(info, indent=2).encode())
    (newer / "app/RELEASE-NOTES.txt").write_text(f"{version}: test upgrade\n")
    write_manifest(newer)
    return newer


def children(pid: int) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                stat = (proc / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(proc.name))
    return out


def wait_for_child(pid: int, alive_s: float, timeout: float, not_pid: int | None = None) -> int:
    """A child of ``pid`` (other than ``not_pid``) that has stayed up for ``alive_s``."""
    deadline = time.monotonic() + timeout
    seen: dict[int, float] = {}
    while time.monotonic() < deadline:
        now = time.monotonic()
        current = [c for c in children(pid) if c != not_pid]
        seen = {c: seen.get(c, now) for c in current}
        for child, since in seen.items():
            if now - since >= alive_s:
                return child
        time.sleep(0.2)
    raise AssertionError(f"no child of {pid} stayed up {alive_s} s within {timeout} s")


def test_bundle_installs_offline_upgrades_and_uninstalls(bundle, tmp_path, questions, screen, pulse):
    home = tmp_path / "home"
    home.mkdir()
    env = booth_env(home)
    prefix = home / ".local/share/kiosk-avatar"
    config = home / ".config/kiosk-avatar"
    logs = home / ".local/state/kiosk-avatar/log"

    # inside the namespace there is no network at all
    probe = run(["python3", "-c", "import socket; socket.create_connection(('pypi.org', 443), timeout=5)"], env)
    assert probe.returncode != 0 and ("resolution" in probe.stderr or "unreachable" in probe.stderr), output(probe)

    # a damaged bundle is refused before anything is written
    damaged = hardlink_copy(bundle, tmp_path / "damaged")
    replace(damaged / "app/kiosk/cli.py", (bundle / "app/kiosk/cli.py").read_bytes() + b"\n# changed\n")
    result = run([damaged / "install"], env)
    assert result.returncode == 1, output(result)
    assert "corrupt (sha256 differs): app/kiosk/cli.py" in result.stdout and "nothing was installed" in result.stdout
    assert not prefix.exists() and not (home / ".config/systemd").exists()

    # install offline
    started = time.monotonic()
    result = run([bundle / "install"], env, timeout=1200)
    install_s = time.monotonic() - started
    print(f"\n--- install ({install_s:.0f} s) ---\n{result.stdout}")
    assert result.returncode == 0, output(result)[-4000:]
    assert "[8/8]" in result.stdout and "installed in" in result.stdout
    first = (prefix / "current").resolve()
    assert first.parent == prefix / "releases" and (first / "venv/bin/kiosk").exists()
    assert not (first / ".incomplete").exists()
    unit = home / ".config/systemd/user/kiosk-avatar.service"
    assert (home / ".config/systemd/user/graphical-session.target.wants/kiosk-avatar.service").resolve() == unit
    entry = home / ".config/autostart/kiosk-avatar.desktop"
    launcher = home / ".local/share/applications/kiosk-avatar.desktop"
    for path in (unit, entry, launcher, prefix / "bin/kiosk-session", prefix / "bin/kiosk-uninstall",
                 prefix / "models/voices" / EXTRA_VOICE, config / "examples/museum-greeter/persona.toml"):
        assert path.exists(), path
    assert "Type=notify" in unit.read_text() and "WatchdogSec=30" in unit.read_text()
    assert "--windowed" in launcher.read_text()

    # systemd accepts the unit as it is written
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    verify = subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], capture_output=True, text=True,
                            env=dict(env, XDG_RUNTIME_DIR=str(runtime)), timeout=60)
    assert verify.returncode == 0 and not verify.stderr.strip(), output(verify)

    # staff write their persona: a curated answer, spoken with the operator's extra voice
    kiosk = prefix / "bin/kiosk"
    persona = config / "persona.toml"
    persona.write_text(f"""\
schema_version = 1
id = "installer-test"
name = "Ava"
greeting = "Welcome to the booth!"

[knowledge]
facts = ["{ANSWER}"]

[[knowledge.qa]]
questions = ["Where are the restrooms?", "Where is the toilet?"]
answer = "{ANSWER}"

[engines.tts]
voice = "{prefix}/models/voices/{EXTRA_VOICE}"
""")
    result = run([kiosk, "persona", "check", persona], env)
    assert result.returncode == 0, output(result)

    # one spoken turn, headless, from the installed copy, offline
    question = questions[1]  # "Where can I find the restrooms?"
    timeline, reply = tmp_path / "turn.json", tmp_path / "reply.wav"
    result = run([kiosk, "converse", "--input", question.path, "--persona", persona, "--timeline", timeline,
                  "--output", reply], env, timeout=300)
    print(f"--- kiosk converse (installed copy) ---\n{output(result)}")
    assert result.returncode == 0, output(result)
    turn = json.loads(timeline.read_text())
    assert turn["transcript"].lower().startswith("where can i find the restroom")
    assert turn["reply"] == ANSWER
    assert reply.stat().st_size > 10_000

    # kiosk doctor on the installed copy, with a screen and sound devices
    result = run([kiosk, "doctor"], dict(env, DISPLAY=screen, PULSE_SERVER=pulse["PULSE_SERVER"]), timeout=300)
    print(f"--- kiosk doctor (installed copy) ---\n{result.stdout}")
    assert result.returncode == 0, output(result)
    assert "FAIL" not in result.stdout
    for line in ("PASS  installed app:", "PASS  persona: " + str(persona), "PASS  microphone:", "PASS  speaker:",
                 "PASS  OpenGL:", "PASS  autostart: systemd user service " + str(unit) + " (enabled",
                 "login entry " + str(entry)):
        assert line in result.stdout, line

    # logging in runs the login entry: without a systemd user manager it supervises the kiosk,
    # which comes back after a crash
    command = next(line[5:] for line in entry.read_text().splitlines() if line.startswith("Exec="))
    session = subprocess.Popen([*OFFLINE, command], env=dict(env, DISPLAY=screen, PULSE_SERVER=pulse["PULSE_SERVER"]),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        kiosk_pid = wait_for_child(session.pid, alive_s=6, timeout=60)
        os.kill(kiosk_pid, signal.SIGKILL)  # a crash
        wait_for_child(session.pid, alive_s=3, timeout=60, not_pid=kiosk_pid)
    finally:
        session.send_signal(signal.SIGTERM)  # logging out: the supervisor stops the kiosk and ends
        try:
            session.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(session.pid, signal.SIGKILL)
            raise
    assert (logs / "kiosk-console.log").exists()

    # an upgrade that fails at the last moment changes nothing
    (logs / "kiosk.log").write_text("a line the kiosk logged before the upgrade\n")
    watched = [unit, entry, launcher, persona, logs / "kiosk.log", prefix / "install.json", prefix / "bin/kiosk"]
    before = {p: p.read_bytes() for p in watched}
    releases = sorted(p.name for p in (prefix / "releases").iterdir())
    newer = newer_bundle(bundle, tmp_path / "newer", "0.1.1")
    result = run([newer / "install"], dict(env, KIOSK_INSTALL_TEST_FAIL="before-switch"), timeout=1200)
    assert result.returncode == 1, output(result)
    assert "rolled back: the previous version" in result.stdout, output(result)
    assert (prefix / "current").resolve() == first
    assert sorted(p.name for p in (prefix / "releases").iterdir()) == releases
    assert {p: p.read_bytes() for p in watched} == before

    # the upgrade: the new version runs, the staff's persona and the logs are as they were
    started = time.monotonic()
    result = run([newer / "install"], env, timeout=1200)
    print(f"--- upgrade ({time.monotonic() - started:.0f} s) ---\n{result.stdout}")
    assert result.returncode == 0, output(result)[-4000:]
    assert "upgraded" in result.stdout
    second = (prefix / "current").resolve()
    assert second != first and (second / "app/RELEASE-NOTES.txt").exists()
    assert first.exists()  # kept for kiosk-rollback
    assert persona.read_bytes() == before[persona]
    assert (logs / "kiosk.log").read_bytes() == before[logs / "kiosk.log"]
    info = json.loads((prefix / "install.json").read_text())
    assert info["version"] == "0.1.1" and len(info["history"]) == 2
    result = run([kiosk, "doctor"], dict(env, DISPLAY=screen, PULSE_SERVER=pulse["PULSE_SERVER"]), timeout=300)
    assert result.returncode == 0 and "FAIL" not in result.stdout, output(result)

    # rollback and forward again
    result = run([prefix / "bin/kiosk-rollback"], env)
    assert result.returncode == 0 and (prefix / "current").resolve() == first, output(result)
    result = run([prefix / "bin/kiosk-rollback"], env)
    assert result.returncode == 0 and (prefix / "current").resolve() == second, output(result)

    # uninstall: the app and its autostart go, persona files and logs stay
    result = run([prefix / "bin/kiosk-uninstall"], env)
    print(f"--- uninstall ---\n{result.stdout}")
    assert result.returncode == 0, output(result)
    for path in (prefix, unit, entry, launcher, unit.parent / "graphical-session.target.wants/kiosk-avatar.service",
                 home / ".local/bin/kiosk"):
        assert not path.exists() and not path.is_symlink(), path
    assert persona.read_bytes() == before[persona]
    assert (logs / "kiosk.log").exists()
    assert "Kept (remove with --purge)" in result.stdout
