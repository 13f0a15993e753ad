"""The controller without GL: idle life, states, expressions, and the mouth following the playback clock."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from kiosk.avatar.controller import AvatarController
from kiosk.avatar.spec import load_avatar
from kiosk.lipsync.phonemes import VISEME_INDEX
from kiosk.pipeline.messages import PhonemeTiming, SpeechChunk


@dataclass
class Position:
    turn: int
    chunk: SpeechChunk
    seconds: float


def run(controller: AvatarController, start: float, seconds: float, fps: float = 60.0) -> list[dict]:
    return [controller.update(start + i / fps) for i in range(int(seconds * fps))]


def chunk() -> SpeechChunk:
    phonemes = (PhonemeTiming("^", 0.0, 0.1), PhonemeTiming("ɑ", 0.1, 0.3), PhonemeTiming("_", 0.4, 0.3),
                PhonemeTiming("m", 0.7, 0.1), PhonemeTiming("ɑ", 0.8, 0.3), PhonemeTiming("$", 1.1, 0.1))
    return SpeechChunk(1, 0, "ah ma", np.zeros(int(1.2 * 22050), np.float32), 22050, phonemes)


def test_blinks_every_few_seconds():
    controller = AvatarController(load_avatar("aria"), seed=1)
    lids = np.array([frame["u_eye"][2] for frame in run(controller, 0.0, 12.0)])
    closed = np.flatnonzero((lids[1:] < 0.3) & (lids[:-1] >= 0.3))
    assert 2 <= len(closed) <= 8
    assert lids.max() > 0.95


def test_idle_life_moves_head_eyes_and_breath():
    frames = run(AvatarController(load_avatar("aria"), seed=2), 0.0, 6.0, fps=30)
    head = np.array([f["u_head"] for f in frames])
    breath = np.array([f["u_pose"][1] for f in frames])
    gaze = np.array([f["u_eye"][:2] for f in frames])
    assert np.ptp(head[:, 2]) > 0.1 and np.ptp(breath) > 0.8 and np.ptp(gaze[:, 0]) > 0.1


def test_thinking_shows_within_100_ms():
    controller = AvatarController(load_avatar("aria"), seed=3)
    run(controller, 0.0, 1.0)
    controller.set_state("thinking")
    frames = run(controller, 1.0, 0.1)
    last = frames[-1]
    assert last["u_halo"][1] == 2.0
    assert last["u_eye"][1] > 0.4  # eyes up, looking for the answer
    assert last["u_brow"][3] > 0.2


def test_expressions_reach_the_face():
    controller = AvatarController(load_avatar("aria"), idle_life=False)
    controller.set_expression("happy")
    happy = run(controller, 0.0, 1.0)[-1]
    controller.set_expression("concerned")
    concerned = run(controller, 1.0, 1.0)[-1]
    assert happy["u_face"][0] > 0.9 and concerned["u_brow"][2] > 0.9
    with pytest.raises(ValueError, match="unknown expression"):
        controller.set_expression("smug")
    with pytest.raises(ValueError, match="unknown state"):
        controller.set_state("dancing")


def test_mouth_follows_the_playback_clock():
    speech = chunk()
    where: dict = {"position": None}
    controller = AvatarController(load_avatar("aria"), idle_life=False)
    controller.set_clock(lambda: where["position"])
    opened = []
    for seconds in (0.25, 0.55, 0.75, 0.95):
        where["position"] = Position(1, speech, seconds)
        opened.append(controller.update(seconds)["u_mouth0"][0])
    assert opened[0] > 0.7 and opened[1] < 0.15 and opened[2] < 0.2 and opened[3] > 0.7
    where["position"] = None  # playback stopped (end, stall or barge-in): the mouth relaxes shut
    frames = run(controller, 1.0, 0.3)
    assert frames[-1]["u_mouth0"][0] < 0.05


def test_latency_shifts_the_clock():
    speech = chunk()
    controller = AvatarController(load_avatar("aria"), idle_life=False)
    controller.set_clock(lambda: Position(1, speech, 0.45), latency_s=0.2)
    assert controller.update(0.0)["u_mouth0"][0] > 0.7  # 0.45 - 0.2: still inside the first "ah"


def test_prepared_tracks_are_reused():
    speech = chunk()
    controller = AvatarController(load_avatar("aria"))
    assert controller.prepare(speech) is controller.prepare(speech)


def test_viseme_shapes():
    controller = AvatarController(load_avatar("aria"), idle_life=False)
    shapes = {}
    for name in ("PP", "aa", "U", "FF", "TH"):
        weights = np.zeros(15, np.float32)
        weights[VISEME_INDEX[name]] = 1.0
        controller.set_visemes(weights)
        shapes[name] = controller.update(0.0)
    assert shapes["PP"]["u_mouth0"][3] == 1.0 and shapes["PP"]["u_mouth0"][0] == 0.0
    assert shapes["aa"]["u_mouth0"][0] > 0.8
    assert shapes["U"]["u_mouth0"][2] == 1.0
    assert shapes["FF"]["u_mouth2"][0] == 1.0
    assert shapes["TH"]["u_mouth1"][3] == 1.0
