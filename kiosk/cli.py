"""The `kiosk` command. Every failure staff or operators can cause ends in a plain message, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib
import logging
import sys
from pathlib import Path

from kiosk.errors import KioskError

# Capability packages add their own subcommands: each module has register(subparsers) and keeps
# heavy imports inside the command functions so `kiosk --help` stays fast.
COMMAND_MODULES = ["kiosk.persona.commands", "kiosk.avatar.commands", "kiosk.doctor", "kiosk.app.watchdog",
                   "kiosk.bench.commands"]

EXIT_PROBLEM = 2  # bad input or configuration: the message says what to fix
EXIT_NO_SPEECH = 3


def _converse(args: argparse.Namespace) -> int:
    from kiosk.audio.wavio import read_wav, write_wav
    from kiosk.persona import load_persona
    from kiosk.pipeline.conversation import Conversation
    from kiosk.pipeline.headless import HeadlessSession, write_timeline

    persona = load_persona(args.persona)
    audio, rate = read_wav(args.input)
    conversation = Conversation(persona)
    conversation.load()
    session = HeadlessSession(conversation)
    try:
        result = session.run(audio, rate)
    finally:
        session.close()
    extra: dict[str, object] = {"input": str(args.input), "persona": persona.id, "load_s": conversation.load_seconds}
    if args.timeline:
        write_timeline(Path(args.timeline), result.timeline_json(extra))
    if result.outcome == "no_speech":
        print(f"No speech was recognised in {args.input}: nothing to answer.", file=sys.stderr)
        return EXIT_NO_SPEECH
    if result.outcome != "answered":
        print(f"The turn did not complete ({result.outcome}). {'; '.join(result.errors)}", file=sys.stderr)
        return 1
    if args.output:
        write_wav(args.output, result.reply_audio, result.sample_rate)
    print(f"heard:   {result.transcript}")
    print(f"replied: {result.reply}")
    print(f"latency: {result.marks.get('first_audio_out', float('nan')):.3f} s (end of speech -> first reply audio)")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from kiosk.bench.run import run_bench

    return run_bench(turns=args.turns, as_json=args.json, persona_path=args.persona, naive=not args.no_naive)


def _devices(args: argparse.Namespace) -> int:
    try:
        import sounddevice as sd
    except OSError as exc:
        raise KioskError(f"the audio library is missing: {exc}", fix="install libportaudio2") from None
    print(sd.query_devices())
    return 0


def _check_models(args: argparse.Namespace) -> int:
    from kiosk import models

    for model, kind in models.EMBEDDED:
        path = models.check_embedded(model, kind=kind, setting="(embedded default)")
        print(f"ok  {kind}: {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description="Offline talking avatar for kiosks. Without a command: start the kiosk "
        "(options: --windowed, --persona FILE; staff exit: Ctrl+Alt+Shift+Q).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command")

    converse = sub.add_parser("converse", help="answer one spoken question from a WAV file, headless")
    converse.add_argument("--input", required=True, type=Path, help="the question (WAV, any rate, mono or stereo)")
    converse.add_argument("--output", type=Path, help="write the spoken reply here (WAV)")
    converse.add_argument("--timeline", type=Path, help="write transcript, reply, phoneme and layer timings (JSON)")
    converse.add_argument("--persona", type=Path, help="persona file (default: the embedded default persona)")
    converse.set_defaults(func=_converse)

    bench = sub.add_parser("bench", help="measure voice-to-voice latency per layer over spoken questions")
    bench.add_argument("--turns", type=int, default=20, help="number of turns (default 20)")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--persona", type=Path, help="persona file (default: embedded default)")
    bench.add_argument("--no-naive", action="store_true", help="skip the sequential baseline")
    bench.set_defaults(func=_bench)

    devices = sub.add_parser("devices", help="list audio devices")
    devices.set_defaults(func=_devices)

    check_models = sub.add_parser("check-models", help="verify the embedded model files (size and sha256)")
    check_models.set_defaults(func=_check_models)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub)
    return parser


def limit_malloc_arenas(arenas: int = 2, mmap_threshold: int = 4 << 20) -> None:
    """Cap glibc's per-thread malloc arenas. With the default (8 per core) the engine threads' buffers
    fragment into new arenas and RSS climbed ~100 MB over 80 turns; with 2 it stayed flat (+2 MB).

    Also fix the size from which a block gets its own mapping (given back to the system when freed).
    glibc raises it as large blocks are freed (up to 32 MB), after which the engines' large temporary
    arrays fragment the heap: a 40-turn soak grew 1-57 MB after its warm-up, 715-780 MB in all. At
    4 MB: +1-4 MB, ~630 MB, and the same response times (256 KB cost ~60 ms per answer in page faults).
    Must run before the engine threads start."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # not glibc (musl): nothing to tune
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-8, arenas)  # -8: M_ARENA_MAX
        libc.mallopt(-3, mmap_threshold)  # -3: M_MMAP_THRESHOLD


def main(argv: list[str] | None = None) -> int:
    limit_malloc_arenas()
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("--windowed", "--persona"):
        from kiosk.app.main import run_app  # `kiosk`, `kiosk --windowed`, `kiosk --persona F`

        return run_app(argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_PROBLEM
    try:
        return int(args.func(args))
    except KioskError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
