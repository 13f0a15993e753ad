"""Drawing a glTF/VRM head with OpenGL: the same interface as ``Scene``, for avatars of type "gltf".

Morph targets are blended on the CPU (positions only) and uploaded when their weights change; a
head-and-shoulders camera frames the head bone (VRM) or the top of the model.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Mapping

import numpy as np
from OpenGL import GL

from kiosk.avatar.gltf import HeadModel, MeshPart, load_model
from kiosk.avatar.rig import channel_weights
from kiosk.avatar.scene import Framebuffer, Scene, build_program, check_gl_version
from kiosk.avatar.shader_face import HEAD_Y
from kiosk.avatar.spec import AvatarError, AvatarSpec

MESH_VERTEX = """
#version 330 core
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec2 a_uv;
uniform mat4 u_mvp; uniform mat3 u_rot;
out vec3 v_normal; out vec2 v_uv;
void main() { v_normal = u_rot * a_normal; v_uv = a_uv; gl_Position = u_mvp * vec4(a_pos, 1.0); }
"""

MESH_FRAGMENT = """
#version 330 core
in vec3 v_normal; in vec2 v_uv; out vec4 frag;
uniform vec4 u_colour; uniform sampler2D u_texture; uniform int u_textured; uniform vec3 u_accent;
void main() {
    vec4 base = u_colour * (u_textured == 1 ? texture(u_texture, v_uv) : vec4(1.0));
    if (base.a < 0.4) discard;
    vec3 n = normalize(v_normal);
    float key = max(dot(n, normalize(vec3(-0.45, 0.55, 0.75))) * 0.75 + 0.25, 0.0);
    float fill = max(dot(n, normalize(vec3(0.6, 0.1, 0.6))), 0.0) * 0.25;
    float rim = pow(1.0 - max(n.z, 0.0), 3.0) * 0.35;
    frag = vec4(base.rgb * (0.25 + key + fill) + u_accent * rim, 1.0);
}
"""

BACK_VERTEX = """
#version 330 core
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = corner; gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

BACK_FRAGMENT = """
#version 330 core
in vec2 v_uv; out vec4 frag;
uniform vec3 u_bg_top; uniform vec3 u_bg_bottom; uniform vec3 u_accent; uniform vec2 u_res; uniform float u_glow;
void main() {
    vec2 p = (v_uv * u_res - 0.5 * u_res) / u_res.y * 2.0;
    vec3 col = mix(u_bg_bottom, u_bg_top, smoothstep(-1.0, 1.0, p.y));
    float ring = abs(length(p - vec2(0.0, 0.15)) - 0.74);
    col += u_accent * (0.1 * exp(-dot(p, p)) + u_glow * (0.55 * exp(-ring * ring * 900.0) + 0.18 * exp(-ring * 14.0)));
    frag = vec4(col * (1.0 - 0.35 * smoothstep(0.5, 1.3, length(p * vec2(0.55, 0.75)))), 1.0);
}
"""


def perspective(fovy: float, aspect: float, near: float, far: float) -> np.ndarray:
    f = 1.0 / math.tan(fovy / 2.0)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)], [0, 0, -1, 0]], np.float32)


def rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = math.cos(yaw), math.sin(yaw), math.cos(pitch), math.sin(pitch), math.cos(roll), math.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return (ry @ rx @ rz).astype(np.float32)


