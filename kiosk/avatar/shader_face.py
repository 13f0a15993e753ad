"""GLSL 3.30 core shaders of the built-in avatar: a 2.5D stylised bust drawn with signed distance fields.

Everything is computed per pixel from a few uniforms (no meshes), so the face deforms smoothly and
upscales cleanly when the internal resolution is lowered. Pass 0 draws the still backdrop and body
into a cached texture (redrawn only when the size or colours change); pass 1 draws each frame over it.
Units: the frame is 2 units tall (y up); head-local coordinates have the head's centre at the origin.
"""

VERTEX = """
#version 330 core
out vec2 v_uv;
void main() {
    vec2 corner = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"""

_COMMON = """
in vec2 v_uv;
out vec4 frag;

uniform vec2 u_res;
uniform float u_time;
uniform vec3 u_framing;     // centre x, centre y, zoom
uniform vec4 u_head;        // offset x, offset y, yaw, pitch
uniform vec2 u_pose;        // roll, breathing (0..1)
uniform vec4 u_eye;         // gaze x, gaze y, left lid openness, right lid openness
uniform vec4 u_face;        // smile, squint, wide, blush
uniform vec4 u_brow;        // raise left, raise right, inner raise (concern), squeeze
uniform vec4 u_mouth0;      // open, width, round, press
uniform vec4 u_mouth1;      // upper teeth, lower teeth, tongue up, tongue out
uniform vec4 u_mouth2;      // lower-lip tuck (f/v), corner down, unused, unused
uniform vec4 u_halo;        // intensity, mode (0 steady, 1 pulse, 2 orbit), phase, unused
uniform vec4 u_style;       // hair style, collar style, beard, lashes
uniform vec3 u_skin; uniform vec3 u_skin_shade; uniform vec3 u_lip;
uniform vec3 u_hair; uniform vec3 u_hair_shine; uniform vec3 u_iris;
uniform vec3 u_cloth; uniform vec3 u_cloth_accent;
uniform vec3 u_bg_top; uniform vec3 u_bg_bottom; uniform vec3 u_accent;
uniform int u_pass;          // 0: the still backdrop and body (cached), 1: one frame
uniform sampler2D u_cache;

float PX;  // one pixel in frame units, for anti-aliasing
const float HEAD_Y = 0.15;  // the head's rest position

float fill(float d) { return clamp(0.5 - d / PX, 0.0, 1.0); }
float soft(float d, float w) { return 1.0 - smoothstep(-w, w, d); }
float ellipse(vec2 p, vec2 r) { return (length(p / r) - 1.0) * min(r.x, r.y); }
float smin(float a, float b, float k) {
    float h = clamp(0.5 + 0.5 * (b - a) / k, 0.0, 1.0);
    return mix(b, a, h) - k * h * (1.0 - h);
}
float gauss(vec2 p, vec2 s) { return exp(-dot(p / s, p / s)); }
mat2 rot(float a) { float c = cos(a), s = sin(a); return mat2(c, s, -s, c); }
vec3 over(vec3 base, vec3 col, float a) { return mix(base, col, clamp(a, 0.0, 1.0)); }
"""

