import numpy as np

from kiosk.audio.playback import PlaybackBuffer
from kiosk.pipeline.messages import EndOfAnswer, SpeechChunk


def chunk(turn, index, n, value=0.5):
    return SpeechChunk(turn, index, f"c{index}", np.full(n, value, np.float32), 1000)


def test_held_turn_is_silent_until_released():
    buffer = PlaybackBuffer(1000)
    buffer.enqueue(chunk(1, 0, 100))
    assert not buffer.read(50).any()
    buffer.release(1)
    assert buffer.read(50).all()


def test_chunks_play_in_order_and_report_first_audio_and_end():
    buffer = PlaybackBuffer(1000)
    seen = []
    buffer.on_first_audio = lambda turn, at: seen.append(("first", turn, round(at, 3)))
    buffer.on_turn_end = lambda turn, at: seen.append(("end", turn, round(at, 3)))
    buffer.release(1)
    buffer.enqueue(chunk(1, 0, 30, 0.1))
    buffer.enqueue(chunk(1, 1, 30, 0.2))
    buffer.enqueue(EndOfAnswer(1))
    out = buffer.read(100, at=10.0)
    assert np.allclose(out[:30], 0.1) and np.allclose(out[30:60], 0.2) and not out[60:].any()
    assert seen == [("first", 1, 10.0), ("end", 1, 10.06)]


def test_position_is_the_playback_clock():
    buffer = PlaybackBuffer(1000)
    buffer.release(1)
    buffer.enqueue(chunk(1, 0, 500))
    buffer.read(120)
    position = buffer.position()
    assert position is not None and position.chunk.index == 0
    assert abs(position.seconds - 0.12) < 1e-9


def test_drop_removes_playing_and_queued_audio_of_that_turn_only():
    buffer = PlaybackBuffer(1000)
    buffer.release(1)
    buffer.release(2)
    buffer.enqueue(chunk(1, 0, 100, 0.1))
    buffer.enqueue(chunk(1, 1, 100, 0.1))
    buffer.enqueue(chunk(2, 0, 100, 0.3))
    buffer.read(10)
    assert buffer.drop(1) == 190
    assert np.allclose(buffer.read(100), 0.3)


def test_pause_keeps_the_place_and_resume_carries_on():
    buffer = PlaybackBuffer(1000)
    audio = np.arange(1, 101, dtype=np.float32)
    buffer.enqueue(SpeechChunk(1, 0, "one", audio, 1000, ()))
    buffer.release(1)
    assert buffer.read(10)[0] == 1
    buffer.pause()
    assert not buffer.read(20).any() and buffer.position() is None  # silent, mouth closed
    buffer.resume()
    assert buffer.read(10)[0] == 11  # where it stopped
