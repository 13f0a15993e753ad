from __future__ import annotations

from typing import Literal

from pydantic import Field

from kiosk.config import Section


class ListeningSettings(Section):
    """How the kiosk decides that someone started and stopped talking."""

    mode: Literal["hands_free", "push_to_talk"] = Field(
        "hands_free", description="'hands_free' (voice activity) or 'push_to_talk' (button or key)."
    )
    vad_threshold: float = Field(
        0.5, gt=0, lt=1, description="Voice-activity probability that counts as speech (higher ignores more noise)."
    )
    end_of_speech_s: float = Field(
        0.5, ge=0.2, le=3.0, description="Silence, in seconds, that ends the visitor's question."
    )
    matched_end_of_speech_s: float = Field(
        0.3,
        ge=0.15,
        le=3.0,
        description="When what the visitor said so far matches a curated answer, this much silence ends the "
        "question (the staff's answer starts sooner). Set it equal to end_of_speech_s to turn this off.",
    )
    early_start_s: float = Field(
        0.15,
        ge=0.1,
        le=3.0,
        description="After this much silence recognition and the answer start speculatively (kept only if the visitor stays silent).",
    )
    min_speech_s: float = Field(0.25, ge=0.05, le=2.0, description="Shorter sounds are ignored.")
    max_utterance_s: float = Field(
        30.0, ge=5, le=120, description="A longer monologue is cut to its last this-many seconds before recognition."
    )
    max_listen_s: float = Field(
        60.0, ge=10, le=600, description="Stop listening and answer after this long even if the talking goes on."
    )
    barge_in: bool = Field(True, description="Let visitors interrupt the avatar by talking.")
    barge_in_min_speech_s: float = Field(
        0.25, ge=0.1, le=2.0, description="Speech needed over the avatar's voice before it stops (sensitivity)."
    )


class AudioDeviceSettings(Section):
    input_device: str = Field("", description="Microphone name (part of it is enough); empty: system default.")
    output_device: str = Field("", description="Speaker name (part of it is enough); empty: system default.")
    echo_cancellation: Literal["webrtc", "half_duplex", "off"] = Field(
        "webrtc",
        description="How the kiosk avoids hearing itself: 'webrtc' (echo cancellation; visitors can "
        "interrupt), 'half_duplex' (the microphone is ignored while the avatar speaks; no barge-in), 'off'.",
    )
