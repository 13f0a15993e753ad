"""Errors meant for people: each says what is wrong and how to fix it, never a traceback."""

from __future__ import annotations


class KioskError(Exception):
    """A problem staff or an operator can act on.

    ``fix`` is one sentence saying what to do; ``path`` names the file at fault, when there is one.
    """

    def __init__(self, message: str, *, fix: str = "", path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.path = path

    def __str__(self) -> str:
        text = self.message
        if self.path:
            text = f"{self.path}: {text}"
        if self.fix:
            text = f"{text}\n  fix: {self.fix}"
        return text


class ModelError(KioskError):
    """A model file is missing, truncated, corrupt or of the wrong kind."""


class EngineError(KioskError):
    """An engine failed at run time (inference crashed, server unreachable)."""


class AudioInputError(KioskError):
    """An input recording or device cannot be read."""
