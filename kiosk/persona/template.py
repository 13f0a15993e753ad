"""A commented persona template and the Markdown reference, both generated from the schema.

Because both come from the field descriptions in schema.py (and the engine sections), neither can
drift from what `kiosk persona check` accepts.
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from kiosk.persona.schema import Persona


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _models(annotation: Any) -> list[type[BaseModel]]:
    """Section models inside an annotation (a model, a union of models, Annotated[...])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        out += _models(arg)
    return out


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    if get_origin(annotation) is list:
        inner = get_args(annotation)[0]
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return None


def _default(info: FieldInfo) -> Any:
    if info.default is not PydanticUndefined:
        return info.default
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    return PydanticUndefined


def type_words(annotation: Any) -> str:
    """How a value is written, in staff words."""
    origin = get_origin(annotation)
    if origin is Literal:
        return " or ".join(f"'{a}'" for a in get_args(annotation))
    if origin in (typing.Union, types.UnionType):
        parts = [type_words(a) for a in get_args(annotation) if a is not type(None)]
        return " or ".join(parts) + (" (or empty)" if type(None) in get_args(annotation) else "")
    if origin is list:
        return f"list of {type_words(get_args(annotation)[0])}"
    names = {bool: "true/false", int: "whole number", float: "number", str: "text", Path: "path"}
    if annotation in names:
        return names[annotation]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "table"
    return getattr(annotation, "__name__", str(annotation))


def _limits(info: FieldInfo) -> str:
    words = []
    for meta in info.metadata:
        for name, text in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"), ("min_length", "at least")):
            value = getattr(meta, name, None)
            if value is not None:
                words.append(f"{text} {value}" if name != "min_length" else f"at least {value} item(s)")
    return ", ".join(words)


# ---- template ---------------------------------------------------------------------------------------
def _comment(text: str, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in text.splitlines()]


def _emit(model: type[BaseModel], path: list[str], out: list[str], instance: BaseModel | None) -> None:
    tables: list[tuple[str, FieldInfo, Any]] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        value = getattr(instance, name) if instance is not None else _default(info)
        if _models(annotation) or _list_item_model(annotation):
            tables.append((name, info, value))
            continue
        limits = _limits(info)
        out += _comment(f"{info.description} [{type_words(annotation)}{'; ' + limits if limits else ''}]")
        if value is None:
            out.append(f"# {name} =")
        elif value is PydanticUndefined:
            out.append(f"# {name} = ...  (required)")
        else:
            out.append(f"{name} = {_toml_value(value)}")
        out.append("")
    for name, info, value in tables:
        item = _list_item_model(info.annotation)
        key = ".".join([*path, name])
        if item is not None:
            out += _comment(info.description or "")
            out += _comment("Add one block like this per entry:")
            out.append(f"# [[{key}]]")
            for field_name, field_info in item.model_fields.items():
                out.append(f"# {field_name} = ...  # {field_info.description}")
            out.append("")
            continue
        choices = _models(info.annotation)
        out.append(f"[{key}]")
        out += _comment(info.description or "")
        if len(choices) > 1:
            engines = [c.model_fields["engine"].annotation for c in choices if "engine" in c.model_fields]
            names = ", ".join(f"'{get_args(e)[0]}'" for e in engines)
            out += _comment(f"engine is one of {names}; each has its own settings (see docs/PERSONAS.md).")
        current = value if isinstance(value, BaseModel) else None
        _emit(type(current) if current is not None else choices[0], [*path, name], out, current)


def template(name: str) -> str:
    persona = Persona(id=name, name=name.replace("-", " ").replace("_", " ").title())
    out = _comment(
        f"Persona '{name}': who the avatar is, what it knows and how it runs.\n"
        "Lines starting with # are comments. Every setting has a default, so you can delete any you\n"
        "do not change. Check the file with: kiosk persona check THIS_FILE"
    )
    out.append("")
    _emit(Persona, [], out, persona)
    return "\n".join(out).rstrip() + "\n"


