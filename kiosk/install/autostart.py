"""Starting the kiosk by itself at login and bringing it back after a crash (standard library only).

What the installer writes for the operator user (paths under ``$XDG_CONFIG_HOME``, default ``~/.config``):

* ``systemd/user/kiosk-avatar.service``: a systemd user service, ``Type=notify`` (the app sends READY=1
  when its window is up and WATCHDOG=1 every 5 s while healthy), ``WatchdogSec=30``, restarted on
  failure after 3 s, at most 10 starts in 10 minutes. Enabled for ``graphical-session.target`` (GNOME,
  KDE and other systemd-aware desktops start it with the session's DISPLAY).
* ``autostart/kiosk-avatar.desktop``: an XDG login entry that runs ``PREFIX/bin/kiosk-session``. Every
  common desktop runs these. The script hands the session's DISPLAY/XAUTHORITY/WAYLAND_DISPLAY to the
  systemd user manager and starts the service; without a user manager it runs ``kiosk supervise``
  (restart on crash and on missing watchdog pings) instead. The service and the entry never give two
  kiosks: starting a running unit does nothing.
* ``PREFIX/bin/kiosk-session`` also keeps the screen from blanking and rotates the console log.
* a launcher (``~/.local/share/applications/kiosk-avatar.desktop``, and on ~/Desktop when it exists)
  for the windowed mode; it stops the fullscreen service first.
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kiosk.install.common import APP, UNIT

WATCHDOG_S = 30
START_TIMEOUT_S = 180
RESTART_S = 3
START_LIMIT = (10, 600)  # at most 10 starts in 600 s, then the unit stays failed until the next login
CONSOLE_LOG = "kiosk-console.log"
ENV_OVERRIDES = ("KIOSK_CONFIG_DIR", "KIOSK_LOG_DIR", "KIOSK_CACHE_DIR", "KIOSK_PERSONA")
# what the desktop session knows and the user manager may not: imported at login
SESSION_VARIABLES = ("DISPLAY", "XAUTHORITY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP",
                     "XDG_SESSION_DESKTOP", "DBUS_SESSION_BUS_ADDRESS", "PULSE_SERVER")


@dataclass(frozen=True)
class UserDirs:
    """The operator user's XDG folders (the environment's when it is the current user)."""

    user: str
    uid: int
    gid: int
    home: Path
    config: Path
    data: Path

    @classmethod
    def for_user(cls, user: str | None = None) -> UserDirs:
        current = pwd.getpwuid(os.geteuid())
        entry = pwd.getpwnam(user) if user else current
        if entry.pw_uid == current.pw_uid:
            home = Path(os.environ.get("HOME") or entry.pw_dir)
            config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
            data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local/share")
        else:  # another user's: their defaults, not root's environment
            home = Path(entry.pw_dir)
            config, data = home / ".config", home / ".local/share"
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, home, config, data)

    @property
    def unit(self) -> Path:
        return self.config / "systemd/user" / UNIT

    @property
    def unit_link(self) -> Path:
        return self.config / "systemd/user/graphical-session.target.wants" / UNIT

    @property
    def login_entry(self) -> Path:
        return self.config / "autostart" / f"{APP}.desktop"

    @property
    def launcher(self) -> Path:
        return self.data / "applications" / f"{APP}.desktop"

    @property
    def desktop_folder(self) -> Path | None:
        desktop = self.home / "Desktop"
        return desktop if desktop.is_dir() else None


def _quote(value: str | Path) -> str:
    return shlex.quote(str(value))


def unit_text(prefix: Path, log_dir: Path, overrides: dict[str, str]) -> str:
    env = "".join(f"Environment={k}={_systemd_escape(v)}\n" for k, v in sorted(overrides.items()))
    return f"""\
# Written by the kiosk installer; reinstalling replaces it. Logs: {log_dir}
[Unit]
Description=Kiosk avatar (fullscreen talking avatar)
Documentation=file://{prefix}/current/app/README.md
# started with the desktop session (systemd-aware desktops) or by the login entry kiosk-session
PartOf=graphical-session.target
After=graphical-session.target pulseaudio.service pipewire.service pipewire-pulse.service wireplumber.service
# a crash loop gives up after {START_LIMIT[0]} starts in {START_LIMIT[1]} s (kiosk-session or a new login tries again)
StartLimitIntervalSec={START_LIMIT[1]}
StartLimitBurst={START_LIMIT[0]}

