from __future__ import annotations

from kiosk.knowledge.text import specifics, spoken, unsupported


def test_specifics_are_canonical_whatever_the_spelling() -> None:
    assert specifics("We open at 9am, close at 5:30 pm on Mondays") == {"9", "5:30", "monday"}
    assert specifics("nine o'clock, twelve pounds, £12.00, the second floor") == {"9", "12", "2"}
    assert specifics("Tickets are 14 pounds") == specifics("tickets are fourteen pounds")


def test_unsupported_ignores_ordinary_small_words() -> None:
    facts = specifics("Open 10 am to 6 pm, Tuesday to Sunday.")
    assert unsupported("We're open from ten until six on Sunday.", facts) == set()
    assert unsupported("One of our team opens at 8 on Monday.", facts) == {"8", "monday"}


def test_spoken_questions_read_like_typed_ones() -> None:
    assert spoken("So, um, where's the café?") == "where is the cafe"
    assert spoken("uh do you guys have lockers") == "do you have lockers"
    assert spoken("Excuse me, is it step-free? Thanks") == "is it step free thanks"
    assert spoken("I haven't worn them, they'll fit") == "i have not worn them they will fit"
    assert spoken("is there parking close by") == "is there parking near"
    assert spoken("um") == "um"  # nothing left: the text as it was
