"""The listening thread: microphone blocks -> voice activity -> endpoint events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk.audio.endpointer import Endpointer, EndpointEvent
from kiosk.audio.sources import FrameQueue
from kiosk.audio.vad import SileroVAD

log = logging.getLogger(__name__)


class Listener:
    """Runs VAD on every block and hands endpoint events to ``on_event`` (on this thread).

    ``muted()`` returning True makes it ignore the microphone (half-duplex while the avatar speaks);
    ``on_block(block, speaking)`` sees every block (streaming recognisers, level meters).
    """

    def __init__(
        self,
        frames: FrameQueue,
        vad: SileroVAD,
        endpointer: Endpointer,
        on_event: Callable[[EndpointEvent], None],
        on_block: Callable[..., None] | None = None,
        muted: Callable[[], bool] = lambda: False,
        strict: Callable[[], bool] = lambda: False,
        talk_button: Callable[[], bool] | None = None,
    ) -> None:
        self.frames, self.vad, self.endpointer = frames, vad, endpointer
        self.on_event, self.on_block, self.muted, self.strict = on_event, on_block, muted, strict
        self.talk_button = talk_button  # push-to-talk: is the button held? (None: hands-free)
        self.probability = 0.0
        self.block_time = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        was_muted = False
        while not self._stop.is_set():
            item = self.frames.get(timeout=0.1)
            if item is None:
                continue
            block, at = item
            self.block_time = at  # capture time of the block being handled (for on_block)
            if self.talk_button is not None:
                events = self._push_to_talk(block, at)
            elif self.muted():
                if not was_muted:
                    self.endpointer.reset()
                    self.vad.reset()
                was_muted = True
                continue
            else:
                was_muted = False
                events = self._hands_free(block, at)
            try:
                if self.on_block is not None:
                    self.on_block(block, self.endpointer.speaking, events)
                for event in events:
                    self.on_event(event)
            except Exception:  # a bug in turn handling must not end listening for the day
                log.exception("handling the microphone audio failed")

    def _push_to_talk(self, block, at: float) -> list[EndpointEvent]:
        assert self.talk_button is not None
        if self.talk_button():
            return self.endpointer.hold(block, at)
        if self.endpointer.speaking:
            return self.endpointer.release(at)
        self.endpointer.idle(block)
        return []

    def _hands_free(self, block, at: float) -> list[EndpointEvent]:
        try:
            self.probability = self.vad(block)
        except Exception:  # a broken VAD must not kill listening; treat as silence
            log.exception("voice activity detection failed")
            self.probability = 0.0
        self.endpointer.strict = self.strict()
        return self.endpointer.push(block, self.probability, at)
