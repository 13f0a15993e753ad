"""Language model engines, chosen by ``engines.llm.engine`` in the persona."""

from __future__ import annotations

from kiosk.llm.base import ChatMessage, LLMEngine
from kiosk.llm.config import LlamaCppSettings, OpenAISettings


def create_llm(settings: LlamaCppSettings | OpenAISettings) -> LLMEngine:
    if isinstance(settings, OpenAISettings):
        from kiosk.llm.openai import OpenAILLM

        return OpenAILLM(settings)
    from kiosk.llm.llama_cpp import LlamaCppLLM

    return LlamaCppLLM(settings)


__all__ = ["ChatMessage", "LLMEngine", "create_llm"]