_BACKDROP = """
vec3 background(vec2 p) {
    float t = clamp(p.y * 0.5 + 0.5, 0.0, 1.0);
    vec3 col = mix(u_bg_bottom, u_bg_top, smoothstep(0.0, 1.0, t));
    col += u_accent * 0.10 * gauss(p - vec2(0.0, HEAD_Y + 0.05), vec2(1.1, 0.9));
    float v = length(p * vec2(0.55, 0.75));
    return col * (1.0 - 0.35 * smoothstep(0.5, 1.3, v));
}

float halo_profile(vec2 p) {
    float ring = abs(length(p - vec2(0.0, HEAD_Y)) - 0.74);
    return 0.55 * exp(-ring * ring * 900.0) + 0.18 * exp(-ring * 14.0);
}

vec3 halo(vec3 col, vec2 p, float profile) {
    float glow = u_halo.x;
    if (u_halo.y > 1.5) {  // thinking: a light travelling around the ring
        float a = atan(p.y - HEAD_Y, p.x);
        float d = mod(a - u_halo.z + 3.14159, 6.28318) - 3.14159;
        glow *= 0.25 + 0.75 * exp(-d * d * 1.6);
    } else if (u_halo.y > 0.5) {
        glow *= 0.75 + 0.25 * sin(u_halo.z);
    }
    return col + u_accent * glow * profile;
}

vec3 body(vec3 col, vec2 p, out float cover) {
    cover = 0.0;
    if (p.y > 0.05) return col;
    vec2 b = p - vec2(0.0, -0.63);
    // neckline to shoulders: the trapezius slope, rounded shoulders, then the arms going down
    float ax = abs(b.x);
    float line = 0.17 - 0.1 * smoothstep(0.08, 0.5, ax) - 0.06 * smoothstep(0.45, 0.8, ax);
    float shoulders = -smin(-(b.y - line), -(ax - 0.9 + 0.05 * clamp(-b.y, 0.0, 1.0)), 0.12);
    // neck first, so the clothes cover its base
    vec2 n = p - vec2(0.0, -0.3);
    float neck = max(abs(n.x) - 0.118 - 0.012 * u_style.y - 0.035 * smoothstep(-0.15, -0.4, n.y), abs(n.y + 0.05) - 0.3);
    float nshade = 0.55 + 0.45 * smoothstep(0.2, -0.2, n.y) * (1.0 - 0.5 * pow(abs(n.x) / 0.14, 2.0));
    col = over(col, mix(u_skin_shade, u_skin, nshade), fill(neck));
    col = over(col, u_skin_shade * 0.8, 0.45 * fill(neck) * smoothstep(-0.05, 0.1, n.y));
    if (shoulders < PX * 2.0) {
        float light = clamp(0.55 - 0.35 * b.x + 0.6 * b.y, 0.0, 1.0);
        vec3 cloth = mix(u_cloth * 0.55, u_cloth * 1.15, light);
        cloth *= 1.0 + 0.05 * sin(b.x * 9.0 + 1.3) * smoothstep(0.0, -0.4, b.y);
        if (u_style.y < 0.5) {  // open collar with lapels over a lighter top
            float vcut = abs(b.x) - (0.02 + 0.34 * max(b.y + 0.32, 0.0));
            float inner = max(vcut, -(b.y + 0.32));
            float lapel = abs(abs(b.x) - (0.05 + 0.42 * max(b.y + 0.42, 0.0))) - 0.045;
            lapel = max(lapel, max(-(b.y + 0.5), b.y - 0.22));
            cloth = over(cloth, u_cloth * 1.25 * (0.8 + 0.2 * light), 0.6 * fill(lapel));
            cloth = over(cloth, mix(u_cloth_accent * 0.75, u_cloth_accent, smoothstep(-0.3, 0.2, b.y)), fill(inner));
            cloth = over(cloth, u_cloth * 0.35, 0.5 * (1.0 - smoothstep(0.0, 0.012, abs(vcut))) * step(-0.32, b.y));
        }
        col = over(col, cloth, fill(shoulders));
        cover = fill(shoulders);
    }
    if (u_style.y > 0.5 && abs(b.x) < 0.25 && abs(b.y - 0.16) < 0.12) {  // crew neck: a ribbed band
        vec2 c = b - vec2(0.0, 0.15);
        float band = abs(ellipse(c, vec2(0.17, 0.06))) - 0.02;
        band = max(band, -max(-c.y, neck));  // its back half is hidden by the neck
        vec3 rib = u_cloth_accent * (0.75 + 0.25 * smoothstep(0.06, -0.06, c.y)) * (0.9 + 0.1 * sin(c.x * 260.0));
        col = over(col, rib * (c.y > 0.0 ? 0.6 : 1.0), fill(band));
    }
    return col;
}
"""

