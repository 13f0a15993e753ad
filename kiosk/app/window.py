"""The kiosk window: the avatar full screen, captions over it, a status line for staff-facing problems."""

from __future__ import annotations

import html
import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QFont, QKeyEvent, QKeySequence, QMouseEvent, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QPushButton, QStackedWidget, QVBoxLayout, QWidget

from kiosk import paths
from kiosk.app.bridge import EventBridge
from kiosk.app.choices import load_choices, save_choices
from kiosk.app.staff import (
    CornerTaps,
    LevelTracker,
    PinPad,
    RecentProblems,
    StaffPanel,
    TurnFigures,
    audio_device_names,
    persona_files,
)
from kiosk.app.watchdog import Heartbeat, ping_interval_s
from kiosk.audio.devices import AudioDevices
from kiosk.audio.echo import create_echo_canceller
from kiosk.audio.sources import FrameQueue
from kiosk.avatar.spec import AvatarSpec, load_avatar
from kiosk.avatar.widget import AvatarWindow
from kiosk.errors import KioskError
from kiosk.persona import load_persona
from kiosk.persona.schema import Persona
from kiosk.persona.watch import PersonaWatcher
from kiosk.pipeline.conversation import Conversation
from kiosk.pipeline.messages import SpeechChunk, TurnEvent

