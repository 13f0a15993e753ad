"""The language model interface every LLM engine implements."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str  # "system", "user" or "assistant"
    content: str


class LLMEngine(Protocol):
    name: str

    def load(self) -> None:
        """Check the model, load it and run one short warm-up generation."""

    def prime(self, messages: list[ChatMessage]) -> None:
        """Evaluate the prompt prefix ahead of time so the next answer starts fast (may do nothing)."""

    def stream(self, messages: list[ChatMessage], cancel: threading.Event) -> Iterator[str]:
        """Yield pieces of the answer as they are generated; stop promptly once ``cancel`` is set."""