_HAIR = """
vec3 hair_color(vec2 h) {
    float band = (h.y - 0.27 + 0.35 * h.x * h.x - 0.01 * sin(h.x * 23.0)) * 12.0;
    float sheen = exp(-band * band);
    vec2 c = h - vec2(0.12, 0.95);
    float strands = 0.035 * sin(c.x / -c.y * 160.0 + 2.0 * sin(h.y * 9.0)) + 0.02 * sin(h.x * 61.0 + h.y * 13.0);
    float shade = clamp(0.62 + 0.55 * h.y - 0.35 * h.x, 0.3, 1.1);
    return u_hair * (shade + strands) + u_hair_shine * sheen * (0.35 + 0.45 * smoothstep(0.25, -0.25, h.x));
}

float hair_back(vec2 h) {
#if HAIR == 0  // chin-length bob, ends turned in
    float d = ellipse(h - vec2(0.0, 0.03), vec2(0.445, 0.53));
    return -smin(-d, h.y + 0.31 - 0.31 * h.x * h.x, 0.05);
#else
    return 1.0;
#endif
}

float hair_front(vec2 h) {
#if HAIR == 0
    {
        float cap = ellipse(h - vec2(0.0, 0.05), vec2(0.405, 0.5));
        float fringe = 0.12 + 0.19 * smoothstep(-0.36, 0.34, h.x) * smoothstep(-0.5, 0.1, h.x) + 0.012 * sin(h.x * 30.0) * smoothstep(0.3, 0.0, h.x);
        float sides = mix(0.305, 0.25, smoothstep(0.05, -0.3, h.y));
        float opening = max(h.y - fringe, abs(h.x) - sides);
        float bottom = h.y + 0.3 - 0.44 * h.x * h.x;
        return max(max(cap, -opening), -bottom);
    }
#else
    float cap = smin(ellipse(h - vec2(0.0, 0.04), vec2(0.365, 0.47)), ellipse(h - vec2(0.03, 0.29), vec2(0.34, 0.21)), 0.06);
    float line = 0.2 + 0.035 * smoothstep(0.06, 0.2, abs(h.x)) - 0.1 * smoothstep(0.22, 0.34, abs(h.x)) - 0.02 * smoothstep(0.1, -0.1, h.x);
    float burns = max(0.318 - abs(h.x) + 0.12 * max(0.1 - h.y, 0.0), -(h.y + 0.01));
    return max(cap, min(line - h.y, burns));
#endif
}
"""

_EYES = """
vec3 eye(vec3 col, vec2 e, float side, float openness) {
    vec2 r = vec2(0.07, 0.042 * (1.0 + 0.25 * u_face.z));
    e.y -= 0.12 * e.x * side;  // outer corners a touch higher
    float shape = ellipse(vec2(e.x, e.y > 0.0 ? e.y : e.y * 1.35), r);
    col = over(col, u_skin_shade * 0.92, 0.35 * soft(shape - 0.012, 0.02));  // socket
    float lid_y = mix(-r.y * 0.9, r.y * 1.05, openness);
    float lower_y = -r.y * 0.75 + 0.022 * u_face.y;
    float curve = max(1.0 - (e.x / r.x) * (e.x / r.x), 0.0);
    float upper = e.y - lid_y * curve - (openness - 1.0) * 0.004;
    float lower = lower_y * curve - e.y;
    float visible = max(shape, max(upper, lower));
    if (shape < 0.02) {
        vec3 s = vec3(0.95, 0.94, 0.92) * (0.82 + 0.18 * smoothstep(0.03, -0.01, e.y));
        vec2 c = e - vec2(u_eye.x * r.x * 0.42, u_eye.y * r.y * 0.35 - 0.002);
        float ir = length(c);
        vec3 iris = mix(u_iris * 1.3, u_iris * 0.5, smoothstep(0.004, 0.03, ir));
        iris *= 0.85 + 0.15 * sin(atan(c.y, c.x) * 23.0) * smoothstep(0.012, 0.026, ir);
        iris = mix(iris, u_iris * 0.22, smoothstep(0.026, 0.034, ir));
        s = over(s, iris, fill(ir - 0.034));
        s = over(s, vec3(0.02), fill(ir - 0.0135));
        s = over(s, vec3(1.0), 0.9 * fill(length(c - vec2(-0.011, 0.012)) - 0.0066));
        s = over(s, vec3(1.0), 0.6 * fill(length(c - vec2(0.01, -0.01)) - 0.003));
        s *= 1.0 - 0.35 * smoothstep(-0.01, 0.01, e.y - lid_y * curve + 0.012);  // the lid's shadow
        col = over(col, s, fill(visible));
        float lash = abs(upper) - 0.0045 - 0.004 * smoothstep(-0.02, 0.06, e.x * side) * u_style.w;
        col = over(col, u_hair * 0.35, fill(max(lash, shape - 0.006)));
        float wing = ellipse(rot(-0.5 * side) * (e - vec2(side * 0.072, 0.013)), vec2(0.013, 0.0035));
        col = over(col, u_hair * 0.35, u_style.w * fill(wing) * step(0.45, openness));
    }
    float crease = abs(e.y - lid_y * 0.35 - r.y * 1.25 * curve - 0.006);
    col = over(col, u_skin_shade * 0.8, 0.35 * smoothstep(0.006, 0.0, crease) * step(abs(e.x), r.x * 0.9));
    return col;
}

vec3 brow(vec3 col, vec2 b, float side, float raise) {
    b.y -= 0.03 * raise + 0.02 * u_brow.z * smoothstep(0.06, -0.06, b.x * side);
    b.x += side * 0.012 * u_brow.w;
    b = rot(-side * (0.08 * u_brow.z - 0.05 * u_brow.w)) * b;
    b.y += 1.6 * b.x * b.x - 0.004;
    float t = clamp(b.x * side / 0.075 * 0.5 + 0.5, 0.0, 1.0);
    float d = length(vec2(max(abs(b.x) - 0.075, 0.0), b.y)) - mix(0.0135, 0.006, t);
    return over(col, u_hair * 0.7, 0.95 * fill(d));
}
"""

