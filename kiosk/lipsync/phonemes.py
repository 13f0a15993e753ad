"""Which Oculus viseme each espeak-ng IPA phoneme (as Piper emits them) shows on the lips."""

from __future__ import annotations

VISEMES: tuple[str, ...] = ("sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "I", "O", "U")
VISEME_INDEX = {name: index for index, name in enumerate(VISEMES)}

# Symbols that carry no mouth shape of their own: stress and length marks, pauses, Piper's BOS/EOS.
SILENT = set("^$_ ,.;:!?ˈˌː'\"()-–—\u0329\u032a\u0303")

PHONEME_VISEME: dict[str, str] = {
    # bilabials
    "p": "PP", "b": "PP", "m": "PP",
    # labiodentals
    "f": "FF", "v": "FF",
    # dentals
    "θ": "TH", "ð": "TH",
    # alveolar stops / flaps
    "t": "DD", "d": "DD", "ɾ": "DD", "ʔ": "DD",
    # velars
    "k": "kk", "g": "kk", "ɡ": "kk", "ŋ": "kk", "x": "kk", "h": "kk",
    # post-alveolars
    "ʃ": "CH", "ʒ": "CH", "tʃ": "CH", "dʒ": "CH", "ç": "CH", "j": "I",
    # sibilants
    "s": "SS", "z": "SS",
    # nasals and laterals
    "n": "nn", "l": "nn", "ɫ": "nn", "ɲ": "nn",
    # rhotics
    "r": "RR", "ɹ": "RR", "ɚ": "RR", "ɝ": "RR", "ɐ": "aa",
    # open vowels
    "a": "aa", "ɑ": "aa", "æ": "aa", "ʌ": "aa", "ɒ": "O",
    # mid vowels
    "e": "E", "ɛ": "E", "ə": "E", "ɜ": "E",
    # close front vowels
    "i": "I", "ɪ": "I", "ᵻ": "I", "y": "U",
    # back rounded vowels
    "o": "O", "ɔ": "O", "ɵ": "O",
    "u": "U", "ʊ": "U", "w": "U", "ɯ": "U",
}


def viseme_of(phoneme: str) -> str:
    """The viseme for one Piper phoneme string (may hold a multi-character symbol); 'sil' if none."""
    if phoneme in PHONEME_VISEME:
        return PHONEME_VISEME[phoneme]
    stripped = "".join(c for c in phoneme if c not in SILENT)
    if not stripped:
        return "sil"
    if stripped in PHONEME_VISEME:
        return PHONEME_VISEME[stripped]
    return PHONEME_VISEME.get(stripped[0], "E")  # unknown vowel-like symbols: a neutral open mouth
