"""Drawing the avatar with OpenGL, independent of any widget.

``Scene.initialize()`` runs once with a current GL context (compiles shaders, checks the GL version),
``Scene.render()`` draws one frame into whatever framebuffer the caller names. The Qt widget, the
offscreen renderer (tests, thumbnails) and the video export all share this code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from OpenGL import GL

from kiosk.avatar.shader_face import FRAGMENT, VERTEX
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


class Scene:
    """The avatar's GL resources and its per-frame drawing."""

    def __init__(self, constants: Mapping[str, Sequence[float]]) -> None:
        self.constants = dict(constants)  # colours and style: uploaded when they change
        self.program = 0
        self._vao = 0
        self._locations: dict[str, int] = {}
        self._internal: Framebuffer | None = None
        self._constants_dirty = True
        self.gl_version: tuple[int, int] = (0, 0)

    def initialize(self) -> None:
        self.gl_version = check_gl_version()
        self.program = build_program(VERTEX, FRAGMENT)
        self._vao = GL.glGenVertexArrays(1)
        count = GL.glGetProgramiv(self.program, GL.GL_ACTIVE_UNIFORMS)
        for index in range(count):
            name = GL.glGetActiveUniform(self.program, index)[0].decode()
            self._locations[name] = GL.glGetUniformLocation(self.program, name)

    def set_constants(self, constants: Mapping[str, Sequence[float]]) -> None:
        self.constants = dict(constants)
        self._constants_dirty = True

    def _upload(self, values: Mapping[str, Sequence[float] | float]) -> None:
        setters = (None, GL.glUniform1f, GL.glUniform2f, GL.glUniform3f, GL.glUniform4f)
        for name, value in values.items():
            location = self._locations.get(name, -1)
            if location < 0:
                continue
            components = (value,) if isinstance(value, int | float) else tuple(value)
            setters[len(components)](location, *components)  # type: ignore[misc]

    def render(self, frame: Mapping[str, Sequence[float] | float], width: int, height: int,
               target: int = 0, scale: float = 1.0) -> None:
        """Draw one frame into framebuffer ``target`` (``width`` x ``height`` pixels).

        ``scale`` < 1 draws at a lower internal resolution and scales it up (linear filtering),
        which keeps software GL at a watchable frame rate on large screens.
        """
        inner_w, inner_h = max(1, round(width * scale)), max(1, round(height * scale))
        draw_to = target
        if (inner_w, inner_h) != (width, height):
            if self._internal is None or (self._internal.width, self._internal.height) != (inner_w, inner_h):
                if self._internal is not None:
                    self._internal.delete()
                self._internal = Framebuffer(inner_w, inner_h)
            draw_to = self._internal.fbo
        GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, draw_to)
        GL.glViewport(0, 0, inner_w, inner_h)
        GL.glDisable(GL.GL_DEPTH_TEST)
        GL.glDisable(GL.GL_BLEND)
        GL.glUseProgram(self.program)
        if self._constants_dirty:
            self._upload(self.constants)
            self._constants_dirty = False
        self._upload({"u_res": (float(inner_w), float(inner_h))})
        self._upload(frame)
        GL.glBindVertexArray(self._vao)
        GL.glDrawArrays(GL.GL_TRIANGLES, 0, 3)
        GL.glBindVertexArray(0)
        GL.glUseProgram(0)
        if draw_to != target:
            GL.glBindFramebuffer(GL.GL_READ_FRAMEBUFFER, draw_to)
            GL.glBindFramebuffer(GL.GL_DRAW_FRAMEBUFFER, target)
            GL.glBlitFramebuffer(0, 0, inner_w, inner_h, 0, 0, width, height, GL.GL_COLOR_BUFFER_BIT, GL.GL_LINEAR)
            GL.glBindFramebuffer(GL.GL_FRAMEBUFFER, target)

    def release(self) -> None:
        if self._internal is not None:
            self._internal.delete()
            self._internal = None
        if self.program:
            GL.glDeleteProgram(self.program)
            GL.glDeleteVertexArrays(1, [self._vao])
            self.program = 0
