"""Avatar manifests: what an avatar looks like and how expressions and visemes map onto its face.

Each avatar is a folder under ``avatars/`` with an ``avatar.toml``; staff pick one by its name.
Built-in avatars (``type = "builtin"``) are drawn by the shader in ``shader_face``: their manifest
gives colours, hair and clothing style, framing, and optional overrides of the expression and viseme
tables below (each value is a table of face parameters).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.errors import KioskError
from kiosk.lipsync.phonemes import VISEMES
from kiosk.paths import repo_root

MOUTH_KEYS = ("open", "width", "round", "press", "upper_teeth", "lower_teeth", "tongue_up", "tongue_out", "tuck")
FACE_KEYS = ("smile", "squint", "wide", "blush", "brow_raise", "brow_inner", "brow_squeeze", "corner_down",
             "jaw", "tilt")
STATES = ("idle", "listening", "thinking", "speaking")

# The mouth shape of each Oculus viseme; missing keys are 0 (width defaults to 1).
VISEME_SHAPES: dict[str, dict[str, float]] = {
    "sil": {},
    "PP": {"press": 1.0, "width": 0.95},
    "FF": {"open": 0.1, "upper_teeth": 1.0, "tuck": 1.0},
    "TH": {"open": 0.2, "upper_teeth": 0.8, "lower_teeth": 0.4, "tongue_out": 1.0},
    "DD": {"open": 0.26, "upper_teeth": 0.7, "lower_teeth": 0.4, "tongue_up": 0.7},
    "kk": {"open": 0.33, "upper_teeth": 0.6, "lower_teeth": 0.4, "tongue_up": 0.3},
    "CH": {"open": 0.22, "width": 0.82, "round": 0.5, "upper_teeth": 0.9, "lower_teeth": 0.8},
    "SS": {"open": 0.14, "width": 1.1, "upper_teeth": 1.0, "lower_teeth": 1.0},
    "nn": {"open": 0.2, "upper_teeth": 0.6, "lower_teeth": 0.3, "tongue_up": 0.9},
    "RR": {"open": 0.28, "width": 0.85, "round": 0.45, "upper_teeth": 0.5, "lower_teeth": 0.2},
    "aa": {"open": 0.9, "width": 1.05, "upper_teeth": 0.6, "lower_teeth": 0.2, "tongue_up": 0.1},
    "E": {"open": 0.5, "width": 1.15, "upper_teeth": 0.7, "lower_teeth": 0.4},
    "I": {"open": 0.3, "width": 1.2, "upper_teeth": 0.8, "lower_teeth": 0.6},
    "O": {"open": 0.6, "width": 0.75, "round": 0.85, "upper_teeth": 0.3, "lower_teeth": 0.1},
    "U": {"open": 0.3, "width": 0.6, "round": 1.0, "upper_teeth": 0.1},
}

EXPRESSIONS: dict[str, dict[str, float]] = {
    "neutral": {"smile": 0.15},
    "happy": {"smile": 1.0, "squint": 0.45, "blush": 0.6, "brow_raise": 0.25},
    "surprised": {"wide": 1.0, "brow_raise": 1.0, "jaw": 0.25, "smile": 0.1},
    "concerned": {"brow_inner": 1.0, "brow_squeeze": 0.5, "corner_down": 0.7, "tilt": 0.05},
}

BUILTIN_COLOURS = ("skin", "skin_shade", "lip", "hair", "hair_shine", "iris", "cloth", "cloth_accent",
                   "bg_top", "bg_bottom", "accent")
HAIR_STYLES = {"bob": 0.0, "crop": 1.0}
COLLAR_STYLES = {"lapels": 0.0, "crew": 1.0}


class AvatarError(KioskError):
    """An avatar folder or manifest that cannot be used."""


@dataclass
class AvatarSpec:
    name: str
    title: str
    type: str
    folder: Path | None
    colours: dict[str, tuple[float, float, float]]
    hair: str = "bob"
    collar: str = "lapels"
    beard: bool = False
    lashes: float = 1.0
    framing: tuple[float, float, float] = (0.0, 0.0, 1.0)  # centre x, centre y, zoom
    model: str | None = None  # glTF/VRM file inside the folder, for type = "gltf"
    expressions: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in EXPRESSIONS.items()})
    visemes: dict[str, dict[str, float]] = field(default_factory=lambda: {k: dict(v) for k, v in VISEME_SHAPES.items()})

    def shader_constants(self) -> dict[str, tuple[float, ...]]:
        out: dict[str, tuple[float, ...]] = {f"u_{k}": v for k, v in self.colours.items()}
        out["u_style"] = (HAIR_STYLES[self.hair], COLLAR_STYLES[self.collar], float(self.beard), self.lashes)
        out["u_framing"] = self.framing
        return out


def _colour(value: object, where: str) -> tuple[float, float, float]:
    if not (isinstance(value, str) and len(value) == 7 and value.startswith("#")):
        raise AvatarError(f"{where} must be a colour like \"#a0b1c2\", got {value!r}")
    try:
        return tuple(int(value[i : i + 2], 16) / 255.0 for i in (1, 3, 5))  # type: ignore[return-value]
    except ValueError:
        raise AvatarError(f"{where} must be a colour like \"#a0b1c2\", got {value!r}") from None


def _table(raw: object, allowed: tuple[str, ...], known: dict[str, dict[str, float]], where: str) -> dict[str, dict[str, float]]:
    out = {k: dict(v) for k, v in known.items()}
    if not isinstance(raw, dict):
        raise AvatarError(f"[{where}] must be a table")
    for name, values in raw.items():
        if not isinstance(values, dict):
            raise AvatarError(f"{where}.{name} must be a table of {', '.join(allowed)}")
        bad = sorted(set(values) - set(allowed))
        if bad:
            raise AvatarError(f"{where}.{name}: unknown key(s) {', '.join(bad)}; allowed: {', '.join(allowed)}")
        out[name] = {k: float(v) for k, v in values.items()}
    return out


def parse_manifest(data: dict, folder: Path | None, where: str = "avatar.toml") -> AvatarSpec:
    allowed = {"name", "title", "type", "model", "colours", "style", "framing", "expressions", "visemes"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise AvatarError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")
    kind = data.get("type", "builtin")
    if kind not in ("builtin", "gltf"):
        raise AvatarError(f"{where}: type must be \"builtin\" or \"gltf\", got {kind!r}")
    name = str(data.get("name") or (folder.name if folder else "avatar"))
    colours = dict(DEFAULT.colours)
    for key, value in (data.get("colours") or {}).items():
        if key not in BUILTIN_COLOURS:
            raise AvatarError(f"{where}: unknown colour {key!r}; allowed: {', '.join(BUILTIN_COLOURS)}")
        colours[key] = _colour(value, f"{where}: colours.{key}")
    style = data.get("style") or {}
    hair, collar = style.get("hair", "bob"), style.get("collar", "lapels")
    if hair not in HAIR_STYLES or collar not in COLLAR_STYLES:
        raise AvatarError(f"{where}: style.hair must be one of {list(HAIR_STYLES)} and style.collar one of {list(COLLAR_STYLES)}")
    framing = data.get("framing") or {}
    centre = framing.get("centre", [0.0, 0.0])
    visemes = _table(data.get("visemes", {}), MOUTH_KEYS, VISEME_SHAPES, f"{where}: visemes")
    missing = [v for v in VISEMES if v not in visemes]
    if missing:
        raise AvatarError(f"{where}: visemes lacks {', '.join(missing)}")
    spec = AvatarSpec(
        name=name, title=str(data.get("title", name.title())), type=kind, folder=folder, colours=colours,
        hair=hair, collar=collar, beard=bool(style.get("beard", False)), lashes=float(style.get("lashes", 1.0)),
        framing=(float(centre[0]), float(centre[1]), float(framing.get("zoom", 1.0))),
        model=data.get("model"),
        expressions=_table(data.get("expressions", {}), FACE_KEYS, EXPRESSIONS, f"{where}: expressions"),
        visemes=visemes,
    )
    if kind == "gltf" and not spec.model:
        raise AvatarError(f"{where}: a gltf avatar needs model = \"file.glb\" (or .vrm)")
    return spec


def avatars_dir() -> Path:
    return repo_root() / "avatars"


def available() -> list[str]:
    folder = avatars_dir()
    return sorted(p.parent.name for p in folder.glob("*/avatar.toml")) if folder.is_dir() else []


def load_avatar(name_or_path: str | Path | None = None) -> AvatarSpec:
    """An avatar by name (a folder in avatars/), by folder path, or the embedded default."""
    if name_or_path == "default":  # what a persona says when it does not pick one
        name_or_path = DEFAULT.name
    if name_or_path in (None, "", DEFAULT.name) and not (avatars_dir() / DEFAULT.name).is_dir():
        return DEFAULT
    name_or_path = name_or_path or DEFAULT.name
    folder = Path(name_or_path)
    if not (folder / "avatar.toml").is_file():
        folder = avatars_dir() / str(name_or_path)
    manifest = folder / "avatar.toml"
    if not manifest.is_file():
        raise AvatarError(f"no avatar named {name_or_path!r}", fix=f"use one of: {', '.join(available()) or 'aria'}")
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AvatarError(f"{manifest}: {exc}") from None
    return parse_manifest(data, folder, str(manifest))


def _hex(*values: str) -> dict[str, tuple[float, float, float]]:
    return {k: _colour(v, k) for k, v in zip(BUILTIN_COLOURS, values, strict=True)}


DEFAULT = AvatarSpec(
    name="aria", title="Aria", type="builtin", folder=None,
    colours=_hex("#f2c6a8", "#b87a62", "#c8646a", "#3a2622", "#a8786a", "#3f7f8c", "#1f5f66", "#efe6da",
                 "#27384a", "#0d141d", "#7fd4e0"),
)
