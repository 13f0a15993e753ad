"""Delivers pipeline events (from any thread) to the Qt thread as a queued signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.pipeline.messages import TurnEvent


class EventBridge(QObject):
    turn_event = Signal(object)  # TurnEvent
    ready = Signal(object)  # the loaded Conversation
    failed = Signal(str)  # a staff-facing message

    def __call__(self, event: TurnEvent) -> None:
        self.turn_event.emit(event)
