"""A GGUF model run in-process with llama-cpp-python.

llama-cpp-python keeps the KV cache of the previous prompt and re-evaluates only what changed, so as
long as the system prompt stays byte-identical between turns only the new user message is evaluated.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

from kiosk import models
from kiosk.errors import EngineError, ModelError
from kiosk.llm.base import ChatMessage
from kiosk.llm.config import LlamaCppSettings

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """llama.cpp prints its load log on fd 2 even with verbose=False on some paths."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


class LlamaCppLLM:
    name = "llama_cpp"

    def __init__(self, settings: LlamaCppSettings) -> None:
        self.settings = settings
        self._llama: Any = None

    def model_path(self):
        if self.settings.model is None:
            return models.check_embedded(
                models.SMOLLM2_135M, kind="language model (GGUF)", setting="engines.llm.model", magic=models.GGUF_MAGIC
            )
        return models.check_file(
            self.settings.model,
            kind="language model (GGUF)",
            setting="engines.llm.model",
            sha256=self.settings.sha256,
            magic=models.GGUF_MAGIC,
        )

    def load(self) -> None:
        path = self.model_path()
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"llama-cpp-python is not installed ({exc})", fix="run installer/install.sh") from None
        try:
            with _quiet_stderr(), contextlib.redirect_stderr(io.StringIO()):
                self._llama = Llama(
                    model_path=str(path),
                    n_ctx=self.settings.context_tokens,
                    n_threads=self.settings.threads,
                    n_threads_batch=self.settings.threads,
                    n_batch=512,
                    verbose=False,
                    seed=self.settings.sampling.seed if self.settings.sampling.seed >= 0 else 0xFFFFFFFF,
                )
        except Exception as exc:  # llama.cpp raises ValueError on unreadable GGUF
            raise ModelError(
                f"cannot load the language model {path}: {exc}",
                fix="check that engines.llm.model is a complete GGUF file",
            ) from None
        # warm-up: one token, so the first real answer does not pay for lazy initialisation
        for _ in self.stream([{"role": "user", "content": "Hi"}], threading.Event(), max_tokens=1):
            pass

    def prime(self, messages: list[ChatMessage]) -> None:
        for _ in self.stream(messages, threading.Event(), max_tokens=1):
            pass

    def stream(
        self, messages: list[ChatMessage], cancel: threading.Event, max_tokens: int | None = None
    ) -> Iterator[str]:
        if self._llama is None:
            raise EngineError("llama.cpp used before load()")
        s = self.settings.sampling
        try:
            chunks = self._llama.create_chat_completion(
                messages=list(messages),
                stream=True,
                max_tokens=max_tokens or s.max_tokens,
                temperature=s.temperature,
                top_p=s.top_p,
                top_k=s.top_k,
                repeat_penalty=s.repeat_penalty,
            )
            for chunk in chunks:
                if cancel.is_set():
                    chunks.close()
                    return
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        except (RuntimeError, ValueError) as exc:
            raise EngineError(f"the language model failed: {exc}") from None
