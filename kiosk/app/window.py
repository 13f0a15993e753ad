"""The kiosk window: the avatar full screen, captions over it, a status line for staff-facing problems."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget

from kiosk.app.bridge import EventBridge
from kiosk.app.watchdog import Heartbeat, ping_interval_s
from kiosk.audio.echo import create_echo_canceller
from kiosk.audio.sinks import Speaker
from kiosk.audio.sources import FrameQueue, Microphone
from kiosk.avatar.spec import AvatarSpec
from kiosk.avatar.widget import AvatarWindow
from kiosk.errors import KioskError
from kiosk.persona.schema import Persona
from kiosk.persona.watch import PersonaWatcher
from kiosk.pipeline.conversation import Conversation
from kiosk.pipeline.messages import SpeechChunk, TurnEvent

log = logging.getLogger(__name__)

CAPTION_STYLE = "QLabel { color: white; background-color: #0b0f14; padding: 18px 48px; }"
TALK_STYLE = (
    "QPushButton { color: white; background-color: #1f5f66; font-size: 34px; border: none; }"
    "QPushButton:pressed { background-color: #3f9fa8; }"
)
STATUS_STYLE = "QLabel { color: #ffd27f; background-color: rgba(40, 20, 0, 190); padding: 10px 18px; }"


class KioskWindow(QMainWindow):
    def __init__(
        self, persona: Persona, avatar: AvatarSpec, kiosk_mode: bool = True, persona_file: Path | None = None
    ) -> None:
        super().__init__()
        self.persona = persona
        self.persona_file = persona_file
        self.watcher: PersonaWatcher | None = None
        self._reloading = False
        self.kiosk_mode = kiosk_mode
        self.conversation: Conversation | None = None
        self.microphone: Microphone | None = None
        self.speaker: Speaker | None = None
        self._allow_close = not kiosk_mode
        self.bridge = EventBridge()
        self.bridge.turn_event.connect(self.on_event)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.failed.connect(self.show_status)

        # A QOpenGLWindow in a container: on software GL it draws ~1.5x the frame rate of a
        # QOpenGLWidget (no extra full-screen copy). Native windows cannot be overlaid by widgets,
        # so the status line and captions are strips above and below the avatar.
        self.avatar = AvatarWindow(avatar)
        self.avatar.failed.connect(self.show_status)
        central = QWidget()
        central.setStyleSheet("background-color: #0b0f14;")
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.status = QLabel("")
        self.status.setStyleSheet(STATUS_STYLE)
        self.status.setWordWrap(True)
        self.status.hide()
        container = QWidget.createWindowContainer(self.avatar, central)
        container.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.caption = QLabel(persona.attract_lines[0] if persona.attract_lines else "")
        self.caption.setStyleSheet(CAPTION_STYLE)
        self.caption.setWordWrap(True)
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setMinimumHeight(120)
        font = QFont()
        font.setPointSize(28)
        self.caption.setFont(font)
        layout.addWidget(self.status)
        layout.addWidget(container, 1)
        layout.addWidget(self.caption)
        # push-to-talk: a large touch button (and the space bar) held while the visitor speaks
        self.talk_button = QPushButton("Hold to talk")
        self.talk_button.setStyleSheet(TALK_STYLE)
        self.talk_button.setMinimumHeight(110)
        self.talk_button.pressed.connect(lambda: self._talk(True))
        self.talk_button.released.connect(lambda: self._talk(False))
        self.talk_button.setVisible(persona.listening.mode == "push_to_talk")
        layout.addWidget(self.talk_button)
        self.setCentralWidget(central)
        self.caption.setVisible(persona.kiosk.captions)
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.timeout.connect(self._idle)
        # live reload: look at the persona file every few seconds, apply it between conversations
        self._reload_timer = QTimer(self)
        self._reload_timer.timeout.connect(self._check_persona)
        self._reload_timer.start(3000)
        # Staff leave kiosk mode with Ctrl+Alt+Shift+Q; the usual exit keys are swallowed.
        quit_chord = QShortcut(QKeySequence("Ctrl+Alt+Shift+Q"), self)
        quit_chord.setContext(Qt.ShortcutContext.ApplicationShortcut)  # also while the GL window has focus
        quit_chord.activated.connect(self._staff_quit)
        if kiosk_mode:
            self.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
            self.setCursor(Qt.CursorShape.BlankCursor)
        # the supervisor (systemd or `kiosk supervise`) restarts the kiosk when these pings stop:
        # they come from this (UI) thread and only while the conversation's threads are healthy
        self.heartbeat = Heartbeat(lambda: self.conversation.health() if self.conversation else None)
        self._heartbeat_timer = QTimer(self)
        self._heartbeat_timer.timeout.connect(self.heartbeat.beat)
        self._heartbeat_timer.start(int(ping_interval_s() * 1000))
        self.setWindowTitle(f"Kiosk - {persona.name}")
        self.show_status("Starting up...")

    # ---- start-up (engines load off the Qt thread) ----------------------------------------------
    def start(self) -> None:
        threading.Thread(target=self._load, name="load-engines", daemon=True).start()

    def _load(self) -> None:
        try:
            conversation = Conversation(self.persona)
            conversation.load()
        except KioskError as exc:
            self.bridge.failed.emit(f"The kiosk cannot start: {exc}")
            self.heartbeat.ready()  # up, showing why: restarting would not fix the configuration
            return
        self.bridge.ready.emit(conversation)

    def _on_ready(self, conversation: Conversation) -> None:
        self.conversation = conversation
        conversation.observers.append(self.bridge)
        frames = FrameQueue()
        conversation.start(frames)
        assert conversation.playback is not None
        audio = self.persona.audio
        problems = []
        echo = None
        try:
            echo = create_echo_canceller(audio.echo_cancellation)
        except KioskError as exc:
            problems.append(f"{exc}; the kiosk ignores the microphone while speaking instead")
            self.persona.audio.echo_cancellation = "half_duplex"
        try:
            self.speaker = Speaker(conversation.playback, audio.output_device, echo=echo)
            self.speaker.start()
        except KioskError as exc:
            problems.append(str(exc))
        # the buffer's position runs ahead of what is heard by the device's output latency
        latency = self.speaker.latency if self.speaker is not None else 0.0
        self.avatar.controller.set_clock(conversation.playback.position, latency_s=latency)
        try:
            self.microphone = Microphone(frames, audio.input_device, echo=echo)
            self.microphone.start()
        except KioskError as exc:
            problems.append(str(exc))
        if problems:
            self.show_status("\n".join(problems))
        else:
            self.show_status("")
        self.heartbeat.ready()

    # ---- conversation events (Qt thread) ----------------------------------------------------------
    def on_event(self, event: TurnEvent) -> None:
        controller = self.avatar.controller
        kind = event.kind
        if kind != "chunk":
            log.debug("event %s turn %s %s", kind, event.turn, event.data)
        if kind == "listening":
            controller.set_state("listening")
            self._caption("...")
        elif kind == "partial":
            self._caption(str(event.data["text"]))
        elif kind == "transcript":
            self._caption(f"\u201c{event.data['text']}\u201d")
        elif kind == "thinking":
            controller.set_state("thinking")
        elif kind == "speaking":
            controller.set_state("speaking")
        elif kind == "chunk":
            chunk = event.data["chunk"]
            if isinstance(chunk, SpeechChunk):
                self._caption(chunk.text)
        elif kind in ("done", "interrupted", "no_speech"):
            controller.set_state("idle")
            self._idle_timer.start(int(self.persona.kiosk.idle_timeout_s * 1000))
        elif kind == "error":
            log.warning("%s: %s", event.data.get("stage"), event.data.get("message"))

    def _check_persona(self) -> None:
        conversation = self.conversation
        if conversation is None or self.persona_file is None or self._reloading or conversation.speaking:
            return
        if self.avatar.controller.state not in ("idle",):
            return  # mid-conversation: the edit applies once the visitor is done
        if self.watcher is None:
            self.watcher = PersonaWatcher(self.persona_file, self.persona, on_change=conversation.apply_persona)
        self._reloading = True
        threading.Thread(target=self._poll_persona, name="persona-reload", daemon=True).start()

    def _poll_persona(self) -> None:  # worker thread: validating and re-indexing take ~1 s
        try:
            assert self.watcher is not None
            if self.watcher.poll():
                self.persona = self.watcher.persona
                log.info("persona file %s reloaded", self.persona_file)
            notice = self.watcher.notice
            if notice is not None and not notice.ok:
                log.warning("persona file not applied: %s", notice.message)
        except Exception:
            log.exception("persona reload failed; the last good persona stays in use")
        finally:
            self._reloading = False

    def _idle(self) -> None:
        if self.conversation is not None and not self.conversation.speaking:
            self.conversation.reset_session()
            lines = self.persona.attract_lines
            self._caption(lines[0] if lines else "")

    def _caption(self, text: str) -> None:
        self.caption.setText(text)

    def show_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # ---- kiosk hardening ---------------------------------------------------------------------------
    def _talk(self, held: bool) -> None:
        if self.conversation is not None:
            self.conversation.set_talk_button(held)
        if held:
            self.avatar.controller.set_state("listening")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if self.kiosk_mode and event.key() in (Qt.Key.Key_Escape, Qt.Key.Key_F4, Qt.Key.Key_F11):
            event.accept()
            return
        if not self._talk_key(event, held=True):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt API)
        if not self._talk_key(event, held=False):
            super().keyReleaseEvent(event)

    def _talk_key(self, event: QKeyEvent, held: bool) -> bool:
        """The space bar is the push-to-talk key; True if the event was it."""
        if event.key() != Qt.Key.Key_Space or not self.talk_button.isVisible():
            return False
        if not event.isAutoRepeat():
            self._talk(held)
        event.accept()
        return True

    def _staff_quit(self) -> None:
        self._allow_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        if not self._allow_close:
            event.ignore()
            return
        self.heartbeat.stopping()
        for device in (self.microphone, self.speaker):
            if device is not None:
                device.stop()
        if self.conversation is not None:
            self.conversation.stop()
        self.avatar.release()
        event.accept()
