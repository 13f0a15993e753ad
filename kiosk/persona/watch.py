"""Live reload: a saved persona file is applied at the next conversation, a bad edit never is."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.persona.load import PersonaError, read_persona_file
from kiosk.persona.schema import Persona

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReloadNotice:
    """What the staff panel shows about the persona file (``ok`` False: the last good one is running)."""

    ok: bool
    message: str


class PersonaWatcher:
    """Polls a persona file's modification time and size; call ``poll()`` when a conversation starts.

    A valid new version replaces ``persona`` and is passed to ``on_change``; an invalid one leaves the
    last good persona in place and sets ``notice`` (also logged) until the file is fixed.
    """

    def __init__(
        self,
        path: Path | str,
        persona: Persona | None = None,
        on_change: Callable[[Persona], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.on_change = on_change
        self.notice: ReloadNotice | None = None
        self._lock = threading.Lock()
        self._stamp = self._read_stamp()
        self.persona = persona if persona is not None else read_persona_file(self.path).persona

    def _read_stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    def poll(self) -> bool:
        """Reload if the file changed since the last look; True when a new persona was applied."""
        with self._lock:
            stamp = self._read_stamp()
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                loaded = read_persona_file(self.path)
            except PersonaError as exc:
                self._reject(exc.message)
                return False
            except KioskError as exc:
                self._reject(str(exc))
                return False
            self.persona = loaded.persona
            text = "persona reloaded" + "".join(f"; {n}" for n in loaded.notices)
            self.notice = ReloadNotice(True, text)
            log.info("%s: %s", self.path, text)
        if self.on_change is not None:
            self.on_change(loaded.persona)
        return True

    def _reject(self, message: str) -> None:
        text = f"the edited persona file was NOT applied; still running the last good version.\n{message}"
        self.notice = ReloadNotice(False, text)
        log.warning("%s: %s", self.path, text)
