"""The on-screen widget under Xvfb: it animates, adapts its resolution, and reports GL problems."""

from __future__ import annotations

import numpy as np

from kiosk.avatar.spec import load_avatar
from kiosk.avatar.widget import AvatarWidget, AvatarWindow, FrameDriver


def test_widget_animates_and_changes_state(qtbot):
    widget = AvatarWidget(load_avatar("leo"))
    qtbot.addWidget(widget)
    widget.resize(480, 270)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.driver.frames >= 8, timeout=10000)
    assert widget.driver.error is None
    first = widget.grabFramebuffer()
    widget.controller.set_state("thinking")
    widget.controller.set_expression("happy")
    frames = widget.driver.frames
    qtbot.waitUntil(lambda: widget.driver.frames >= frames + 8, timeout=10000)
    second = widget.grabFramebuffer()
    widget.set_avatar(load_avatar("aria"))  # another hair style: the programs are rebuilt
    frames = widget.driver.frames
    qtbot.waitUntil(lambda: widget.driver.frames >= frames + 3, timeout=10000)
    assert widget.driver.error is None
    assert first.size().width() == 480
    a = np.array([first.pixelColor(x, y).red() for x in range(0, 480, 8) for y in range(0, 270, 8)])
    b = np.array([second.pixelColor(x, y).red() for x in range(0, 480, 8) for y in range(0, 270, 8)])
    assert a.std() > 10 and np.abs(a - b).mean() > 0.5
    assert widget.driver.fps > 3
    widget.close()


def test_window_draws_straight_to_its_surface(qtbot):
    window = AvatarWindow(load_avatar("aria"))
    window.resize(480, 270)
    window.show()
    try:
        qtbot.waitUntil(lambda: window.driver.frames >= 8, timeout=10000)
        assert window.driver.error is None
        image = window.grabFramebuffer()
        assert image.width() == 480 and image.pixelColor(240, 60) != image.pixelColor(5, 5)
    finally:
        window.release()
        window.destroy()


def test_adaptive_resolution_lowers_the_scale_when_slow(qapp):
    from PySide6.QtCore import QObject

    driver = FrameDriver(QObject(), load_avatar("aria"), None, 30.0, True, lambda: None)
    driver.frames = 100
    driver._interval = 1 / 12
    for step in range(1, 20):
        driver.adapt(step * 1.0)
    assert driver.scale == 0.4
    driver._interval = 1 / 60
    for step in range(20, 40):
        driver.adapt(step * 1.0)
    assert driver.scale == 1.0
