"""Write the avatar screenshots in docs/images/ (run after a visual change, then look at them).

    python tests/avatar/make_screenshots.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"


def posed(spec, viseme: str, expression: str, state: str, intensity: float = 1.0, t: float = 1.3) -> dict:
    from kiosk.avatar.controller import AvatarController
    from kiosk.lipsync.phonemes import VISEME_INDEX

    controller = AvatarController(spec, idle_life=False)
    weights = np.zeros(15, np.float32)
    weights[VISEME_INDEX[viseme]] = 1.0
    controller.set_visemes(weights)
    controller.set_expression(expression, intensity)
    controller.set_state(state)
    frame: dict = {}
    for i in range(int(t * 30)):
        frame = controller.update(i / 30)
    return frame


def label(image: np.ndarray, text: str, size: int) -> np.ndarray:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    h, w, _ = image.shape
    data = np.ascontiguousarray(image)
    qimage = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    painter = QPainter(qimage)
    painter.setPen(QColor(235, 235, 235))
    font = QFont("DejaVu Sans")
    font.setPixelSize(size)
    painter.setFont(font)
    painter.drawText(0, h - int(size * 1.8), w, int(size * 1.6), int(Qt.AlignmentFlag.AlignCenter), text)
    painter.end()
    ptr = qimage.constBits()
    return np.frombuffer(ptr, np.uint8, count=qimage.bytesPerLine() * h).reshape(h, -1)[:, : w * 3].reshape(h, w, 3).copy()


def main() -> int:
    from kiosk.avatar.offscreen import ensure_display, set_default_format

    ensure_display()
    set_default_format()
    from PySide6.QtGui import QGuiApplication

    from kiosk.avatar.offscreen import OffscreenRenderer, save_png
    from kiosk.avatar.spec import load_avatar
    from kiosk.lipsync.phonemes import VISEMES

    app = QGuiApplication([])  # noqa: F841
    OUT.mkdir(parents=True, exist_ok=True)
    for name, viseme in (("aria", "E"), ("leo", "aa")):
        spec = load_avatar(name)
        big = OffscreenRenderer(spec, 1920, 1080)
        save_png(big.render(posed(spec, viseme, "happy", "speaking", 0.7)), OUT / f"avatar-{name}.png")
        big.close()
        small = OffscreenRenderer(spec, 960, 540)
        tiles = [label(small.render(posed(spec, "sil", expr, state)), f"{state} · {expr}", 26)
                 for state, expr in (("idle", "neutral"), ("listening", "neutral"), ("thinking", "concerned"), ("speaking", "surprised"))]
        save_png(np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])]), OUT / f"avatar-{name}-states.png")
        small.close()
    spec = load_avatar("aria")
    renderer = OffscreenRenderer(spec, 1920, 1080)
    tiles = []
    for viseme in VISEMES:
        image = renderer.render(posed(spec, viseme, "neutral", "speaking"))
        tiles.append(label(image[540 - 30 : 540 + 150, 960 - 150 : 960 + 150], viseme, 22))
    rows = [np.hstack(tiles[i : i + 5]) for i in range(0, 15, 5)]
    save_png(np.vstack(rows), OUT / "avatar-visemes.png")
    renderer.close()
    print(f"wrote {sorted(p.name for p in OUT.glob('avatar-*.png'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
