"""`kiosk render`: a timeline and a WAV become an MP4 with the audio in it."""

from __future__ import annotations

import argparse
import json
import subprocess

import pytest
from helpers import syllable_pattern

from kiosk.audio.wavio import write_wav
from kiosk.avatar import commands
from kiosk.errors import KioskError


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="kiosk")
    commands.register(top.add_subparsers(dest="command"))
    return top


def test_render_command_writes_a_video_with_audio(tmp_path, qapp):
    rate = 22050
    audio, phonemes = syllable_pattern(1.5, rate)
    write_wav(tmp_path / "reply.wav", audio, rate)
    (tmp_path / "turn.json").write_text(json.dumps({"phonemes": phonemes, "sample_rate": rate, "reply": "ba ba"}))
    args = parser().parse_args(["render", "--timeline", str(tmp_path / "turn.json"), "--audio", str(tmp_path / "reply.wav"),
                                "--out", str(tmp_path / "clip.mp4"), "--avatar", "leo", "--size", "320x180"])
    assert args.func(args) == 0
    probe = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "stream=codec_type,width,duration",
                            "-of", "json", str(tmp_path / "clip.mp4")], capture_output=True, text=True, check=True)
    streams = {s["codec_type"]: s for s in json.loads(probe.stdout)["streams"]}
    assert streams["video"]["width"] == 320
    assert float(streams["video"]["duration"]) == pytest.approx(1.5 + 0.6, abs=0.1)
    assert "audio" in streams


def test_bad_timeline_is_a_plain_message(tmp_path):
    from kiosk.avatar.export import read_timeline

    (tmp_path / "t.json").write_text('{"reply": "hi"}')
    with pytest.raises(KioskError, match='has no "phonemes" list'):
        read_timeline(tmp_path / "t.json")
    (tmp_path / "t.json").write_text('{"phonemes": [{"phoneme": "a"}]}')
    with pytest.raises(KioskError, match=r"phonemes\[0\] needs phoneme, start and duration"):
        read_timeline(tmp_path / "t.json")


def test_size_must_be_given_as_width_x_height():
    with pytest.raises(SystemExit):
        parser().parse_args(["render", "--timeline", "a", "--audio", "b", "--out", "c", "--size", "big"])
