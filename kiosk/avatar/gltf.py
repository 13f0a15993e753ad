"""Loading glTF 2.0 / VRM 0.x / VRM 1.0 heads (with pygltflib) and mapping their morph targets onto one rig.

A model's morph targets are found by name (mesh ``extras.targetNames``) and through VRM expression
presets; each becomes a *channel* with a canonical name: VRM presets (``aa ih ou ee oh blink
blink_l blink_r happy angry sad relaxed surprised``), ARKit blendshapes (``jawopen``, ``eyeblinkleft``,
...: lower-cased) and Oculus visemes (``viseme_aa``, ``viseme_pp``, ...). ``kiosk.avatar.rig`` turns the
controller's state into channel weights.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kiosk.avatar.spec import AvatarError

COMPONENTS = {5120: np.int8, 5121: np.uint8, 5122: np.int16, 5123: np.uint16, 5125: np.uint32, 5126: np.float32}
NORMALIZED_MAX = {5120: 127.0, 5121: 255.0, 5122: 32767.0, 5123: 65535.0}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
VRM0_PRESETS = {"a": "aa", "i": "ih", "u": "ou", "e": "ee", "o": "oh", "joy": "happy", "sorrow": "sad", "fun": "relaxed",
                "angry": "angry", "surprised": "surprised", "blink": "blink", "blink_l": "blink_l", "blink_r": "blink_r"}
# Names used by common exporters, mapped to canonical channels (after lower-casing).
ALIASES = {"fcl_mth_a": "aa", "fcl_mth_i": "ih", "fcl_mth_u": "ou", "fcl_mth_e": "ee", "fcl_mth_o": "oh",
           "fcl_eye_close": "blink", "fcl_eye_close_l": "blink_l", "fcl_eye_close_r": "blink_r",
           "fcl_all_joy": "happy", "fcl_all_angry": "angry", "fcl_all_sorrow": "sad", "fcl_all_fun": "relaxed",
           "fcl_all_surprised": "surprised", "blinkleft": "blink_l", "blinkright": "blink_r",
           "a": "aa", "i": "ih", "u": "ou", "e": "ee", "o": "oh", "joy": "happy", "sorrow": "sad", "fun": "relaxed"}


@dataclass
class MeshPart:
    positions: np.ndarray  # (n, 3) float32, in model space (node transform applied)
    normals: np.ndarray
    uvs: np.ndarray | None
    indices: np.ndarray  # (m,) uint32
    targets: list[np.ndarray]  # position deltas (n, 3) per morph target, transformed like positions
    colour: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    texture: np.ndarray | None = None  # (h, w, 4) uint8, top row first


@dataclass
class HeadModel:
    parts: list[MeshPart]
    channels: dict[str, list[tuple[int, int, float]]]  # canonical name -> (part, target, weight)
    kind: str  # gltf, vrm0 or vrm1
    head: np.ndarray | None = None  # the head bone's position, when the file says where it is
    names: list[str] = field(default_factory=list)  # every morph target name found

    @property
    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        points = np.concatenate([p.positions for p in self.parts])
        return points.min(axis=0), points.max(axis=0)


def canonical(name: str) -> str:
    key = re.sub(r"^(blendshape\d*\.|vrc\.v_|vrc\.|mth_)", "", name.strip().lower())
    if key.startswith("viseme_"):
        return "viseme_" + key[len("viseme_"):]
    return ALIASES.get(key, key)


def _matrix(node) -> np.ndarray:  # noqa: ANN001 (pygltflib Node)
    if node.matrix:
        return np.array(node.matrix, np.float64).reshape(4, 4).T
    t = np.eye(4)
    if node.translation:
        t[:3, 3] = node.translation
    r = np.eye(4)
    if node.rotation:
        x, y, z, w = node.rotation
        r[:3, :3] = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
    s = np.eye(4)
    if node.scale:
        s[0, 0], s[1, 1], s[2, 2] = node.scale
    return t @ r @ s


class _Reader:
    def __init__(self, gltf, folder: Path) -> None:  # noqa: ANN001 (pygltflib GLTF2)
        self.gltf, self.folder = gltf, folder
        self._buffers: dict[int, bytes] = {}

    def buffer(self, index: int) -> bytes:
        if index not in self._buffers:
            uri = self.gltf.buffers[index].uri
            if uri is None:
                data = self.gltf.binary_blob()
            elif uri.startswith("data:"):
                data = base64.b64decode(uri.split(",", 1)[1])
            else:
                data = (self.folder / uri).read_bytes()
            self._buffers[index] = data or b""
        return self._buffers[index]

    def view(self, index: int) -> tuple[bytes, int, int | None]:
        view = self.gltf.bufferViews[index]
        data = self.buffer(view.buffer)
        return data, view.byteOffset or 0, view.byteStride

    def accessor(self, index: int) -> np.ndarray:
        acc = self.gltf.accessors[index]
        if acc.sparse is not None:
            raise AvatarError("sparse glTF accessors are not supported", fix="re-export the model without sparse accessors")
        dtype = np.dtype(COMPONENTS[acc.componentType])
        width = WIDTH[acc.type]
        if acc.bufferView is None:
            return np.zeros((acc.count, width), np.float32)
        data, offset, stride = self.view(acc.bufferView)
        offset += acc.byteOffset or 0
        item = dtype.itemsize * width
        if stride and stride != item:
            rows = np.frombuffer(data, np.uint8, count=stride * (acc.count - 1) + item, offset=offset)
            rows = np.lib.stride_tricks.as_strided(rows, (acc.count, item), (stride, 1))
            out = np.ascontiguousarray(rows).view(dtype).reshape(acc.count, width)
        else:
            out = np.frombuffer(data, dtype, count=acc.count * width, offset=offset).reshape(acc.count, width)
        if acc.normalized and acc.componentType in NORMALIZED_MAX:
            out = out.astype(np.float32) / NORMALIZED_MAX[acc.componentType]
        return out

    def image(self, texture_index: int) -> np.ndarray | None:
        from PySide6.QtGui import QImage

        texture = self.gltf.textures[texture_index]
        if texture.source is None:
            return None
        img = self.gltf.images[texture.source]
        if img.bufferView is not None:
            data, offset, _ = self.view(img.bufferView)
            raw = data[offset : offset + self.gltf.bufferViews[img.bufferView].byteLength]
        elif img.uri and img.uri.startswith("data:"):
            raw = base64.b64decode(img.uri.split(",", 1)[1])
        elif img.uri:
            raw = (self.folder / img.uri).read_bytes()
        else:
            return None
        qimage = QImage.fromData(raw)
        if qimage.isNull():
            return None
        qimage = qimage.convertToFormat(QImage.Format.Format_RGBA8888)
        w, h = qimage.width(), qimage.height()
        buf = np.frombuffer(qimage.constBits(), np.uint8, count=qimage.bytesPerLine() * h)
        return buf.reshape(h, qimage.bytesPerLine())[:, : w * 4].reshape(h, w, 4).copy()


def load_model(path: Path | str) -> HeadModel:
    """Read a .glb, .gltf or .vrm file; raises AvatarError with a plain message when it cannot be used."""
    from pygltflib import GLTF2

    path = Path(path)
    try:
        gltf = GLTF2().load_json(str(path)) if path.suffix.lower() == ".gltf" else GLTF2().load_binary(str(path))
    except Exception as exc:  # pygltflib raises many kinds on broken files
        raise AvatarError(f"cannot read the model {path}: {exc}", fix="export it again as glTF 2.0 (.glb) or VRM") from None
    if gltf is None or not gltf.meshes:
        raise AvatarError(f"{path} holds no mesh", fix="export the head with its meshes")
    reader = _Reader(gltf, path.parent)
    parts: list[MeshPart] = []
    channels: dict[str, list[tuple[int, int, float]]] = {}
    where: dict[tuple[int, int], list[int]] = {}  # (node or mesh, morph) bookkeeping for VRM binds
    names: list[str] = []
    head_pos = None
    head_node = _head_node(gltf)
    scene = gltf.scenes[gltf.scene or 0] if gltf.scenes else None
    stack = [(i, np.eye(4)) for i in (scene.nodes if scene else range(len(gltf.nodes)))]
    while stack:
        index, parent = stack.pop()
        node = gltf.nodes[index]
        world = parent @ _matrix(node)
        if index == head_node:
            head_pos = world[:3, 3].astype(np.float32)
        stack.extend((child, world) for child in node.children or [])
        if node.mesh is None:
            continue
        mesh = gltf.meshes[node.mesh]
        target_names = list((mesh.extras or {}).get("targetNames", [])) if isinstance(mesh.extras, dict) else []
        for primitive in mesh.primitives:
            if primitive.mode not in (None, 4):
                continue  # only triangles
            part = _part(reader, primitive, world)
            if part is None:
                continue
            parts.append(part)
            pi = len(parts) - 1
            for morph in range(len(part.targets)):
                where.setdefault(("mesh", node.mesh, morph), []).append(pi)  # type: ignore[arg-type]
                where.setdefault(("node", index, morph), []).append(pi)  # type: ignore[arg-type]
                if morph < len(target_names):
                    names.append(target_names[morph])
                    channels.setdefault(canonical(target_names[morph]), []).append((pi, morph, 1.0))
    if not parts:
        raise AvatarError(f"{path} has no triangle meshes with positions")
    kind = _vrm_channels(gltf, where, channels)
    return HeadModel(parts, channels, kind, head_pos, sorted(set(names)))


def _head_node(gltf) -> int | None:  # noqa: ANN001
    ext = gltf.extensions or {}
    if "VRMC_vrm" in ext:
        return ext["VRMC_vrm"].get("humanoid", {}).get("humanBones", {}).get("head", {}).get("node")
    if "VRM" in ext:
        for bone in ext["VRM"].get("humanoid", {}).get("humanBones", []):
            if bone.get("bone") == "head":
                return bone.get("node")
    return None


def _vrm_channels(gltf, where: dict, channels: dict) -> str:  # noqa: ANN001
    ext = gltf.extensions or {}
    if "VRMC_vrm" in ext:
        expressions = ext["VRMC_vrm"].get("expressions", {})
        for group in ("preset", "custom"):
            for name, expression in (expressions.get(group) or {}).items():
                key = canonical({"blinkLeft": "blink_l", "blinkRight": "blink_r"}.get(name, name))
                for bind in expression.get("morphTargetBinds", []):
                    for pi in where.get(("node", bind["node"], bind["index"]), []):
                        channels.setdefault(key, []).append((pi, bind["index"], float(bind.get("weight", 1.0))))
        return "vrm1"
    if "VRM" in ext:
        for group in ext["VRM"].get("blendShapeMaster", {}).get("blendShapeGroups", []):
            preset = group.get("presetName", "unknown")
            key = VRM0_PRESETS.get(preset) or canonical(group.get("name", preset))
            for bind in group.get("binds", []):
                weight = float(bind.get("weight", 100.0)) / 100.0  # VRM 0.x weights are 0..100
                for pi in where.get(("mesh", bind["mesh"], bind["index"]), []):
                    channels.setdefault(key, []).append((pi, bind["index"], weight))
        return "vrm0"
    return "gltf"


def _part(reader: _Reader, primitive, world: np.ndarray) -> MeshPart | None:  # noqa: ANN001
    attributes = primitive.attributes
    if attributes.POSITION is None:
        return None
    positions = reader.accessor(attributes.POSITION).astype(np.float32)
    normal_matrix = np.linalg.inv(world[:3, :3]).T
    transformed = (positions @ world[:3, :3].T + world[:3, 3]).astype(np.float32)
    if attributes.NORMAL is not None:
        normals = reader.accessor(attributes.NORMAL).astype(np.float32) @ normal_matrix.T
    else:
        normals = transformed - transformed.mean(axis=0)
    normals = (normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-9)).astype(np.float32)
    uvs = reader.accessor(attributes.TEXCOORD_0).astype(np.float32) if attributes.TEXCOORD_0 is not None else None
    if primitive.indices is not None:
        indices = reader.accessor(primitive.indices).astype(np.uint32).ravel()
    else:
        indices = np.arange(len(positions), dtype=np.uint32)
    targets = []
    for target in primitive.targets or []:
        index = target.get("POSITION") if isinstance(target, dict) else getattr(target, "POSITION", None)
        delta = reader.accessor(index).astype(np.float32) if index is not None else np.zeros_like(positions)
        targets.append((delta @ world[:3, :3].T).astype(np.float32))
    part = MeshPart(transformed, normals, uvs, indices, targets)
    if primitive.material is not None:
        pbr = reader.gltf.materials[primitive.material].pbrMetallicRoughness
        if pbr is not None:
            r, g, b, a = pbr.baseColorFactor or (1.0, 1.0, 1.0, 1.0)
            part.colour = (float(r), float(g), float(b), float(a))
            if pbr.baseColorTexture is not None and uvs is not None:
                part.texture = reader.image(pbr.baseColorTexture.index)
    return part
