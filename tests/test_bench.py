"""`kiosk bench` runs the real pipeline and prints figures (a short run; the targets live in the notes)."""

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.real


def test_bench_prints_per_layer_figures_and_the_naive_comparison():
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "bench", "--turns", "2", "--json"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["answered"] == 2
    end_to_end = report["layers_s"]["END TO END (voice-to-voice)"]
    assert end_to_end["n"] == 2 and end_to_end["median"] > 0
    for layer in ("asr: recognition", "llm: first token", "tts: first chunk"):
        assert report["layers_s"][layer]["n"] == 2
    assert report["naive_s"]["END TO END (sequential)"]["n"] == 2
    assert report["naive_over_streaming"] > 1
    assert report["peak_rss_mb"] > 100
