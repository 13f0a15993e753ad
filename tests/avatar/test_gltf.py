"""glTF 2.0 / VRM 0.x / VRM 1.0 heads generated here: loading, name mapping, and speaking on screen."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import mouth_box
from make_gltf import write_head

from kiosk.avatar.controller import AvatarController
from kiosk.avatar.gltf import canonical, load_model
from kiosk.avatar.offscreen import OffscreenRenderer
from kiosk.avatar.rig import channel_weights
from kiosk.avatar.spec import AvatarError, load_avatar
from kiosk.lipsync.phonemes import VISEME_INDEX


def test_canonical_names():
    assert canonical("jawOpen") == "jawopen"
    assert canonical("viseme_PP") == "viseme_pp"
    assert canonical("Fcl_MTH_A") == "aa"
    assert canonical("vrc.v_aa") == "aa"
    assert canonical("blendShape1.eyeBlinkLeft") == "eyeblinkleft"


@pytest.mark.parametrize(
    ("kind", "names", "expected"),
    [
        ("gltf", ["jawOpen", "eyeBlinkLeft", "mouthSmileLeft"], {"jawopen", "eyeblinkleft", "mouthsmileleft"}),
        ("gltf", ["viseme_aa", "blink", "happy"], {"viseme_aa", "blink", "happy"}),
        ("vrm0", ["Fcl_MTH_A", "Fcl_EYE_Close", "Fcl_ALL_Joy"], {"aa", "blink", "happy"}),
        ("vrm1", None, {"aa", "blink", "happy"}),
    ],
)
def test_load_maps_names_onto_channels(tmp_path, kind, names, expected):
    model = load_model(write_head(tmp_path / ("head.vrm" if kind.startswith("vrm") else "head.glb"), names, kind))
    assert model.kind == kind
    assert expected <= set(model.channels)
    part = model.parts[0]
    assert part.positions.shape == part.normals.shape and part.uvs is not None and len(part.targets) == 3
    assert part.texture is not None and part.texture.shape == (8, 8, 4)
    assert part.positions[:, 1].mean() == pytest.approx(1.5, abs=0.01)  # the node's translation applies
    if kind.startswith("vrm"):
        assert model.head is not None and model.head[1] == pytest.approx(1.5)


def test_rig_drives_each_naming_scheme():
    frame = AvatarController(load_avatar("aria"), idle_life=False)
    weights = np.zeros(15, np.float32)
    weights[VISEME_INDEX["aa"]] = 1.0
    frame.set_visemes(weights)
    frame.set_expression("happy")
    values = [frame.update(i / 30) for i in range(30)][-1]
    vrm = channel_weights(values, {"aa", "ih", "ou", "ee", "oh", "blink", "happy"})
    assert vrm["aa"] == pytest.approx(1.0) and vrm["oh"] == 0.0 and vrm["happy"] > 0.9
    oculus = channel_weights(values, {"viseme_aa", "viseme_pp", "aa"})
    assert oculus == {"viseme_aa": pytest.approx(1.0), "viseme_pp": 0.0}
    arkit = channel_weights(values, {"jawopen", "mouthsmileleft", "eyeblinkleft"})
    assert arkit["jawopen"] > 0.6 and arkit["mouthsmileleft"] > 0.9 and arkit["eyeblinkleft"] < 0.2  # a happy squint, no blink


def test_broken_file_is_a_plain_message(tmp_path):
    (tmp_path / "bad.glb").write_bytes(b"not a model")
    with pytest.raises(AvatarError, match="cannot read the model"):
        load_model(tmp_path / "bad.glb")


@pytest.mark.parametrize("kind", ["vrm0", "vrm1", "gltf"])
def test_model_avatar_speaks(tmp_path, qapp, kind):
    names = ["jawOpen", "eyeBlinkLeft", "mouthSmileLeft"] if kind == "gltf" else None
    write_head(tmp_path / "head.vrm", names, kind)
    (tmp_path / "avatar.toml").write_text('name = "sphere"\ntype = "gltf"\nmodel = "head.vrm"\n')
    spec = load_avatar(tmp_path)
    renderer = OffscreenRenderer(spec, 320, 180)
    try:
        controller = AvatarController(spec, idle_life=False)
        images = {}
        for viseme in ("sil", "aa"):
            weights = np.zeros(15, np.float32)
            weights[VISEME_INDEX[viseme]] = 1.0
            controller.set_visemes(weights)
            images[viseme] = renderer.render(controller.update(0.0))
        rows, cols = mouth_box(320, 180)
        centre = images["sil"][60:120, 110:210].astype(float)
        assert centre.std() > 5  # the head is in frame, shaded
        assert np.abs(images["aa"].astype(float) - images["sil"]).mean() > 0.3  # the jaw target moved
        assert renderer.scene.last_weights.get("aa", renderer.scene.last_weights.get("jawopen", 0.0)) > 0.5
        assert rows.start < rows.stop and cols.start < cols.stop
    finally:
        renderer.close()
