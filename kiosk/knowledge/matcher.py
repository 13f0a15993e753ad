"""Meaning-based look-ups over a persona's knowledge: curated answers, facts and declined topics.

Sentences are compared as MiniLM embeddings (cosine similarity), plus a small bonus for sharing
uncommon words, which rescues names the embedding model does not know ("Galley", "Pathfinder").
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from kiosk.knowledge.embed import Embedder
from kiosk.knowledge.synonyms import expand
from kiosk.knowledge.text import spoken, words


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words too common to say anything about which entry a question means.
STOP = _wordset(
    """a an the and or but if of to in on at by for with from into about as is are was were be been am do
    does did can could would should will shall may might must have has had i you he she it we they me my his her
    him them its mine ours yours hers
    your our their this that these those there here what when where which who whom whose why how please
    thanks thank hi hello hey any some get got just also so not no yes too very much many more most tell
    know want need like let us one"""
)


# Words that say what kind of answer is wanted, not what it is about: never "unknown subjects".
GENERIC = _wordset(
    """old big small long far near nearest close closest fast slow time times today tomorrow tonight morning
    afternoon evening week day days now later soon next last new good best nice better make makes made thing
    things stuff guy guys someone somebody somewhere anywhere anything something everything need needs look
    looking find buy see use go going come take put leave allowed ok okay fine able way kind type sort much
    many lot little number size people person visitor visitors place here around inside outside first start
    work works happen give say said think sure still else other another move moving run running visit get
    store join bring keep want help price prices cost costs fee fees pay charge late early open name joke feel feeling doing
    top maximum max minimum min average typical exact exactly free"""
)


@dataclass(frozen=True)
class Hit:
    index: int
    score: float
    runner_up: float  # best score of any other entry (the margin tells how clear the choice was)


def stem(word: str) -> str:
    for suffix in ("ment", "ing", "ies", "es", "s", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def content_words(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOP and not w.isdigit()}


def subject_words(text: str) -> set[str]:
    """Content words that name what a question is about (``GENERIC`` question words left out)."""
    return {stem(w) for w in words(text) if w not in STOP and w not in GENERIC and not w.isdigit()}


class SemanticIndex:
    """Entries, each described by one or more texts; ``rank(question)`` scores every entry."""

    def __init__(self, embedder: Embedder, entries: list[list[str]], lexical_weight: float = 0.15) -> None:
        self.embedder = embedder
        self.lexical_weight = lexical_weight
        self._owner: list[int] = []
        texts: list[str] = []
        for index, descriptions in enumerate(entries):
            for text in descriptions:
                texts.append(expand(text))
                self._owner.append(index)
        self.count = len(entries)
        self._vectors = embedder.embed(texts) if texts else np.zeros((0, 384), np.float32)
        self._words = [set().union(*(content_words(expand(t)) for t in d)) if d else set() for d in entries]
        frequency: Counter[str] = Counter(w for ws in self._words for w in ws)
        self._idf = {w: math.log(1 + self.count / n) for w, n in frequency.items()}

    def scores(self, question: str) -> np.ndarray:
        out = np.full(self.count, -1.0, np.float32)
        if not self.count:
            return out
        question = expand(spoken(question))
        similarity = self._vectors @ self.embedder.embed([question])[0]
        np.maximum.at(out, np.array(self._owner), similarity)
        asked = content_words(question)
        if asked and self.lexical_weight:
            for index, known in enumerate(self._words):
                shared = asked & known
                if shared:
                    weight = sum(self._idf[w] for w in shared) / sum(
                        self._idf.get(w, math.log(1 + self.count)) for w in asked
                    )
                    out[index] += self.lexical_weight * weight
        return out

    def best(self, question: str) -> Hit | None:
        scores = self.scores(question)
        if not self.count:
            return None
        order = np.argsort(-scores)
        runner_up = float(scores[order[1]]) if self.count > 1 else -1.0
        return Hit(int(order[0]), float(scores[order[0]]), runner_up)

    def top(self, question: str, k: int) -> list[tuple[int, float]]:
        scores = self.scores(question)
        order = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in order]


def split_topic(topic: str) -> list[str]:
    """'politics and elections' -> the whole phrase and each part, each matched on its own."""
    parts = [p.strip() for p in re.split(r",|\band\b|\bor\b|/", topic) if p.strip()]
    return [topic, *parts] if len(parts) > 1 else [topic]
