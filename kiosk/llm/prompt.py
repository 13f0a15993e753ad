"""The instructions and conversation history the language model sees.

The system prompt must stay byte-identical across turns so llama.cpp can reuse its KV cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kiosk.llm.base import ChatMessage
from kiosk.persona.schema import Persona

HISTORY_TURNS = 3  # earlier exchanges kept in the prompt (small models lose the thread beyond that)


class PromptBuilder:
    """What the model is told for a question: a constant system prompt, a per-question user message,
    and an optional direct answer that skips the model (curated answers, declined topics).

    ``system_prompt()`` must return the same text every turn (KV-cache reuse); anything that depends
    on the question belongs in ``user_message``.
    """

    def __init__(self, persona: Persona) -> None:
        self.persona = persona
        self._system = system_prompt(persona)

    def system_prompt(self) -> str:
        return self._system

    def user_message(self, question: str) -> str:
        return question

    def shortcut(self, question: str) -> str | None:
        return None

    def direct(self, question: str) -> tuple[str, str] | None:
        """(kind, text) when the answer needs no model: "curated" for a staff-written answer,
        other kinds for fixed lines (decline, unknown); None when the model should answer."""
        text = self.shortcut(question)
        return ("fixed", text) if text else None


def system_prompt(persona: Persona) -> str:
    style = persona.style
    parts = [
        style.personality.strip(),
        f"Your name is {persona.name}.",
        f"Answer in at most {style.max_sentences} short sentences, as plain spoken words: "
        "no lists, no markdown, no emoji, no actions in asterisks.",
    ]
    facts = [f.strip() for f in persona.knowledge.facts if f.strip()]
    facts += [f"Q: {qa.questions[0]} A: {qa.answer}" for qa in persona.knowledge.qa]
    if facts:
        parts.append("Facts:\n" + "\n".join(f"- {fact}" for fact in facts))
        parts.append(
            f"If the facts do not answer a question about this place, say: {persona.knowledge.unknown_line}"
        )
    if persona.knowledge.decline_topics:
        topics = ", ".join(persona.knowledge.decline_topics)
        parts.append(f"Do not discuss {topics}; say: {persona.knowledge.decline_line}")
    return "\n\n".join(parts)


@dataclass
class Exchange:
    turn: int
    user: str
    assistant: str


class History:
    """Recent exchanges; a turn's exchange can be withdrawn if the turn turns out void."""

    def __init__(self, keep: int = HISTORY_TURNS) -> None:
        self.keep = keep
        self._items: list[Exchange] = []
        self._lock = threading.Lock()

    def add(self, turn: int, user: str, assistant: str) -> None:
        with self._lock:
            self._items = [e for e in self._items if e.turn != turn]
            self._items.append(Exchange(turn, user, assistant))
            self._items = self._items[-self.keep :]

    def __len__(self) -> int:
        return len(self._items)

    def discard(self, turn: int) -> None:
        with self._lock:
            self._items = [e for e in self._items if e.turn != turn]

    def clear(self) -> None:
        with self._lock:
            self._items = []

    def messages(self, system: str, user: str) -> list[ChatMessage]:
        with self._lock:
            items = list(self._items)
        out: list[ChatMessage] = [{"role": "system", "content": system}]
        for item in items:
            out.append({"role": "user", "content": item.user})
            out.append({"role": "assistant", "content": item.assistant})
        out.append({"role": "user", "content": user})
        return out
