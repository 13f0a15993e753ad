"""Curated answers: which staff-written ``[[knowledge.qa]]`` entry a visitor's question means, if any.

A wrong curated answer is worse than none (the model, grounded in the facts, or the unknown line
follows), so an entry is chosen only when all of these agree:

* **meaning**: the question (as plain words: ``text.spoken``) is close (MiniLM cosine) to one of
  the entry's phrasings (or, a little less, its answer), plus a bonus for sharing the entry's
  uncommon words, and clearly closer than to any other entry (the margin);
* **nothing else asked**: each word naming what the question is about must be one the entry uses.
  A word the persona uses only for other entries or facts ("what time does the *gift shop* close")
  costs a lot; a word the persona never uses costs less and asks for a clear margin, unless it is
  close in meaning to one of the entry's own words ("kids" for "children": the words themselves are
  compared as embeddings, only when it matters);
* **the right kind of answer**: "how much" / "what time" questions need an answer stating a price /
  a time ("how much is a coffee" is not answered by "the cafe is on the ground floor"), and must not
  name something only other entries or facts talk about ("what time does the workshop close"); "who
  makes", "how long", "how many", "what kind of" ... need an answer (or a staff phrasing) of that kind
  (``kinds.KINDS``);
* **no particular need left unanswered**: "does the cafe do *vegan* food", "a tour *in French*": the
  entry's own text must name the same need (``kinds.NEEDS``);
* **not about a landmark**: "is there a gift shop" is not the cafe entry whose answer only gives
  directions by it ("next to the gift shop");
* **not a fact question**: a fact no entry's answer covers ("the Lighthouse gallery is on the second
  floor") must not be a better match than the entry;
* **not a different ask about the same thing**: with the entry's own words masked ("do you rent tents"
  -> "do you rent thing"), the question must not be one of the everyday asks kiosk entries rarely
  answer (``NEAR_MISSES``: renting, warranties, ordering online, offers, sizes, ...) unless the entry's
  own phrasings ask it too.

Staff improve matching by adding phrasings to an entry (``questions = [...]``), not by editing code.
The thresholds (``MatchSettings``) were measured on the example personas' question files and
tests/knowledge/data (see tests/knowledge/test_matching.py for which sets were held out).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from kiosk.knowledge import kinds
from kiosk.knowledge.embed import Embedder
from kiosk.knowledge.matcher import GENERIC, STOP, Hit, content_words, stem
from kiosk.knowledge.synonyms import GROUPS, canonical, expand
from kiosk.knowledge.text import DAYS, MONTHS, NUMBER_WORDS, ORDINALS, spoken, words


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Everyday English words that say how or when something is asked, not what about: they never make a
# question "about something else". A general list (not taken from any persona).
COMMON = _wordset(
    """able about above across actually after again against ago all almost alone along already always among another
    answer anyone anything anyway anywhere around ask asked asking available away back bad basically be because become
    becomes before begin behind being below best better between big bit both bought bring bringing
    brought buy buying call called came can cannot certain change check come comes coming could day
    days different do does doing done down drop dropping during each easy either else end enough
    even ever every everyone exactly fast few find fine finish first fit follow for found full fully
    get gets getting give given go goes going gone good got great happen happens hard have having
    hear help here high hold how idea important inside instead into itself just keep kind know large
    last late later least leave left less let like likely little long look looking lot lots made
    main make makes many may maybe mean might mine minute minutes more most much must myself near
    need needed needs never new next nice no none normally now off often ok okay old once one only
    onto open other others our out outside over own part particular people person pick place plan
    possible pretty probably quick quickly quite rather ready real really right round said same say
    saying says see seem seen sell selling sells send sending sent set should show shown side since
    small so some someone something sometimes somewhere soon sorry start started stay staying stays straight warm
    still stuff such suppose sure take taken taking talk tell than them themselves then there thing
    things think though through till time times today together tomorrow tonight too top try trying
    turn under until up use used using usually very wait want wanted wants way ways well went what
    whatever when where whether which while who whole why will wish with within without wonder work
    working would yes yet yourself yourselves
    mum mom mother dad father husband wife partner nephew niece grandma grandmother grandad grandfather granny
    grandparents friend friends brother sister boyfriend girlfriend son daughter aunt uncle cousin nan nana gran
    grandpa grandson granddaughter cos coz cause massive huge tiny everywhere everything programme program""",
)
# Opening and closing are what a question is about ("is the gift shop open"): never ignored.
_HOURS = {"open", "opens", "opening", "close", "closes", "closing", "closed", "shut", "shuts"}
_IGNORED = STOP | GENERIC | COMMON | set(NUMBER_WORDS) | set(ORDINALS) | set(MONTHS) | set(DAYS)
_IGNORED = (_IGNORED | {d + "s" for d in DAYS}) - _HOURS
_IGNORED_STEMS = {stem(w) for w in _IGNORED} - {stem(w) for w in _HOURS}

# "How much is ..." wants a price; "what time ..." wants a time. The entry's answer must state one.
_PRICE_SAID = re.compile(r"[£$€]|\b(pounds?|dollars?|euros?|pence|cents?|free|percent)\b", re.IGNORECASE)
_TIME_ASKED = re.compile(
    r"\b(what time|how late|how early|opening (hours|times)|closing time)\b"
    r"|\bwhen (do|does|is|are|will)\b.*\b(open|opens|close|closes|closing|shut|shuts)\b",
    re.IGNORECASE,
)
_CLOCK = r"(\d+|" + "|".join(w for w, v in NUMBER_WORDS.items() if isinstance(v, int) and 1 <= v <= 12) + r")"
_TIME_SAID = re.compile(
    rf"\b{_CLOCK}(:\d\d)?\s*(am|pm|a\.m\.|p\.m\.|o'clock)|\d:\d\d|\b(noon|midnight|hour|hours|daily)\b"
    rf"|\b({'|'.join(DAYS)})s?\b",
    re.IGNORECASE,
)
# A question or request, as opposed to a remark ("hi there, nice stand").
_ASKS = re.compile(
    r"\b(what|where|when|how|who|which|why|can|could|do|does|did|is|are|will|would|should|may|have|has|"
    r"need|want|looking|tell me|picking up|collecting|here to|here for|after|trying to|like to)\b",
    re.IGNORECASE,
)
_CHAT_ASK = re.compile(r"\bhow (is|are) (the show|your day|it going|things|you|business)\b|\bhow is it going\b")
_SMALL_TALK = re.compile(
    r"^\W*(hello|hi|hey|good (morning|afternoon|evening)|how are you|thanks|thank you|bye|goodbye|nice)\b",
    re.IGNORECASE,
)


# Everyday asks about a venue's things that a curated entry about the same thing rarely answers: "do you
# rent tents" is not "where are the tents". Compared with the question after the entry's own words are
# masked as "thing"; an entry whose own phrasings make the same ask is not affected. A general list (not
# taken from a persona).
NEAR_MISSES = (
    "do you rent thing",
    "can I rent thing for the weekend",
    "is there a warranty on thing",
    "is there a guarantee",
    "can I order online",
    "is there an online shop",
    "do you deliver",
    "can you send it to my house",
    "are there any offers on thing",
    "is there a sale on at the moment",
    "are dogs allowed",
    "can I bring my own food and drink",
    "where can I try thing on",
    "is there a changing room",
    "what sizes do you have",
    "do you have thing in my size",
    "is thing in stock",
    "who makes thing",
    "which brand is thing",
    "who founded thing",
    "who owns the company",
    "who is the manager",
    "how many people work here",
    "are there any jobs going",
    "is there a cash machine",
    "what is the wifi password",
    "can I charge my phone",
    "when does thing expire",
    "can I cancel my order",
    "can I book thing in advance",
    "is there thing in another language",
    "how much does thing weigh",
    "is there a video online",
    "can I smoke here",
    "can you recommend a thing near here",
    "where is lost property",
)
_MASK = "thing"
_PLACES = {"floor", "level", "storey", "upstair", "downstair", "area", "room", "hall", "side", "building", "here"}
_LANDMARK = re.compile(
    r"\b(?:next to|beside|by|near|behind|opposite|in front of|at|from|past|across from) the ((?:\w+ ){0,2}\w+)"
)




def _canonical(word: str) -> str:
    """A word's synonym group ("tonne" -> "payload"), else its stem's ("tonnes" -> ...), else the stem."""
    group = canonical({word})
    return next(iter(group)) if group != {word} else next(iter(canonical({stem(word)})))


_PHRASES = [(re.compile(rf"\b{re.escape(w)}\b"), c) for c, ws in GROUPS.items() for w in ws if " " in w]


def _join_phrases(text: str) -> str:
    """Multi-word everyday phrases ("car park", "gift card") as their synonym group's one word."""
    for pattern, canonical_word in _PHRASES:
        text = pattern.sub(canonical_word, text)
    return text


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds, measured on the example question files and tests/knowledge/data (not *-heldout5)."""

    lexical_weight: float = 0.15  # bonus for sharing the entry's words (idf-weighted share of the question)
    answer_discount: float = 0.1  # the answer counts as a phrasing, this much less similar
    minimum: float = 0.55  # best score needed with a clear margin ...
    margin: float = 0.08
    sure: float = 0.8  # ... or this score with a small margin
    sure_margin: float = 0.02
    clear: float = 0.45  # ... or this score, far ahead of every other entry, nothing else asked
    clear_margin: float = 0.26
    clear_margin_new_words: float = 0.45  # ... the same, with words the persona never uses
    foreign_cost: float = 0.2  # per subject word the persona uses elsewhere but the entry does not
    novel_cost: float = 0.12  # per subject word the persona never uses ...
    novel_margin: float = 0.15  # ... and the margin a question with one needs
    foreign_margin: float = 0.15  # the margin a question with a word of another entry needs
    synonym: float = 0.7  # a never-used word this similar to one of the entry's words is a synonym
    fact_margin: float = 0.0  # an uncovered fact this much more similar than the entry wins
    fact_owner: float = 0.6  # a fact this similar to an entry's answer is covered by it
    near_miss: float = 0.7  # the masked question this similar to a NEAR_MISSES ask is that ask ...
    near_miss_own: float = 0.2  # ... unless one of the entry's masked phrasings is within this of it


@dataclass(frozen=True)
class Candidate:
    index: int
    score: float  # after the costs of the question's words the entry does not use
    runner_up: float  # the same for the next best entry
    similarity: float  # before those costs
    foreign: frozenset[str]
    novel: frozenset[str]


class CuratedMatcher:
    """``match(question)``: the curated entry a question means, or None."""

    def __init__(
        self,
        embedder: Embedder,
        entries: list[tuple[list[str], str]],
        facts: list[str] | tuple[str, ...] = (),
        settings: MatchSettings | None = None,
    ) -> None:
        self.embedder = embedder
        self.settings = settings or MatchSettings()
        self.answers = [answer for _, answer in entries]
        self._gives = [{k.name for k in kinds.KINDS if kinds.gives(a, p, k)} for p, a in entries]
        self._needs = [set().union(*(kinds.meets(t) for t in [*p, a])) for p, a in entries]
        self.count = len(entries)
        owner: list[int] = []
        texts: list[str] = []
        for index, (phrasings, _) in enumerate(entries):
            for text in phrasings:
                texts.append(self._form(text))
                owner.append(index)
        self._owner = np.array(owner, dtype=np.intp)
        self._phrasings = embedder.embed(texts) if texts else np.zeros((0, 384), np.float32)
        self._answers = embedder.embed(self.answers) if entries else np.zeros((0, 384), np.float32)
        self._words = [
            set().union(*(self._lexical(t) for t in [*phrasings, answer])) for phrasings, answer in entries
        ]
        self._asked = [set().union(*(self._lexical(t) for t in phrasings)) for phrasings, _ in entries]
        # Places an answer gives its directions by ("next to the gift shop"): not what it is about.
        self._landmarks = [
            set().union(*(self._lexical(m) for m in _LANDMARK.findall(spoken(answer)))) - self._asked[i]
            for i, (_, answer) in enumerate(entries)
        ]
        self._lexicon = [
            canonical(set().union(*(content_words(expand(t)) for t in [*phrasings, answer])))
            for phrasings, answer in entries
        ]
        frequency: Counter[str] = Counter(w for ws in self._lexicon for w in ws)
        self._idf = {w: math.log(1 + self.count / n) for w, n in frequency.items()}
        self._known = set().union(*self._words, *(self._lexical(f) for f in facts))
        # Words of many entries ("museum", "store") name the venue, not one subject: never foreign.
        spread = Counter(w for ws in self._words for w in ws)
        self._venue = {w for w, n in spread.items() if n >= max(3, self.count // 3)}
        # The entries' own words as said, for telling a visitor's synonym from a new subject.
        said = [
            sorted(set().union(*(self._subjects(t, known=True).values() for t in [*p, a])))
            for p, a in entries
        ]
        vocabulary = sorted(set().union(*said))
        self._vocabulary = embedder.embed_many(vocabulary) if vocabulary else np.zeros((0, 384), np.float32)
        position = {w: i for i, w in enumerate(vocabulary)}
        self._said = [np.array([position[w] for w in ws], dtype=np.intp) for ws in said]
        # Facts no entry covers: a question closer to one of those is a fact question.
        self._facts = embedder.embed(list(facts)) if facts else np.zeros((0, 384), np.float32)
        covered = self._facts @ self._answers.T
        self._uncovered = [
            np.flatnonzero(covered[:, i] < self.settings.fact_owner) for i in range(self.count)
        ]
        # The everyday asks (NEAR_MISSES), and how closely each entry's own phrasings make them.
        self._near = embedder.embed_many(list(NEAR_MISSES))
        self._cover = [self._words[i] | self._venue for i in range(self.count)]
        self._own_near = np.full((self.count, len(NEAR_MISSES)), -1.0, np.float32)
        for index, (phrasings, _) in enumerate(entries):
            if phrasings:
                masked = embedder.embed_many([self._masked(p, self._cover[index]) for p in phrasings])
                own = np.concatenate([masked, self._phrasings[self._owner == index]])
                self._own_near[index] = (own @ self._near.T).max(axis=0)

    @staticmethod
    def _form(text: str) -> str:
        return expand(spoken(text))

    @staticmethod
    def _subjects(text: str, *, known: bool = False) -> dict[str, str]:
        """Words naming what ``text`` is about, canonical (stem, synonym group) -> as said.

        ``known``: for the persona's own texts, also the words of joined phrases ("more information"
        gives "brochure" and "information")."""
        out: dict[str, str] = {}
        plain = spoken(text)
        for word in words(_join_phrases(plain) + (" " + plain if known else "")):
            if word not in _IGNORED and stem(word) not in _IGNORED_STEMS and not word[0].isdigit():
                out.setdefault(_canonical(word), word)
        return out

    @staticmethod
    def _masked(text: str, cover: set[str]) -> str:
        """``text`` with the words naming what an entry is about as "thing" ("do you rent thing")."""
        out: list[str] = []
        for word in words(spoken(text)):
            own = (
                word not in _IGNORED
                and not word[0].isdigit()
                and next(iter(canonical({stem(word)}))) in cover
            )
            if not (own and out and out[-1] == _MASK):
                out.append(_MASK if own else word)
        return " ".join(out)

    def near_miss(self, question: str, index: int, vector: np.ndarray) -> tuple[str, float] | None:
        """The everyday ask (NEAR_MISSES) ``question`` (embedded as ``vector``) makes about entry
        ``index``'s subject that the entry's own phrasings do not make, with its similarity; None if
        none. Masked and as asked ("where is the nearest cash machine" for the payment entry)."""
        s = self.settings
        masked = self.embedder.embed_many([self._masked(question, self._cover[index])])[0]
        similar = np.maximum(self._near @ masked, self._near @ vector)
        best = int(similar.argmax())
        if similar[best] >= s.near_miss and similar[best] - self._own_near[index, best] >= s.near_miss_own:
            return NEAR_MISSES[best], float(similar[best])
        return None

    @staticmethod
    def _lexical(text: str) -> set[str]:
        return set(CuratedMatcher._subjects(text, known=True))

    def _similarities(self, form: str, vector: np.ndarray) -> np.ndarray:
        s = self.settings
        out = np.full(self.count, -1.0, np.float32)
        if len(self._owner):
            np.maximum.at(out, self._owner, self._phrasings @ vector)
        out = np.maximum(out, self._answers @ vector - s.answer_discount)
        asked = canonical(content_words(form))
        if asked and s.lexical_weight:
            total = sum(self._idf.get(w, math.log(1 + self.count)) for w in asked)
            for index, known in enumerate(self._lexicon):
                shared = asked & known
                if shared:
                    out[index] += s.lexical_weight * sum(self._idf[w] for w in shared) / total
        return out

    def candidate(self, question: str) -> tuple[Candidate, np.ndarray] | None:
        """The best entry for ``question`` with what speaks against it, and the question's embedding."""
        if not self.count:
            return None
        s = self.settings
        form = self._form(question)
        vector = self.embedder.embed([form])[0]
        similarity = self._similarities(form, vector)
        asked = self._subjects(question)
        new = [w for w in asked if w not in self._known]
        # A visitor's own word for something an entry names ("kids" for "children") is no new subject.
        # Only worth the look-up (one model pass for all the words) if some entry could still match.
        explain = bool(new) and len(self._vocabulary) > 0 and float(similarity.max()) >= s.clear
        close = self.embedder.embed_many([asked[w] for w in new]) @ self._vocabulary.T if explain else None
        foreign: list[frozenset[str]] = []
        novel: list[frozenset[str]] = []
        for index in range(self.count):
            foreign.append(
                frozenset(
                    w for w in asked if w in self._known and w not in self._words[index] | self._venue | _PLACES
                )
            )
            if close is not None and len(self._said[index]):
                nearest = close[:, self._said[index]].max(axis=1)
                novel.append(frozenset(w for w, n in zip(new, nearest, strict=True) if n < s.synonym))
            else:
                novel.append(frozenset(new))
        score = similarity - np.array(
            [s.foreign_cost * len(f) + s.novel_cost * len(n) for f, n in zip(foreign, novel, strict=True)],
            np.float32,
        )
        order = np.argsort(-score)
        best = int(order[0])
        runner_up = float(score[order[1]]) if self.count > 1 else -1.0
        found = Candidate(
            best, float(score[best]), runner_up, float(similarity[best]), foreign[best], novel[best]
        )
        return found, vector

    def match(self, question: str) -> Hit | None:
        c, why = self.explain(question)
        return Hit(c.index, c.score, c.runner_up) if c is not None and why is None else None

    def explain(self, question: str) -> tuple[Candidate | None, str | None]:
        """The best entry and why it is not a match (None: it is).

        A question told with its circumstances first ("we've just come off the train with our cases, can
        we leave them here") that is not a clear match is tried again on its question clause alone; what
        it asks for (a kind of answer, a particular need) is still checked on all of it."""
        c, why = self._explain(question, question)
        if c is not None and why in _UNSURE:
            clause = question_clause(question)
            if clause is not None:
                found, reason = self._explain(clause, question)
                # the clause alone may lose what it is about ("my mum is in a wheelchair, can she get to
                # all the galleries"): a fair match of the whole question to another entry vetoes it
                if reason is None and found is not None and (found.index == c.index or c.score < self.settings.clear):
                    return found, None
        return c, why

    def _explain(self, text: str, question: str) -> tuple[Candidate | None, str | None]:
        found = self.candidate(text)
        if found is None:
            return None, "no entries"
        c, vector = found
        s = self.settings
        margin = c.score - c.runner_up
        if c.novel and margin < s.novel_margin:
            return c, "new words, small margin"
        if c.foreign and margin < s.foreign_margin:
            return c, "other entries' words, small margin"
        if not (
            (c.score >= s.minimum and margin >= s.margin)
            or (c.score >= s.sure and margin >= s.sure_margin)
            or (c.score >= s.clear and margin >= s.clear_margin and not (c.novel or c.foreign))
            or (c.score >= s.clear and margin >= s.clear_margin_new_words and not c.foreign)
        ):
            return c, "score"
        rest = _SMALL_TALK.sub("", question, count=1)  # "hi, what are you selling here" still asks
        chat = _CHAT_ASK.search(spoken(rest))
        if rest != question and (chat or not (_ASKS.search(rest) or (self._subjects(rest) and c.score >= s.sure))):
            return c, "small talk"
        answer = self.answers[c.index]
        if c.foreign and (kinds.PRICE_ASKED.search(question) or _TIME_ASKED.search(question)):
            return c, "the time or price of something else"  # "what time does the workshop close"
        if kinds.PRICE_ASKED.search(question) and not _PRICE_SAID.search(answer):
            return c, "no price in the answer"
        if _TIME_ASKED.search(question) and not _TIME_SAID.search(answer):
            return c, "no time in the answer"
        subjects = set(self._subjects(text)) - self._venue
        if subjects & self._landmarks[c.index] and not (subjects & self._asked[c.index]) - _PLACES:
            return c, "about something the answer only mentions"  # "is there a gift shop": "cafe ... by the gift shop"
        missing = kinds.needs(question) - self._needs[c.index]
        if missing:
            return c, f"asks about {min(missing)}, which the answer does not mention"  # "vegan food"
        for kind in kinds.asked(question):
            if kind.name not in self._gives[c.index]:
                return c, f"no {kind.name} in the answer"  # "who makes the tents you sell"
        uncovered = self._uncovered[c.index]
        if len(uncovered) and float((self._facts[uncovered] @ vector).max()) >= c.similarity + s.fact_margin:
            return c, "a fact matches better"
        if self.near_miss(text, c.index, vector) is not None:
            return c, "a different ask about the same thing"
        return c, None


_UNSURE = {"score", "new words, small margin", "other entries' words, small margin"}
_CLAUSE_START = re.compile(
    r"\b(where|what|when|how|who|which|why|can|could|may|is there|are there|do you|does|will|have you|should)\b"
)


def question_clause(question: str) -> str | None:
    """The question after what a visitor tells first ("my mum is in a wheelchair, can she get to all the
    floors" -> "can she get to all the floors"); None when nothing (3 words or more) comes before it."""
    plain = spoken(question)
    for match in _CLAUSE_START.finditer(plain):
        if len(plain[: match.start()].split()) >= 3:
            clause = plain[match.start() :]
            return clause if len(clause.split()) >= 3 else None
    return None
