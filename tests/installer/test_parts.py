"""The installer's parts without a bundle: checksums, autostart files, automatic login, doctor's
autostart check and uninstall --purge."""

from __future__ import annotations

import json
import subprocess

import pytest

from kiosk.install import autostart, booth
from kiosk.install.common import verify_manifest, write_manifest


def test_manifest_finds_changed_and_missing_files(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app/a.txt").write_text("a")
    (tmp_path / "b.bin").write_bytes(b"\0" * 5000)
    assert write_manifest(tmp_path) == (2, 5001)
    assert verify_manifest(tmp_path) == []
    # the format of sha256sum -c
    assert subprocess.run(["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=tmp_path).returncode == 0
    (tmp_path / "app/a.txt").write_text("b")
    (tmp_path / "b.bin").unlink()
    assert sorted(verify_manifest(tmp_path)) == ["corrupt (sha256 differs): app/a.txt (1 B)", "missing: b.bin"]


@pytest.fixture()
def user_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    return tmp_path


def test_generated_files_are_valid(tmp_path):
    prefix, logs = tmp_path / "opt dir", tmp_path / "log"
    script = tmp_path / "kiosk-session"
    script.write_text(autostart.session_script_text(prefix, logs, {"KIOSK_CONFIG_DIR": "/srv/kiosk config"}))
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    unit = autostart.unit_text(prefix, logs, {"KIOSK_CONFIG_DIR": "/srv/kiosk config"})
    for setting in ("Type=notify", "NotifyAccess=main", "WatchdogSec=30", "TimeoutStartSec=180", "Restart=on-failure",
                    "RestartSec=3", "StartLimitBurst=10", "WantedBy=graphical-session.target",
                    'Environment=KIOSK_CONFIG_DIR="/srv/kiosk config"'):
        assert setting in unit, setting
    for text in (autostart.login_entry_text(prefix), autostart.launcher_text(prefix)):
        assert text.startswith("[Desktop Entry]\nType=Application\n")


def test_doctor_autostart_check(user_home, tmp_path):
    dirs = autostart.UserDirs.for_user()
    assert dirs.home == user_home
    status, name, detail, _ = autostart.inspect(dirs)[0]
    assert (status, name) == ("warn", "autostart") and "not configured" in detail

    program = tmp_path / "kiosk"
    dirs.unit.parent.mkdir(parents=True)
    dirs.unit.write_text(autostart.unit_text(tmp_path, tmp_path, {}))
    lines = {line[1]: line for line in autostart.inspect(dirs)}
    assert lines["autostart"][0] == "fail" and "does not exist" in lines["autostart"][2]

    program.parent.joinpath("current/venv/bin").mkdir(parents=True)
    program = tmp_path / "current/venv/bin/kiosk"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/kiosk-session").write_text("#!/bin/sh\n")
    (tmp_path / "bin/kiosk-session").chmod(0o755)
    dirs.unit_link.parent.mkdir(parents=True)
    dirs.unit_link.symlink_to(dirs.unit)
    dirs.login_entry.parent.mkdir(parents=True)
    dirs.login_entry.write_text(autostart.login_entry_text(tmp_path))
    lines = {line[1]: line for line in autostart.inspect(dirs)}
    assert lines["autostart"][0] == "pass", lines["autostart"]
    assert "(enabled, Restart=on-failure, watchdog 30)" in lines["autostart"][2]
    assert "automatic login" in lines


def test_automatic_login_gdm_and_lightdm(tmp_path):
    assert autostart.autologin_user(tmp_path) is None
    assert autostart.autologin_check("booth", tmp_path)[0] == "warn"

    gdm = tmp_path / "etc/gdm3/daemon.conf"
    gdm.parent.mkdir(parents=True)
    original = "# GDM configuration\n[daemon]\n#  AutomaticLoginEnable = true\n#  AutomaticLogin = user1\n\n[security]\n"
    gdm.write_text(original)
    assert autostart.autologin_user(tmp_path) == ("gdm3", None)
    changed = autostart.set_autologin("booth", tmp_path)
    assert changed == [(gdm, original.encode())]
    assert autostart.autologin_user(tmp_path) == ("gdm3", "booth")
    assert autostart.autologin_check("booth", tmp_path)[0] == "pass"
    assert "[security]" in gdm.read_text() and gdm.read_text().count("AutomaticLogin=booth") == 1

    lightdm = tmp_path / "other"
    (lightdm / "etc/lightdm").mkdir(parents=True)
    (lightdm / "etc/lightdm/lightdm.conf").write_text("[Seat:*]\n#autologin-user=\n")
    assert autostart.autologin_user(lightdm) == ("lightdm", None)
    changed = autostart.set_autologin("booth", lightdm)
    assert changed == [(lightdm / autostart.LIGHTDM_DROPIN, None)]
    assert autostart.autologin_user(lightdm) == ("lightdm", "booth")


def test_uninstall_purge_removes_persona_files_logs_and_caches(user_home, tmp_path):
    prefix = tmp_path / "prefix"
    folders = {key: tmp_path / key for key in ("config_dir", "log_dir", "cache_dir")}
    for folder in folders.values():
        folder.mkdir()
        (folder / "file").write_text("x")
    (prefix / "releases/1/venv").mkdir(parents=True)
    (prefix / "current").symlink_to("releases/1")
    dirs = autostart.UserDirs.for_user()
    dirs.unit.parent.mkdir(parents=True)
    dirs.unit.write_text("[Service]\n")
    (prefix / "install.json").write_text(json.dumps({"bundle": "test", "user": dirs.user, "files": [str(dirs.unit)],
                                                     **{k: str(v) for k, v in folders.items()}}))
    assert booth.main(["uninstall", "--prefix", str(prefix), "--purge"]) == 0
    assert not prefix.exists() and not dirs.unit.exists()
    assert not any(folder.exists() for folder in folders.values())
    assert booth.main(["uninstall", "--prefix", str(prefix)]) == 1  # nothing left to remove
