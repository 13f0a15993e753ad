from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from kiosk.config import Section


class Sampling(Section):
    temperature: float = Field(0.3, ge=0, le=2, description="Randomness of answers; low stays on facts.")
    top_p: float = Field(0.9, gt=0, le=1, description="Nucleus sampling cut-off.")
    top_k: int = Field(40, ge=0, description="Sample among the k likeliest tokens (0 = all).")
    repeat_penalty: float = Field(1.1, ge=1, le=2, description="Discourages repeating itself.")
    max_tokens: int = Field(
        96, ge=8, le=1024, description="Hard cap on the length of one answer, in tokens."
    )
    seed: int = Field(-1, description="Random seed; -1 picks a new one each answer.")


class LlamaCppSettings(Section):
    """A GGUF model run in-process by llama.cpp."""

    engine: Literal["llama_cpp"] = Field("llama_cpp", description="Language model: 'llama_cpp' or 'openai'.")
    model: Path | None = Field(
        None, description="GGUF file. Empty: the embedded SmolLM2-135M-Instruct (Q4_1)."
    )
    sha256: str | None = Field(None, description="Optional sha256 of the GGUF file, checked at start.")
    context_tokens: int = Field(2048, ge=256, le=32768, description="Context window in tokens.")
    threads: int = Field(2, ge=1, le=64, description="CPU threads for generation.")
    sampling: Sampling = Field(default_factory=Sampling, description="Sampling settings.")


class OpenAISettings(Section):
    """Any OpenAI-compatible chat server on the local network (llama.cpp server, vLLM, Ollama)."""

    engine: Literal["openai"] = Field(description="Language model: 'llama_cpp' or 'openai'.")
    base_url: str = Field(
        description="Server address including /v1, e.g. http://10.0.0.5:8080/v1 (local network only)."
    )
    model: str = Field("default", description="Model name the server expects.")
    api_key: str = Field("", description="Bearer token, if the server wants one.")
    timeout_s: float = Field(10.0, gt=0, le=120, description="Give up on the server after this many seconds.")
    sampling: Sampling = Field(default_factory=Sampling, description="Sampling settings.")


LLMSettings = Annotated[LlamaCppSettings | OpenAISettings, Field(discriminator="engine")]
