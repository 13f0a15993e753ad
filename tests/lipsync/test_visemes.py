"""Viseme curves from phoneme timings: coarticulation, anticipation, smoothing and silences (no GL)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.lipsync.phonemes import VISEME_INDEX, VISEMES
from kiosk.lipsync.visemes import VisemeTrack, track_from_phonemes
from kiosk.pipeline.messages import PhonemeTiming

SIL, AA, PP, OH, U = (VISEME_INDEX[v] for v in ("sil", "aa", "PP", "O", "U"))


def timings(*items: tuple[str, float, float]) -> list[PhonemeTiming]:
    return [PhonemeTiming(p, s, d) for p, s, d in items]


# "mama, oh": m a m a (pause) o, as Piper would time it (^ and $ are its start/end marks)
MAMA = timings(("^", 0.0, 0.05), ("m", 0.10, 0.07), ("ˈɑ", 0.17, 0.15), ("m", 0.32, 0.07), ("ə", 0.39, 0.10),
               (",", 0.49, 0.04), ("_", 0.53, 0.30), ("ˈoʊ", 0.83, 0.22), ("$", 1.05, 0.05))


def test_shape_rows_sum_to_one_and_fps():
    track = track_from_phonemes(MAMA, 1.3)
    assert track.weights.shape == (131, len(VISEMES))
    assert track.weights.dtype == np.float32
    assert track.fps == 100
    assert np.allclose(track.weights.sum(axis=1), 1.0, atol=1e-4)
    assert track.duration == pytest.approx(1.3)
    assert (track.weights >= 0).all()


def test_silence_before_during_pauses_and_at_the_end():
    track = track_from_phonemes(MAMA, 1.3)
    assert track.at(0.0)[SIL] > 0.85
    assert track.at(0.68)[SIL] > 0.9  # middle of the 300 ms pause
    assert track.at(1.3)[SIL] == pytest.approx(1.0)
    assert track.at(1.25)[SIL] > 0.8


def test_sounds_peak_inside_their_own_interval():
    track = track_from_phonemes(MAMA, 1.3)
    assert track.at(0.245)[AA] > 0.6
    assert track.at(0.94)[OH] > 0.6
    assert track.at(0.135)[PP] > 0.6  # lips close for m


def test_anticipation_lips_move_before_the_sound():
    track = track_from_phonemes(MAMA, 1.3, anticipation_s=0.05)
    late = track_from_phonemes(MAMA, 1.3, anticipation_s=0.0)
    before = 0.83 - 0.04  # 40 ms before the "oh" is heard
    assert track.at(before)[OH] > 0.15
    assert track.at(before)[OH] > late.at(before)[OH] + 0.05


def test_coarticulation_blends_neighbours():
    # a tongue-only consonant between two rounded vowels keeps the lips rounded
    track = track_from_phonemes(timings(("u", 0.1, 0.12), ("t", 0.22, 0.05), ("u", 0.27, 0.12)), 0.5)
    middle = track.at(0.245)
    assert middle[U] > 0.3
    assert middle[VISEME_INDEX["DD"]] > 0.15
    # vowel to vowel: both present at the boundary
    track = track_from_phonemes(timings(("ɑ", 0.1, 0.12), ("u", 0.22, 0.12)), 0.5)
    assert track.at(0.22)[AA] > 0.2 and track.at(0.22)[U] > 0.2


def test_stress_and_length_marks_belong_to_their_vowels():
    # Piper: "ˈ" gets 90 ms of its own before the vowel it stresses; "ː" lengthens the vowel before it
    track = track_from_phonemes(timings(("h", 0.05, 0.05), ("ˈ", 0.10, 0.09), ("ɑ", 0.19, 0.07), ("ː", 0.26, 0.06),
                                        (".", 0.32, 0.1)), 0.5)
    assert track.at(0.15)[AA] > 0.5
    assert track.at(0.28)[AA] > 0.5
    assert track.at(0.15)[SIL] < 0.2


def test_short_word_gaps_do_not_close_the_mouth():
    track = track_from_phonemes(timings(("ɑ", 0.1, 0.12), (" ", 0.22, 0.02), ("ɑ", 0.24, 0.12)), 0.5)
    assert track.at(0.23)[SIL] < 0.4


def test_smooth_no_jumps():
    track = track_from_phonemes(MAMA, 1.3)
    assert np.abs(np.diff(track.weights, axis=0)).max() < 0.35  # per 10 ms


def test_at_interpolates_and_holds_ends():
    track = track_from_phonemes(MAMA, 1.3)
    mid = (track.weights[24] + track.weights[25]) / 2
    assert np.allclose(track.at(0.245), mid, atol=1e-5)
    assert np.allclose(track.at(-1.0), track.weights[0])
    assert np.allclose(track.at(99.0), track.weights[-1])
    times = np.array([0.0, 0.245, 0.9, 5.0])
    assert np.allclose(track.sample(times), np.stack([track.at(t) for t in times]), atol=1e-6)


def test_empty_and_silent_tracks():
    track = track_from_phonemes([], 0.5)
    assert np.allclose(track.weights[:, SIL], 1.0)
    assert VisemeTrack.silent(0.3).at(0.1)[SIL] == 1.0


def test_rejects_bad_weights():
    with pytest.raises(ValueError, match="shape"):
        VisemeTrack(100, np.zeros((10, 3), np.float32))


OPEN = {"aa": 1.0, "O": 0.7, "E": 0.6, "I": 0.4, "U": 0.3, "RR": 0.3, "kk": 0.3, "DD": 0.25, "CH": 0.25}


@pytest.mark.real
def test_real_piper_speech_mouth_follows_loudness():
    from kiosk.tts.config import PiperSettings
    from kiosk.tts.piper import PiperTTS

    tts = PiperTTS(PiperSettings())
    tts.load()
    pieces = list(tts.synthesize("Hello, and welcome to the museum. The big hall opens at nine."))
    assert tts.aligned and pieces
    for piece in pieces:
        duration = len(piece.audio) / piece.sample_rate
        track = track_from_phonemes(piece.phonemes, duration)
        frames = int(duration * 100)
        hop = piece.sample_rate // 100
        rms = np.sqrt(np.mean(piece.audio[: frames * hop].reshape(frames, hop) ** 2, axis=1))
        rms = np.convolve(rms, np.ones(5) / 5, mode="same")
        weights = np.array([OPEN.get(v, 0.0) for v in VISEMES], np.float32)
        openness = track.weights[:frames] @ weights
        loud, quiet = rms > np.quantile(rms, 0.7), rms < np.quantile(rms, 0.3)
        assert openness[loud].mean() > openness[quiet].mean() + 0.2  # open when loud, closed when quiet
        assert np.corrcoef(openness, rms)[0, 1] > 0.2
        assert track.at(duration)[SIL] > 0.95  # closed at the end (Piper's random durations vary the last frame)