_MOUTH = """
vec3 mouth(vec3 col, vec2 m) {
    float open = u_mouth0.x, width = u_mouth0.y, round_ = u_mouth0.z, press = u_mouth0.w;
    float smile = u_face.x, tuck = u_mouth2.x;
    float w = 0.105 * width * (1.0 - 0.3 * round_) * (1.0 + 0.12 * smile);
    float t = clamp(m.x / w, -1.0, 1.0);
    float corner = (0.028 * smile - 0.02 * u_mouth2.y) * t * t;
    float prof = pow(max(1.0 - t * t, 0.0), mix(0.8, 0.45, round_));
    float mid = corner - 0.004 * open;
    float up = mid + (0.018 * open + 0.006 * round_ * open) * prof;
    float lo = mid - (0.085 * open) * prof;
    float cav = max(max(m.y - up, lo - m.y), abs(m.x) - w);
    float ulip = (0.016 + 0.006 * round_ + 0.004 * press) * (0.6 + 0.4 * prof);
    float llip = (0.021 + 0.008 * round_ + 0.005 * press - 0.012 * tuck) * (0.55 + 0.45 * prof);
    float bow = 0.005 * exp(-(m.x / 0.018) * (m.x / 0.018));
    float outer_up = ellipse(vec2(m.x, m.y - mid), vec2(w + 0.012, up - mid + ulip + bow));
    float outer_lo = ellipse(vec2(m.x, m.y - mid), vec2(w + 0.012, mid - lo + llip));
    float outer = m.y > mid ? outer_up : outer_lo;
    col = over(col, u_skin_shade * 0.85, 0.3 * soft(ellipse(m - vec2(0.0, lo - llip - 0.02), vec2(0.05, 0.012)), 0.02));
    if (outer > 0.04) return col;
    vec3 lips = m.y > mid ? u_lip * 0.82 : u_lip * (1.0 + 0.12 * smoothstep(0.0, -0.02, m.y - lo));
    lips += vec3(0.25) * gauss(m - vec2(-0.02, lo - llip * 0.45), vec2(0.03, 0.006)) * (1.0 - tuck);
    col = over(col, lips, fill(outer));
    if (up - lo > 0.0008) {
        float depth = smoothstep(0.0, 0.06, up - m.y);
        vec3 inside = mix(vec3(0.32, 0.09, 0.10), vec3(0.12, 0.03, 0.04), depth);
        // tongue behind the teeth; its tip between them for th (tongue out)
        vec2 tg = m - vec2(0.0, mix(lo + 0.002, up - 0.018, u_mouth1.z * 0.7) - 0.01 * (1.0 - u_mouth1.z));
        float tongue = ellipse(tg, vec2(w * 0.62, 0.022 + 0.01 * u_mouth1.z));
        vec3 tongue_col = mix(vec3(0.62, 0.25, 0.27), vec3(0.80, 0.40, 0.40), smoothstep(-0.02, 0.02, tg.y));
        inside = over(inside, tongue_col, fill(tongue) * max(u_mouth1.z, 0.35 * open));
        float th = 0.013 + 0.01 * u_mouth1.x;
        inside = over(inside, vec3(0.96, 0.95, 0.92) * (0.82 + 0.18 * smoothstep(-0.01, 0.01, m.y - up + th)),
                      u_mouth1.x * fill((up - th) - m.y) * step(abs(m.x), w * 0.85));
        float teeth_lo = m.y - (lo + 0.009 + 0.008 * u_mouth1.y);
        inside = over(inside, vec3(0.86, 0.85, 0.82), u_mouth1.y * fill(teeth_lo) * step(abs(m.x), w * 0.75));
        float tip = ellipse(m - vec2(0.0, mix(lo, up, 0.45)), vec2(0.032, 0.012));
        inside = over(inside, vec3(0.82, 0.42, 0.42), u_mouth1.w * fill(tip));
        col = over(col, inside, fill(cav));
    }
    float seam = max(abs(m.y - mid) - 0.0018 * (1.0 + 0.6 * press), abs(m.x) - w * (0.98 + 0.1 * smile));
    col = over(col, u_lip * 0.35, (1.0 - smoothstep(0.0008, 0.004, up - lo)) * fill(seam));
    float dimple = length(vec2(abs(m.x) - w - 0.012, m.y - mid - corner * 0.5));
    col = over(col, u_skin_shade * 0.75, 0.4 * (0.3 + 0.7 * smile) * smoothstep(0.009, 0.0, dimple));
    return col;
}
"""

