"""`kiosk persona ...` subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_PROBLEM = 2


def _check(args: argparse.Namespace) -> int:
    from kiosk.errors import KioskError
    from kiosk.persona import PersonaError, load_persona

    status = 0
    for file in args.files:
        try:
            load_persona(file)
            print(f"{file}: OK")
        except PersonaError as exc:
            print(exc.message)
            status = EXIT_PROBLEM
        except KioskError as exc:
            print(str(exc))
            status = EXIT_PROBLEM
    return status


def register(sub: argparse._SubParsersAction) -> None:
    persona = sub.add_parser("persona", help="persona files: check")
    persona_sub = persona.add_subparsers(dest="persona_command", required=True)
    check = persona_sub.add_parser("check", help="validate persona files and list every problem")
    check.add_argument("files", nargs="+", type=Path)
    check.set_defaults(func=_check)
