"""`kiosk soak`, shortened for CI: scripted spoken turns through the real engines in one process.

One full script cycle (20 turns: every kind of turn, an injected engine crash included) is the warm-up;
the next 20 must leave memory, threads and file descriptors flat. The full run is
`kiosk soak --turns 500` (figures in the notes).
"""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real


def test_soak_keeps_memory_threads_and_descriptors_flat_and_survives_engine_crashes():
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "soak", "--turns", "40", "--warmup", "20", "--max-growth-mb", "50",
         "--speed", "6", "--json"],
        capture_output=True, text=True, timeout=280,
    )
    assert result.stdout.startswith("{"), result.stderr[-3000:]
    report = json.loads(result.stdout)
    # on an RSS failure, rss_steps names the turns and the memory mappings that grew
    assert result.returncode == 0, (report["problems"], report["failed_turns"], report["rss_steps"][-5:])
    assert report["turns"] == 40 and report["failures"] == {}
    assert report["rss_mb"]["growth"] < 50
    assert report["threads"]["final"] <= report["threads"]["after_warmup"] + 2
    assert report["fds"]["final"] <= report["fds"]["after_warmup"] + 8
    kinds = report["kinds"]
    for kind in ("question", "silence", "noise", "barge_in", "interrupt", "pause", "fault_llm", "fault_asr"):
        assert kinds.get(kind), kinds
    assert report["outcomes"]["answered"] >= 20, report["outcomes"]  # most questions were heard and answered
    assert report["resets"] == 8
