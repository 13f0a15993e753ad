from kiosk.llm.speech_text import ClauseSplitter, clean_for_speech


def stream(text: str, splitter: ClauseSplitter | None = None, step: int = 3) -> list[str]:
    splitter = splitter or ClauseSplitter()
    out: list[str] = []
    for i in range(0, len(text), step):
        out += splitter.push(text[i : i + step])
    return out + splitter.finish()


def test_markdown_emoji_and_stage_directions_are_not_spoken():
    text = "**Hours:** we're open 9 to 5 😊 *smiles warmly* (laughs) [pause] see https://www.museum.org/visit"
    assert clean_for_speech(text) == "Hours: we're open 9 to 5 see museum dot org"


def test_lists_and_headings_become_plain_sentences():
    assert clean_for_speech("### Tips\n- Bring water\n1. Wear shoes") == "Tips Bring water Wear shoes"


def test_email_is_spoken_as_words():
    assert clean_for_speech("Write to info@museum.org today") == "Write to info at museum dot org today"


def test_first_clause_is_cut_at_a_comma_once_long_enough():
    assert stream("Sure, the museum opens at nine, and it closes at five. Enjoy!") == [
        "Sure, the museum opens at nine,",
        "and it closes at five.",
        "Enjoy!",
    ]


def test_abbreviations_times_and_decimals_do_not_end_sentences():
    clauses = stream("Dr. Smith starts at 9 a.m. and talks for 1.5 hours. Then lunch.", ClauseSplitter(max_sentences=5))
    assert clauses[-1] == "Then lunch."
    assert " ".join(clauses) == "Dr. Smith starts at 9 a.m. and talks for 1.5 hours. Then lunch."


def test_long_first_clause_without_punctuation_is_cut_before_a_conjunction():
    clauses = stream("Yes there is a lovely cafe on the ground floor next to the entrance and it serves lunch.")
    assert clauses[0] == "Yes there is a lovely cafe"
    assert len(clauses) == 2


def test_answer_is_capped_by_sentences_and_generation_should_stop():
    splitter = ClauseSplitter(max_sentences=2)
    clauses = stream("One. Two. Three. Four.", splitter)
    assert clauses == ["One.", "Two."]
    assert splitter.done


def test_runaway_answer_without_punctuation_is_capped_by_words():
    splitter = ClauseSplitter(max_words=20)
    clauses = stream(" ".join(["word"] * 200), splitter)
    assert splitter.done
    assert sum(len(c.split()) for c in clauses) <= 20 + 12


def test_only_emoji_gives_nothing_to_say():
    assert stream("😊😊 🎉") == []