class _GPUPart:
    def __init__(self, part: MeshPart) -> None:
        self.part = part
        self.vao = GL.glGenVertexArrays(1)
        GL.glBindVertexArray(self.vao)
        self.buffers = GL.glGenBuffers(4)
        uvs = part.uvs if part.uvs is not None else np.zeros((len(part.positions), 2), np.float32)
        for slot, (data, width) in enumerate(((part.positions, 3), (part.normals, 3), (uvs, 2))):
            GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.buffers[slot])
            usage = GL.GL_DYNAMIC_DRAW if slot == 0 else GL.GL_STATIC_DRAW
            GL.glBufferData(GL.GL_ARRAY_BUFFER, np.ascontiguousarray(data, np.float32), usage)
            GL.glEnableVertexAttribArray(slot)
            GL.glVertexAttribPointer(slot, width, GL.GL_FLOAT, GL.GL_FALSE, 0, ctypes.c_void_p(0))
        GL.glBindBuffer(GL.GL_ELEMENT_ARRAY_BUFFER, self.buffers[3])
        GL.glBufferData(GL.GL_ELEMENT_ARRAY_BUFFER, np.ascontiguousarray(part.indices, np.uint32), GL.GL_STATIC_DRAW)
        GL.glBindVertexArray(0)
        self.texture = 0
        if part.texture is not None:
            self.texture = GL.glGenTextures(1)
            GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
            h, w, _ = part.texture.shape
            GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, w, h, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE,
                            np.ascontiguousarray(part.texture))
            GL.glGenerateMipmap(GL.GL_TEXTURE_2D)
            GL.glTexParameteri(GL.GL_TEXTURE_2D, GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR_MIPMAP_LINEAR)
        self.weights: dict[int, float] = {}

    def morph(self, weights: dict[int, float]) -> None:
        if weights == self.weights:
            return
        self.weights = dict(weights)
        positions = self.part.positions.copy()
        for index, weight in weights.items():
            if weight > 1e-4:
                positions += weight * self.part.targets[index]
        GL.glBindBuffer(GL.GL_ARRAY_BUFFER, self.buffers[0])
        GL.glBufferSubData(GL.GL_ARRAY_BUFFER, 0, positions.nbytes, positions)

    def delete(self) -> None:
        GL.glDeleteBuffers(4, self.buffers)
        GL.glDeleteVertexArrays(1, [self.vao])
        if self.texture:
            GL.glDeleteTextures(1, [self.texture])


