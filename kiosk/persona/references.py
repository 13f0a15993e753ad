"""Files a persona refers to (voice, models, avatar): checked when the file is read.

Relative paths in a persona file are relative to the file's own folder, so a persona and its voice
can be copied together to another kiosk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk import paths
from kiosk.persona.schema import Persona

BUILTIN_VOICES = {"joe"}
BUILTIN_AVATARS = {"default"}

Reference = tuple[str, str, tuple[Any, ...]]  # key, message, key path


def avatar_dirs() -> list[Path]:
    """Where avatar folders are looked up, first match wins: the kiosk's config folder, then the install."""
    return [paths.config_dir() / "avatars", paths.repo_root() / "avatars"]


def available_avatars() -> list[str]:
    names = set(BUILTIN_AVATARS)
    for folder in avatar_dirs():
        if folder.is_dir():
            names.update(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    return sorted(names)


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _section(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key) if isinstance(data, dict) else None
        data = value if isinstance(value, dict) else {}
    return data


def check_references(data: dict[str, Any], base: Path) -> list[Reference]:
    """Problems with referenced files, found on the raw data so they are listed with any other problem."""
    out: list[Reference] = []
    tts = _section(data, "engines", "tts")
    voice = tts.get("voice")
    if isinstance(voice, str) and voice and voice not in BUILTIN_VOICES:
        path = _resolve(voice, base)
        loc = ("engines", "tts", "voice")
        if not path.is_file():
            out.append(
                (
                    "engines.tts.voice",
                    f"voice file not found: {path} (allowed: 'joe' or the path of a Piper .onnx voice)",
                    loc,
                )
            )
        elif not Path(f"{path}.json").is_file():
            out.append(
                (
                    "engines.tts.voice",
                    f"the voice's settings file is missing: {path}.json (Piper voices come as .onnx + .onnx.json)",
                    loc,
                )
            )
    llm = _section(data, "engines", "llm")
    model = llm.get("model")
    if llm.get("engine", "llama_cpp") == "llama_cpp" and isinstance(model, str) and model:
        path = _resolve(model, base)
        if not path.is_file():
            out.append(
                (
                    "engines.llm.model",
                    f"language model file not found: {path} (allowed: empty for the built-in model, or a .gguf file)",
                    ("engines", "llm", "model"),
                )
            )
    asr = _section(data, "engines", "asr")
    folder = asr.get("model")
    if isinstance(folder, str) and folder:
        path = _resolve(folder, base)
        if not path.is_dir():
            out.append(
                (
                    "engines.asr.model",
                    f"speech recognition model folder not found: {path}",
                    ("engines", "asr", "model"),
                )
            )
    avatar = _section(data, "avatar").get("name")
    if isinstance(avatar, str) and avatar:
        known = available_avatars()
        if avatar not in known:
            out.append(
                (
                    "avatar.name",
                    f"avatar '{avatar}' not found in avatars/ (available: {', '.join(known)})",
                    ("avatar", "name"),
                )
            )
    return out


def resolve_paths(persona: Persona, base: Path) -> None:
    """Make the persona's relative file paths absolute (relative to the persona file's folder)."""
    tts = persona.engines.tts
    if tts.voice not in BUILTIN_VOICES:
        tts.voice = str(_resolve(tts.voice, base))
    llm = persona.engines.llm
    if getattr(llm, "model", None) is not None and isinstance(llm.model, Path):
        llm.model = _resolve(str(llm.model), base)
    asr = persona.engines.asr
    if asr.model is not None:
        asr.model = _resolve(str(asr.model), base)
