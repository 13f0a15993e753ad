from __future__ import annotations

from pathlib import Path

from kiosk.cli import main
from kiosk.persona import load_persona
from kiosk.persona.load import DEFAULT_PERSONA
from kiosk.persona.schema import Persona
from kiosk.persona.template import reference_markdown, template

REPO = Path(__file__).resolve().parents[2]


def test_template_round_trips_through_validation(tmp_path: Path) -> None:
    path = tmp_path / "museum-guide.toml"
    assert main(["persona", "new", "museum-guide", "-o", str(path)]) == 0
    persona = load_persona(path)
    assert persona.id == "museum-guide"
    assert persona.model_dump(exclude={"id", "name"}) == Persona().model_dump(exclude={"id", "name"})


def test_template_describes_every_setting() -> None:
    text = template("x")
    for name, info in Persona.model_fields.items():
        if info.description and name not in (
            "style",
            "knowledge",
            "engines",
            "listening",
            "audio",
            "avatar",
            "kiosk",
        ):
            assert info.description in text


def test_new_refuses_to_overwrite(tmp_path: Path, capsys) -> None:
    path = tmp_path / "a.toml"
    path.write_text("x")
    assert main(["persona", "new", "a", "-o", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err


def test_reference_in_docs_is_generated_from_the_schema() -> None:
    assert (REPO / "docs" / "PERSONAS.md").read_text(encoding="utf-8") == reference_markdown()


def test_example_and_default_personas_are_valid() -> None:
    load_persona(DEFAULT_PERSONA)
    for path in sorted((REPO / "assets" / "personas").glob("*/persona.toml")):
        load_persona(path)
