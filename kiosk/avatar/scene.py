"""Drawing the avatar with OpenGL, independent of any widget.

``Scene.initialize()`` runs once with a current GL context (compiles shaders, checks the GL version),
``Scene.render()`` draws one frame into whatever framebuffer the caller names. The Qt widget, the
offscreen renderer (tests, thumbnails) and the video export all share this code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from OpenGL import GL

from kiosk.avatar.shader_face import EYES_BOX, HEAD_BOX, HEAD_Y, MOUTH_BOX, VERTEX, fragment
from kiosk.errors import KioskError

MIN_GL = (3, 3)


class GLError(KioskError):
    """OpenGL is missing, too old or broken."""


def check_gl_version() -> tuple[int, int]:
    """The current context's (major, minor) version; raises GLError below 3.3 core."""
    try:
        major = int(GL.glGetIntegerv(GL.GL_MAJOR_VERSION))
        minor = int(GL.glGetIntegerv(GL.GL_MINOR_VERSION))
    except Exception:  # a pre-3.0 context has no GL_MAJOR_VERSION query
        raw = GL.glGetString(GL.GL_VERSION) or b"unknown"
        raise GLError(
            f"OpenGL {raw.decode(errors='replace')} is too old: the avatar needs OpenGL {MIN_GL[0]}.{MIN_GL[1]} core",
            fix="install the Mesa drivers (libgl1-mesa-dri) or a GPU driver with OpenGL 3.3",
        ) from None
    if (major, minor) < MIN_GL:
        renderer = (GL.glGetString(GL.GL_RENDERER) or b"?").decode(errors="replace")
        raise GLError(
            f"OpenGL {major}.{minor} ({renderer}) is too old: the avatar needs OpenGL {MIN_GL[0]}.{MIN_GL[1]} core",
            fix="install the Mesa drivers (libgl1-mesa-dri) or a GPU driver with OpenGL 3.3",
        )
    return major, minor


def _compile(kind: int, source: str) -> int:
    shader = GL.glCreateShader(kind)
    GL.glShaderSource(shader, source)
    GL.glCompileShader(shader)
    if not GL.glGetShaderiv(shader, GL.GL_COMPILE_STATUS):
        log = GL.glGetShaderInfoLog(shader).decode(errors="replace")
        raise GLError(f"the avatar shader does not compile: {log}")
    return shader


def build_program(vertex: str, fragment: str) -> int:
    program = GL.glCreateProgram()
    shaders = [_compile(GL.GL_VERTEX_SHADER, vertex), _compile(GL.GL_FRAGMENT_SHADER, fragment)]
    for shader in shaders:
        GL.glAttachShader(program, shader)
    GL.glLinkProgram(program)
    for shader in shaders:
        GL.glDeleteShader(shader)
    if not GL.glGetProgramiv(program, GL.GL_LINK_STATUS):
        raise GLError(f"the avatar shader does not link: {GL.glGetProgramInfoLog(program).decode(errors='replace')}")
    return program


RING_REFRESH_S = 0.12  # with partial redraws, the ring's light is redrawn at most this often


class Framebuffer:
    """A colour-only render target of a fixed size."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.fbo = GL.glGenFramebuffers(1)
        self.rbo = GL.glGenRenderbuffers(1)
        GL.glBindRenderbuffer(GL.GL_RENDERBUFFER, self.rbo)
        GL.glRenderbufferStorage(GL.GL_RENDERBUFFER, GL.GL_RGBA8, width, height)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferRenderbuffer(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_RENDERBUFFER, self.rbo)
        if GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) != GL.GL_FRAMEBUFFER_COMPLETE:
            raise GLError(f"cannot create a {width}x{height} framebuffer")

    def delete(self) -> None:
        GL.glDeleteFramebuffers(1, [self.fbo])
        GL.glDeleteRenderbuffers(1, [self.rbo])


class TextureTarget:
    """A framebuffer whose colour is a texture that later passes sample."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.texture = GL.glGenTextures(1)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self.texture)
        GL.glTexImage2D(GL.GL_TEXTURE_2D, 0, GL.GL_RGBA8, width, height, 0, GL.GL_RGBA, GL.GL_UNSIGNED_BYTE, None)
        for key, value in ((GL.GL_TEXTURE_MIN_FILTER, GL.GL_LINEAR), (GL.GL_TEXTURE_MAG_FILTER, GL.GL_LINEAR),
                           (GL.GL_TEXTURE_WRAP_S, GL.GL_CLAMP_TO_EDGE), (GL.GL_TEXTURE_WRAP_T, GL.GL_CLAMP_TO_EDGE)):
            GL.glTexParameteri(GL.GL_TEXTURE_2D, key, value)
        self.fbo = GL.glGenFramebuffers(1)
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self.fbo)
        GL.glFramebufferTexture2D(GL.GL_FRAMEBUFFER, GL.GL_COLOR_ATTACHMENT0, GL.GL_TEXTURE_2D, self.texture, 0)
        if GL.glCheckFramebufferStatus(GL.GL_FRAMEBUFFER) != GL.GL_FRAMEBUFFER_COMPLETE:
            raise GLError(f"cannot create a {width}x{height} texture framebuffer")

    def delete(self) -> None:
        GL.glDeleteFramebuffers(1, [self.fbo])
        GL.glDeleteTextures(1, [self.texture])


