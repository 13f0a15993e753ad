"""A pipeline stage: one thread, one inbox, one engine.

Messages of cancelled turns are dropped before they are handled; an exception while handling a
message is reported (``on_error``) and the stage carries on with the next message.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from kiosk.pipeline.turns import TurnControl

log = logging.getLogger(__name__)

_STOP = object()


class Stage:
    name = "stage"

    def __init__(self, turns: TurnControl) -> None:
        self.turns = turns
        self.inbox: queue.Queue[Any] = queue.Queue()
        self.on_error: Callable[[str, int, BaseException], None] | None = None
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.busy_turn: int | None = None
        self.busy_since: float | None = None  # monotonic time the current message was taken

    def start(self) -> None:
        self._thread.start()

    def put(self, message: Any) -> None:
        self.inbox.put(message)

    def stop(self, timeout: float = 5.0) -> None:
        self.inbox.put(_STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            message = self.inbox.get()
            if message is _STOP:
                return
            turn = getattr(message, "turn", None)
            if turn is not None and not self.turns.is_live(turn):
                continue
            self.busy_turn = turn
            self.busy_since = time.monotonic()
            try:
                self.handle(message)
            except Exception as exc:
                log.exception("%s failed on turn %s", self.name, turn)
                if self.on_error is not None:
                    self.on_error(self.name, turn or 0, exc)
            finally:
                self.busy_turn = None
                self.busy_since = None

    def health(self, hang_s: float) -> str | None:
        """A plain description of what is wrong with this stage, or None."""
        if not self._thread.is_alive():
            return f"the {self.name} stage stopped"
        since = self.busy_since
        if since is not None and time.monotonic() - since > hang_s:
            return f"the {self.name} stage has been stuck on one message for {time.monotonic() - since:.0f} s"
        return None

    def handle(self, message: Any) -> None:
        raise NotImplementedError
