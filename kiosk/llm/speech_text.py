"""Turning streamed LLM text into clean, speakable clauses.

Small models write markdown, emoji and stage directions ("*smiles*"); none of it should be spoken.
Clauses are cut as text streams in, so the first one can be synthesized while the rest is generated.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_STAGE_WORDS = (
    "smile|smiles|smiling|laugh|laughs|laughing|chuckle|chuckles|giggle|giggles|nod|nods|nodding|wave|waves|"
    "waving|wink|winks|sigh|sighs|pause|pauses|grin|grins|shrug|shrugs|clears throat|beams|excitedly|cheerfully"
)
_BOLD = re.compile(r"(\*\*|__)(.+?)\1")
_STAR_ACTION = re.compile(r"\*[^*\n]{1,60}\*")
_PAREN_ACTION = re.compile(rf"\((?:[^()]*\b(?:{_STAGE_WORDS})\b[^()]*)\)", re.IGNORECASE)
_BRACKETS = re.compile(r"\[[^\]\n]{0,60}\]")
_URL = re.compile(r"\b(?:https?://|www\.)([A-Za-z0-9.-]+)[^\s]*", re.IGNORECASE)
_EMAIL = re.compile(r"\b([\w.+-]+)@([\w-]+)\.([\w.]+)\b")
_LIST_MARK = re.compile(r"^\s*(?:[-*+•]|\d+[.)]|#{1,6})\s+", re.MULTILINE)
_CODE = re.compile(r"`+([^`]*)`+")
_SPACES = re.compile(r"\s+")
_ROLE_PREFIX = re.compile(r"^\s*(?:assistant|ava|bot|kiosk)\s*:\s*", re.IGNORECASE)

# Words a long first clause may be cut in front of when no punctuation comes soon enough.
_BREAK_WORDS = {
    "and", "but", "or", "so", "because", "which", "that", "who", "where", "when", "while", "with",
    "how", "for", "to", "in", "at", "on", "from", "about", "if", "as", "than", "since", "until", "after", "before",
}
FIRST_CLAUSE_SOFT_WORDS = 7  # look for a break word once the first clause is this long
FIRST_CLAUSE_HARD_WORDS = 10  # cut anyway at this length

# Sentence ends that are not: "Dr. Smith", "e.g. this", "3.5", "No. 4"
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "no", "vs", "etc", "e.g", "i.e", "a.m", "p.m", "approx", "mt", "jr", "sr"}


def _is_emoji(char: str) -> bool:
    if char in "\u200d\ufe0f\u20e3":
        return True
    category = unicodedata.category(char)
    return category == "So" or (category == "Sk" and ord(char) > 0x2000) or 0x1F000 <= ord(char) <= 0x1FAFF


def clean_for_speech(text: str) -> str:
    """Remove what a voice should not read aloud; keep the words."""
    text = _CODE.sub(r"\1", text)
    text = _BOLD.sub(r"\2", text)
    text = _STAR_ACTION.sub(" ", text)
    text = _PAREN_ACTION.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _URL.sub(lambda m: m.group(1).removeprefix("www.").replace(".", " dot "), text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)} at {m.group(2)} dot {m.group(3).replace('.', ' dot ')}", text)
    text = _LIST_MARK.sub("", text)
    text = "".join(" " if _is_emoji(c) else c for c in text)
    text = text.replace("*", " ").replace("#", " ").replace("_", " ").replace("~", " ")
    text = _ROLE_PREFIX.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return re.sub(r"\s+([,.!?;:])", r"\1", text)


def _count_words(text: str) -> int:
    return len(text.split())


@dataclass
class ClauseSplitter:
    """Feed streamed text with ``push``; get speakable clauses back as soon as they are complete.

    The first clause may end at a comma once it has ``first_min_words`` words (fast first audio);
    later ones wait for ``later_min_words`` so the voice keeps natural phrasing. The answer stops at
    ``max_sentences`` sentences or ``max_words`` words (``done`` turns True: stop generating).
    """

    max_sentences: int = 3
    max_words: int = 60
    first_min_words: int = 3
    later_min_words: int = 8
    _buffer: str = ""
    _emitted: list[str] = field(default_factory=list)
    _sentences: int = 0
    _words: int = 0
    done: bool = False

    def push(self, piece: str) -> list[str]:
        if self.done:
            return []
        self._buffer += piece
        out: list[str] = []
        while not self.done:
            cut = self._find_cut()
            if cut is None:
                break
            end, sentence_end = cut
            raw, self._buffer = self._buffer[:end], self._buffer[end:]
            self._emit(raw, sentence_end, out)
        if not self.done and _count_words(self._buffer) + self._words > self.max_words + 12:
            # runaway sentence with no punctuation: keep what fits and stop
            room = max(1, self.max_words - self._words)
            self._emit(" ".join(self._buffer.split()[:room]) + ".", True, out)
            self._buffer = ""
            self.done = True
        return out

    def finish(self) -> list[str]:
        """The generation ended: whatever is left becomes the last clause."""
        out: list[str] = []
        if not self.done and self._buffer.strip():
            self._emit(self._buffer, True, out)
        self._buffer = ""
        self.done = True
        return out

    @property
    def text(self) -> str:
        return " ".join(self._emitted)

    def _emit(self, raw: str, sentence_end: bool, out: list[str]) -> None:
        clause = clean_for_speech(raw)
        if sentence_end:
            self._sentences += 1
        if clause and any(c.isalnum() for c in clause):
            self._emitted.append(clause)
            self._words += _count_words(clause)
            out.append(clause)
        if self._sentences >= self.max_sentences or self._words >= self.max_words:
            self.done = True

    def _find_cut(self) -> tuple[int, bool] | None:
        text = self._buffer
        min_words = self.first_min_words if not self._emitted else self.later_min_words
        for match in re.finditer(r"([.!?]+[\"')\]]*|\n+|[,;:]|\s[-–—]\s)(?=\s|$)", text):
            end = match.end()
            if end >= len(text):
                return None  # the next token may extend it ("3." -> "3.5")
            mark = match.group(1)
            before = text[: match.start()].rstrip()
            if mark[0] in ".!?\n":
                last_word = before.split()[-1].lower().rstrip(".") if before.split() else ""
                if mark.startswith(".") and (last_word in _ABBREVIATIONS or last_word.isdigit() and len(before.split()) < 2):
                    continue
                if not clean_for_speech(text[:end]):
                    continue
                return end, True
            if _count_words(clean_for_speech(text[:end])) >= min_words:
                return end, False
        if not self._emitted:
            return self._soft_cut(text)
        return None

    @staticmethod
    def _soft_cut(text: str) -> tuple[int, bool] | None:
        """Cut a long first clause that has no punctuation yet in front of a conjunction or preposition."""
        words = list(re.finditer(r"\S+", text))
        complete = words if text[-1:].isspace() else words[:-1]  # the last word may still be growing
        if len(complete) < FIRST_CLAUSE_SOFT_WORDS:
            return None
        for index in range(4, len(complete)):
            if complete[index].group().lower() in _BREAK_WORDS:
                return complete[index].start(), False
        if len(complete) >= FIRST_CLAUSE_HARD_WORDS:
            return complete[FIRST_CLAUSE_HARD_WORDS - 1].end(), False
        return None
