"""A real X display with Mesa OpenGL for the avatar tests (Xvfb + llvmpipe; `offscreen` Qt has no GL)."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def xvfb():
    from kiosk.avatar.offscreen import ensure_display

    ensure_display()  # a private Xvfb (if any) ends by itself when this process disconnects
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    return os.environ["DISPLAY"]


@pytest.fixture(scope="session")
def qapp(xvfb):
    """pytest-qt's application, created only once the display exists and GL 3.3 core is the default."""
    from PySide6.QtWidgets import QApplication

    from kiosk.avatar.offscreen import set_default_format

    app = QApplication.instance()
    if app is None:
        set_default_format()
        app = QApplication([])
    yield app


@pytest.fixture(scope="session")
def renderers(qapp):
    """Offscreen renderers by (avatar name, width, height), shared across tests."""
    from kiosk.avatar.offscreen import OffscreenRenderer
    from kiosk.avatar.spec import load_avatar

    made: dict = {}

    def get(name: str = "aria", width: int = 480, height: int = 270):
        key = (name, width, height)
        if key not in made:
            made[key] = OffscreenRenderer(load_avatar(name), width, height)
        return made[key]

    yield get
    for renderer in made.values():
        renderer.close()
