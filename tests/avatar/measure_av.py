"""Measure the audio/visual offset of `kiosk render` output from the video itself (not from our timestamps).

    python tests/avatar/measure_av.py [--seconds 30] [--size 640x360]

Renders a clip of irregular 'ba' syllables, decodes the MP4 back with ffmpeg, measures mouth opening
in every decoded frame and the loudness of the decoded audio, and reports how late the mouth is:
over the whole clip (cross-correlation) and per syllable (centroid of opening vs centroid of sound).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from helpers import envelope, lag_seconds, mouth_openness, syllable_pattern  # noqa: E402


def decode(path: Path, width: int, height: int, rate: int) -> tuple[np.ndarray, np.ndarray]:
    video = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                           capture_output=True, check=True).stdout
    audio = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-ac", "1", "-ar", str(rate), "-"],
                           capture_output=True, check=True).stdout
    frames = np.frombuffer(video, np.uint8).reshape(-1, height, width, 3)
    return frames, np.frombuffer(audio, np.float32)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--avatar", default="aria")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    rate = 22050

    from kiosk.audio.wavio import write_wav
    from kiosk.avatar.export import export_clip
    from kiosk.avatar.spec import load_avatar

    audio, phonemes = syllable_pattern(args.seconds, rate)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_wav(folder / "reply.wav", audio, rate)
        (folder / "turn.json").write_text(json.dumps({"phonemes": phonemes, "sample_rate": rate}))
        result = export_clip(load_avatar(args.avatar), folder / "turn.json", folder / "reply.wav", folder / "clip.mp4",
                             width=width, height=height, fps=args.fps)
        frames, decoded = decode(folder / "clip.mp4", width, height, 16000)  # 16 samples per ms exactly
    fps = args.fps
    opening = np.array([mouth_openness(frame) for frame in frames])
    loud = envelope(decoded, 16000, fps, len(frames))
    # sub-frame resolution: compare at 1 kHz after linear interpolation of both signals
    t_frames = (np.arange(len(frames)) + 0.5) / fps
    fine = np.arange(0.0, len(frames) / fps, 0.001)
    open_fine = np.interp(fine, t_frames, opening)
    hop = 16
    n = min(len(fine), len(decoded) // hop)
    loud_fine = np.sqrt(np.convolve((decoded[: n * hop].reshape(n, hop) ** 2).mean(axis=1), np.ones(10) / 10, "same"))
    overall = lag_seconds(loud_fine[:n], open_fine[:n], 1000.0, max_lag=150)
    per_syllable = []
    for p in phonemes:
        if p["phoneme"] != "ɑ":
            continue
        a, b = p["start"] - 0.12, p["start"] + p["duration"] + 0.12
        window = (fine[:n] >= a) & (fine[:n] < b)
        w_open, w_loud = open_fine[:n][window], loud_fine[:n][window] ** 2
        if w_open.sum() <= 0 or w_loud.sum() <= 0:
            continue
        times = fine[:n][window]
        per_syllable.append((p["start"], float((times * w_open).sum() / w_open.sum() - (times * w_loud).sum() / w_loud.sum())))
    offsets = np.array([o for _, o in per_syllable])
    starts = np.array([s for s, _ in per_syllable])
    third = args.seconds / 3
    report = {
        "clip_s": round(len(frames) / fps, 2), "frames": len(frames), "render_s": round(result.render_seconds, 1),
        "correlation": round(float(np.corrcoef(opening, loud[: len(opening)])[0, 1]), 3),
        "offset_xcorr_ms": round(overall * 1000, 1),
        "offset_per_syllable_ms": {"mean": round(float(offsets.mean()) * 1000, 1),
                                   "median": round(float(np.median(offsets)) * 1000, 1),
                                   "max_abs": round(float(np.abs(offsets).max()) * 1000, 1),
                                   "count": len(offsets)},
        "drift_ms": {"first_third": round(float(offsets[starts < third].mean()) * 1000, 1),
                     "last_third": round(float(offsets[starts > 2 * third].mean()) * 1000, 1)},
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
