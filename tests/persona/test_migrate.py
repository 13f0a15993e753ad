from __future__ import annotations

from kiosk.persona import read_persona_file
from kiosk.persona.schema import SCHEMA_VERSION

from .conftest import FIXTURES


def test_v1_file_is_migrated_and_staff_are_told() -> None:
    loaded = read_persona_file(FIXTURES / "v1.toml")
    persona = loaded.persona
    assert persona.schema_version == SCHEMA_VERSION
    assert persona.knowledge.qa[0].questions == ["When do you open?"]
    assert persona.avatar.expression == "happy"
    assert loaded.notices == [
        "written for schema_version 1; read as version 2. To update it, compare with `kiosk persona new` "
        "and set schema_version = 2."
    ]
