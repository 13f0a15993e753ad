"""Any OpenAI-compatible chat server (llama.cpp server, vLLM, Ollama) on the local network.

Uses the standard library only: a streaming POST to /chat/completions read as server-sent events.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

from kiosk.errors import EngineError
from kiosk.llm.base import ChatMessage
from kiosk.llm.config import OpenAISettings


class OpenAILLM:
    name = "openai"

    def __init__(self, settings: OpenAISettings) -> None:
        self.settings = settings
        self.url = settings.base_url.rstrip("/") + "/chat/completions"

    def load(self) -> None:
        try:
            for _ in self.stream([{"role": "user", "content": "Hi"}], threading.Event(), max_tokens=1):
                pass
        except EngineError as exc:
            raise EngineError(
                f"the language model server at {self.settings.base_url} does not answer: {exc.message}",
                fix="start the server, or check engines.llm.base_url in the persona file",
            ) from None

    def prime(self, messages: list[ChatMessage]) -> None:
        """Servers keep their own prompt cache; nothing to do ahead of time."""

    def stream(
        self, messages: list[ChatMessage], cancel: threading.Event, max_tokens: int | None = None
    ) -> Iterator[str]:
        s = self.settings.sampling
        body = {
            "model": self.settings.model,
            "messages": list(messages),
            "stream": True,
            "max_tokens": max_tokens or s.max_tokens,
            "temperature": s.temperature,
            "top_p": s.top_p,
        }
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        request = urllib.request.Request(self.url, data=json.dumps(body).encode(), headers=headers, method="POST")
        try:
            response = urllib.request.urlopen(request, timeout=self.settings.timeout_s)
        except urllib.error.HTTPError as exc:
            raise EngineError(f"server answered HTTP {exc.code}: {exc.read(300).decode(errors='replace')}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise EngineError(f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}") from None
        with response:
            try:
                for raw in response:
                    if cancel.is_set():
                        return
                    line = raw.decode("utf-8", errors="replace").strip()
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        event = json.loads(data)
                    except ValueError:
                        continue
                    choices = event.get("choices") or [{}]
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
            except OSError as exc:
                raise EngineError(f"connection to {self.url} broke: {exc}") from None
