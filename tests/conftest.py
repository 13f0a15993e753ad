"""Shared fixtures: spoken questions made with the installed Piper voice (cached between runs)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.audio.wavio import write_wav
from kiosk.bench.questions import spoken_questions


@pytest.fixture(scope="session")
def questions():
    return spoken_questions()


@pytest.fixture(scope="session")
def question_wav(questions):
    """(path, text) of a clear spoken question."""
    return questions[0].path, questions[0].text


@pytest.fixture()
def write_audio(tmp_path):
    def write(name: str, audio: np.ndarray, rate: int = 16000):
        path = tmp_path / name
        write_wav(path, audio, rate)
        return path

    return write
