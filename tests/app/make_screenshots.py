"""Write docs/images/staff-panel.png (run after changing the staff panel, then look at it).

    python tests/app/make_screenshots.py
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    from kiosk.avatar.offscreen import ensure_display, set_default_format

    ensure_display()
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    os.environ["KIOSK_CONFIG_DIR"] = tempfile.mkdtemp()
    from PySide6.QtWidgets import QApplication

    set_default_format()
    app = QApplication([])
    from kiosk.app.staff import TurnFigures
    from kiosk.app.window import KioskWindow
    from kiosk.avatar.spec import load_avatar
    from kiosk.persona import load_persona

    file = ROOT / "assets/personas/museum-greeter/persona.toml"
    persona = load_persona(file)
    window = KioskWindow(persona, load_avatar(persona.avatar.name), kiosk_mode=False, persona_file=file)
    window.resize(1280, 720)
    window.show()
    window._turn_figures = [  # illustrative figures: the layout, not a measurement
        TurnFigures("10:41:07", "curated", 0.27, 0.29, 0.36, 0.41),
        TurnFigures("10:41:31", "model", 0.28, 0.52, 0.66, 0.71),
        TurnFigures("10:42:02", "decline", 0.26, 0.27, 0.35, 0.55),
    ]
    logging.getLogger("kiosk.audio.devices").warning(
        "The microphone stopped working (unplugged?). The kiosk will use it again as soon as it is back."
    )
    window._staff_gesture(window._open_panel, keyboard=True)
    window.panel.set_level(0.05, 0.002)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.03)
    window.grab().save(str(ROOT / "docs/images/staff-panel.png"))


if __name__ == "__main__":
    main()
