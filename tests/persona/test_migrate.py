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
    assert loaded.notices[0] == (
        "written for schema_version 1; read as version 2. To update it, compare with `kiosk persona new` "
        "and set schema_version = 2."
    )
    # a v1 entry had one question: staff are told to add the other ways visitors ask it
    assert loaded.notices[1].startswith("knowledge.qa entry 1 ('When do you open?') has 1 phrasing(s)")
    assert len(loaded.notices) == 2


def test_phrasing_advice(tmp_path) -> None:
    file = tmp_path / "p.toml"
    file.write_text(
        'schema_version = 2\nid = "t"\nname = "T"\n'
        '[[knowledge.qa]]\nquestions = ["Where is the cafe?", "Is there a cafe?", "Can I eat here?"]\n'
        'answer = "Ground floor."\n'
        '[[knowledge.qa]]\nquestions = ["where is the cafe", "Is there food?", "Any snacks?"]\nanswer = "Yes."\n',
        encoding="utf-8",
    )
    assert read_persona_file(file).notices == [
        "the phrasing 'where is the cafe' is in knowledge.qa entries 1 and 2: keep it in one only"
    ]
