"""Every bad persona fixture: the exact lines staff see from `kiosk persona check`."""

from __future__ import annotations

import pytest

from kiosk.cli import main
from kiosk.persona import PersonaError, load_persona
from kiosk.persona.references import available_avatars

from .conftest import FIXTURES

EXPECTED = {
    "misspelt.toml": [
        "1: [nmae] unknown setting 'nmae'; did you mean 'name'?",
        "4: [style.max_sentence] unknown setting 'max_sentence'; did you mean 'max_sentences'?",
    ],
    "out_of_range.toml": [
        "2: [style.max_sentences] 0 is out of range; allowed: at least 1",
        "3: [style.max_words] expected a whole number, found 'lots'",
        "6: [engines.tts.speed] 3 is out of range; allowed: at most 2.0",
    ],
    "bad_choices.toml": [
        "2: [engines.llm.engine] engine 'llama' is not known; did you mean 'llama_cpp'? (allowed: 'llama_cpp', 'openai')",
        "5: [listening.mode] 'handsfree' is not allowed; did you mean 'hands_free'? (allowed: 'hands_free', 'push_to_talk')",
        "8: [avatar.expression] 'angry' is not allowed (allowed: 'neutral', 'happy', 'surprised', 'concerned')",
    ],
    "qa_entries.toml": [
        "5: [knowledge.qa[2].answer] this setting is required here",
        "6: [knowledge.qa[2].questions] needs at least 1 item(s)",
        "7: [knowledge.qa[2].anwser] unknown setting 'anwser'; did you mean 'answer'?",
    ],
    "bad_id.toml": [
        "1: [id] 'Museum Guide' is not in the allowed form: Short id: lower case, digits, - and _.",
        "2: [kiosk.staff_pin_sha256] '1234' is not in the allowed form: sha256 of the staff PIN, 64 hex digits "
        "(make it with: printf 1234 | sha256sum); empty: no PIN.",
    ],
    "bad_toml.toml": ['1: not valid TOML: Invalid value (quote text with "...")'],
    "newer.toml": [
        "1: [schema_version] this file is for a newer kiosk (schema_version 7); this kiosk reads versions 1 to 2"
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_fixture_lists_every_problem(name: str) -> None:
    path = FIXTURES / name
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert [p.format(path) for p in caught.value.problems] == [f"{path}:{line}" for line in EXPECTED[name]]


def test_missing_referenced_files() -> None:
    path = FIXTURES / "missing_files.toml"
    with pytest.raises(PersonaError) as caught:
        load_persona(path)
    assert [p.format(path) for p in caught.value.problems] == [
        f"{path}:2: [engines.tts.voice] voice file not found: {FIXTURES}/voices/missing.onnx "
        "(allowed: 'joe' or the path of a Piper .onnx voice)",
        f"{path}:5: [engines.llm.model] language model file not found: {FIXTURES}/models/missing.gguf "
        "(allowed: empty for the built-in model, or a .gguf file)",
        f"{path}:8: [avatar.name] avatar 'robot' not found in avatars/ (available: {', '.join(available_avatars())})",
    ]


def test_check_command_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    good = FIXTURES / "minimal.toml"
    bad = FIXTURES / "misspelt.toml"
    assert main(["persona", "check", str(good)]) == 0
    assert main(["persona", "check", str(good), str(bad)]) == 2
    out = capsys.readouterr().out
    assert f"{good}: OK" in out
    assert "persona file has 2 problem(s):" in out
    assert "Traceback" not in out


def test_unreadable_paths_are_plain_messages(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["persona", "check", str(FIXTURES / "nope.toml"), str(FIXTURES)]) == 2
    out = capsys.readouterr().out
    assert f"persona file not found: {FIXTURES / 'nope.toml'}" in out
    assert f"{FIXTURES} is a folder, not a persona file" in out


def test_minimal_persona_gets_defaults() -> None:
    persona = load_persona(FIXTURES / "minimal.toml")
    assert persona.name == "Mia"
    assert persona.knowledge.facts == ["We open at 9 am."]
    assert persona.engines.llm.engine == "llama_cpp"


def test_engine_table_without_engine_means_default(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[engines.llm]\nthreads = 1\n")
    persona = load_persona(path)
    assert persona.engines.llm.engine == "llama_cpp"
    assert persona.engines.llm.threads == 1


def test_relative_paths_resolve_against_the_persona_folder(tmp_path) -> None:
    (tmp_path / "voices").mkdir()
    (tmp_path / "voices" / "v.onnx").write_bytes(b"x")
    (tmp_path / "voices" / "v.onnx.json").write_text("{}")
    path = tmp_path / "p.toml"
    path.write_text('[engines.tts]\nvoice = "voices/v.onnx"\n')
    assert load_persona(path).engines.tts.voice == str(tmp_path / "voices" / "v.onnx")
