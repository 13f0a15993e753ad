"""Avatar manifests: the shipped avatars load, and staff mistakes get a message naming the problem."""

from __future__ import annotations

import pytest

from kiosk.avatar.spec import AvatarError, available, load_avatar, parse_manifest
from kiosk.lipsync.phonemes import VISEMES


def test_shipped_avatars_load_with_full_tables():
    assert {"aria", "leo"} <= set(available())
    aria, leo = load_avatar("aria"), load_avatar("leo")
    assert (aria.hair, leo.hair) == ("bob", "crop")
    assert aria.colours["skin"] != leo.colours["skin"]
    for spec in (aria, leo):
        assert set(VISEMES) <= set(spec.visemes)
        assert {"neutral", "happy", "surprised", "concerned"} <= set(spec.expressions)
        assert len(spec.shader_constants()["u_style"]) == 4


def test_default_is_aria():
    assert load_avatar(None).name == "aria"


def test_unknown_avatar_names_the_choices():
    with pytest.raises(AvatarError, match="no avatar named 'zed'") as info:
        load_avatar("zed")
    assert "aria" in str(info.value) and "leo" in str(info.value)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": {}}, "unknown key(s) colour"),
        ({"colours": {"skin": "pink"}}, 'colours.skin must be a colour like "#a0b1c2", got \'pink\''),
        ({"colours": {"skn": "#ffffff"}}, "unknown colour 'skn'"),
        ({"style": {"hair": "mohawk"}}, "style.hair must be one of ['bob', 'crop']"),
        ({"visemes": {"aa": {"opn": 1}}}, "visemes.aa: unknown key(s) opn"),
        ({"type": "vrm"}, 'type must be "builtin" or "gltf"'),
        ({"type": "gltf"}, "a gltf avatar needs model"),
    ],
)
def test_bad_manifests(data, message):
    with pytest.raises(AvatarError) as info:
        parse_manifest(data, None, "x/avatar.toml")
    assert message in str(info.value)
    assert str(info.value).startswith("x/avatar.toml")


def test_manifest_overrides_a_viseme():
    spec = parse_manifest({"visemes": {"aa": {"open": 0.5}}}, None)
    assert spec.visemes["aa"] == {"open": 0.5}
    assert spec.visemes["O"]["round"] > 0.5


def test_default_avatar_name_resolves_to_the_builtin_avatar():
    from kiosk.avatar.spec import DEFAULT, load_avatar

    assert load_avatar("default").name == DEFAULT.name
