"""GLSL 3.30 core shaders of the built-in avatar: a 2.5D stylised bust drawn with signed distance fields.

Everything is computed per pixel from a few uniforms (no textures, no meshes), so the face deforms
smoothly and upscales cleanly when the internal resolution is lowered. Units: the frame is 2 units
tall (y up); head-local coordinates have the head's centre at the origin.
"""

VERTEX = """
#version 330 core
out vec2 v_uv;
void main() {
    PX = 2.0 / u_res.y / u_framing.z;
    vec2 p = (v_uv * u_res - 0.5 * u_res) / u_res.y * 2.0;
    p = p / u_framing.z + u_framing.xy;
    vec3 col;
    if (u_pass == 0) {
        col = body(background(p), p, 0.5);
        frag = vec4(col, 1.0);
        return;
    }
    // breathing lifts the shoulders: shift the cached body, fading out above the collar
    float lift = 0.012 * (u_pose.y - 0.5) * smoothstep(-0.3, -0.6, p.y) * u_framing.z * 0.5 * u_res.y / u_res;
    col = texture(u_cache, v_uv - vec2(0.0, lift.y)).rgb;
    col = halo(col, p);
    col = head(col, p);
    frag = vec4(pow(col, vec3(1.0 / 1.05)), 1.0);
}
"""
