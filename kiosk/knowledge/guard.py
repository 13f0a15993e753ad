"""Deterministic checks around the language model: manipulation attempts in, invented facts out."""

from __future__ import annotations

import re

from kiosk.knowledge.text import unsupported, words

_INJECTION = re.compile(
    r"\b(ignore|forget|disregard|override|bypass)\b.{0,40}\b(instruction|instructions|rules|prompt|above|previous|everything|guidelines)\b"
    r"|\b(system|hidden|secret|initial|original)\s+(prompt|instructions|message)\b"
    r"|\byou are now\b|\bpretend (to be|you are)\b|\bact as\b|\bjailbreak\b|\bdeveloper mode\b|\bDAN\b"
    r"|\b(repeat|print|reveal|show|tell me|output)\b.{0,30}\b(your|the)\s+(instructions|prompt|rules)\b"
    r"|\b(text|words|message)s? (you were|you've been) given\b|\bbefore this conversation\b",
    re.IGNORECASE,
)
_NOT_KNOWN = re.compile(
    r"\b(i do not|i don't|i dont) (know|have)\b|\bnot sure\b|\bno information\b|\bcan ?not (find|say)\b|\bunable to\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(r"^\W*no\b|\b(not|no|never|none|nowhere|cannot)\b|n't\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def is_manipulation(question: str) -> bool:
    """An attempt to change the persona or read its instructions ("ignore your instructions and ...")."""
    return bool(_INJECTION.search(question))


def says_not_known(sentence: str) -> bool:
    return bool(_NOT_KNOWN.search(sentence.replace("\u2019", "'")))


def denies(sentence: str, fact: str) -> bool:
    """A negative sentence ("No, there is no car park for customers") against a fact that says nothing
    negative ("Customer parking is free for 2 hours behind the store"): the small model contradicting it."""
    return bool(_NEGATIVE.search(sentence.replace("\u2019", "'"))) and not _NEGATIVE.search(
        fact.replace("\u2019", "'")
    ) and not re.search(r"\b(except|without|closed|only)\b", fact, re.IGNORECASE)


def leaks(sentence: str, secret: str, span: int = 6) -> bool:
    """True if ``sentence`` repeats ``span`` consecutive words of ``secret`` (the system prompt)."""
    said = words(sentence)
    if len(said) < span:
        return False
    hidden = words(secret)
    grams = {tuple(hidden[i : i + span]) for i in range(len(hidden) - span + 1)}
    return any(tuple(said[i : i + span]) in grams for i in range(len(said) - span + 1))


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def invented(sentence: str, allowed: set[str]) -> set[str]:
    return unsupported(sentence, allowed)


_TOKEN = re.compile(r"[A-Za-z][A-Za-z']*")
_PRONOUNS = {"I", "I'm", "I'll", "I've", "I'd"}


def unknown_names(text: str, known: set[str]) -> set[str]:
    """Capitalised words (names of places, people, things) that ``known`` (lower-case words) lacks.

    The first word of each sentence is skipped: it is capitalised anyway.
    """
    out: set[str] = set()
    for sentence in sentences(text):
        for token in _TOKEN.findall(sentence)[1:]:
            if (
                token[0].isupper()
                and token not in _PRONOUNS
                and token.lower().removesuffix("'s") not in known
            ):
                out.add(token)
    return out


def known_words(*texts: str) -> set[str]:
    return {w.lower().removesuffix("'s") for text in texts for w in _TOKEN.findall(text)}
