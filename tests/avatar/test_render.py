"""The scene drawn offscreen under Xvfb + Mesa: golden images, blinking, states and a mouth that follows audio."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from helpers import envelope, lag_seconds, mouth_openness, syllable_pattern

from kiosk.avatar.controller import AvatarController
from kiosk.avatar.offscreen import load_png, save_png
from kiosk.avatar.spec import load_avatar
from kiosk.lipsync.phonemes import VISEME_INDEX
from kiosk.lipsync.visemes import track_from_phonemes
from kiosk.pipeline.messages import PhonemeTiming

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("KIOSK_UPDATE_GOLDEN") == "1"  # rewrite the golden images after a deliberate change


def pose(name: str, viseme: str, expression: str, state: str) -> dict:
    controller = AvatarController(load_avatar(name), idle_life=False)
    weights = np.zeros(15, np.float32)
    weights[VISEME_INDEX[viseme]] = 1.0
    controller.set_visemes(weights)
    controller.set_expression(expression)
    controller.set_state(state)
    frame = {}
    for i in range(40):
        frame = controller.update(i / 30.0)
    return frame


def test_gl_version_is_checked(renderers):
    assert renderers().scene.gl_version >= (3, 3)


@pytest.mark.parametrize(
    ("name", "viseme", "expression", "state"),
    [
        ("aria", "sil", "neutral", "idle"),
        ("aria", "aa", "happy", "speaking"),
        ("aria", "FF", "concerned", "thinking"),
        ("leo", "O", "surprised", "listening"),
        ("leo", "E", "happy", "speaking"),
    ],
)
def test_golden_images(renderers, name, viseme, expression, state):
    image = renderers(name).render(pose(name, viseme, expression, state))
    path = GOLDEN / f"{name}-{viseme}-{expression}-{state}.png"
    if UPDATE or not path.exists():
        assert UPDATE, f"missing golden image {path}: run with KIOSK_UPDATE_GOLDEN=1 and look at it"
        save_png(image, path)
    golden = load_png(path)
    assert golden.shape == image.shape
    diff = np.abs(golden.astype(np.int16) - image.astype(np.int16)).max(axis=2)
    assert diff.mean() < 1.0, f"mean difference {diff.mean():.2f} from {path.name}"
    assert np.mean(diff > 40) < 0.003, f"{np.mean(diff > 40):.4f} of pixels differ from {path.name}"


def test_visemes_look_different(renderers):
    renderer = renderers()
    images = {v: renderer.render(pose("aria", v, "neutral", "speaking")) for v in ("sil", "PP", "aa", "O", "U", "SS")}
    openness = {v: mouth_openness(image) for v, image in images.items()}
    assert openness["aa"] > openness["O"] > openness["U"] > openness["sil"]
    assert openness["sil"] < 0.02 and openness["aa"] > 0.08  # closed: only the line between the lips
    assert openness["PP"] < min(0.03, openness["aa"] / 5)  # pressed lips: only the seam
    assert np.abs(images["SS"].astype(int) - images["sil"].astype(int)).sum() > 0  # teeth show


def test_blink_closes_the_eyes(renderers):
    renderer = renderers()
    frame = pose("aria", "sil", "neutral", "idle")
    open_eyes = renderer.render(frame)
    frame["u_eye"] = (0.0, 0.0, 0.0, 0.0)
    closed = renderer.render(frame)
    h, w, _ = open_eyes.shape
    rows = slice(int(h * 0.33), int(h * 0.42))
    assert (open_eyes[rows].astype(float) - closed[rows]).__abs__().mean() > 1.0
    white = lambda image: np.mean(image[rows].min(axis=2) > 200)  # noqa: E731 (the whites of the eyes)
    assert white(open_eyes) > 5 * white(closed) + 1e-4


def test_states_are_visible_at_a_glance(renderers):
    renderer = renderers()
    idle = renderer.render(pose("aria", "sil", "neutral", "idle"))
    listening = renderer.render(pose("aria", "sil", "neutral", "listening"))
    thinking = renderer.render(pose("aria", "sil", "neutral", "thinking"))
    assert listening.astype(float).mean() > idle.astype(float).mean() + 0.5  # the ring lights up
    assert np.abs(thinking.astype(float) - listening).mean() > 1.0


def test_mouth_openness_follows_the_audio(renderers):
    rate, fps = 16000, 30.0
    audio, phonemes = syllable_pattern(4.0, rate)
    track = track_from_phonemes([PhonemeTiming(**p) for p in phonemes], len(audio) / rate)
    renderer = renderers("aria", 320, 180)
    controller = AvatarController(load_avatar("aria"), seed=5)
    controller.set_state("speaking")
    frames = int(4.0 * fps)
    opening = []
    for index in range(frames):
        controller.set_visemes(track.at((index + 0.5) / fps))  # as export does: mid-frame
        opening.append(mouth_openness(renderer.render(controller.update(index / fps))))
    loud = envelope(audio, rate, fps, frames)
    opening = np.array(opening)
    assert np.corrcoef(opening, loud)[0, 1] > 0.7
    lag = lag_seconds(loud, opening, fps, max_lag=5)
    assert abs(lag) < 0.034, f"mouth {lag * 1000:.0f} ms late"


def test_partial_redraws_match_full_frames(qapp):
    from kiosk.avatar.offscreen import OffscreenRenderer

    spec = load_avatar("leo")
    partial, full = OffscreenRenderer(spec, 480, 270), OffscreenRenderer(spec, 480, 270)
    try:
        controller = AvatarController(spec, seed=9)
        controller.set_state("speaking")
        frame: dict = {}
        for i in range(45):  # head motion, blinks and gaze move; the backdrop is drawn once
            frame = controller.update(i / 15)
            image = partial.render(frame, keep=True)
        assert partial.scene.full_frames <= 6  # the ring fading to its speaking level
        frame["u_pose"] = (frame["u_pose"][0], 0.5)  # partial redraws keep the body still
        reference = full.render(frame)
        diff = np.abs(image.astype(int) - reference.astype(int)).max(axis=2)
        assert diff.mean() < 0.3 and np.mean(diff > 24) < 0.002
    finally:
        partial.close()
        full.close()


def test_old_gl_is_refused_with_a_clear_message(renderers, monkeypatch):
    from kiosk.avatar import scene

    renderers()  # a current context
    monkeypatch.setattr(scene.GL, "glGetIntegerv", lambda what: 2 if what == scene.GL.GL_MAJOR_VERSION else 1)
    with pytest.raises(scene.GLError) as info:
        scene.check_gl_version()
    assert "OpenGL 2.1" in str(info.value) and "needs OpenGL 3.3 core" in str(info.value)
    assert "libgl1-mesa-dri" in str(info.value)
