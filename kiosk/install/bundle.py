"""Build the offline bundle for booth PCs (run by installer/build-bundle, on a machine with package access).

Bundle layout (one folder, optionally also one .tar)::

    install               the installer: ./install [--prefix DIR] [--no-autostart] [--autologin]
    bundle.json           version, Python/CPU it is built for, pinned packages, extras
    MANIFEST.sha256       sha256 of every other file (``sha256sum -c MANIFEST.sha256`` works too)
    app/                  the app: kiosk/, assets/ (example personas), avatars/, docs/, installer/, pyproject.toml
    wheels/               every Python package as a wheel: the portable llama-cpp-python and the echo
                          canceller built here, the model packages, pip/setuptools/wheel
    extras/voices|vosk|llm/   operator-supplied models (--voice, --vosk, --gguf)
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
from pathlib import Path

from kiosk.install.common import (
    APP,
    BUNDLE_INFO,
    CPU_FEATURES,
    MANIFEST,
    Progress,
    clean_pip_env,
    human,
    package_list,
    run_with_progress,
    sha256_file,
    write_manifest,
)

ROOT = Path(__file__).resolve().parents[2]
APP_PARTS = ("kiosk", "assets", "avatars", "docs", "installer", "pyproject.toml", "README.md")
SKIP = re.compile(r"(^|/)(__pycache__|[^/]*\.egg-info|\.pytest_cache|\.ruff_cache|\.mypy_cache)(/|$)|\.py[co]$")
GGUF_MAGIC = b"GGUF"


class BuildError(Exception):
    pass


def say(text: str) -> None:
    print(f"[bundle] {text}", flush=True)


def app_files(root: Path) -> list[str]:
    """The app's files: tracked and new files git does not ignore (else every file) under APP_PARTS."""
    names: list[str] = []
    try:
        out = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                              "--", *APP_PARTS], capture_output=True, check=True).stdout
        names = [n for n in out.decode().split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        for part in APP_PARTS:
            path = root / part
            if path.is_file():
                names.append(part)
            elif path.is_dir():
                names.extend(p.relative_to(root).as_posix() for p in sorted(path.rglob("*")) if p.is_file())
    names.extend(n for n in ("LICENSE", "LICENSE.md", "COPYING") if (root / n).is_file())
    return sorted({n for n in names if not SKIP.search(n) and (root / n).is_file()})


def wheel_pin(filename: str) -> tuple[str, str]:
    name, version = filename.split("-")[:2]
    return re.sub(r"[-_.]+", "-", name).lower(), version


def environment_pins(skip: set[str]) -> list[str]:
    """name==version of every package in the running environment: the bundle ships what was tested here."""
    pins = {}
    for dist in importlib.metadata.distributions():
        name = re.sub(r"[-_.]+", "-", dist.metadata["Name"] or "").lower()
        if name and name not in skip:
            pins[name] = f"{name}=={dist.version}"
    return sorted(pins.values())


def _count_saved(line: str) -> tuple[int, str] | None:
    """One step per package pip collects (it saves the wheels all at the end)."""
    line = line.strip()
    if line.startswith("Collecting "):
        return 1, re.split(r"[=<>!~ ;\[]", line[len("Collecting "):], maxsplit=1)[0]
    return None


def collect_extras(args: argparse.Namespace) -> list[tuple[Path, str]]:
    """(source, path in the bundle) for the operator's extra models, checked."""
    out: list[tuple[Path, str]] = []
    for voice in args.voice:
        voice = Path(voice).expanduser().resolve()
        config = voice.with_name(voice.name + ".json")
        if voice.suffix != ".onnx" or not voice.is_file():
            raise BuildError(f"--voice {voice}: a Piper voice is a .onnx file")
        if not config.is_file():
            raise BuildError(f"--voice {voice}: its config {config.name} must lie beside it")
        out += [(voice, f"extras/voices/{voice.name}"), (config, f"extras/voices/{config.name}")]
    for folder in args.vosk:
        folder = Path(folder).expanduser().resolve()
        if not folder.is_dir() or not any((folder / d).is_dir() for d in ("am", "conf", "graph")):
            raise BuildError(f"--vosk {folder}: not an unzipped Vosk model folder (am/, conf/, graph/ inside)")
        out += [(p, f"extras/vosk/{folder.name}/{p.relative_to(folder).as_posix()}")
                for p in sorted(folder.rglob("*")) if p.is_file()]
    for model in args.gguf:
        model = Path(model).expanduser().resolve()
        if not model.is_file():
            raise BuildError(f"--gguf {model}: no such file")
        with model.open("rb") as handle:
            if handle.read(4) != GGUF_MAGIC:
                raise BuildError(f"--gguf {model}: not a GGUF model file (bad header)")
        out.append((model, f"extras/llm/{model.name}"))
    names = [dest for _, dest in out]
    if len(names) != len(set(names)):
        raise BuildError("two extras have the same file name")
    return out


def build(args: argparse.Namespace) -> Path:
    started = time.monotonic()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    version = pyproject["version"]
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    bundle_id = f"{APP}-{version}-{stamp}"
    out = Path(args.out).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    final = out / bundle_id
    work = out / f".{bundle_id}.partial"
    shutil.rmtree(work, ignore_errors=True)
    extras = collect_extras(args)  # checked before anything long runs
    work.mkdir()
    try:
        total = 6
        say(f"[1/{total}] the app ({ROOT})")
        files = app_files(ROOT)
        for name in files:
            dest = work / "app" / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest)
        print(f"  {len(files)} files")

        say(f"[2/{total}] wheels for every Python package (pip wheel; llama-cpp-python and the echo canceller "
            f"from {args.wheel_cache})")
        wheels = work / "wheels"
        wheels.mkdir()
        built = list(args.built)
        built_names = [re.split(r"[=<>!~ ]", b, maxsplit=1)[0] for b in built]
        log = out / f"{bundle_id}.build.log"
        with tempfile.TemporaryDirectory() as tmp:
            constraints = Path(tmp) / "constraints.txt"
            # the packaging tools are not pinned: a fresh venv's setuptools is older than the app's build needs
            skip = {APP, "pip", "setuptools", "wheel", *(re.sub(r"[-_.]+", "-", n).lower() for n in built_names)}
            constraints.write_text("\n".join([] if args.no_pin else environment_pins(skip)) + "\n")
            requirements = [*pyproject["dependencies"], *built, "pip", "setuptools>=77", "wheel"]
            run_with_progress(
                [sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(wheels), "--find-links", args.wheel_cache,
                 "--only-binary", ",".join(built_names), "-c", str(constraints), *requirements],
                "wheels", log, count=_count_saved, unit="packages")
            no_deps = package_list(ROOT / "installer/model-packages-no-deps.txt")
            run_with_progress([sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(wheels), *no_deps],
                              "model packages", log, count=_count_saved, unit="packages")
        for stray in wheels.glob("kiosk_avatar-*.whl"):
            stray.unlink()
        names = sorted(p.name for p in wheels.glob("*.whl"))
        pins = sorted(f"{n}=={v}" for n, v in (wheel_pin(w) for w in names))
        if len({wheel_pin(w)[0] for w in names}) != len(names):
            raise BuildError(f"two wheels of one package in {wheels}: {names}")
        for name in built_names:
            wheel = next((w for w in names if wheel_pin(w)[0] == re.sub(r"[-_.]+", "-", name).lower()), None)
            cached = [p for p in Path(args.wheel_cache).glob("*.whl") if wheel and p.name == wheel]
            if not wheel or not cached or sha256_file(wheels / wheel) != sha256_file(cached[0]):
                raise BuildError(f"{name}: the bundle must ship the wheel built in {args.wheel_cache} "
                                 f"(found {wheel}); run installer/install.sh to build it")
            print(f"  {wheel}: the wheel built here (portable), {human((wheels / wheel).stat().st_size)}")
        pip_wheel = next(w for w in names if wheel_pin(w)[0] == "pip")

        say(f"[3/{total}] checking that the wheels install offline (pip --dry-run --no-index)")
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "pins.txt").write_text("\n".join(pins) + "\n")
            run_with_progress([sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--no-index",
                               "--find-links", str(wheels), "-c", str(Path(tmp) / "pins.txt"),
                               *pyproject["dependencies"], *built], "offline resolution", log, env=clean_pip_env())

        say(f"[4/{total}] extra models: {len(extras)} file(s)" if extras else f"[4/{total}] extra models: none")
        if extras:
            progress = Progress("extras", sum(src.stat().st_size for src, _ in extras), unit="bytes")
            for source, dest in extras:
                target = work / dest
                target.parent.mkdir(parents=True, exist_ok=True)
                with source.open("rb") as reader, target.open("wb") as writer:
                    while block := reader.read(1 << 20):
                        writer.write(block)
                        progress.advance(len(block))
            progress.finish()

        say(f"[5/{total}] install script and {BUNDLE_INFO}")
        shutil.copy2(ROOT / "installer/bundle-install.sh", work / "install")
        (work / "install").chmod(0o755)
        sizes = {part: sum(p.stat().st_size for p in (work / part).rglob("*") if p.is_file())
                 for part in ("app", "wheels", "extras") if (work / part).is_dir()}
        info = {
            "format": 1,
            "id": bundle_id,
            "name": APP,
            "version": version,
            "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "built_on": _os_name(),
            "python": f"{sys.version_info.major}.{sys.version_info.minor}",
            "machine": platform.machine(),
            "glibc": "-".join(platform.libc_ver()),
            "cpu_features": list(CPU_FEATURES),
            "pip": pip_wheel,
            "pins": pins,
            "built_wheels": built,
            "no_deps": no_deps,
            "wheel_count": len(names),
            "extras": sorted({dest.split("/")[1] + "/" + dest.split("/")[2] for _, dest in extras}),
            "sizes": sizes,
        }
        (work / BUNDLE_INFO).write_text(json.dumps(info, indent=2) + "\n")
        (work / "README.txt").write_text(_readme(info))

        say(f"[6/{total}] {MANIFEST}")
        count, size = write_manifest(work)
        shutil.rmtree(final, ignore_errors=True)
        work.rename(final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    say(f"bundle: {final}  ({count} files, {human(size)}, {time.monotonic() - started:.0f} s)")
    if args.archive:
        archive = out / f"{bundle_id}.tar"
        progress = Progress("archive", size, unit="bytes")
        with tarfile.open(archive, "w") as tar:
            for path in [final, *sorted(final.rglob("*"))]:
                tar.add(path, arcname=path.relative_to(out).as_posix(), recursive=False)
                if path.is_file():
                    progress.advance(path.stat().st_size)
        progress.finish()
        (out / f"{archive.name}.sha256").write_text(f"{sha256_file(archive)}  {archive.name}\n")
        say(f"archive: {archive}  ({human(archive.stat().st_size)}; sha256 in {archive.name}.sha256)")
    return final


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return platform.platform()


def _readme(info: dict) -> str:
    return f"""\
Kiosk avatar {info['version']} - offline bundle {info['id']}
Built {info['built']} on {info['built_on']} for Python {info['python']} ({info['machine']}).

Install on the booth PC (Debian/Ubuntu, no internet needed), as the user the kiosk runs as:

    ./install                  # or: sudo ./install   (app in /opt/kiosk-avatar, for the user who ran sudo)
    ./install --help           # options: --prefix DIR, --no-autostart, --autologin, --skip-packages

It checks every file against MANIFEST.sha256 first, installs into one folder, sets up autostart at
login (systemd user service with a watchdog, or `kiosk supervise`), and prints where everything is.
Installing a newer bundle over an older one keeps persona files and logs. Uninstall:
PREFIX/bin/kiosk-uninstall [--purge], or ./install --uninstall.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build-bundle", description="Build the offline install bundle.")
    parser.add_argument("--out", default=str(ROOT / "dist"), help="folder for the bundle (default: dist/)")
    parser.add_argument("--wheel-cache", required=True, help="folder with the wheels built here (llama-cpp-python ...)")
    parser.add_argument("--built", action="append", default=[], metavar="REQ",
                        help="a package that must come from --wheel-cache (name==version)")
    parser.add_argument("--voice", action="append", default=[], metavar="FILE.onnx", help="another Piper voice")
    parser.add_argument("--vosk", action="append", default=[], metavar="DIR", help="an unzipped Vosk model folder")
    parser.add_argument("--gguf", action="append", default=[], metavar="FILE", help="another language model (GGUF)")
    parser.add_argument("--archive", action="store_true", help="also pack the bundle into one .tar")
    parser.add_argument("--no-pin", action="store_true",
                        help="newest allowed versions instead of the versions installed in this environment")
    args = parser.parse_args(argv)
    try:
        build(args)
    except BuildError as exc:
        say(f"FAILED: {exc}")
        return 1
    except RuntimeError as exc:
        say(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