class _Program:
    def __init__(self, source: str) -> None:
        self.id = build_program(VERTEX, source)
        self.locations: dict[str, int] = {}
        for index in range(GL.glGetProgramiv(self.id, GL.GL_ACTIVE_UNIFORMS)):
            name = GL.glGetActiveUniform(self.id, index)[0].decode()
            self.locations[name] = GL.glGetUniformLocation(self.id, name)

    def upload(self, values: Mapping[str, object]) -> None:
        setters = (None, GL.glUniform1f, GL.glUniform2f, GL.glUniform3f, GL.glUniform4f)
        for name, value in values.items():
            location = self.locations.get(name, -1)
            if location < 0:
                continue
            if isinstance(value, int) and name in ("u_pass", "u_cache"):
                GL.glUniform1i(location, value)
            elif isinstance(value, int | float):
                GL.glUniform1f(location, value)
            elif isinstance(value, tuple | list):
                setters[len(value)](location, *value)  # type: ignore[misc]


class Scene:
    """The avatar's GL resources and its per-frame drawing."""

    def __init__(self, constants: Mapping[str, Sequence[float]]) -> None:
        self.constants = dict(constants)  # colours, style, framing: uploaded when they change
        self._programs: dict[str, _Program] = {}
        self._vao = 0
        self._internal: Framebuffer | None = None
        self._cache: TextureTarget | None = None
        self._constants_dirty = True
        self._built_style: tuple[int, bool] = (0, False)
        self._kept: tuple = ()  # the layout last drawn in full, for partial redraws
        self._ring: tuple = ()
        self._ring_time = 0.0
        self.full_frames = 0  # frames drawn in full (the rest redrew only the head)
        self.gl_version: tuple[int, int] = (0, 0)

    @property
    def program(self) -> int:
        """Non-zero once initialised."""
        return self._programs["head"].id if self._programs else 0

    def initialize(self) -> None:
        self.gl_version = check_gl_version()
        self._build_programs()
        self._vao = GL.glGenVertexArrays(1)

    def _style(self) -> tuple[int, bool]:
        style = self.constants.get("u_style", (0.0, 0.0, 0.0, 1.0))
        return int(style[0]), bool(style[2])

    def _build_programs(self) -> None:
        """One program per screen region, with the avatar's hair and beard fixed at compile time."""
        for program in self._programs.values():
            GL.glDeleteProgram(program.id)
        hair, beard = self._style()
        self._built_style = (hair, beard)
        self._programs = {
            "backdrop": _Program(fragment(head=False)),
            "head": _Program(fragment(head=True, hair=hair, beard=beard)),
            "eyes": _Program(fragment(head=True, eyes=True, hair=hair, beard=beard)),
            "mouth": _Program(fragment(head=True, mouth=True, hair=hair, beard=beard)),
        }
        self._constants_dirty = True

    def set_constants(self, constants: Mapping[str, Sequence[float]]) -> None:
        """New colours or style (another avatar); call with the context current if initialised."""
        self.constants = dict(constants)
        self._constants_dirty = True
        self._drop_cache()
        if self._programs and self._style() != self._built_style:
            self._build_programs()

    def _drop_cache(self) -> None:
        if self._cache is not None:
            self._cache.delete()
            self._cache = None

    def _region(self, box: tuple[float, float, float, float], frame: Mapping[str, Any], width: int, height: int,
                margin: float = 0.0) -> tuple[int, int, int, int]:
        """A head-local box as a pixel rectangle (x, y, w, h) with margins for motion and roll."""
        head = frame.get("u_head", (0.0, 0.0, 0.0, 0.0))
        cx, cy, zoom = self.constants.get("u_framing", (0.0, 0.0, 1.0))
        hx, hy, yaw, pitch = (float(v) for v in head)
        px, py = 0.07 * yaw, 0.07 * pitch
        margin += 0.03 + 0.6 * abs(float(frame.get("u_pose", (0.0, 0.0))[0]))
        x0, y0 = box[0] + hx + min(px, 0.0) - margin, box[1] + hy + HEAD_Y + min(py, 0.0) - margin
        x1, y1 = box[2] + hx + max(px, 0.0) + margin, box[3] + hy + HEAD_Y + max(py, 0.0) + margin
        unit = height / 2.0 * zoom

        def to_px(x: float, y: float) -> tuple[float, float]:
            return width / 2.0 + (x - cx) * unit, height / 2.0 + (y - cy) * unit

        (a, b), (c, d) = to_px(x0, y0), to_px(x1, y1)
        left, bottom = max(0, int(a)), max(0, int(b))
        right, top = min(width, int(c) + 2), min(height, int(d) + 2)
        return left, bottom, max(0, right - left), max(0, top - bottom)

    def _draw(self, name: str, frame: Mapping, region: tuple[int, int, int, int] | None = None) -> None:
        program = self._programs[name]
        GL.glUseProgram(program.id)
        program.upload(frame)
        if region is None:
            GL.glDisable(GL.GL_SCISSOR_TEST)
        else:
            if region[2] <= 0 or region[3] <= 0:
                return
            GL.glEnable(GL.GL_SCISSOR_TEST)
            GL.glScissor(*region)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)

    def render(self, frame: Mapping[str, object], width: int, height: int,
               target: int = 0, scale: float = 1.0, keep: bool = False) -> None:
        """Draw one frame into framebuffer ``target`` (``width`` x ``height`` pixels).

        ``scale`` < 1 draws at a lower internal resolution and scales it up (linear filtering),
        which keeps software GL at a watchable frame rate on large screens. ``keep``: the target still
        holds the previous frame (e.g. QOpenGLWindow.PartialUpdateBlit), so only the head's region is
        redrawn while the backdrop and the ring stay as they are; the ring is then refreshed a few
        times a second (a scaled full-screen copy costs ~30 ms on software GL at 1920x1080).
        """
        inner_w, inner_h = max(1, round(width * scale)), max(1, round(height * scale))
        layout = (width, height, inner_w, inner_h, target)
        ring = (round(float(frame.get("u_halo", (0.0,))[0]) * 40), frame.get("u_halo", (0, 0))[1])  # type: ignore[index]
        now = float(frame.get("u_time", 0.0))  # type: ignore[arg-type]
        partial = (keep and layout == self._kept and not self._constants_dirty
                   and (ring == self._ring or now - self._ring_time < RING_REFRESH_S))
        draw_to = target
        if (inner_w, inner_h) != (width, height):
            if self._internal is None or (self._internal.width, self._internal.height) != (inner_w, inner_h):
                if self._internal is not None:
                    self._internal.delete()
                self._internal = Framebuffer(inner_w, inner_h)
            draw_to = self._internal.fbo
        GL.glViewport(0, 0, inner_w, inner_h)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        GL.glBindVertexArray(self._vao)
        fixed = {"u_res": (float(inner_w), float(inner_h)), "u_cache": 0}
        if self._constants_dirty:
            for program in self._programs.values():
                GL.glUseProgram(program.id)
                program.upload(self.constants)
            self._constants_dirty = False
        if self._cache is None or (self._cache.width, self._cache.height) != (inner_w, inner_h):
            self._drop_cache()
            self._cache = TextureTarget(inner_w, inner_h)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, self._cache.fbo)
            self._draw("backdrop", {**fixed, "u_pass": 0})
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, draw_to)
        GL.glActiveTexture(GL.GL_TEXTURE0)
        GL.glBindTexture(GL.GL_TEXTURE_2D, self._cache.texture)
        values = {**fixed, "u_pass": 1, **frame}
        if keep:  # the body must not move between full redraws
            values["u_pose"] = (values.get("u_pose", (0.0, 0.5))[0], 0.5)  # type: ignore[index]
        head = self._region(HEAD_BOX, {}, inner_w, inner_h, margin=0.07) if partial else None
        if head is None:
            self._draw("backdrop", values)
        self._draw("head", values, head or self._region(HEAD_BOX, frame, inner_w, inner_h))
        self._draw("eyes", values, self._region(EYES_BOX, frame, inner_w, inner_h))
        self._draw("mouth", values, self._region(MOUTH_BOX, frame, inner_w, inner_h))
        GL.glDisable(GL.GL_SCISSOR_TEST)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        if not partial:
            self._kept, self._ring, self._ring_time = layout, ring, now
            self.full_frames += 1
        if draw_to != target:
            x, y, w, h = head if head is not None else (0, 0, inner_w, inner_h)
            sx, sy = width / inner_w, height / inner_h
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, draw_to)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, target)
            GL.glBlitFramebuffer(x, y, x + w, y + h, round(x * sx), round(y * sy), round((x + w) * sx),
                                 round((y + h) * sy), GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)

    def release(self) -> None:
        self._drop_cache()
        if self._internal is not None:
            self._internal.delete()
            self._internal = None
        for program in self._programs.values():
            GL.glDeleteProgram(program.id)
        if self._programs:
            GL.glDeleteVertexArrays(1, [self._vao])
        self._programs = {}
