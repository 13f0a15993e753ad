"""`kiosk` with no subcommand: the kiosk application."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kiosk import paths
from kiosk.errors import KioskError


def persona_path(explicit: Path | None) -> Path | None:
    """--persona, else $KIOSK_PERSONA, else the one chosen in the staff panel, else persona.toml in
    the kiosk's config folder, else the embedded default."""
    from kiosk.app.choices import load_choices

    if explicit is not None:
        return explicit
    if os.environ.get("KIOSK_PERSONA"):
        return Path(os.environ["KIOSK_PERSONA"])
    chosen = load_choices().persona
    if chosen and Path(chosen).exists():
        return Path(chosen)
    staff_file = paths.config_dir() / "persona.toml"
    return staff_file if staff_file.exists() else None


def setup_logging(verbose: bool, file_name: str = "kiosk.log") -> None:
    """Information, warnings and errors to a rotating file in the log folder (5 x 2 MB); with -v
    details also to stderr. Transcripts are logged at debug level only, so never to the file."""
    import logging
    import logging.handlers

    root = logging.getLogger()
    root.handlers.clear()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        file = logging.handlers.RotatingFileHandler(paths.log_dir() / file_name, maxBytes=2_000_000, backupCount=5)
        file.setLevel(logging.INFO)
        file.setFormatter(formatter)
        root.addHandler(file)
    except OSError as exc:
        print(f"kiosk: cannot write the log file ({exc}); logging to the terminal only", file=sys.stderr)
    console = logging.StreamHandler()
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(console)


def run_app(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description="Start the kiosk (fullscreen).")
    parser.add_argument("--windowed", action="store_true", help="a normal window, for development")
    parser.add_argument("--persona", type=Path, help="persona file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    args = parser.parse_args(argv)
    setup_logging(args.verbose)

    from kiosk.avatar.spec import load_avatar
    from kiosk.persona import load_persona

    file = persona_path(args.persona)
    problem = ""
    try:
        persona = load_persona(file)
        avatar = load_avatar(persona.avatar.name)
    except KioskError as exc:
        if args.persona is not None or file is None:
            print(f"kiosk: {exc}", file=sys.stderr)
            return 2
        # An unattended kiosk comes back after a reboot even if the staff's file has a mistake:
        # it runs the built-in persona, says why on screen, and applies the file once it is fixed.
        problem = f"The persona file has a problem, so the built-in persona is running:\n{exc}"
        logging.getLogger(__name__).error("%s", problem)
        persona = load_persona(None)
        avatar = load_avatar(persona.avatar.name)

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print(
            "kiosk: no screen: start the kiosk from the kiosk's desktop session (DISPLAY is not set).\n"
            "  fix: log in on the kiosk's screen, or check the installation headless with "
            "`kiosk doctor` and `kiosk converse --input question.wav`",
            file=sys.stderr,
        )
        return 2

    from PySide6.QtGui import QSurfaceFormat
    from PySide6.QtWidgets import QApplication

    surface = QSurfaceFormat()
    surface.setVersion(3, 3)
    surface.setProfile(QSurfaceFormat.OpenGLContextProfile.CoreProfile)
    surface.setSwapInterval(1)
    QSurfaceFormat.setDefaultFormat(surface)  # must precede the QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])

    from kiosk.app.window import KioskWindow

    window = KioskWindow(persona, avatar, kiosk_mode=not args.windowed, persona_file=file)
    if problem:
        window.startup_problem(problem)
    if args.windowed:
        window.resize(1280, 720)
        window.show()
    else:
        # kiosk sessions often run X without a window manager, where showFullScreen alone leaves
        # the window at its default size: cover the screen explicitly as well
        window.setGeometry(app.primaryScreen().geometry())
        window.showFullScreen()
    window.start()
    return int(app.exec())
