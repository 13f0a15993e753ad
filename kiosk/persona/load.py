"""Reading a persona file and turning every problem in it into a message staff can act on."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kiosk.errors import KioskError
from kiosk.persona.schema import Persona

DEFAULT_PERSONA = Path(__file__).with_name("default.toml")


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    line: int | None = None

    def format(self, path: Path) -> str:
        where = f"{path}:{self.line}" if self.line else str(path)
        key = f" [{self.key}]" if self.key else ""
        return f"{where}:{key} {self.message}"


class PersonaError(KioskError):
    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.problems = problems
        self.file = path
        lines = "\n".join("  " + p.format(path) for p in problems)
        super().__init__(
            f"persona file has {len(problems)} problem(s):\n{lines}",
            fix="edit the file and run `kiosk persona check FILE` until it reports no problems",
            path=None,
        )


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of a key path in TOML text (tables, dotted headers and `key =` lines)."""
    keys = [str(k) for k in loc if not isinstance(k, int)]
    if not keys:
        return None
    lines = text.splitlines()
    table: list[str] = []
    best: int | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        header = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
        if header:
            table = [part.strip().strip('"') for part in header.group(1).split(".")]
            if table == keys[: len(table)] and best is None and len(table) == len(keys):
                best = number
            continue
        assign = re.match(r'^"?([A-Za-z0-9_.\-]+)"?\s*=', line)
        if assign:
            full = table + [part.strip() for part in assign.group(1).split(".")]
            if full == keys:
                return number
            if best is None and full == keys[: len(full)]:
                best = number
    return best


def _known_keys(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names allowed at the parent of ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for key in loc[:-1]:
        if isinstance(key, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or key not in fields:
            return []
        annotation = fields[key].annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if hasattr(a, "model_fields")]
        if not candidates:
            return []
        current = candidates[0]
    return list(getattr(current, "model_fields", {}))


def _problems(error: ValidationError, text: str) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        # drop pydantic's union tags such as 'whisper' in ('engines', 'asr', 'whisper', 'model')
        loc = tuple(k for k in loc if k not in {"whisper", "vosk", "llama_cpp", "openai"} or k == loc[-1])
        key = ".".join(str(k) for k in loc)
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            allowed = _known_keys(Persona, loc)
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            message = f"unknown setting '{loc[-1]}'"
            message += f"; did you mean '{close[0]}'?" if close else f"; allowed here: {', '.join(allowed)}"
        elif item["type"] == "missing":
            message = "this setting is required here"
        problems.append(Problem(key, message, _line_of(text, loc)))
    return problems


def parse_persona(text: str, path: Path) -> Persona:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise PersonaError(
            path, [Problem("", f"not valid TOML: {exc}", int(match.group(1)) if match else None)]
        ) from None
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise PersonaError(path, _problems(exc, text)) from None


def load_persona(path: Path | str | None = None) -> Persona:
    """Load and validate a persona file; ``None`` gives the embedded default persona."""
    file = Path(path) if path is not None else DEFAULT_PERSONA
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KioskError(f"persona file not found: {file}", fix="check the path, or create one with `kiosk persona new NAME`") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KioskError(f"cannot read persona file {file}: {exc}", fix="save it as UTF-8 text") from None
    return parse_persona(text, file)


def default_persona() -> Persona:
    return load_persona(DEFAULT_PERSONA)
