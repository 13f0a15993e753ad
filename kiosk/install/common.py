"""Helpers shared by the bundle builder, the booth installer and `kiosk doctor` (standard library only)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

APP = "kiosk-avatar"
UNIT = "kiosk-avatar.service"
MANIFEST = "MANIFEST.sha256"
BUNDLE_INFO = "bundle.json"
INSTALL_INFO = "install.json"  # in the install prefix: what was installed where (for upgrade and uninstall)
# what the portable llama.cpp build (GGML_NATIVE=OFF, x86-64-v3) executes
CPU_FEATURES = ("avx", "avx2", "fma", "f16c")


def human(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit in ("B", "KB") else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


class Progress:
    """A progress line: rewritten in place on a terminal, a line every few seconds in a log."""

    def __init__(self, label: str, total: float | None = None, *, unit: str = "", stream=None) -> None:
        self.label, self.total, self.unit = label, total, unit
        self.stream = stream or sys.stdout
        self.value = 0.0
        self.note = ""
        self.started = time.monotonic()
        self._last = 0.0 if self._is_tty(self.stream) else self.started  # a log: the first line after 5 s
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()

    @staticmethod
    def _is_tty(stream) -> bool:
        return hasattr(stream, "isatty") and stream.isatty()

    def _text(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.total:
            done = self.value / self.total
            amount = (f"{human(self.value)} of {human(self.total)}" if self.unit == "bytes"
                      else f"{self.value:.0f} of {self.total:.0f} {self.unit}".rstrip())
            text = f"  {self.label}: {done:4.0%} ({amount}, {elapsed:.0f} s)"
        elif self.value:
            text = f"  {self.label}: {self.value:.0f} {self.unit} ({elapsed:.0f} s)"
        else:
            text = f"  {self.label}: {elapsed:.0f} s"
        return f"{text}  {self.note}" if self.note else text

    def show(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if self._tty:
                if force or now - self._last >= 0.1:
                    width = shutil.get_terminal_size((100, 20)).columns - 1
                    self.stream.write("\r" + self._text()[:width].ljust(width))
                    self.stream.flush()
                    self._last = now
            elif force or now - self._last >= 5:
                self.stream.write(self._text() + "\n")
                self.stream.flush()
                self._last = now

    def advance(self, amount: float = 1, note: str | None = None) -> None:
        self.value += amount
        if note is not None:
            self.note = note
        self.show()

    def finish(self, message: str = "") -> None:
        with self._lock:
            elapsed = time.monotonic() - self.started
            line = f"  {self.label}: {message or 'done'} ({elapsed:.0f} s)"
            if self._tty:
                width = shutil.get_terminal_size((100, 20)).columns - 1
                self.stream.write("\r" + line[:width].ljust(width) + "\n")
            else:
                self.stream.write(line + "\n")
            self.stream.flush()


def sha256_file(path: Path, on_block: Callable[[int], None] | None = None) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            if on_block:
                on_block(len(block))
    return digest.hexdigest()


def walk_files(root: Path) -> Iterator[Path]:
    """Every regular file under ``root`` (sorted, relative), following no symlinks."""
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            yield (Path(folder) / name).relative_to(root)


def write_manifest(root: Path, exclude: Iterable[str] = (MANIFEST,)) -> tuple[int, int]:
    """Write ``root/MANIFEST.sha256`` (the format of ``sha256sum -c``) for every file; (files, bytes)."""
    skip = set(exclude)
    files = [p for p in walk_files(root) if p.as_posix() not in skip]
    total = sum((root / p).stat().st_size for p in files)
    progress = Progress("checksums", total, unit="bytes")
    lines = []
    for rel in files:
        lines.append(f"{sha256_file(root / rel, progress.advance)}  {rel.as_posix()}")
    tmp = root / (MANIFEST + ".tmp")
    tmp.write_text("\n".join(lines) + "\n")
    tmp.replace(root / MANIFEST)
    progress.finish(f"{len(files)} files, {human(total)}")
    return len(files), total


def read_manifest(root: Path) -> dict[str, str]:
    entries: dict[str, str] = {}
    for number, line in enumerate((root / MANIFEST).read_text().splitlines(), 1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            raise ValueError(f"{MANIFEST} line {number} is not '<sha256>  <path>'")
        if name.startswith("/") or ".." in Path(name).parts:
            raise ValueError(f"{MANIFEST} line {number}: path outside the bundle: {name}")
        entries[name] = digest
    return entries


def verify_manifest(root: Path, label: str = "checking the bundle") -> list[str]:
    """Problems with the files under ``root`` against its manifest (empty: every file is intact)."""
    try:
        entries = read_manifest(root)
    except FileNotFoundError:
        return [f"{MANIFEST} is missing: this is not a complete bundle"]
    except ValueError as exc:
        return [str(exc)]
    problems = []
    sizes = {}
    for name in entries:
        try:
            sizes[name] = (root / name).stat().st_size
        except OSError:
            problems.append(f"missing: {name}")
    progress = Progress(label, sum(sizes.values()), unit="bytes")
    for name, size in sizes.items():
        if sha256_file(root / name, progress.advance) != entries[name]:
            problems.append(f"corrupt (sha256 differs): {name} ({human(size)})")
    progress.finish(f"{len(sizes)} files, {human(sum(sizes.values()))}" + (" - PROBLEMS" if problems else ", all intact"))
    return problems


def cpu_flags() -> set[str] | None:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return None


def missing_cpu_features() -> list[str] | None:
    """CPU features the bundled llama.cpp build needs and this CPU lacks (None: cannot tell)."""
    flags = cpu_flags()
    if flags is None:
        return None
    return [f for f in CPU_FEATURES if f not in flags]


def package_list(path: Path) -> list[str]:
    """Names in a Debian package list file (one a line, # comments)."""
    names = []
    for line in path.read_text().splitlines():
        names.extend(line.partition("#")[0].split())
    return names


def missing_debian_packages(names: Iterable[str]) -> list[str] | None:
    """The packages not installed (None: not a Debian/Ubuntu system)."""
    if not shutil.which("dpkg-query"):
        return None
    missing = []
    for name in names:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True)
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def clean_pip_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which pip reads no configuration: only the options given on its command line."""
    env = {k: v for k, v in (env or os.environ).items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env.pop("PYTHONPATH", None)
    env.pop("PYTHONHOME", None)
    return env


def run_with_progress(
    command: list[str], label: str, log: Path, *, env: dict[str, str] | None = None,
    total: int | None = None, count: Callable[[str], tuple[int, str] | None] | None = None, cwd: Path | None = None,
    unit: str = "",
) -> None:
    """Run ``command`` with its output appended to ``log``, showing a progress line.

    ``count(line)`` returns (steps done, a short note) for lines that mark progress, else None.
    Raises RuntimeError with the output's last lines when the command fails.
    """
    progress = Progress(label, total, unit=unit)
    tail: list[str] = []
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=env, cwd=cwd, bufsize=1)
        stop = threading.Event()

        def tick() -> None:
            while not stop.wait(1.0):
                progress.show()

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        assert process.stdout is not None
        try:
            for line in process.stdout:
                out.write(line)
                tail = (tail + [line.rstrip()])[-15:]
                done = count(line) if count else None
                if done is not None:
                    progress.advance(*done)
            code = process.wait()
        except BaseException:  # interrupted: the command must not go on writing while we undo
            process.kill()
            process.wait()
            raise
        finally:
            stop.set()
            ticker.join()
    if code != 0:
        progress.finish("FAILED")
        detail = "\n".join(f"    {t}" for t in tail if t.strip())
        raise RuntimeError(f"{label} failed (exit code {code}); the last lines of {log}:\n{detail}")
    progress.finish()