[Service]
# the app says READY=1 when its window is up (models load slowly: {START_TIMEOUT_S} s allowed) and
# WATCHDOG=1 every 5 s while its UI and engine threads are healthy
Type=notify
NotifyAccess=main
ExecStart={prefix}/current/venv/bin/kiosk
# exit code 0 is staff closing the kiosk (Ctrl+Alt+Shift+Q): not restarted
Restart=on-failure
RestartSec={RESTART_S}
WatchdogSec={WATCHDOG_S}
TimeoutStartSec={START_TIMEOUT_S}
TimeoutStopSec=20
Environment=PYTHONUNBUFFERED=1
{env}StandardOutput=append:{log_dir}/{CONSOLE_LOG}
StandardError=inherit

[Install]
WantedBy=graphical-session.target
"""


def _systemd_escape(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' if any(c in value for c in ' "\\') else value


def session_script_text(prefix: Path, log_dir: Path, overrides: dict[str, str]) -> str:
    exports = "".join(f"export {k}={_quote(v)}\n" for k, v in sorted(overrides.items()))
    variables = " ".join(SESSION_VARIABLES)
    return f"""\
#!/bin/sh
# Starts the fullscreen kiosk in this desktop session. Run at login by
# ~/.config/autostart/{APP}.desktop; staff can run it to start the kiosk again.
# With a systemd user manager it hands this session's display to it and starts {UNIT}
# (restarted after a crash or a hang: watchdog); without one, `kiosk supervise` does that job.
PREFIX={_quote(prefix)}
LOGS={_quote(log_dir)}
{exports}mkdir -p "$LOGS"
if [ -f "$LOGS/{CONSOLE_LOG}" ] && [ "$(stat -c %s "$LOGS/{CONSOLE_LOG}")" -gt 5000000 ]; then
    mv -f "$LOGS/{CONSOLE_LOG}" "$LOGS/{CONSOLE_LOG}.1"
fi
# a kiosk screen never blanks or locks
if [ -n "${{DISPLAY:-}}" ] && command -v xset >/dev/null 2>&1; then xset s off -dpms 2>/dev/null; fi
if command -v gsettings >/dev/null 2>&1; then
    gsettings set org.gnome.desktop.session idle-delay 0 2>/dev/null
    gsettings set org.gnome.desktop.screensaver lock-enabled false 2>/dev/null
fi
if [ "${{1:-}}" != "--no-systemd" ] && systemctl --user show-environment >/dev/null 2>&1; then
    names=""
    for name in {variables}; do
        eval "value=\\${{$name:-}}"
        [ -n "$value" ] && names="$names $name"
    done
    [ -n "$names" ] && systemctl --user import-environment $names
    command -v dbus-update-activation-environment >/dev/null 2>&1 && \\
        dbus-update-activation-environment --systemd $names 2>/dev/null
    systemctl --user reset-failed {UNIT} 2>/dev/null
    exec systemctl --user start --no-block {UNIT}
fi
KIOSK="$PREFIX/current/venv/bin/kiosk"
if "$KIOSK" supervise --help >/dev/null 2>&1; then
    exec "$KIOSK" supervise -- >>"$LOGS/{CONSOLE_LOG}" 2>&1
fi
exec "$KIOSK" >>"$LOGS/{CONSOLE_LOG}" 2>&1
"""


def login_entry_text(prefix: Path) -> str:
    return f"""\
[Desktop Entry]
Type=Application
Name=Kiosk avatar (start at login)
Comment=Starts the fullscreen kiosk when this user logs in
Exec={prefix}/bin/kiosk-session
Icon={prefix}/current/app/docs/images/avatar-aria.png
Terminal=false
NoDisplay=true
X-GNOME-Autostart-enabled=true
X-GNOME-Autostart-Delay=2
"""


def launcher_text(prefix: Path) -> str:
    windowed = f"sh -c 'systemctl --user stop {UNIT} 2>/dev/null; exec {prefix}/bin/kiosk --windowed'"
    return f"""\
[Desktop Entry]
Type=Application
Name=Kiosk avatar (window)
Comment=The talking avatar in a normal window (stops the fullscreen kiosk first)
Exec={windowed}
Icon={prefix}/current/app/docs/images/avatar-aria.png
Terminal=false
Categories=AudioVideo;
Actions=fullscreen;

