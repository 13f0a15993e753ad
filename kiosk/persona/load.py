"""Reading a persona file and turning every problem in it into a message staff can act on."""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from kiosk.errors import KioskError
from kiosk.persona.lines import line_of
from kiosk.persona.migrate import migrate
from kiosk.persona.references import check_references, resolve_paths
from kiosk.persona.schema import SCHEMA_VERSION, Persona

DEFAULT_PERSONA = Path(__file__).with_name("default.toml")
_UNION_TAGS = {"whisper", "vosk", "llama_cpp", "openai", "piper"}


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


@dataclass
class Loaded:
    """A valid persona and what staff should know about its file (e.g. that it was migrated)."""

    persona: Persona
    path: Path
    notices: list[str] = field(default_factory=list)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...], data: Any) -> type[BaseModel] | None:
    """The section model that holds the last key of ``loc`` (unions resolved by the file's 'engine')."""
    current: type[BaseModel] = model
    for key in loc[:-1]:
        if isinstance(data, list):
            data = data[key] if isinstance(key, int) and key < len(data) else {}
            continue
        if isinstance(key, int):
            continue
        fields = current.model_fields
        if key not in fields:
            return None
        data = data.get(key, {}) if isinstance(data, dict) else {}
        annotation = fields[key].annotation
        args = [a for a in getattr(annotation, "__args__", ()) if isinstance(a, type)]
        for inner in [annotation, *args]:
            inner_args = [a for a in getattr(inner, "__args__", ()) if isinstance(a, type)]
            args += inner_args
        candidates = [a for a in [annotation, *args] if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            return None
        chosen = candidates[0]
        engine = data.get("engine") if isinstance(data, dict) else None
        for candidate in candidates:
            tag = candidate.model_fields.get("engine")
            if tag is not None and engine in getattr(tag.annotation, "__args__", ()):
                chosen = candidate
        current = chosen
    return current


def _allowed_text(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _did_you_mean(word: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(word, allowed, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; allowed here: {', '.join(allowed)}"


def _found(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'" if len(value) <= 40 else f"'{value[:37]}...'"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_TYPE_WORDS = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text in quotes",
    "list_type": "a list in [ ]",
    "model_type": "a table of settings",
    "dict_type": "a table of settings",
}


def _message(item: dict[str, Any], loc: tuple[Any, ...], data: Any) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    value = item.get("input")
    if kind == "extra_forbidden":
        model = _model_at(Persona, loc, data)
        allowed = list(model.model_fields) if model else []
        return f"unknown setting '{loc[-1]}'" + (_did_you_mean(str(loc[-1]), allowed) if allowed else "")
    if kind == "missing":
        return "this setting is required here"
    if kind in _TYPE_WORDS:
        return f"expected {_TYPE_WORDS[kind]}, found {_found(value)}"
    if kind == "literal_error":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{_found(value)} is not allowed{hint} (allowed: {_allowed_text(allowed)})"
    if kind == "union_tag_invalid":
        allowed = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        close = difflib.get_close_matches(str(ctx.get("tag")), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"engine {_found(ctx.get('tag'))} is not known{hint} (allowed: {_allowed_text(allowed)})"
    if kind == "union_tag_not_found":
        return f"this section needs 'engine = ...' ({ctx.get('discriminator', '').strip(chr(39))})"
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if loc == ("schema_version",) and kind == "less_than_equal":
        return f"this file is for a newer kiosk (schema_version {value}); this kiosk reads versions 1 to {SCHEMA_VERSION}"
    if kind in bounds:
        words, name = bounds[kind]
        return f"{_found(value)} is out of range; allowed: {words} {ctx.get(name)}"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    if kind in ("string_too_short",):
        return "must not be empty"
    if kind == "string_pattern_mismatch":
        model = _model_at(Persona, loc, data)
        described = (
            model.model_fields[str(loc[-1])].description
            if model and str(loc[-1]) in model.model_fields
            else ""
        )
        return f"{_found(value)} is not in the allowed form: {described}".rstrip(": ")
    return f"{item['msg']} (found {_found(value)})"


def key_name(loc: tuple[Any, ...]) -> str:
    """``('knowledge', 'qa', 1, 'answer')`` -> ``knowledge.qa[2].answer`` (entries counted from 1)."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(error: ValidationError, text: str, data: Any) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        # drop pydantic's union tags such as 'whisper' in ('engines', 'asr', 'whisper', 'model')
        loc = tuple(k for i, k in enumerate(loc) if not (k in _UNION_TAGS and i < len(loc) - 1))
        message = _message(item, loc, data)
        if item["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "engine")
        problems.append(Problem(key_name(loc), message, line_of(text, loc)))
    unique: dict[tuple[str, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.key, problem.message), problem)
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.key))


def read_persona(text: str, path: Path) -> Loaded:
    """Parse, migrate, validate and check references; raise PersonaError listing every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise PersonaError(
            path,
            [
                Problem(
                    "",
                    f'not valid TOML: {reason} (quote text with "...")',
                    int(match.group(1)) if match else None,
                )
            ],
        ) from None
    data, migrated_from = migrate(data)
    base = path.parent
    problems = [Problem(key_name(loc), m, line_of(text, loc)) for _, m, loc in check_references(data, base)]
    persona = None
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, text, data) + problems
    if problems or persona is None:
        raise PersonaError(path, sorted(problems, key=lambda p: (p.line or 0, p.key)))
    resolve_paths(persona, base)
    notices = []
    if migrated_from is not None:
        notices.append(
            f"written for schema_version {migrated_from}; read as version {SCHEMA_VERSION}. "
            f"To update it, compare with `kiosk persona new` and set schema_version = {SCHEMA_VERSION}."
        )
    notices += matching_notes(persona)
    return Loaded(persona, path, notices)


def matching_notes(persona: Persona) -> list[str]:
    """Advice on the curated entries' phrasings: few phrasings miss visitors' wordings, and a phrasing
    in two entries makes both less sure (neither answer is given for it)."""
    notes: list[str] = []
    owners: dict[str, list[int]] = {}
    for number, qa in enumerate(persona.knowledge.qa, start=1):
        if len(qa.questions) < 3:
            notes.append(
                f"knowledge.qa entry {number} ({qa.questions[0]!r}) has {len(qa.questions)} phrasing(s): "
                "add more ways visitors ask it (the examples have 8 to 14), or it will often be missed"
            )
        for question in qa.questions:
            key = " ".join(re.findall(r"[a-z0-9]+", question.lower()))
            if number not in owners.setdefault(key, []):
                owners[key].append(number)
    for question, numbers in owners.items():
        if len(numbers) > 1:
            listed = " and ".join(str(n) for n in numbers)
            notes.append(f"the phrasing {question!r} is in knowledge.qa entries {listed}: keep it in one only")
    return notes


def parse_persona(text: str, path: Path) -> Persona:
    return read_persona(text, path).persona


def read_persona_file(path: Path | str) -> Loaded:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise KioskError(
            f"persona file not found: {file}",
            fix="check the path, or create one with `kiosk persona new NAME`",
        ) from None
    except IsADirectoryError:
        raise KioskError(
            f"{file} is a folder, not a persona file", fix="give the path of a .toml file"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KioskError(f"cannot read persona file {file}: {exc}", fix="save it as UTF-8 text") from None
    return read_persona(text, file)


def load_persona(path: Path | str | None = None) -> Persona:
    """Load and validate a persona file; ``None`` gives the embedded default persona."""
    return read_persona_file(path if path is not None else DEFAULT_PERSONA).persona


def default_persona() -> Persona:
    return load_persona(DEFAULT_PERSONA)