# ---- reference --------------------------------------------------------------------------------------
def _reference(model: type[BaseModel], path: str, out: list[str], note: str = "") -> None:
    rows: list[str] = []
    nested: list[tuple[str, FieldInfo]] = []
    for name, info in model.model_fields.items():
        if _models(info.annotation) and not _list_item_model(info.annotation):
            nested.append((name, info))
            continue
        default = _default(info)
        if default is PydanticUndefined:
            shown = "required"
        elif isinstance(default, BaseModel):
            shown = ""
        elif default is None:
            shown = "empty"
        else:
            shown = f"`{_toml_value(default) if not isinstance(default, list) or not default or not isinstance(default[0], BaseModel) else '[]'}`"
        limits = _limits(info)
        kind = type_words(info.annotation) + (f"; {limits}" if limits else "")
        rows.append(f"| `{name}` | {kind} | {shown} | {(info.description or '').replace('|', '/')} |")
    if rows:
        out += [f"### `[{path}]`{note}" if path else "### Top level", ""]
        if model.__doc__ and path:
            out += [model.__doc__.strip(), ""]
        out += ["| key | value | default | meaning |", "|---|---|---|---|", *rows, ""]
        item_models = [
            (n, _list_item_model(i.annotation))
            for n, i in model.model_fields.items()
            if _list_item_model(i.annotation)
        ]
        for name, item in item_models:
            if item is not None:
                _reference(item, f"[{path + '.' if path else ''}{name}]", out, note)
    for name, info in nested:
        key = f"{path}.{name}" if path else name
        choices = _models(info.annotation)
        if len(choices) > 1:
            for choice in choices:
                tag = get_args(choice.model_fields["engine"].annotation)[0]
                _reference(choice, key, out, f" with `engine = '{tag}'`")
        else:
            _reference(choices[0], key, out, note)


def reference_markdown() -> str:
    out = [
        "# Persona file reference",
        "",
        "<!-- Generated from kiosk/persona/schema.py by `kiosk persona docs`; do not edit by hand. -->",
        "",
        "A persona file is a TOML text file: `key = value` lines grouped under `[section]` headers, `#`",
        "starts a comment. Every setting has a default, so a minimal persona is a few lines. Start from",
        "`kiosk persona new NAME`, then run `kiosk persona check FILE` after every edit: it lists every",
        "problem with its line, key, what is wrong and what is allowed, and exits non-zero.",
        "",
        "**Where persona files live.** On an installed kiosk, persona files are in the kiosk's config folder",
        "(`~/.config/kiosk-avatar/` for the kiosk user, or the folder in `KIOSK_CONFIG_DIR`); examples are in",
        "`assets/personas/`. Relative paths inside a persona file (voice, models) are relative to the file's",
        "own folder. Avatars are looked up by name in `avatars/` of the config folder, then of the install.",
        "",
        "**Live reload.** A saved persona file is applied at the next conversation. If the edit is invalid,",
        "the kiosk keeps running the last good version and shows the problems in the staff panel and log.",
        "",
        "**Answers.** Curated `[[knowledge.qa]]` answers are matched by meaning and spoken word for word;",
        "list several phrasings per entry in `questions`, as visitors would say them.",
        "Other questions are answered by the language model from the most relevant `knowledge.facts`; a",
        "sentence naming a number, time, day or price that the facts do not contain is never spoken: the",
        "`unknown_line` is said instead. Test a persona with",
        "`kiosk persona eval FILE --questions questions.toml`.",
        "",
        '**Older files.** `schema_version` 1 files are read and migrated (v1 `question = "..."` in',
        '`[[knowledge.qa]]` became `questions = ["..."]`).',
        "",
        "## Settings",
        "",
    ]
    _reference(Persona, "", out)
    return "\n".join(out).rstrip() + "\n"