_HEAD = """
vec3 head(vec3 col, vec2 p) {
    vec2 h = rot(u_pose.x) * (p - vec2(0.0, HEAD_Y) - u_head.xy);
    if (abs(h.x) > 0.5 || h.y < -0.56 || h.y > 0.6) return col;
    vec2 par = u_head.zw * 0.07;   // facial features sit in front of the head's centre
    float jaw = u_mouth0.x;
    float hb = hair_back(h - par * 0.2);
    float hf = hair_front(h - par * 0.35);
    vec3 hc = min(hb, hf) < PX * 2.0 ? hair_color(h) : vec3(0.0);
    if (hb < PX * 2.0) col = over(col, hc * 0.8, fill(hb));
    for (int i = 0; i < 2; i++) {
        float s = i == 0 ? -1.0 : 1.0;
        vec2 ep = h - vec2(s * (0.335 - par.x * 0.3 * s), -0.03);
        if (abs(ep.x) > 0.07 || abs(ep.y) > 0.1) continue;
        float ear = ellipse(ep, vec2(0.05, 0.085));
        vec3 ec = mix(u_skin_shade, u_skin, 0.6 + 0.4 * smoothstep(0.03, -0.05, ep.x * s));
        ec = over(ec, u_skin_shade * 0.8, 0.5 * soft(ellipse(ep - vec2(s * 0.008, 0.0), vec2(0.022, 0.05)), 0.012));
        col = over(col, ec, fill(ear));
    }
    // the face: an egg with a narrower jaw that lengthens as the mouth opens
    float below = clamp(-h.y / 0.44, 0.0, 1.0);
    float rx = 0.345 * (1.0 - 0.23 * below * below);
    float ry = h.y > 0.0 ? 0.45 : 0.44 + 0.03 * jaw;
    float face = ellipse(h - vec2(par.x * 0.25, 0.0), vec2(rx, ry));
    if (face < PX * 2.0) {
        vec2 q = (h - par * 0.6) / vec2(rx, ry);
        vec3 n = normalize(vec3(q, sqrt(max(1.0 - dot(q, q), 0.0)) + 0.25));
        float diff = clamp((dot(n, normalize(vec3(-0.45, 0.55, 0.85))) + 0.35) / 1.35, 0.0, 1.0);
        vec3 skin = mix(u_skin_shade, u_skin, diff);
        skin += vec3(0.9, 0.45, 0.35) * 0.06 * (1.0 - n.z) * (1.0 - n.z);  // warm light through the edges
        skin += u_accent * 0.12 * smoothstep(0.55, 1.0, length(q)) * smoothstep(-0.1, 0.5, q.x);  // cool rim
        vec2 f = h - par;
        float cheeks = gauss(vec2(abs(f.x) - 0.19, f.y + 0.1), vec2(0.07, 0.05));
        skin = mix(skin, u_lip * 1.05, cheeks * (0.16 + 0.2 * u_face.w + 0.1 * u_face.x));
#if BEARD  // trimmed beard: a soft shadow of hair around the jaw and chin
        {
            float jawline = f.y + 0.2 - 0.9 * f.x * f.x;
            float beard = smoothstep(0.02, -0.06, jawline) * (1.0 - gauss(f - vec2(0.0, -0.205), vec2(0.085, 0.03)));
            beard = max(beard, gauss(vec2(f.x, f.y + 0.163 + 0.5 * f.x * f.x), vec2(0.07, 0.012)));
            skin = mix(skin, u_hair * 1.1, 0.6 * beard * smoothstep(0.0, -0.02, face));
        }
#endif
        // nose: bridge shadow on the side away from the light, tip highlight, nostrils
        vec2 nz = f - vec2(0.0, -0.075);
        skin *= 1.0 - 0.10 * gauss(vec2(nz.x - 0.022, nz.y - 0.05), vec2(0.012, 0.06));
        skin *= 1.0 - 0.22 * gauss(vec2(nz.x, nz.y + 0.035 - 4.0 * nz.x * nz.x), vec2(0.028, 0.007));
        skin += vec3(0.08) * gauss(nz - vec2(-0.008, -0.012), vec2(0.014, 0.01));
        float nost = ellipse(vec2(abs(nz.x) - 0.018, nz.y + 0.03), vec2(0.008, 0.004));
        skin = over(skin, u_skin_shade * 0.6, 0.55 * soft(nost, 0.003));
        skin *= 1.0 - 0.1 * gauss(vec2(f.x, f.y + 0.36 + 0.03 * jaw), vec2(0.1, 0.03));  // under the lower lip
        col = over(col, skin, fill(face));
#if MOUTH
        vec2 m = f - vec2(0.0, -0.2);
        if (abs(m.x) < 0.17 && abs(m.y) < 0.16) col = mouth(col, m);
#endif
#if EYES
        for (int i = 0; i < 2; i++) {
            float s = i == 0 ? -1.0 : 1.0;
            vec2 e = f - vec2(s * 0.128, 0.035);
            if (abs(e.x) < 0.1 && abs(e.y) < 0.08) col = eye(col, e, s, i == 0 ? u_eye.z : u_eye.w);
            vec2 b = f - vec2(s * 0.13, 0.125);
            if (abs(b.x) < 0.11 && abs(b.y) < 0.08) col = brow(col, b, s, i == 0 ? u_brow.x : u_brow.y);
        }
#endif
    }
    if (hf < 0.03) {
        col = over(col, u_skin_shade * 0.6, 0.25 * soft(hf + 0.01, 0.015));  // contact shadow
        col = over(col, hc, fill(hf));
    }
    return col;
}
"""

