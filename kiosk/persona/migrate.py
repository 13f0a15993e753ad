"""Upgrading persona files written for an older ``schema_version``.

Each migration takes the raw TOML data of version N and returns version N+1, so a file of any older
version is brought up to date step by step before validation. The file on disk is never rewritten:
`kiosk persona check` says that it was migrated and how to update it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.persona.schema import SCHEMA_VERSION

Data = dict[str, Any]


def _v1_to_v2(data: Data) -> Data:
    """v2: a curated entry lists several phrasings (`questions = [...]`) instead of one `question`."""
    knowledge = data.get("knowledge")
    if isinstance(knowledge, dict) and isinstance(knowledge.get("qa"), list):
        for entry in knowledge["qa"]:
            if isinstance(entry, dict) and "question" in entry and "questions" not in entry:
                entry["questions"] = [entry.pop("question")]
    avatar = data.get("avatar")
    if isinstance(avatar, dict) and avatar.get("expression") in ("smile", "smiling"):
        avatar["expression"] = "happy"  # v1 accepted any word; v2 has a fixed list
    return data


MIGRATIONS: dict[int, Callable[[Data], Data]] = {1: _v1_to_v2}


ENGINE_DEFAULTS = {"asr": "whisper", "llm": "llama_cpp", "tts": "piper"}


def fill_engine_tags(data: Data) -> Data:
    """An `[engines.llm]` table without `engine = ...` means the default engine, as when it is absent."""
    engines = data.get("engines")
    if isinstance(engines, dict):
        for name, default in ENGINE_DEFAULTS.items():
            section = engines.get(name)
            if isinstance(section, dict) and "engine" not in section:
                section["engine"] = default
    return data


def migrate(data: Data) -> tuple[Data, int | None]:
    """Bring ``data`` up to SCHEMA_VERSION; returns it and the version it was written for (None if current).

    A missing ``schema_version`` means the current one (a minimal persona is a few lines). Versions
    that are not integers or newer than this kiosk are left for validation to report.
    """
    data = fill_engine_tags(data)
    version = data.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version >= SCHEMA_VERSION or version < 1:
        return data, None
    original = version
    while version < SCHEMA_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    data["schema_version"] = SCHEMA_VERSION
    return data, original
