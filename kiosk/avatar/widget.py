"""The avatar on screen: a QOpenGLWidget and a QOpenGLWindow that animate the controller with the shared Scene.

Both repaint on a precise timer at the screen's refresh rate and only do arithmetic and drawing on the
Qt thread. When frames come too slowly (software GL on a large screen) they lower the internal
resolution, and raise it again when there is headroom.

``AvatarWidget`` fits in widget layouts. ``AvatarWindow`` draws straight to its window surface and
skips QOpenGLWidget's extra full-screen composition pass: on Mesa llvmpipe at 1920x1080 that pass
alone limits a QOpenGLWidget to ~13 fps, where a QOpenGLWindow reaches ~100 fps. Use the window for
the full-screen kiosk (``QWidget.createWindowContainer`` embeds it in a widget tree if needed).
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QScreen
from PySide6.QtOpenGL import QOpenGLWindow
from PySide6.QtOpenGLWidgets import QOpenGLWidget
from PySide6.QtWidgets import QWidget

from kiosk.avatar.controller import AvatarController
from kiosk.avatar.mesh_scene import MeshScene, make_scene
from kiosk.avatar.scene import GLError, Scene
from kiosk.avatar.spec import AvatarSpec

log = logging.getLogger(__name__)


class FrameDriver:
    """What both surfaces share: the scene, the controller, the frame timer and the adaptive scale."""

    def __init__(self, owner: QObject, spec: AvatarSpec, controller: AvatarController | None,
                 target_fps: float, adaptive: bool, update) -> None:  # noqa: ANN001 (the owner's update slot)
        self.spec = spec
        self.controller = controller or AvatarController(spec)
        self.scene: Scene | MeshScene = make_scene(spec)
        self.target_fps = target_fps
        self.adaptive = adaptive
        self.scale = 1.0
        self.error: str | None = None
        self.frames = 0
        self._t0 = time.monotonic()
        self._last_paint: float | None = None
        self._interval = 1.0 / 60.0  # smoothed time between frames
        self._last_adapt = 0.0
        self.timer = QTimer(owner)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(update)

    @property
    def fps(self) -> float:
        return 1.0 / self._interval

    def initialize(self, screen: QScreen | None) -> str | None:
        try:
            self.scene.initialize()
        except GLError as exc:
            self.error = str(exc)
            log.error("avatar: %s", exc)
            return self.error
        rate = screen.refreshRate() if screen is not None else 60.0
        self.timer.start(max(1, int(1000.0 / max(rate, 1.0))))
        return None

    def paint(self, width: int, height: int, target: int, keep: bool = False) -> None:
        if self.error is not None or not self.scene.program:
            return
        now = time.monotonic()
        if self._last_paint is not None:
            self._interval += (min(now - self._last_paint, 1.0) - self._interval) * 0.1
        self._last_paint = now
        frame = self.controller.update(now - self._t0)
        self.scene.render(frame, width, height, target=target, scale=self.scale, keep=keep)
        self.frames += 1
        if self.adaptive:
            self.adapt(now)

    def adapt(self, now: float) -> None:
        if now - self._last_adapt < 0.5 or self.frames < 10:
            return
        self._last_adapt = now
        budget = 1.0 / self.target_fps
        if self._interval > budget * 1.08 and self.scale > 0.4:
            self.scale = max(0.4, self.scale * min(0.9, (budget / self._interval) ** 0.5))
        elif self._interval < budget * 0.7 and self.scale < 1.0:
            self.scale = min(1.0, self.scale * 1.08)

    def set_avatar(self, spec: AvatarSpec) -> None:
        """Show another avatar (GL context current)."""
        if spec.type == "builtin" and self.spec.type == "builtin":
            self.scene.set_constants(spec.shader_constants())
        else:
            scene = make_scene(spec)
            scene.initialize()
            self.scene.release()
            self.scene = scene
        self.spec = spec
        self.controller.set_spec(spec)

    def release(self) -> None:
        self.timer.stop()
        if self.scene.program:
            self.scene.release()


class AvatarWidget(QOpenGLWidget):
    failed = Signal(str)  # OpenGL missing or too old: the message says what to install

    def __init__(self, spec: AvatarSpec, controller: AvatarController | None = None,
                 parent: QWidget | None = None, target_fps: float = 30.0, adaptive: bool = True) -> None:
        super().__init__(parent)
        self.driver = FrameDriver(self, spec, controller, target_fps, adaptive, self.update)
        self.controller = self.driver.controller
        self.setMinimumSize(160, 90)

    def initializeGL(self) -> None:
        if (error := self.driver.initialize(self.screen())) is not None:
            self.failed.emit(error)

    def set_avatar(self, spec: AvatarSpec) -> None:
        self.makeCurrent()
        self.driver.set_avatar(spec)
        self.doneCurrent()
        self.update()

    def paintGL(self) -> None:
        ratio = self.devicePixelRatioF()
        self.driver.paint(round(self.width() * ratio), round(self.height() * ratio), self.defaultFramebufferObject())

    def closeEvent(self, event) -> None:  # noqa: ANN001 (Qt event)
        self.makeCurrent()
        self.driver.release()
        self.doneCurrent()
        super().closeEvent(event)


class AvatarWindow(QOpenGLWindow):
    """Redraws only the head's region each frame (the backdrop stays in the window's buffer)."""

    failed = Signal(str)

    def __init__(self, spec: AvatarSpec, controller: AvatarController | None = None,
                 target_fps: float = 30.0, adaptive: bool = True) -> None:
        # the window's content survives between frames, so only the head's region is redrawn
        super().__init__(QOpenGLWindow.UpdateBehavior.PartialUpdateBlit)
        self.driver = FrameDriver(self, spec, controller, target_fps, adaptive, self.update)
        self.controller = self.driver.controller

    def initializeGL(self) -> None:
        if (error := self.driver.initialize(self.screen())) is not None:
            self.failed.emit(error)

    def set_avatar(self, spec: AvatarSpec) -> None:
        self.makeCurrent()
        self.driver.set_avatar(spec)
        self.doneCurrent()
        self.update()

    def paintGL(self) -> None:
        ratio = self.devicePixelRatio()
        self.driver.paint(round(self.width() * ratio), round(self.height() * ratio), self.defaultFramebufferObject(),
                          keep=True)

    def release(self) -> None:
        self.makeCurrent()
        self.driver.release()
        self.doneCurrent()
