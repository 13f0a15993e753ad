"""The persona file: one TOML file per persona, every section typed and described.

This is the only configuration schema of the product: engines, listening, voice, avatar and kiosk
behaviour all live here, so a persona file fully describes one kiosk.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kiosk.asr.config import ASRSettings, WhisperSettings
from kiosk.audio.config import AudioDeviceSettings, ListeningSettings
from kiosk.config import Section
from kiosk.llm.config import LlamaCppSettings, LLMSettings
from kiosk.tts.config import PiperSettings

SCHEMA_VERSION = 2  # bump with a migration in kiosk/persona/migrate.py

Expression = Literal["neutral", "happy", "surprised", "concerned"]


class Style(Section):
    personality: str = Field(
        "You are a friendly, helpful kiosk assistant.",
        description="Who the avatar is and how it talks, in plain words (becomes the start of its instructions).",
    )
    max_sentences: int = Field(3, ge=1, le=10, description="Longest answer, in sentences.")
    max_words: int = Field(60, ge=5, le=300, description="Longest answer, in words.")


class QA(Section):
    questions: list[str] = Field(
        min_length=1,
        description="Ways visitors ask this question, matched by meaning, not exact words. Give several (the "
        "examples have 8 to 14: short and long, everyday words like 'loo', the names visitors use, the things "
        "they bring along): the more ways, the more questions find the answer. A question about something only "
        "another entry or fact names, or asking what the answer does not say ('who makes ...', 'how long ...', "
        "'vegan', 'in French'), is not matched to this one.",
    )
    answer: str = Field(min_length=1, description="The exact answer to speak, word for word.")


class Knowledge(Section):
    facts: list[str] = Field(
        default_factory=list,
        description="Facts about the venue the avatar may use, one short sentence each. Times, prices and places "
        "it mentions must appear here: anything else it says 'I don't know' to.",
    )
    qa: list[QA] = Field(
        default_factory=list, description="Curated question -> answer pairs, spoken as written."
    )
    decline_topics: list[str] = Field(
        default_factory=list,
        description="Topics the avatar politely declines: one entry per topic, listing the words visitors would "
        "use, separated by commas (e.g. 'politics, elections, voting, government').",
    )
    decline_line: str = Field(
        "Sorry, I can't help with that here. A member of staff will be happy to help.",
        description="What it says when declining.",
    )
    unknown_line: str = Field(
        "I'm not sure about that. Please ask a member of staff.",
        description="What it says when its facts do not cover a question.",
    )


class Engines(Section):
    asr: ASRSettings = Field(default_factory=WhisperSettings, description="Speech recognition engine.")
    llm: LLMSettings = Field(default_factory=LlamaCppSettings, description="Language model engine.")
    tts: PiperSettings = Field(
        default_factory=PiperSettings, description="Speech synthesis engine (the voice)."
    )


class AvatarColours(Section):
    skin: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Skin colour as #RRGGBB; empty: the avatar's own."
    )
    hair: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Hair colour as #RRGGBB; empty: the avatar's own."
    )
    eyes: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Iris colour as #RRGGBB; empty: the avatar's own."
    )
    clothing: str | None = Field(
        None, pattern=r"^#[0-9a-fA-F]{6}$", description="Clothing colour as #RRGGBB; empty: the avatar's own."
    )
    background: str | None = Field(
        None,
        pattern=r"^#[0-9a-fA-F]{6}$",
        description="Screen background as #RRGGBB; empty: the avatar's own.",
    )


class AvatarSettings(Section):
    name: str = Field(
        "default", description="Avatar folder name in avatars/ ('default' is the built-in avatar)."
    )
    expression: Expression = Field(
        "neutral", description="Resting expression: neutral, happy, surprised or concerned."
    )
    greeting_expression: Expression = Field("happy", description="Expression while greeting a visitor.")
    decline_expression: Expression = Field(
        "concerned", description="Expression when declining or not knowing."
    )
    colours: AvatarColours = Field(
        default_factory=AvatarColours, description="Colour overrides for the avatar."
    )


class KioskSettings(Section):
    idle_timeout_s: float = Field(
        90, ge=10, le=3600, description="Forget the conversation after this long without a visitor."
    )
    captions: bool = Field(True, description="Show what is heard and said on screen.")
    staff_pin_sha256: str = Field(
        "",
        pattern=r"^([0-9a-f]{64})?$",
        description="sha256 of the staff PIN, 64 hex digits (make it with: printf 1234 | sha256sum); empty: no PIN.",
    )
    log_conversations: bool = Field(False, description="Write transcripts to the log (off for privacy).")
    greet_visitors: bool = Field(
        False, description="Speak the greeting before the first answer of each new conversation."
    )


class Persona(Section):
    schema_version: int = Field(
        SCHEMA_VERSION,
        ge=1,
        le=SCHEMA_VERSION,
        description="Version of this file's format (older ones are migrated).",
    )
    id: str = Field(
        "default", pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short id: lower case, digits, - and _."
    )
    name: str = Field("Ava", description="Display name the avatar uses for itself.")
    language: str = Field(
        "en", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$", description="Language code of the conversation, e.g. 'en'."
    )
    greeting: str = Field("Hello! How can I help you today?", description="Spoken when a visitor starts.")
    attract_lines: list[str] = Field(
        default_factory=lambda: ["Hi there! Ask me anything."], description="Shown while nobody is talking."
    )
    fallback_line: str = Field(
        "Sorry, something went wrong on my side. Could you ask me again?",
        description="Spoken when an engine fails during an answer.",
    )
    style: Style = Field(default_factory=Style, description="Personality and answer length.")
    knowledge: Knowledge = Field(default_factory=Knowledge, description="What the avatar knows.")
    engines: Engines = Field(
        default_factory=Engines, description="Recognition, language model and voice engines."
    )
    listening: ListeningSettings = Field(
        default_factory=ListeningSettings, description="Voice activity and barge-in."
    )
    audio: AudioDeviceSettings = Field(
        default_factory=AudioDeviceSettings, description="Microphone and speaker."
    )
    avatar: AvatarSettings = Field(default_factory=AvatarSettings, description="How the avatar looks.")
    kiosk: KioskSettings = Field(default_factory=KioskSettings, description="Unattended kiosk behaviour.")
