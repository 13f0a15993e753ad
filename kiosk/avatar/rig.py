"""From the controller's frame (visemes, face parameters, expressions) to a model's morph channel weights.

Three naming schemes drive the same rig: Oculus visemes (``viseme_aa``...) are used directly when a
model has them; otherwise the 15 visemes are folded onto the five VRM vowels. ARKit blendshapes and
VRM emotion/blink presets follow the face parameters either way.
"""

from __future__ import annotations

from collections.abc import Mapping

from kiosk.lipsync.phonemes import VISEMES

VRM_VOWELS = ("aa", "ih", "ou", "ee", "oh")
VRM_FROM_VISEME: dict[str, dict[str, float]] = {
    "sil": {}, "PP": {}, "FF": {"ih": 0.2}, "TH": {"ee": 0.3, "aa": 0.1}, "DD": {"ih": 0.3, "aa": 0.2},
    "kk": {"aa": 0.35, "ih": 0.1}, "CH": {"ou": 0.4, "ih": 0.3}, "SS": {"ih": 0.5}, "nn": {"ih": 0.3, "aa": 0.1},
    "RR": {"ou": 0.4, "oh": 0.2}, "aa": {"aa": 1.0}, "E": {"ee": 0.8, "aa": 0.2}, "I": {"ih": 1.0},
    "O": {"oh": 1.0}, "U": {"ou": 1.0},
}


def channel_weights(frame: Mapping, channels: set[str]) -> dict[str, float]:
    visemes = frame.get("visemes") or (1.0,) + (0.0,) * (len(VISEMES) - 1)
    expressions: Mapping[str, float] = frame.get("expressions") or {}
    open_, _width, round_, press = frame.get("u_mouth0", (0.0, 1.0, 0.0, 0.0))
    _teeth_up, _teeth_lo, _tongue_up, tongue_out = frame.get("u_mouth1", (0.0, 0.0, 0.0, 0.0))
    tuck, corner_down = frame.get("u_mouth2", (0.0, 0.0, 0.0, 0.0))[:2]
    smile, squint, wide, _blush = frame.get("u_face", (0.0, 0.0, 0.0, 0.0))
    brow_raise, _, brow_inner, brow_squeeze = frame.get("u_brow", (0.0, 0.0, 0.0, 0.0))
    lid_l, lid_r = frame.get("u_eye", (0.0, 0.0, 1.0, 1.0))[2:]
    out: dict[str, float] = {}
    if any(c.startswith("viseme_") for c in channels):
        for name, weight in zip(VISEMES, visemes, strict=True):
            out[f"viseme_{name.lower()}"] = float(weight)
    else:
        for name, weight in zip(VISEMES, visemes, strict=True):
            for vowel, share in VRM_FROM_VISEME[name].items():
                out[vowel] = out.get(vowel, 0.0) + share * float(weight)
    blink_l, blink_r = (min(1.0, max(0.0, 1.0 - lid)) for lid in (lid_l, lid_r))
    both = min(blink_l, blink_r)
    out.update({
        "blink": both, "blink_l": blink_l - both, "blink_r": blink_r - both,
        "eyeblinkleft": blink_l, "eyeblinkright": blink_r,
        "happy": expressions.get("happy", 0.0), "surprised": expressions.get("surprised", 0.0),
        "sad": 0.7 * expressions.get("concerned", 0.0), "relaxed": 0.3 * expressions.get("neutral", 0.0),
        "jawopen": 0.8 * open_, "mouthfunnel": round_ * open_, "mouthpucker": round_ * (1.0 - open_),
        "mouthclose": 0.6 * press, "mouthrolllower": tuck, "tongueout": tongue_out,
        "mouthsmileleft": max(smile, 0.0), "mouthsmileright": max(smile, 0.0),
        "mouthfrownleft": corner_down, "mouthfrownright": corner_down,
        "browinnerup": brow_inner, "browouterupleft": brow_raise, "browouterupright": brow_raise,
        "browdownleft": brow_squeeze, "browdownright": brow_squeeze,
        "eyewideleft": wide, "eyewideright": wide, "eyesquintleft": squint, "eyesquintright": squint,
    })
    return {k: min(1.0, max(0.0, float(v))) for k, v in out.items() if k in channels}