_MAIN = """
void main() {
    PX = 2.0 / u_res.y / u_framing.z;
    vec2 p = (v_uv * u_res - 0.5 * u_res) / u_res.y * 2.0;
    p = p / u_framing.z + u_framing.xy;
    if (u_pass == 0) {
        float cover;
        vec3 still = body(background(p), p, cover);
        frag = vec4(still, (1.0 - cover) * halo_profile(p));  // alpha: the ring's light, behind the body
        return;
    }
    // breathing lifts the shoulders: shift the cached body, fading out above the collar
    float lift = 0.006 * (u_pose.y - 0.5) * smoothstep(-0.3, -0.6, p.y) * u_framing.z;
    vec4 still = texture(u_cache, v_uv - vec2(0.0, lift));
    vec3 col = halo(still.rgb, p, still.a);
#if HEAD
    col = head(col, p);
#endif
    float grain = fract(sin(dot(gl_FragCoord.xy, vec2(12.9898, 78.233))) * 43758.5453);
    frag = vec4(col + (grain - 0.5) / 255.0, 1.0);  // dither: no banding in the gradients on big screens
}
"""

FRAGMENT = _COMMON + _BACKDROP + _HAIR + _EYES + _MOUTH + _HEAD + _MAIN


def fragment(head: bool, eyes: bool = False, mouth: bool = False, hair: int = 0, beard: bool = False) -> str:
    """The fragment shader for one region. Software GL runs every branch for every pixel, so each
    region of the screen gets a variant holding only what can appear there (see Scene.render)."""
    defines = {"HEAD": int(head), "EYES": int(eyes), "MOUTH": int(mouth), "HAIR": hair, "BEARD": int(beard)}
    return "#version 330 core\n" + "".join(f"#define {k} {v}\n" for k, v in defines.items()) + FRAGMENT


# Regions in head-local units (x0, y0, x1, y1) where a variant must run, before parallax and margins.
HEAD_Y = 0.15  # the head's rest position in frame units; the same constant is in the shader
HEAD_BOX = (-0.47, -0.52, 0.47, 0.58)
EYES_BOX = (-0.24, -0.04, 0.24, 0.2)
MOUTH_BOX = (-0.17, -0.36, 0.17, -0.05)
