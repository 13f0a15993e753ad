"""The avatar: a lip-synced, expressive bust drawn with OpenGL (built-in shader avatar or glTF/VRM head).

Wiring it to the conversation (on the Qt thread)::

    window = AvatarWindow(load_avatar(name))                  # kiosk.avatar.widget; or AvatarWidget
    window.controller.set_clock(playback.position, latency_s=device_latency)  # the mouth follows playback
    window.controller.set_state("listening" | "thinking" | "speaking" | "idle")
    window.controller.set_expression("happy", 0.8)
    window.controller.prepare(chunk)  # optional, from the pipeline's thread: the chunk's viseme track

Modules: ``spec`` (avatar manifests), ``controller`` (state, idle life, mouth; no GL), ``scene`` and
``shader_face`` (the built-in avatar), ``gltf``/``rig``/``mesh_scene`` (model files), ``widget`` (on
screen), ``offscreen`` (framebuffer rendering), ``export`` and ``commands`` (`kiosk render`).
"""