log = logging.getLogger(__name__)
EXAMPLES = paths.repo_root() / "assets" / "personas"

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
        self.devices: AudioDevices | None = None
        self.choices = load_choices()
        self.problems = RecentProblems()
        logging.getLogger().addHandler(self.problems)
        self._turn_figures: list[TurnFigures] = []
        self._sources: dict[int, str] = {}
        self._level = LevelTracker()
        self._taps = CornerTaps()
        self._after_pin = self._open_panel
        self._device_problems: list[str] = []
        self._engine_problem = ""
        self._persona_problem = ""
        self._question = ""  # the visitor's last question, shown above the answer
        self._allow_close = not kiosk_mode
        self.bridge = EventBridge()
        self.bridge.turn_event.connect(self.on_event)
        self.bridge.ready.connect(self._on_ready)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.persona_applied.connect(self._on_persona_applied)
        self.bridge.notice.connect(lambda text: self.panel.persona_notice.setText(text))

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
        status_font = QFont()
        status_font.setPointSize(15)
        self.status.setFont(status_font)
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
        # pages: the kiosk itself, the staff PIN pad, the staff panel
        self.pages = QStackedWidget()
        self.pages.setStyleSheet("QStackedWidget { background-color: #101820; }")
        self.pages.addWidget(central)
        self.pin_pad = PinPad(lambda: self.persona.kiosk.staff_pin_sha256)
        self.pin_pad.accepted.connect(lambda: self._after_pin())
        self.pin_pad.cancelled.connect(self._close_panel)
        self.pages.addWidget(self.pin_pad)
        self.panel = StaffPanel(self.problems)
        self.panel.back.connect(self._close_panel)
        self.panel.exit_kiosk.connect(self._staff_quit)
        self.panel.use_devices.connect(self._use_devices)
        self.panel.switch_persona.connect(self._switch_persona)
        self.panel.reload_persona.connect(self._reload_now)
        self.panel.test_speak.connect(self._test_speak)
        self.pages.addWidget(self.panel)
        self.setCentralWidget(self.pages)
        self._panel_timer = QTimer(self)
        self._panel_timer.timeout.connect(self._refresh_panel)
        self.avatar.installEventFilter(self)  # taps on the avatar reach its own (native) window
        self.caption.setVisible(persona.kiosk.captions)
        self._idle_timer = QTimer(self)
        self._idle_timer.setSingleShot(True)
        self._idle_timer.timeout.connect(self._idle)
        # live reload: look at the persona file every few seconds, apply it between conversations
        self._reload_timer = QTimer(self)
        self._reload_timer.timeout.connect(self._check_persona)
        self._reload_timer.start(3000)
        # Staff leave kiosk mode with Ctrl+Alt+Shift+Q; the usual exit keys are swallowed.
        # Staff open the panel with Ctrl+Alt+Shift+S (or five taps in the top-right corner) and
        # leave kiosk mode with Ctrl+Alt+Shift+Q, both behind the PIN when one is set.
        quit_chord = QShortcut(QKeySequence("Ctrl+Alt+Shift+Q"), self)
        quit_chord.setContext(Qt.ShortcutContext.ApplicationShortcut)  # also while the GL window has focus
        quit_chord.activated.connect(lambda: self._staff_gesture(self._staff_quit, keyboard=True))
        panel_chord = QShortcut(QKeySequence("Ctrl+Alt+Shift+S"), self)
        panel_chord.setContext(Qt.ShortcutContext.ApplicationShortcut)
        panel_chord.activated.connect(lambda: self._staff_gesture(self._open_panel, keyboard=True))
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
        audio = self.persona.audio.model_copy()
        audio.input_device = self.choices.input_device or audio.input_device
        audio.output_device = self.choices.output_device or audio.output_device
        echo = None
        try:
            echo = create_echo_canceller(audio.echo_cancellation)
        except KioskError as exc:
            self._engine_problem = f"{exc}; the kiosk ignores the microphone while speaking instead"
            self.persona.audio.echo_cancellation = "half_duplex"
        # devices open (and reopen after an unplug) on their own thread; problems come back here
        self.devices = AudioDevices(frames, conversation.playback, audio, echo=echo,
                                    on_change=self.bridge.devices_changed.emit)
        self.bridge.devices_changed.connect(self._on_devices)
        self.devices.start()
        self._show_problems()
        self.heartbeat.ready()

    def _on_devices(self, problems: list[str]) -> None:
        self._device_problems = problems
        if self.devices is not None and self.conversation is not None and self.conversation.playback is not None:
            # the buffer's position runs ahead of what is heard by the device's output latency
            self.avatar.controller.set_clock(self.conversation.playback.position, latency_s=self.devices.latency)
        self._show_problems()

    def startup_problem(self, message: str) -> None:
        """A problem found before the window existed (shown until the persona file is fixed)."""
        self._persona_problem = message
        self._show_problems()

    def _on_failed(self, message: str) -> None:
        self._engine_problem = message
        self._show_problems()

    def _show_problems(self) -> None:
        parts = (self._persona_problem, self._engine_problem, *self._device_problems)
        self.show_status("\n".join(p for p in parts if p))

    # ---- conversation events (Qt thread) ----------------------------------------------------------
    def on_event(self, event: TurnEvent) -> None:
        controller = self.avatar.controller
        kind = event.kind
        if kind != "chunk":
            log.debug("event %s turn %s %s", kind, event.turn, event.data)
        if kind == "listening":
            controller.set_state("listening")
            self._question = ""
            self._caption("...")
        elif kind == "partial":
            self._caption(str(event.data["text"]))
        elif kind == "transcript":
            self._question = str(event.data["text"])
            self._caption("")
            if self.persona.kiosk.log_conversations:
                log.info("visitor said: %s", event.data["text"])
        elif kind == "reply":
            if self.persona.kiosk.log_conversations:
                log.info("avatar answered: %s", event.data["text"])
        elif kind == "answer_source":
            self._sources[event.turn] = str(event.data.get("kind") or event.data.get("source"))
        elif kind in ("thinking", "paused"):
            controller.set_state("thinking")
        elif kind == "talking":  # the visitor went on after a pause
            controller.set_state("listening")
        elif kind == "speaking":
            controller.set_state("speaking")
        elif kind == "chunk":
            chunk = event.data["chunk"]
            if isinstance(chunk, SpeechChunk):
                self._caption(chunk.text)
        elif kind in ("done", "interrupted", "no_speech"):
            if kind == "done":
                self._record_turn(event.turn)
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
                self.bridge.persona_applied.emit(self.watcher.persona, str(self.persona_file))
                log.info("persona file %s reloaded", self.persona_file)
            notice = self.watcher.notice
            if notice is not None:
                self.bridge.notice.emit(notice.message)
                if not notice.ok:
                    log.warning("persona file not applied: %s", notice.message)
        except Exception:
            log.exception("persona reload failed; the last good persona stays in use")
        finally:
            self._reloading = False

    def _record_turn(self, turn: int) -> None:
        if self.conversation is None:
            return
        timeline = self.conversation.turns.timeline(turn)
        marks = timeline.relative("vad_speech_end") or timeline.relative("speech_end")
        self._turn_figures.append(TurnFigures(
            at=time.strftime("%H:%M:%S"), source=self._sources.pop(turn, "model"),
            asr=marks.get("asr_final"), first_words=marks.get("first_clause"),
            tts=marks.get("tts_first_chunk"), total=marks.get("first_audio_out"),
        ))
        del self._turn_figures[:-12]

    def _idle(self) -> None:
        if self.conversation is not None and not self.conversation.speaking:
            self.conversation.reset_session()
            self._question = ""
            lines = self.persona.attract_lines
            self._caption(lines[0] if lines else "")

    def _caption(self, text: str) -> None:
        """The caption strip: what the visitor asked (kept while the answer plays) above ``text``."""
        if not self._question:
            self.caption.setText(html.escape(text))
            return
        asked = f"<span style='color:#9fb3c8; font-size:20pt'>\u201c{html.escape(self._question)}\u201d</span>"
        self.caption.setText(asked + (f"<br>{html.escape(text)}" if text else ""))

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

    # ---- staff ------------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt API)
        if watched is self.avatar and event.type() == QEvent.Type.MouseButtonPress:
            assert isinstance(event, QMouseEvent)
            position = event.position()
            if self._taps.tap(int(position.x()), int(position.y()), self.avatar.width()):
                self._staff_gesture(self._open_panel, keyboard=False)
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 (Qt API)
        position = event.position()
        if self._taps.tap(int(position.x()), int(position.y()), self.width()):
            self._staff_gesture(self._open_panel, keyboard=False)
        super().mousePressEvent(event)

    def _staff_gesture(self, then, keyboard: bool) -> None:  # noqa: ANN001 (a slot)
        """The hidden gesture: the PIN pad first when a PIN is set. Without one only the key chord works."""
        if self.persona.kiosk.staff_pin_sha256:
            self._after_pin = then
            self.pin_pad.reset()
            self.pages.setCurrentWidget(self.pin_pad)
            self.setCursor(Qt.CursorShape.ArrowCursor)
        elif keyboard or not self.kiosk_mode:
            then()

    def _open_panel(self) -> None:
        self.setCursor(Qt.CursorShape.ArrowCursor)
        inputs, outputs = audio_device_names()
        current = self.devices.microphone.name if self.devices else "", self.devices.speaker.name if self.devices else ""
        self.panel.show_devices(inputs, outputs, *current)
        self.panel.show_personas(persona_files(paths.config_dir(), EXAMPLES), str(self.persona_file or ""))
        if not self.persona.kiosk.staff_pin_sha256:
            self.panel.persona_notice.setText(
                "No staff PIN is set: the corner taps are off. Set kiosk.staff_pin_sha256 in the persona file."
            )
        self.panel.title.setText(f"Staff panel: {self.persona.name} ({self.persona_file or 'built-in persona'})")
        self._refresh_panel()
        self.pages.setCurrentWidget(self.panel)
        self._panel_timer.start(100)

    def _close_panel(self) -> None:
        self._panel_timer.stop()
        self.pages.setCurrentIndex(0)
        if self.kiosk_mode:
            self.setCursor(Qt.CursorShape.BlankCursor)

    def _refresh_panel(self) -> None:
        if self.devices is not None:
            level = self.devices.level
            self.panel.set_level(level, self._level.update(level))
        self.panel.show_turns(self._turn_figures)
        fps = self.avatar.driver.fps
        self.panel.figures.setText(
            f"Avatar: {fps:.0f} frames per second. "
            + ("Conversations are written to the log." if self.persona.kiosk.log_conversations
               else "Nothing visitors say is written to disk.")
        )

    def _use_devices(self, microphone: str, speaker: str) -> None:
        if self.devices is not None:
            self.devices.use(microphone, speaker)
        self.choices = self.choices.model_copy(update={"input_device": microphone, "output_device": speaker})
        save_choices(self.choices)
        log.info("staff chose microphone %r and speaker %r", microphone or "default", speaker or "default")

    def _switch_persona(self, file: str) -> None:
        self.panel.persona_notice.setText("Loading...")
        threading.Thread(target=self._load_persona, args=(file,), name="persona-switch", daemon=True).start()

    def _reload_now(self) -> None:
        self._switch_persona(str(self.persona_file or ""))

    def _load_persona(self, file: str) -> None:  # worker thread: validating and indexing take ~1 s
        try:
            persona = load_persona(Path(file) if file else None)
            load_avatar(persona.avatar.name)  # fails here, not on the UI thread
            if self.conversation is not None:
                self.conversation.apply_persona(persona)
        except KioskError as exc:
            self.bridge.notice.emit(f"Not applied, the current persona stays: {exc}")
            log.warning("persona %s not applied: %s", file or "(built-in)", exc)
            return
        self.bridge.persona_applied.emit(persona, file)
        self.bridge.notice.emit(f"Now using {persona.name} ({file or 'built-in persona'}).")

    def _on_persona_applied(self, persona: Persona, file: str) -> None:
        """Qt thread: what the new persona changes on screen."""
        old, self.persona = self.persona, persona
        if self._persona_problem:
            self._persona_problem = ""
            self._show_problems()
        if file != str(self.persona_file or ""):
            self.persona_file = Path(file) if file else None
            self.watcher = None  # watch the new file
            self.choices = self.choices.model_copy(update={"persona": file})
            save_choices(self.choices)
        if persona.avatar.name != old.avatar.name:
            try:
                self.avatar.set_avatar(load_avatar(persona.avatar.name))
            except KioskError as exc:
                log.warning("avatar not changed: %s", exc)
        self.caption.setVisible(persona.kiosk.captions)
        self.talk_button.setVisible(persona.listening.mode == "push_to_talk")
        self.setWindowTitle(f"Kiosk - {persona.name}")
        if self.avatar.controller.state == "idle":
            self._question = ""
            self._caption(persona.attract_lines[0] if persona.attract_lines else "")

    def _test_speak(self, text: str) -> None:
        if self.conversation is not None and text.strip():
            self.conversation.say(text)

    def _staff_quit(self) -> None:
        self._allow_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt API)
        if not self._allow_close:
            event.ignore()
            return
        self.heartbeat.stopping()
        if self.devices is not None:
            self.devices.stop()
        if self.conversation is not None:
            self.conversation.stop()
        logging.getLogger().removeHandler(self.problems)
        self.avatar.release()
        event.accept()
