"""Words and venue specifics: the lexical side of matching and of the invented-fact guard."""

from __future__ import annotations

import re
import unicodedata

_CONTRACTIONS = {
    "what's": "what is",
    "where's": "where is",
    "when's": "when is",
    "how's": "how is",
    "who's": "who is",
    "it's": "it is",
    "i'm": "i am",
    "i'd": "i would",
    "can't": "can not",
    "don't": "do not",
    "doesn't": "does not",
    "isn't": "is not",
    "aren't": "are not",
    "you're": "you are",
    "we're": "we are",
    "there's": "there is",
    "i've": "i have",
    "won't": "will not",
    "let's": "let us",
}
_WORD = re.compile(r"[a-z0-9]+(?:[.:][0-9]+)?")

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "thousand": 1000,
    "half": 0.5,
    "dozen": 12,
}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "ground": 0,
    "basement": -1,
}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "weekend", "weekday")
MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "noon",
    "midnight",
)
_NUMERIC = re.compile(r"(\d+(?:[.,:]\d+)?)(?:st|nd|rd|th|am|pm|k|m|kg|km|%)?$")


def normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'")
    for short, long in _CONTRACTIONS.items():
        text = text.replace(short, long)
    return text


# What a speech recogniser writes down besides the question: hesitations, politeness, openers.
_FILLERS = re.compile(
    r"\b(u+m+|u+h+m*|e+r+m*|h+m+|a+h+|oh|you know|i mean|excuse me|sorry|please|kind of|sort of)\b"
)
_OPENERS = re.compile(r"^(so|well|ok|okay|right|and|but|hi|hello|hey|yeah|yes|oh|now|also|then)\b\s*")
_PUNCTUATION = re.compile(r"[^a-z0-9 ]+")
# Contractions the table above does not list ("haven't", "they'll", "the shop's").
_SHORT_FORM_WORDS = {"n't": " not", "'re": " are", "'ve": " have", "'ll": " will", "'d": " would", "'s": ""}
_SHORT_FORMS = re.compile(r"(n't|'re|'ve|'ll|'d|'s)\b")
_NEAR = re.compile(r"\b(close by|close to|nearby|near by)\b")  # "close" as in near, not as in closing time


def spoken(text: str) -> str:
    """A question as plain words: lower case, accents and punctuation dropped, contractions spelt out,
    and hesitations, politeness and openers ("um", "so", "excuse me", "please") left out.

    Typed and transcribed questions ("So, um, where's the café?") then read the same
    ("where is the cafe"), and the embedding compares what was asked, not how it was said.
    """
    original = text
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = normalise(text).replace("-", " ")
    text = _SHORT_FORMS.sub(lambda m: _SHORT_FORM_WORDS[m.group(1)], text)
    text = _PUNCTUATION.sub(" ", text)
    text = _FILLERS.sub(" ", text)
    text = _NEAR.sub("near", text)
    text = re.sub(r"\byou (guys|all|folks)\b", "you", text)
    text = re.sub(r"\s+", " ", text).strip()
    for _ in range(3):
        shorter = _OPENERS.sub("", text).strip()
        if not shorter or shorter == text:
            break
        text = shorter
    return text or normalise(original).strip()


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def _canonical_number(token: str) -> str | None:
    match = _NUMERIC.match(token)
    if not match:
        return None
    value = match.group(1).replace(",", "")
    if ":" in value:  # 5:30 -> 5:30 and also the hour 5 (stated as "5" or "5:00" in facts)
        hour, minute = value.split(":", 1)
        return hour if minute == "00" else value
    if "." in value:
        whole, frac = value.split(".", 1)
        return whole if set(frac) == {"0"} else value
    return str(int(value))


def specifics(text: str) -> set[str]:
    """Venue specifics a sentence states: numbers (in digits or words), ordinals, days and months.

    Canonical forms make "nine", "9", "9:00" and "9am" the same thing, so an answer can be checked
    against the facts whatever way either is written.
    """
    out: set[str] = set()
    for token in words(text.replace("-", " ")):
        if token in NUMBER_WORDS:
            value = NUMBER_WORDS[token]
            out.add(str(value) if not isinstance(value, float) else "0.5")
        elif token in ORDINALS:
            out.add(str(ORDINALS[token]))
        elif token.removesuffix("s") in DAYS:
            out.add(token.removesuffix("s"))
        elif token in MONTHS:
            out.add(token)
        else:
            number = _canonical_number(token)
            if number is not None:
                out.add(number)
    return out


def unsupported(answer: str, allowed: set[str]) -> set[str]:
    """Specifics in ``answer`` that no allowed text states (the invented-fact test)."""
    found = specifics(answer)
    # Small counts are ordinary speech ("one of our team", "a second"), not venue facts.
    ordinary = {"0", "1", "0.5"}
    return {s for s in found - allowed if s not in ordinary}
