"""Reading and writing WAV files without extra dependencies (PCM 8/16/24/32-bit and 32/64-bit float)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import soxr

from kiosk.errors import AudioInputError


def read_wav(path: Path | str) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the file's sample rate (channels are averaged)."""
    path = Path(path)
    fix = "give a WAV file (PCM or float, any sample rate, mono or stereo)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudioInputError(f"cannot read {path}: {exc.strerror or exc}", fix=fix) from None
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RF64") or data[8:12] != b"WAVE":
        raise AudioInputError(f"{path} is not a WAV file", fix=fix)
    fmt = None
    payload = None
    pos = 12
    while pos + 8 <= len(data):
        chunk_id, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = data[pos + 8 : pos + 8 + size]
        if chunk_id == b"fmt ":
            if len(body) < 16:
                raise AudioInputError(f"{path} has a broken format header", fix=fix)
            fmt = struct.unpack("<HHIIHH", body[:16])
            if fmt[0] == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE: real format in the GUID
                fmt = (struct.unpack("<H", body[24:26])[0], *fmt[1:])
        elif chunk_id == b"data":
            payload = data[pos + 8 : pos + 8 + size]  # a truncated file keeps what it has
            break
        pos += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise AudioInputError(f"{path} has no audio data", fix=fix)
    tag, channels, rate, _, _, bits = fmt
    if channels < 1 or rate < 1000:
        raise AudioInputError(f"{path} has an invalid format ({channels} channels, {rate} Hz)", fix=fix)
    width = bits // 8
    usable = len(payload) - len(payload) % (width * channels or 1)
    payload = payload[:usable]
    if tag == 1 and bits == 16:
        samples = np.frombuffer(payload, "<i2").astype(np.float32) / 32768.0
    elif tag == 1 and bits == 8:
        samples = (np.frombuffer(payload, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == 1 and bits == 24:
        raw = np.frombuffer(payload, np.uint8).reshape(-1, 3)
        ints = (raw[:, 0].astype(np.int32) | raw[:, 1].astype(np.int32) << 8 | raw[:, 2].astype(np.int32) << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    elif tag == 1 and bits == 32:
        samples = np.frombuffer(payload, "<i4").astype(np.float32) / float(1 << 31)
    elif tag == 3 and bits in (32, 64):
        samples = np.frombuffer(payload, "<f4" if bits == 32 else "<f8").astype(np.float32)
    else:
        raise AudioInputError(f"{path} uses an unsupported WAV encoding (format {tag}, {bits} bits)", fix=fix)
    samples = samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples
    samples = np.nan_to_num(samples, nan=0.0, posinf=0.0, neginf=0.0)
    return np.clip(samples, -1.0, 1.0).astype(np.float32), int(rate)


def write_wav(path: Path | str, audio: np.ndarray, rate: int) -> None:
    import wave

    pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def resample(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    if rate_in == rate_out or len(audio) == 0:
        return audio.astype(np.float32, copy=False)
    return soxr.resample(audio.astype(np.float32, copy=False), rate_in, rate_out).astype(np.float32, copy=False)


def speech_bounds(audio: np.ndarray, rate: int, floor_db: float = -40.0) -> tuple[float, float] | None:
    """Start and end (seconds) of the part louder than ``floor_db`` below the peak, by 10 ms windows."""
    window = max(1, rate // 100)
    frames = len(audio) // window
    if frames == 0:
        return None
    energy = np.sqrt(np.mean(audio[: frames * window].reshape(frames, window) ** 2, axis=1))
    peak = float(energy.max())
    if peak < 1e-4:  # -80 dBFS: digital silence
        return None
    loud = np.nonzero(energy > peak * 10 ** (floor_db / 20))[0]
    return loud[0] * window / rate, (loud[-1] + 1) * window / rate
