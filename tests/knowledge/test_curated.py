"""The curated matcher's rules, each on a small made-up venue (real embedding model)."""

from __future__ import annotations

import pytest

from kiosk.knowledge.curated import CuratedMatcher
from kiosk.knowledge.embed import Embedder

ENTRIES = [
    (
        ["What are your opening hours?", "What time do you close?", "Are you open on Sundays?"],
        "We're open every day from 9 am to 5 pm.",
    ),
    (
        ["How much are tickets?", "Is it free for children?"],
        "Tickets are 8 pounds, and children under 12 go free.",
    ),
    (
        ["Is there a cafe?", "Where can I get a coffee?"],
        "The Tea Room cafe is on the ground floor, next to the gift shop.",
    ),
    (["Where are the toilets?"], "The toilets are by the main stairs."),
]
FACTS = [
    "The castle is open every day from 9 am to 5 pm.",
    "The armoury tower has a collection of 300 swords.",
]


@pytest.fixture(scope="module")
def matcher(embedder: Embedder) -> CuratedMatcher:
    return CuratedMatcher(embedder, ENTRIES, FACTS)


def _matched(matcher: CuratedMatcher, question: str) -> int | None:
    hit = matcher.match(question)
    return None if hit is None else hit.index + 1


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("um so when do you guys shut today", 1),
        ("What time do you open tomorrow?", 1),
        ("how much is it to get in", 2),
        ("do kids have to pay", 2),  # "kids": a word the file never uses, but close to "children"
        ("I'd love a cup of coffee", 3),
        ("excuse me where's the loo", 4),
        ("hi, where can I wash my hands", 4),
        ("how long are you open on sundays", 1),  # "how long": the hours answer states them
    ],
)
def test_paraphrases_find_their_entry(matcher: CuratedMatcher, question: str, entry: int) -> None:
    assert _matched(matcher, question) == entry


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # a price is asked, the cafe answer states none
        ("how much is a coffee", "no price in the answer"),
        # a fact no entry covers answers it better
        ("how many swords are in the armoury tower", None),
        ("hi there, nice castle", None),
        # the entry gives no maker, no duration: a different kind of answer is asked
        ("who makes the coffee in the cafe", "no person in the answer"),
        ("how long do the toilets stay open", None),
        # a particular need the entry's answer never names
        ("does the cafe do vegan food", "asks about diet"),
        ("can I bring my dog into the cafe", "asks about animals"),
        # the gift shop is only where the cafe is, not what the entry is about
        ("is there a gift shop", "about something the answer only mentions"),
    ],
)
def test_near_misses_match_no_entry(matcher: CuratedMatcher, question: str, reason: str | None) -> None:
    candidate, why = matcher.explain(question)
    assert candidate is not None and why is not None
    if reason is not None:
        assert why.startswith(reason), why
    assert matcher.match(question) is None


def test_a_subject_of_another_entry_costs_the_match(matcher: CuratedMatcher) -> None:
    # the gift shop's closing time is not the castle's: "gift shop" belongs to the cafe entry
    candidate, why = matcher.explain("what time does the gift shop close")
    assert candidate is not None and candidate.index == 0
    assert candidate.foreign == {"gift", "shop"} and candidate.similarity - candidate.score == pytest.approx(
        0.4
    )
    assert why is not None


def test_no_entries_no_match(embedder: Embedder) -> None:
    assert CuratedMatcher(embedder, [], FACTS).match("when do you open") is None


def test_answer_kinds() -> None:
    from kiosk.knowledge import kinds

    def names(question: str) -> list[str]:
        return [k.name for k in kinds.asked(question)]

    assert names("Um, who do I talk to about buying?") == ["person"]
    assert names("so who makes these boots") == ["person"]
    assert names("who are you") == []  # who the avatar is: small talk, not a maker
    assert names("what kind of battery does it use") == ["type"]
    assert names("how long does the tour last") == ["duration"]
    assert names("will my suitcase fit in the lockers") == ["fit"]
    assert names("where is the cafe") == names("do you sell tents") == []
    tour = kinds.KINDS[[k.name for k in kinds.KINDS].index("duration")]
    assert kinds.gives("Tours last about 45 minutes.", [], tour)
    assert not kinds.gives("Demos run every hour on the hour.", [], tour)
    assert kinds.gives("Demos run every hour on the hour.", ["How long is the demo?"], tour)


def test_question_clause_after_what_visitors_tell_first() -> None:
    from kiosk.knowledge.curated import question_clause

    assert question_clause("my mum's in a wheelchair, can she get to all the floors") == (
        "can she get to all the floors"
    )
    assert question_clause("we've been walking all morning where can we get a sandwich") == (
        "where can we get a sandwich"
    )
    assert question_clause("where is the cafe") is None  # nothing told first
    assert question_clause("we came by car where") is None  # too short to stand alone


def test_a_question_told_with_circumstances_first(matcher: CuratedMatcher) -> None:
    assert _matched(matcher, "we've been on our feet all morning with the kids, where can we get a coffee") == 3
