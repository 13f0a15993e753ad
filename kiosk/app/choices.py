"""What staff chose in the staff panel (devices, persona), kept in ``staff-choices.toml`` in the
kiosk's config folder so the choice survives a restart. Persona files stay untouched: they are
the staff's own text, with their comments."""

from __future__ import annotations

import json
import logging
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError

from kiosk import paths
from kiosk.config import Section

log = logging.getLogger(__name__)

FILE_NAME = "staff-choices.toml"


class StaffChoices(Section):
    persona: str = Field("", description="Persona file chosen in the staff panel; empty: none chosen.")
    input_device: str = Field("", description="Microphone chosen in the staff panel; empty: the persona's.")
    output_device: str = Field("", description="Speaker chosen in the staff panel; empty: the persona's.")


def choices_file() -> Path:
    return paths.config_dir() / FILE_NAME


def load_choices() -> StaffChoices:
    """The saved choices; a missing or damaged file counts as no choices (and is logged)."""
    file = choices_file()
    if not file.exists():
        return StaffChoices()
    try:
        return StaffChoices.model_validate(tomllib.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError) as exc:
        log.warning("%s is damaged and was ignored (%s); choose again in the staff panel", file, exc)
        return StaffChoices()


def save_choices(choices: StaffChoices) -> None:
    file = choices_file()
    lines = ["# Written by the kiosk's staff panel. Delete this file to go back to the persona's settings."]
    lines += [f"{key} = {json.dumps(value)}" for key, value in choices.model_dump().items()]
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_suffix(".tmp")
        temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
        temporary.replace(file)
    except OSError as exc:
        log.warning("could not save the staff panel's choices to %s: %s", file, exc)