class MeshScene:
    def __init__(self, model: HeadModel, constants: Mapping) -> None:
        self.model = model
        self.constants = dict(constants)
        self.gl_version: tuple[int, int] = (0, 0)
        self._mesh = self._back = 0
        self._vao = 0
        self._parts: list[_GPUPart] = []
        self._internal: Framebuffer | None = None
        self._depth = 0
        self.centre, self.height = self._framing()
        self.last_weights: dict[str, float] = {}

    @property
    def program(self) -> int:
        return self._mesh

    def _framing(self) -> tuple[np.ndarray, float]:
        low, high = self.model.bounds
        size = high - low
        if self.model.head is not None:
            return self.model.head + np.array([0.0, 0.06, 0.0], np.float32), 0.55  # metres: head and shoulders
        if size[1] > 1.6 * size[0]:  # a full figure: frame its top
            top = high[1] - 0.16 * size[1]
            return np.array([(low[0] + high[0]) / 2, top, (low[2] + high[2]) / 2], np.float32), 0.45 * size[1]
        return ((low + high) / 2).astype(np.float32), 1.3 * float(max(size[1], 0.6 * size[0]))

    def initialize(self) -> None:
        self.gl_version = check_gl_version()
        self._mesh = build_program(MESH_VERTEX, MESH_FRAGMENT)
        self._back = build_program(BACK_VERTEX, BACK_FRAGMENT)
        self._vao = GL.glGenVertexArrays(1)
        self._parts = [_GPUPart(part) for part in self.model.parts]

    def set_constants(self, constants: Mapping) -> None:
        self.constants = dict(constants)

    def _uniform(self, program: int, name: str, *values: float) -> None:
        location = GL.glGetUniformLocation(program, name)
        if location >= 0:
            (GL.glUniform1f, GL.glUniform2f, GL.glUniform3f, GL.glUniform4f)[len(values) - 1](location, *values)

    def render(self, frame: Mapping, width: int, height: int, target: int = 0, scale: float = 1.0,
               keep: bool = False) -> None:
        """Draw one frame (``keep`` is accepted for Scene's interface; meshes are always drawn in full)."""
        inner_w, inner_h = max(1, round(width * scale)), max(1, round(height * scale))
        if self._internal is None or (self._internal.width, self._internal.height) != (inner_w, inner_h):
            self._resize(inner_w, inner_h)
        assert self._internal is not None
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._internal.fbo)
        GL.glViewport(0, 0, inner_w, inner_h)
        GL.glDisable(GL.GL_SCISSOR_TEST)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glUseProgram(self._back)
        for name in ("u_bg_top", "u_bg_bottom", "u_accent"):
            self._uniform(self._back, name, *self.constants.get(name, (0.1, 0.1, 0.1)))
        self._uniform(self._back, "u_res", float(inner_w), float(inner_h))
        self._uniform(self._back, "u_glow", float(frame.get("u_halo", (0.3,))[0]))
        GL.glBindVertexArray(self._vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glClear(GL.GL_DEPTH_BUFFER_BIT)
        GL.glEnable(GL.GL_DEPTH_TEST)
        GL.glUseProgram(self._mesh)
        mvp, rot = self._camera(frame, inner_w / inner_h)
        GL.glUniformMatrix4fv(GL.glGetUniformLocation(self._mesh, "u_mvp"), 1, GL.GL_TRUE, mvp)
        GL.glUniformMatrix3fv(GL.glGetUniformLocation(self._mesh, "u_rot"), 1, GL.GL_TRUE, rot)
        self._uniform(self._mesh, "u_accent", *self.constants.get("u_accent", (0.5, 0.7, 0.8)))
        self.last_weights = channel_weights(frame, set(self.model.channels))
        per_part: list[dict[int, float]] = [{} for _ in self._parts]
        for channel, weight in self.last_weights.items():
            for part, morph, share in self.model.channels[channel]:
                per_part[part][morph] = min(1.0, per_part[part].get(morph, 0.0) + weight * share)
        for gpu, weights in zip(self._parts, per_part, strict=True):
            gpu.morph(weights)
            self._uniform(self._mesh, "u_colour", *gpu.part.colour)
            GL.glUniform1i(GL.glGetUniformLocation(self._mesh, "u_textured"), 1 if gpu.texture else 0)
            GL.glActiveTexture(GL.GL_TEXTURE0)
            GL.glBindTexture(GL.GL_TEXTURE_2D, gpu.texture)
            GL.glBindVertexArray(gpu.vao)
            GL.glDrawElements(GL.GL_TRIANGLES, len(gpu.part.indices), GL.GL_UNSIGNED_INT, ctypes.c_void_p(0))
        GL.glBindVertexArray(0)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glUseProgram(0)
        GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, self._internal.fbo)
        GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, target)
        GL.glBlitFramebuffer(0, 0, inner_w, inner_h, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)

    def _camera(self, frame: Mapping, aspect: float) -> tuple[np.ndarray, np.ndarray]:
        cx, cy, zoom = self.constants.get("u_framing", (0.0, 0.0, 1.0))
        _, _, yaw, pitch = frame.get("u_head", (0.0, 0.0, 0.0, 0.0))
        roll = frame.get("u_pose", (0.0, 0.0))[0]
        turn = rotation(0.06 * yaw, -0.05 * pitch, roll)
        if self.model.kind == "vrm0":  # VRM 0.x faces -Z
            turn = turn @ rotation(math.pi, 0.0, 0.0)
        model = np.eye(4, dtype=np.float32)
        model[:3, :3] = turn
        model[:3, 3] = -(turn @ self.centre)
        fovy = math.radians(18.0)
        half = self.height / 2.0 / zoom
        distance = half / math.tan(fovy / 2.0)
        view = np.eye(4, dtype=np.float32)
        view[:3, 3] = (-cx * half, (HEAD_Y - cy) * half, -distance)  # the head sits where the ring is
        mvp = perspective(fovy, aspect, distance * 0.05, distance * 20.0) @ view @ model
        return mvp.astype(np.float32), turn

    def _resize(self, width: int, height: int) -> None:
        if self._internal is not None:
            self._internal.delete()
            GL.glDeleteRenderbuffers(1, [self._depth])
        self._internal = Framebuffer(width, height)
        self._depth = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self._depth)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_DEPTH_COMPONENT24, width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._internal.fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_DEPTH_ATTACHMENT, GL.GL_RENDERBUFFER, self._depth)

    def release(self) -> None:
        for part in self._parts:
            part.delete()
        self._parts = []
        if self._internal is not None:
            self._internal.delete()
            GL.glDeleteRenderbuffers(1, [self._depth])
            self._internal = None
        if self._mesh:
            GL.glDeleteProgram(self._mesh)
            GL.glDeleteProgram(self._back)
            GL.glDeleteVertexArrays(1, [self._vao])
            self._mesh = 0


def make_scene(spec: AvatarSpec) -> Scene | MeshScene:
    """The scene that draws ``spec``: the built-in shader avatar, or its glTF/VRM model."""
    if spec.type == "gltf":
        assert spec.folder is not None and spec.model is not None
        path = spec.folder / spec.model
        if not path.is_file():
            raise AvatarError(f"the model {path} does not exist", fix=f"put the model file in {spec.folder}")
        return MeshScene(load_model(path), spec.shader_constants())
    return Scene(spec.shader_constants())
