"""`kiosk render`: a reply's timeline and audio as a video of the avatar speaking it."""

from __future__ import annotations

import argparse
from pathlib import Path


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x720, got {text!r}") from None
    return width, height


def _render(args: argparse.Namespace) -> int:
    from kiosk.avatar.export import export_clip
    from kiosk.avatar.spec import load_avatar

    spec = load_avatar(args.avatar)
    width, height = args.size
    result = export_clip(spec, args.timeline, args.audio, args.out, width=width, height=height, fps=args.fps)
    print(f"wrote {result.path}: {result.frames} frames, {result.duration:.2f} s "
          f"(rendered in {result.render_seconds:.1f} s)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    render = subparsers.add_parser("render", help="render a spoken reply as a video of the avatar (MP4)")
    render.add_argument("--timeline", required=True, type=Path, help="JSON from `kiosk converse --timeline`")
    render.add_argument("--audio", required=True, type=Path, help="the reply's audio (WAV from `kiosk converse --output`)")
    render.add_argument("--out", required=True, type=Path, help="the video to write (.mp4)")
    render.add_argument("--avatar", help="avatar name (a folder in avatars/) or folder path; default: aria")
    render.add_argument("--size", type=_size, default=(1280, 720), help="video size, default 1280x720")
    render.add_argument("--fps", type=float, default=30.0, help="frames per second, default 30")
    render.set_defaults(func=_render)
