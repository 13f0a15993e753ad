"""`kiosk soak`: many scripted spoken turns in one process; memory, threads and descriptors must stay flat."""

from __future__ import annotations

import argparse
from pathlib import Path


def _soak(args: argparse.Namespace) -> int:
    from kiosk.bench.soak import run_soak

    return run_soak(
        turns=args.turns, persona_path=args.persona, warmup=args.warmup, as_json=args.json,
        max_growth_mb=args.max_growth_mb, speed=args.speed, reset_every=args.reset_every, every=args.every,
    )


def register(sub: argparse._SubParsersAction) -> None:
    soak = sub.add_parser(
        "soak",
        help="run hundreds of scripted spoken turns through the real pipeline and check that memory, "
        "threads and file descriptors stay flat",
    )
    soak.add_argument("--turns", type=int, default=500, help="number of turns (default 500)")
    soak.add_argument("--warmup", type=int, default=20, help="turns before the memory baseline is taken (default 20)")
    soak.add_argument("--max-growth-mb", type=float, default=50.0,
                      help="fail if RSS grows more than this after the warm-up (default 50)")
    soak.add_argument("--persona", type=Path,
                      help="persona file (default: the museum greeter example, which has curated answers, facts "
                      "and decline topics; the embedded default persona when the examples are not installed)")
    soak.add_argument("--speed", type=float, default=4.0,
                      help="how much faster than real time the microphone and speaker run (default 4; 1 = real time)")
    soak.add_argument("--reset-every", type=int, default=5, help="idle reset (history wiped) every N turns; 0: never")
    soak.add_argument("--every", type=int, default=10, help="print a progress line every N turns (default 10)")
    soak.add_argument("--json", action="store_true", help="print the figures as JSON (progress goes to stderr)")
    soak.set_defaults(func=_soak)
