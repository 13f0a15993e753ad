"""Small glTF / VRM heads generated for tests: a textured sphere with named morph targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pygltflib import (
    GLTF2,
    Accessor,
    Asset,
    Attributes,
    Buffer,
    BufferView,
    Image,
    Material,
    Mesh,
    Node,
    PbrMetallicRoughness,
    Primitive,
    Scene,
    Texture,
    TextureInfo,
)


def sphere(rings: int = 24, segments: int = 32, radius: float = 0.1):
    v, u = np.meshgrid(np.linspace(0, np.pi, rings + 1), np.linspace(0, 2 * np.pi, segments + 1), indexing="ij")
    normals = np.stack([np.sin(v) * np.sin(u), np.cos(v), np.sin(v) * np.cos(u)], axis=-1).reshape(-1, 3)
    positions = normals * radius
    uvs = np.stack([u / (2 * np.pi), v / np.pi], axis=-1).reshape(-1, 2)
    faces = []
    for r in range(rings):
        for s in range(segments):
            a, b = r * (segments + 1) + s, (r + 1) * (segments + 1) + s
            faces += [a, b, a + 1, a + 1, b, b + 1]
    return positions.astype(np.float32), normals.astype(np.float32), uvs.astype(np.float32), np.array(faces, np.uint32)


def targets_for(positions: np.ndarray) -> list[np.ndarray]:
    """0: jaw open (the lower front drops), 1: blink (the upper front flattens), 2: smile (sides rise)."""
    front = np.clip(positions[:, 2] / 0.1, 0, 1)[:, None]
    lower = np.clip(-positions[:, 1] / 0.1, 0, 1)[:, None]
    upper = np.clip(positions[:, 1] / 0.1, 0, 1)[:, None]
    side = np.abs(positions[:, 0:1]) / 0.1
    jaw = np.concatenate([np.zeros_like(lower), -0.06 * lower * front, 0.02 * lower * front], axis=1)
    blink = np.concatenate([np.zeros_like(upper), -0.02 * upper * front, -0.03 * upper * front], axis=1)
    smile = np.concatenate([0.01 * side, 0.02 * side * front, np.zeros_like(side)], axis=1)
    return [t.astype(np.float32) for t in (jaw, blink, smile)]


def png_bytes() -> bytes:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage

    image = QImage(8, 8, QImage.Format.Format_RGBA8888)
    for y in range(8):
        for x in range(8):
            image.setPixelColor(x, y, QColor(230, 170 + 4 * y, 140 + 3 * x))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data)


def write_head(path: Path, names: list[str] | None, kind: str = "gltf") -> Path:
    """A head at y = 1.5 with three morph targets; ``kind``: gltf (names in extras), vrm0 or vrm1."""
    positions, normals, uvs, indices = sphere()
    targets = targets_for(positions)
    if kind == "vrm0":  # VRM 0.x models face -Z
        flip = np.array([-1.0, 1.0, -1.0], np.float32)
        positions, normals, targets = positions * flip, normals * flip, [t * flip for t in targets]
    blob = b""
    views, accessors = [], []

    def add(array: np.ndarray, kind_: str, component: int, target: int | None = None, minmax: bool = False) -> int:
        nonlocal blob
        data = array.tobytes()
        views.append(BufferView(buffer=0, byteOffset=len(blob), byteLength=len(data), target=target))
        blob += data + b"\0" * (-len(data) % 4)
        extra = {"min": array.min(axis=0).tolist(), "max": array.max(axis=0).tolist()} if minmax else {}
        accessors.append(Accessor(bufferView=len(views) - 1, componentType=component, count=len(array), type=kind_, **extra))
        return len(accessors) - 1

    attributes = Attributes(POSITION=add(positions, "VEC3", 5126, 34962, True), NORMAL=add(normals, "VEC3", 5126, 34962),
                            TEXCOORD_0=add(uvs, "VEC2", 5126, 34962))
    index_accessor = add(indices, "SCALAR", 5125, 34963)
    morphs = [Attributes(POSITION=add(t, "VEC3", 5126, 34962, True)) for t in targets]
    image = png_bytes()
    views.append(BufferView(buffer=0, byteOffset=len(blob), byteLength=len(image)))
    blob += image + b"\0" * (-len(image) % 4)
    gltf = GLTF2(
        asset=Asset(version="2.0", generator="kiosk tests"),
        scene=0,
        scenes=[Scene(nodes=[0, 1])],
        nodes=[Node(mesh=0, translation=[0.0, 1.5, 0.0]), Node(name="head", translation=[0.0, 1.5, 0.0])],
        meshes=[Mesh(primitives=[Primitive(attributes=attributes, indices=index_accessor, material=0, targets=morphs)],
                     extras={"targetNames": names} if names else {})],
        materials=[Material(pbrMetallicRoughness=PbrMetallicRoughness(baseColorTexture=TextureInfo(index=0)))],
        textures=[Texture(source=0)],
        images=[Image(bufferView=len(views) - 1, mimeType="image/png")],
        buffers=[Buffer(byteLength=len(blob))],
        bufferViews=views,
        accessors=accessors,
    )
    if kind == "vrm0":
        gltf.extensionsUsed = ["VRM"]
        gltf.extensions = {"VRM": {
            "humanoid": {"humanBones": [{"bone": "head", "node": 1}]},
            "blendShapeMaster": {"blendShapeGroups": [
                {"name": "A", "presetName": "a", "binds": [{"mesh": 0, "index": 0, "weight": 100}]},
                {"name": "Blink", "presetName": "blink", "binds": [{"mesh": 0, "index": 1, "weight": 100}]},
                {"name": "Joy", "presetName": "joy", "binds": [{"mesh": 0, "index": 2, "weight": 100}]},
            ]}}}
    elif kind == "vrm1":
        gltf.extensionsUsed = ["VRMC_vrm"]
        gltf.extensions = {"VRMC_vrm": {
            "specVersion": "1.0",
            "humanoid": {"humanBones": {"head": {"node": 1}}},
            "expressions": {"preset": {
                "aa": {"morphTargetBinds": [{"node": 0, "index": 0, "weight": 1.0}]},
                "blink": {"morphTargetBinds": [{"node": 0, "index": 1, "weight": 1.0}]},
                "happy": {"morphTargetBinds": [{"node": 0, "index": 2, "weight": 1.0}]},
            }}}}
    gltf.set_binary_blob(blob)
    gltf.save_binary(str(path))
    return path
