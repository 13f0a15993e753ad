"""Rendering the avatar without a window: into a framebuffer, read back as an RGB image.

Used by tests, thumbnails and video export. Qt needs an X server for OpenGL here (the `offscreen`
platform has no GL), so ``ensure_display`` starts a private Xvfb when no display exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from kiosk.avatar.scene import Framebuffer, GLError
from kiosk.avatar.spec import AvatarSpec

GL_FORMAT = (3, 3)


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            return number
    raise GLError("no free X display number for Xvfb")


def ensure_display() -> subprocess.Popen | None:
    """Start Xvfb (1920x1080x24) if DISPLAY is unset.

    The server ends by itself when its last client disconnects (``-terminate``): killing it while Qt is
    still connected makes Qt abort the process, so callers normally leave it alone.
    """
    if os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
        return None
    if shutil.which("Xvfb") is None:
        raise GLError("no display and no Xvfb to render offscreen", fix="install the Debian package xvfb")
    number = _free_display()
    process = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", "1920x1080x24", "-nolisten", "tcp", "-terminate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10.0
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise GLError(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    return process


def set_default_format() -> None:
    """Ask for a 3.3 core context; must run before the QApplication exists."""
    from PySide6.QtGui import QSurfaceFormat

    fmt = QSurfaceFormat()
    fmt.setVersion(*GL_FORMAT)
    fmt.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    fmt.setSwapInterval(1)
    QSurfaceFormat.setDefaultFormat(fmt)


class OffscreenRenderer:
    """A GL context of its own and a framebuffer of ``width`` x ``height``; needs a QGuiApplication."""

    def __init__(self, spec: AvatarSpec, width: int, height: int) -> None:
        from PySide6.QtGui import QGuiApplication, QOffscreenSurface, QOpenGLContext, QSurfaceFormat

        from kiosk.avatar.mesh_scene import make_scene

        if QGuiApplication.instance() is None:
            raise GLError("create the QApplication before an OffscreenRenderer")
        self.width, self.height = width, height
        self._context = QOpenGLContext()
        self._context.setFormat(QSurfaceFormat.defaultFormat())
        if not self._context.create():
            raise GLError("cannot create an OpenGL context", fix="check that the X display works and Mesa is installed")
        self._surface = QOffscreenSurface()
        self._surface.setFormat(self._context.format())
        self._surface.create()
        if not self._context.makeCurrent(self._surface):
            raise GLError("cannot make the OpenGL context current")
        self.scene = make_scene(spec)
        self.scene.initialize()
        self._target = Framebuffer(width, height)

    def render(self, frame: dict, scale: float = 1.0, keep: bool = False) -> np.ndarray:
        """One frame as an (height, width, 3) uint8 array, top row first (``keep``: see Scene.render)."""
        from OpenGL import GL

        self._context.makeCurrent(self._surface)
        self.scene.render(frame, self.width, self.height, target=self._target.fbo, scale=scale, keep=keep)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._target.fbo)
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 1)
        data = GL.glReadPixels(0, 0, self.width, self.height, GL.GL_RGB, GL.GL_UNSIGNED_BYTE)
        image = np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)
        return image[::-1].copy()

    def finish(self) -> None:
        from OpenGL import GL

        self._context.makeCurrent(self._surface)
        GL.glFinish()

    def close(self) -> None:
        self._context.makeCurrent(self._surface)
        self._target.delete()
        self.scene.release()
        self._context.doneCurrent()


def save_png(image: np.ndarray, path: Path | str) -> None:
    from PySide6.QtGui import QImage

    height, width, _ = image.shape
    data = np.ascontiguousarray(image)
    QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).save(str(path))


def load_png(path: Path | str) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * height)
    return raw.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3).copy()
