"""The staff side of the kiosk: the PIN pad and the staff panel.

Staff open it with a hidden gesture (five taps in the top-right corner within three seconds) or the
key chord Ctrl+Alt+Shift+S, then the PIN (``kiosk.staff_pin_sha256`` in the persona). Without a
PIN configured the tap gesture does nothing, so a visitor cannot stumble into the panel; the key
chord then opens it directly (kiosk keyboards are normally out of reach).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

log = logging.getLogger(__name__)

MAX_TRIES = 5
LOCKOUT_S = 60.0
TAPS = 5
TAP_WINDOW_S = 3.0
CORNER_PX = 120

PANEL_STYLE = """
QWidget { background-color: #101820; color: #e8eef2; font-size: 18px; }
QPushButton { background-color: #1f5f66; border: none; padding: 10px 18px; }
QPushButton:pressed { background-color: #3f9fa8; }
QLineEdit, QComboBox, QListWidget, QTableWidget { background-color: #1b2731; border: 1px solid #2c3e4c; }
QLabel#title { font-size: 26px; font-weight: bold; }
QLabel#section { font-size: 20px; font-weight: bold; color: #9fd3d9; }
"""


def pin_matches(pin: str, sha256_hex: str) -> bool:
    digest = hashlib.sha256(pin.encode()).hexdigest()
    return bool(sha256_hex) and hmac.compare_digest(digest, sha256_hex.lower())


class CornerTaps:
    """Counts taps in the top-right corner; ``tap()`` returns True on the fifth within the window."""

    def __init__(self) -> None:
        self._times: deque[float] = deque(maxlen=TAPS)

    def tap(self, x: int, y: int, width: int, now: float | None = None) -> bool:
        if x < width - CORNER_PX or y > CORNER_PX:
            self._times.clear()
            return False
        now = time.monotonic() if now is None else now
        self._times.append(now)
        if len(self._times) == TAPS and now - self._times[0] <= TAP_WINDOW_S:
            self._times.clear()
            return True
        return False


class PinPad(QWidget):
    """A large on-screen keypad. ``accepted`` when the PIN matches; wrong tries lock it for a minute."""

    accepted = Signal()
    cancelled = Signal()

    def __init__(self, pin_sha256: Callable[[], str]) -> None:
        super().__init__()
        self.pin_sha256 = pin_sha256
        self.setStyleSheet(PANEL_STYLE + "QPushButton { font-size: 30px; min-height: 70px; }")
        self._failures = 0
        self._locked_until = 0.0
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel("Staff PIN")
        title.setObjectName("title")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        self.entry = QLineEdit()
        self.entry.setEchoMode(QLineEdit.EchoMode.Password)
        self.entry.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.entry.setMaximumWidth(420)
        self.entry.returnPressed.connect(self._submit)
        layout.addWidget(self.entry, 0, Qt.AlignmentFlag.AlignHCenter)
        self.message = QLabel("")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.message)
        grid = QGridLayout()
        keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]
        for index, key in enumerate(keys):
            button = QPushButton(key)
            button.setFixedWidth(130)
            button.clicked.connect(lambda _=False, k=key: self._key(k))
            grid.addWidget(button, index // 3, index % 3)
        pad = QWidget()
        pad.setLayout(grid)
        layout.addWidget(pad, 0, Qt.AlignmentFlag.AlignHCenter)
        cancel = QPushButton("Cancel")
        cancel.clicked.connect(self._cancel)
        layout.addWidget(cancel, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(1)

    def reset(self) -> None:
        self.entry.clear()
        self.message.setText("")
        self.entry.setFocus()

    def _key(self, key: str) -> None:
        if key == "Clear":
            self.entry.clear()
        elif key == "OK":
            self._submit()
        else:
            self.entry.insert(key)

    def _cancel(self) -> None:
        self.entry.clear()
        self.cancelled.emit()

    def _submit(self) -> None:
        now = time.monotonic()
        if now < self._locked_until:
            self.message.setText(f"Too many wrong PINs. Try again in {self._locked_until - now:.0f} s.")
            self.entry.clear()
            return
        if pin_matches(self.entry.text(), self.pin_sha256()):
            self._failures = 0
            self.entry.clear()
            self.accepted.emit()
            return
        self._failures += 1
        self.entry.clear()
        log.warning("wrong staff PIN entered (%d in a row)", self._failures)
        if self._failures >= MAX_TRIES:
            self._failures = 0
            self._locked_until = now + LOCKOUT_S
            self.message.setText(f"Too many wrong PINs. Try again in {LOCKOUT_S:.0f} s.")
        else:
            self.message.setText("Wrong PIN.")


class RecentProblems(logging.Handler, QObject):
    """Keeps the last warnings and errors from the log, in the words they were logged with."""

    added = Signal(str)

    def __init__(self, size: int = 50) -> None:
        logging.Handler.__init__(self, level=logging.WARNING)
        QObject.__init__(self)
        self.items: deque[str] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:  # any thread
        try:
            first_line = record.getMessage().splitlines()[0] if record.getMessage() else ""
        except Exception:
            return
        text = f"{time.strftime('%H:%M:%S', time.localtime(record.created))}  {first_line}"
        self.items.append(text)
        self.added.emit(text)  # queued to the panel on the Qt thread


@dataclass
class TurnFigures:
    """One answered turn's latency per layer (seconds after the end of speech)."""

    at: str
    source: str
    asr: float | None
    first_words: float | None
    tts: float | None
    total: float | None


LAYER_COLUMNS = ["time", "answer", "heard", "words", "voice", "sound out"]
LAYER_LEGEND = ("heard: speech recognised; words: first words of the answer; voice: first audio synthesized; "
                "sound out: first sound from the speaker (what the visitor waits for)")


class StaffPanel(QWidget):
    """Figures, devices, persona and tests for staff. The kiosk keeps running underneath."""

    back = Signal()
    exit_kiosk = Signal()
    use_devices = Signal(str, str)
    switch_persona = Signal(str)  # a persona file, or "" for the built-in default
    reload_persona = Signal()
    test_speak = Signal(str)

    def __init__(self, problems: RecentProblems) -> None:
        super().__init__()
        self.setStyleSheet(PANEL_STYLE)
        outer = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel("Staff panel")
        self.title.setObjectName("title")
        head.addWidget(self.title, 1)
        back = QPushButton("Back to the kiosk")
        back.clicked.connect(self.back.emit)
        quit_button = QPushButton("Exit the kiosk")
        quit_button.clicked.connect(self.exit_kiosk.emit)
        head.addWidget(back)
        head.addWidget(quit_button)
        outer.addLayout(head)

        columns = QHBoxLayout()
        outer.addLayout(columns, 1)
        left, right = QVBoxLayout(), QVBoxLayout()
        columns.addLayout(left, 3)
        columns.addLayout(right, 2)

        left.addWidget(_section("Last answers: seconds after the visitor stopped talking"))
        self.turns = QTableWidget(0, len(LAYER_COLUMNS))
        self.turns.setHorizontalHeaderLabels(LAYER_COLUMNS)
        self.turns.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.turns.verticalHeader().setVisible(False)
        left.addWidget(self.turns, 2)
        legend = QLabel(LAYER_LEGEND)
        legend.setWordWrap(True)
        left.addWidget(legend)
        self.figures = QLabel("")
        left.addWidget(self.figures)
        left.addWidget(_section("Recent problems"))
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        for item in problems.items:
            self.problems.addItem(item)
        problems.added.connect(self._problem)
        left.addWidget(self.problems, 1)

        right.addWidget(_section("Microphone level"))
        self.meter = QProgressBar()
        self.meter.setRange(0, 60)
        self.meter.setFormat("%v dB above the noise floor")
        right.addWidget(self.meter)
        right.addWidget(_section("Audio devices"))
        self.inputs, self.outputs = QComboBox(), QComboBox()
        right.addWidget(QLabel("Microphone"))
        right.addWidget(self.inputs)
        right.addWidget(QLabel("Speaker"))
        right.addWidget(self.outputs)
        apply_devices = QPushButton("Use these devices")
        apply_devices.clicked.connect(
            lambda: self.use_devices.emit(self.inputs.currentData() or "", self.outputs.currentData() or "")
        )
        right.addWidget(apply_devices)
        right.addWidget(_section("Persona"))
        self.personas = QComboBox()
        right.addWidget(self.personas)
        persona_buttons = QHBoxLayout()
        switch = QPushButton("Switch")
        switch.clicked.connect(lambda: self.switch_persona.emit(self.personas.currentData() or ""))
        reload_button = QPushButton("Reload file now")
        reload_button.clicked.connect(self.reload_persona.emit)
        persona_buttons.addWidget(switch)
        persona_buttons.addWidget(reload_button)
        right.addLayout(persona_buttons)
        self.persona_notice = QLabel("")
        self.persona_notice.setWordWrap(True)
        right.addWidget(self.persona_notice)
        right.addWidget(_section("Test the voice"))
        self.test_text = QLineEdit("Hello! This is a test of the kiosk's voice.")
        right.addWidget(self.test_text)
        speak = QPushButton("Speak")
        speak.clicked.connect(lambda: self.test_speak.emit(self.test_text.text()))
        right.addWidget(speak)
        right.addStretch(1)

    def _problem(self, text: str) -> None:
        self.problems.addItem(text)
        while self.problems.count() > 50:
            self.problems.takeItem(0)
        self.problems.scrollToBottom()

    def show_turns(self, turns: list[TurnFigures]) -> None:
        self.turns.setRowCount(len(turns))
        for row, turn in enumerate(reversed(turns)):
            values = [turn.at, turn.source, *(f"{v:.2f}" if v is not None else "-" for v in
                                              (turn.asr, turn.first_words, turn.tts, turn.total))]
            for column, value in enumerate(values):
                self.turns.setItem(row, column, QTableWidgetItem(value))

    def show_devices(self, inputs: list[str], outputs: list[str], current_in: str, current_out: str) -> None:
        for box, names, current in ((self.inputs, inputs, current_in), (self.outputs, outputs, current_out)):
            box.clear()
            box.addItem("System default", "")
            for name in names:
                box.addItem(name, name)
            box.setCurrentIndex(max(0, box.findData(current)))

    def show_personas(self, files: list[tuple[str, str]], current: str) -> None:
        self.personas.clear()
        for label, path in files:
            self.personas.addItem(label, path)
        index = next((i for i, (_, path) in enumerate(files) if path and current and Path(path).resolve() == Path(current).resolve()), 0)
        self.personas.setCurrentIndex(index)

    def set_level(self, rms: float, floor: float) -> None:
        import math

        above = 20 * math.log10(max(rms, 1e-6) / max(floor, 1e-6))
        self.meter.setValue(int(max(0.0, min(60.0, above))))


def _section(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("section")
    return label


def audio_device_names() -> tuple[list[str], list[str]]:
    """(inputs, outputs) as PortAudio names them; empty lists when the audio library is missing."""
    try:
        import sounddevice as sd

        devices = list(sd.query_devices())
    except Exception:
        return [], []
    inputs = [d["name"] for d in devices if d["max_input_channels"] > 0]
    outputs = [d["name"] for d in devices if d["max_output_channels"] > 0]
    return inputs, outputs


def persona_files(config_dir: Path, examples: Path) -> list[tuple[str, str]]:
    """(label, path) of the personas staff can switch to: their own files, then the examples."""
    found = [("Built-in default", "")]
    for path in sorted(config_dir.glob("*.toml")):
        if path.name != "staff-choices.toml":
            found.append((path.stem, str(path)))
    for path in sorted(examples.glob("*/persona.toml")):
        found.append((f"example: {path.parent.name}", str(path)))
    return found


class LevelTracker:
    """A noise floor that drops at once and rises slowly (~10 dB a minute at 10 updates a second),
    so the meter shows speech above the room's hum."""

    def __init__(self) -> None:
        self.floor = 1e-3

    def update(self, rms: float) -> float:
        if rms > 0:
            self.floor = rms if rms < self.floor else self.floor * 1.002
        return self.floor
