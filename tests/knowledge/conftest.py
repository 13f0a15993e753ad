from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.knowledge.answerer import GroundedPrompts
from kiosk.knowledge.embed import Embedder, shared_embedder
from kiosk.persona import Persona, load_persona

REPO = Path(__file__).resolve().parents[2]
DATA = Path(__file__).with_name("data")
PERSONAS = ["museum-greeter", "retail-assistant", "booth-host"]


def persona_file(name: str) -> Path:
    return REPO / "assets" / "personas" / name / "persona.toml"


def question_file(name: str) -> Path:
    return REPO / "assets" / "personas" / name / "questions.toml"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture(scope="session")
def personas() -> dict[str, Persona]:
    return {name: load_persona(persona_file(name)) for name in PERSONAS}


@pytest.fixture(scope="session")
def grounded(personas: dict[str, Persona], embedder: Embedder) -> dict[str, GroundedPrompts]:
    return {name: GroundedPrompts(p, embedder) for name, p in personas.items()}