[Desktop Action fullscreen]
Name=Start the fullscreen kiosk
Exec={prefix}/bin/kiosk-session
"""


def systemctl_user(dirs: UserDirs, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str] | None:
    """``systemctl --user ARGS`` against the operator user's manager; None when there is none to reach."""
    if not shutil.which("systemctl"):
        return None
    base = ["systemctl", "--user"]
    env = dict(os.environ)
    if dirs.uid != os.geteuid():
        runtime = Path(f"/run/user/{dirs.uid}")
        if not (runtime / "bus").exists() or os.geteuid() != 0:
            return None
        env.update(XDG_RUNTIME_DIR=str(runtime), DBUS_SESSION_BUS_ADDRESS=f"unix:path={runtime}/bus")
        base = ["setpriv", f"--reuid={dirs.uid}", f"--regid={dirs.gid}", "--init-groups", *base]
    try:
        probe = subprocess.run([*base, "show-environment"], capture_output=True, text=True, timeout=timeout, env=env)
        if probe.returncode != 0:
            return None
        return subprocess.run([*base, *args], capture_output=True, text=True, timeout=timeout, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None


def _unit_settings(text: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, sep, value = line.partition("=")
        if sep:
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def _entry_exec(path: Path) -> str | None:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("Hidden=") and line.split("=", 1)[1].strip().lower() == "true":
            return None
        if line.startswith("Exec="):
            return line.split("=", 1)[1].strip()
    return None


def inspect(dirs: UserDirs | None = None) -> list[tuple[str, str, str, str]]:
    """(status, name, detail, fix) lines about autostart, for `kiosk doctor`."""
    dirs = dirs or UserDirs.for_user()
    reinstall = "run the bundle's ./install again (it writes the service and the login entry)"
    unit, entry = dirs.unit, dirs.login_entry
    if not unit.exists() and not entry.exists():
        return [("warn", "autostart", "not configured: the kiosk will not start by itself after a reboot",
                 "install from an offline bundle (README: Installing on a booth PC), or run "
                 "PREFIX/bin/kiosk-autostart on")]
    out: list[tuple[str, str, str, str]] = []
    parts, problems = [], []
    if unit.exists():
        settings = _unit_settings(unit.read_text(errors="replace"))
        start = (settings.get("ExecStart") or [""])[-1].split()
        if not start or not os.access(start[0], os.X_OK):
            problems.append(f"{unit.name} starts {start[0] if start else 'nothing'}, which does not exist")
        watchdog = (settings.get("WatchdogSec") or [""])[-1]
        if (settings.get("Type") or [""])[-1] != "notify" or not watchdog:
            problems.append(f"{unit.name} has no watchdog (Type=notify, WatchdogSec=)")
        enabled = dirs.unit_link.exists() or any(
            (unit.parent / f"{target}.wants" / UNIT).exists() for target in ("default.target", "graphical-session.target"))
        live = systemctl_user(dirs, "is-enabled", UNIT)
        if live is not None:
            enabled = live.stdout.strip() in ("enabled", "enabled-runtime", "linked")
        restart = (settings.get("Restart") or ["no"])[-1]
        parts.append(f"systemd user service {unit} ({'enabled' if enabled else 'NOT enabled'}, "
                     f"Restart={restart}, watchdog {watchdog or 'none'})")
        if not enabled and not entry.exists():
            problems.append(f"{UNIT} is not enabled and there is no login entry")
    if entry.exists():
        command = _entry_exec(entry)
        if command is None:
            problems.append(f"the login entry {entry} is disabled (Hidden=true or no Exec)")
        else:
            program = shlex.split(command)[0]
            if not os.access(program, os.X_OK):
                problems.append(f"the login entry runs {program}, which does not exist")
            parts.append(f"login entry {entry}")
    else:
        parts.append("no login entry (the service starts only on desktops with graphical-session.target)")
    status = "fail" if problems else "pass"
    detail = "; ".join(problems) if problems else "; ".join(parts)
    out.append((status, "autostart", detail, reinstall if problems else ""))

    if unit.exists():
        state = systemctl_user(dirs, "show", UNIT, "-p", "ActiveState,SubState,NRestarts,Result")
        if state is None:
            out.append(("pass", "kiosk service", "no systemd user manager reachable from here (checked at login)", ""))
        else:
            values = dict(line.split("=", 1) for line in state.stdout.splitlines() if "=" in line)
            active = f"{values.get('ActiveState', '?')} ({values.get('SubState', '?')})"
            restarts = values.get("NRestarts", "0")
            failed = values.get("ActiveState") == "failed"
            out.append(("fail" if failed else "pass", "kiosk service",
                        f"{active}, restarted {restarts} time(s), last result {values.get('Result', '?')}",
                        f"see `journalctl --user -u {UNIT}` and the logs; start it again with PREFIX/bin/kiosk-session"
                        if failed else ""))
    out.append(autologin_check(dirs.user))
    return out


# ---- automatic login (display managers) -------------------------------------------------------

GDM_FILES = ("etc/gdm3/daemon.conf", "etc/gdm3/custom.conf", "etc/gdm/custom.conf")
LIGHTDM_DROPIN = "etc/lightdm/lightdm.conf.d/50-kiosk-avatar.conf"


def _ini_values(path: Path, section: str) -> dict[str, str]:
    values: dict[str, str] = {}
    current = None
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return values
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]").strip()
        elif current == section and "=" in stripped and not stripped.startswith(("#", ";")):
            key, _, value = stripped.partition("=")
            values[key.strip()] = value.strip()
    return values


def autologin_user(root: Path = Path("/")) -> tuple[str, str | None] | None:
    """(display manager, user logged in automatically or None); None when no known display manager."""
    for rel in GDM_FILES:
        path = root / rel
        if path.exists():
            values = _ini_values(path, "daemon")
            on = values.get("AutomaticLoginEnable", "").lower() in ("true", "1")
            return "gdm3", values.get("AutomaticLogin") if on else None
    lightdm = root / "etc/lightdm"
    if lightdm.is_dir():
        user = None
        for path in [lightdm / "lightdm.conf", *sorted((lightdm / "lightdm.conf.d").glob("*.conf"))]:
            for section in ("Seat:*", "SeatDefaults"):
                user = _ini_values(path, section).get("autologin-user") or user
        return "lightdm", user
    sddm = [root / "etc/sddm.conf", *sorted((root / "etc/sddm.conf.d").glob("*.conf"))]
    if any(p.exists() for p in sddm):
        user = None
        for path in sddm:
            user = _ini_values(path, "Autologin").get("User") or user
        return "sddm", user
    return None


def autologin_check(user: str, root: Path = Path("/")) -> tuple[str, str, str, str]:
    fix = f"sudo ./install --autologin (from the bundle), or turn on automatic login for {user} in the display manager"
    found = autologin_user(root)
    if found is None:
        return ("warn", "automatic login", "no known display manager (gdm3, lightdm, sddm): after a reboot the kiosk "
                "starts when someone logs in", fix)
    manager, who = found
    if who == user:
        return ("pass", "automatic login", f"{manager} logs {user} in automatically", "")
    return ("warn", "automatic login", f"{manager} does not log {user} in automatically "
            f"({'it logs in ' + who if who else 'off'}): after a reboot the kiosk waits for a login", fix)


def set_autologin(user: str, root: Path = Path("/")) -> list[tuple[Path, bytes | None]]:
    """Turn on automatic login for ``user``; returns (file, previous content or None) to restore."""
    changed: list[tuple[Path, bytes | None]] = []
    for rel in GDM_FILES:
        path = root / rel
        if path.exists():
            old = path.read_bytes()
            path.write_text(_with_ini_values(old.decode(errors="replace"), "daemon",
                                             {"AutomaticLoginEnable": "true", "AutomaticLogin": user}))
            return [(path, old)]
    if (root / "etc/lightdm").is_dir():
        path = root / LIGHTDM_DROPIN
        old = path.read_bytes() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# written by the kiosk installer\n[Seat:*]\nautologin-user={user}\nautologin-user-timeout=0\n")
        changed.append((path, old))
    return changed


def _with_ini_values(text: str, section: str, values: dict[str, str]) -> str:
    lines = text.splitlines()
    out, current, done, seen = [], None, set(), False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("["):
            if current == section:
                out.extend(f"{k}={v}" for k, v in values.items() if k not in done)
                done.update(values)
            current = stripped.strip("[]").strip()
            seen = seen or current == section
        elif current == section:
            key = stripped.lstrip("#;").partition("=")[0].strip()
            if key in values and "=" in stripped:
                if key not in done:
                    out.append(f"{key}={values[key]}")
                    done.add(key)
                continue
        out.append(line)
    if current == section:
        out.extend(f"{k}={v}" for k, v in values.items() if k not in done)
    elif not seen:
        out.extend(["", f"[{section}]", *(f"{k}={v}" for k, v in values.items())])
    return "\n".join(out) + "\n"
