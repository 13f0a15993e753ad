"""The staff side: hidden gesture, PIN pad with lock-out, the panel's controls, saved choices."""

from __future__ import annotations

import hashlib
import os

import pytest

from kiosk.app.staff import CornerTaps, LevelTracker, pin_matches

PIN = "2468"
PIN_SHA = hashlib.sha256(PIN.encode()).hexdigest()


def test_pin_is_compared_by_its_hash():
    assert pin_matches(PIN, PIN_SHA)
    assert pin_matches(PIN, PIN_SHA.upper())
    assert not pin_matches("1234", PIN_SHA)
    assert not pin_matches("", "")  # no PIN configured: nothing matches


def test_five_quick_taps_in_the_top_right_corner_open_the_gesture():
    taps = CornerTaps()
    assert not any(taps.tap(1250, 20, 1280, now=t * 0.3) for t in range(4))
    assert taps.tap(1250, 20, 1280, now=1.2)
    # too slow, or a tap elsewhere in between, starts over
    assert not any(taps.tap(1250, 20, 1280, now=10 + t * 1.0) for t in range(5))
    for t in range(3):
        taps.tap(1250, 20, 1280, now=20 + t * 0.1)
    taps.tap(600, 400, 1280, now=20.4)
    assert not taps.tap(1250, 20, 1280, now=20.5)


def test_level_floor_drops_at_once_and_rises_slowly():
    tracker = LevelTracker()
    assert tracker.update(1e-4) == 1e-4
    for _ in range(10):
        tracker.update(0.3)  # speech does not lift the floor much
    assert tracker.floor < 1.1e-4


def test_staff_choices_survive_a_restart_and_a_damaged_file_is_ignored(tmp_path, monkeypatch):
    from kiosk.app.choices import StaffChoices, choices_file, load_choices, save_choices

    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path))
    save_choices(StaffChoices(persona=str(tmp_path / 'my "quoted" persona.toml'), input_device="USB Mic"))
    assert load_choices().input_device == "USB Mic"
    assert load_choices().persona.endswith('my "quoted" persona.toml')
    choices_file().write_text("persona = [broken")
    assert load_choices() == StaffChoices()


@pytest.fixture(scope="session")
def qapp():
    """pytest-qt's application, made only once a display exists (overrides pytest-qt's own)."""
    from kiosk.avatar.offscreen import ensure_display, set_default_format

    ensure_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        set_default_format()
        app = QApplication([])
    return app


@pytest.fixture()
def window(qapp, tmp_path, monkeypatch):
    """The kiosk window without engines (not started): the staff side does not need them."""
    monkeypatch.setenv("KIOSK_CONFIG_DIR", str(tmp_path))
    from kiosk.app.window import KioskWindow
    from kiosk.avatar.spec import load_avatar
    from kiosk.persona import load_persona

    persona = load_persona(None)
    persona.kiosk.staff_pin_sha256 = PIN_SHA
    win = KioskWindow(persona, load_avatar(persona.avatar.name), kiosk_mode=True)
    win.resize(1280, 720)
    win.show()
    yield win
    win._allow_close = True
    win.close()


def _enter(window, pin: str) -> None:
    for digit in pin:
        window.pin_pad._key(digit)
    window.pin_pad._key("OK")


def test_corner_taps_then_the_pin_open_the_panel(window, qtbot):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    assert window.pages.currentIndex() == 0
    for _ in range(5):
        QTest.mouseClick(window.avatar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         QPoint(window.avatar.width() - 20, 20))
    assert window.pages.currentWidget() is window.pin_pad
    _enter(window, "1111")
    assert window.pages.currentWidget() is window.pin_pad
    assert "Wrong PIN" in window.pin_pad.message.text()
    _enter(window, PIN)
    assert window.pages.currentWidget() is window.panel
    assert window.panel.personas.count() >= 4  # built-in + the three examples
    window.panel.back.emit()
    assert window.pages.currentIndex() == 0


def test_five_wrong_pins_lock_the_pad(window):
    window._staff_gesture(window._open_panel, keyboard=True)
    for _ in range(5):
        _enter(window, "0000")
    _enter(window, PIN)  # even the right PIN waits out the lock
    assert window.pages.currentWidget() is window.pin_pad
    assert "Try again" in window.pin_pad.message.text()


def test_exit_needs_the_pin_and_without_a_pin_taps_do_nothing(window):
    window._staff_gesture(window._staff_quit, keyboard=True)
    assert window.isVisible() and window.pages.currentWidget() is window.pin_pad
    window.pin_pad._cancel()
    assert window.pages.currentIndex() == 0
    window.persona.kiosk.staff_pin_sha256 = ""
    window._staff_gesture(window._open_panel, keyboard=False)
    assert window.pages.currentIndex() == 0  # a visitor's taps never open an unprotected panel
    window._staff_gesture(window._open_panel, keyboard=True)
    assert window.pages.currentWidget() is window.panel
    assert "No staff PIN" in window.panel.persona_notice.text()


def test_switching_persona_in_the_panel_changes_the_avatar_and_is_remembered(window, qtbot):
    from kiosk.app.choices import load_choices
    from kiosk.paths import repo_root

    museum = repo_root() / "assets/personas/museum-greeter/persona.toml"
    window._staff_gesture(window._open_panel, keyboard=True)
    _enter(window, PIN)
    window._switch_persona(str(museum))
    qtbot.waitUntil(lambda: window.persona.id == "museum-greeter", timeout=30000)
    assert window.avatar.driver.spec.name == window.persona.avatar.name
    assert load_choices().persona == str(museum)
    assert "Now using" in window.panel.persona_notice.text()
    window._switch_persona(str(repo_root() / "tests/persona/fixtures/bad_toml.toml"))
    qtbot.waitUntil(lambda: "Not applied" in window.panel.persona_notice.text(), timeout=30000)
    assert window.persona.id == "museum-greeter"  # a broken file never replaces the running persona
