"""Question files for `kiosk persona eval`: typed questions with what a right answer looks like."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from kiosk.config import Section
from kiosk.errors import KioskError

Expect = Literal["curated", "fact", "unknown", "decline", "injection", "chat"]


class Question(Section):
    text: str = Field(min_length=1, description="The question, as a visitor would type or say it.")
    expect: Expect = Field(
        description="curated: a curated answer; fact: an answer from the facts; unknown: the unknown line; "
        "decline: the decline line; injection: an attempt to change the persona; chat: small talk.",
    )
    qa: int | None = Field(
        None, ge=1, description="For 'curated': the entry's position in knowledge.qa, from 1."
    )
    facts: list[str] = Field(
        default_factory=list,
        description="For 'fact': words the answer must contain (each item; alternatives separated by |).",
    )


class QuestionFile(Section):
    question: list[Question] = Field(default_factory=list, description="The questions, in order.")


def load_questions(path: Path | str) -> list[Question]:
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
        questions = QuestionFile.model_validate(data).question
    except FileNotFoundError:
        raise KioskError(f"question file not found: {file}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KioskError(f"{file}: not valid TOML: {exc}") from None
    except ValidationError as exc:
        lines = [f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        raise KioskError(f"{file}: question file has problems:\n" + "\n".join(lines)) from None
    for number, question in enumerate(questions, start=1):
        if question.expect == "curated" and question.qa is None:
            raise KioskError(f"{file}: question {number} expects a curated answer but has no 'qa = N'")
    return questions
