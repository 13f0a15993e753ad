"""Delivers pipeline events (from any thread) to the Qt thread as a queued signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.pipeline.messages import TurnEvent


class EventBridge(QObject):
    turn_event = Signal(object)  # TurnEvent
    ready = Signal(object)  # the loaded Conversation
    failed = Signal(str)  # a staff-facing message
    devices_changed = Signal(list)  # plain descriptions of what is wrong with the audio devices
    persona_applied = Signal(object, str)  # the Persona now in use, and the file it came from ("" built-in)
    notice = Signal(str)  # a persona notice for the staff panel

    def __call__(self, event: TurnEvent) -> None:
        self.turn_event.emit(event)
