"""Curated-answer matching on paraphrases, with the real embedding model.

Question sets (all written by hand, spoken style):

* the persona question files (used for `kiosk persona eval`) and tests/knowledge/data/*-dev.toml and
  *-sealed.toml: dev data, the thresholds in kiosk/knowledge/curated.py were measured on them;
* *-heldout.toml: written before the matcher's last rework and run once for the baseline (80.0% right,
  22/58 off-topic questions matched); its failures were then looked at, so it is dev data too;
* *-heldout2.toml: written after that rework and run once (91.1% right, 13/53 others matched); then
  dev data for the near-miss checks (NEAR_MISSES, time/price of another subject) in curated.py;
* *-heldout3.toml: written before the near-miss checks, run once before (89.4% right, 0 wrong, 28/68
  others matched) and once after them (89.4%, 0 wrong, 20/68);
* *-heldout4.toml ... *-heldout10.toml: written blind by separate sessions that read only the persona
  files (sets 6 to 10 asked for harder questions: visitors who tell their circumstances first, slang,
  indirect asks). Each was run once, sealed, on the code of its day, then became dev data. Right /
  wrong entry / others matched, on the code at the start of that session -> sealed run:
  set 4: 90.7% / 0 / 14 of 67 -> (dev);  set 5: 89.4% / 0 / 14 of 63 -> 97.9% / 0 / 6 of 63;
  set 6: 75.0% / 1% / 7 of 64 -> 81.0% / 0 / 2 of 64;  set 7: 73.1% / 0.9% / 11 of 64 -> 92.6% / 0 / 5 of 64;
  set 8: 73.1% / 1.9% / 9 of 61 -> 86.1% / 0.9% / 5 of 61;  set 9: 70.4% / 0 / 15 of 64 -> 91.7% / 0.9% /
  5 of 64;  set 10: 68.5% / 0.9% / 15 of 63 -> 88.9% / 0 / 5 of 63.
* *-heldout11.toml: plain style like set 5, written blind and run once on the final code of session 3:
  82.6% / 0 / 10 of 63 at its start -> 94.8% / 0 / 3 of 63 (the last honest figure). Then one fix
  ("hi, I've come to pick up an order" was taken for small talk) made it 95.7%.

Three measures: paraphrases matched to their entry (of the curated questions), paraphrases matched to
a wrong entry, and other questions (off-topic, near-misses, facts, declined topics) matched to any
entry. The floors are the measured figures with a little slack, so a regression fails.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.knowledge.answerer import GroundedPrompts
from kiosk.knowledge.questions import load_questions

from .conftest import DATA, PERSONAS, question_file


def _score(prompts: GroundedPrompts, path: Path) -> tuple[int, int, int, int, int]:
    """(right, curated questions, matched to a wrong entry, other questions, others matched)."""
    right = positives = wrong = others = false = 0
    for question in load_questions(path):
        decision = prompts.decide(question.text)
        matched = decision.qa + 1 if decision.kind == "curated" and decision.qa is not None else None
        if question.expect == "curated":
            positives += 1
            right += matched == question.qa
            wrong += matched is not None and matched != question.qa
        else:
            others += 1
            false += matched is not None
    return right, positives, wrong, others, false


# (question files, min share right, max share matched to a wrong entry, max share of others matched)
SETS = {
    "question-files": (question_file, 0.98, 0.01, 0.02),  # measured 100%, 0%, 0/52
    "dev+sealed": (lambda name: [DATA / f"{name}-dev.toml", DATA / f"{name}-sealed.toml"], 0.94, 0.01, 0.02),
    # measured 83/86 (96.5%), 0, 0/33
    "heldout": (lambda name: DATA / f"{name}-heldout.toml", 0.97, 0.01, 0.06),  # 100%, 0, 2/58
    "heldout2": (lambda name: DATA / f"{name}-heldout2.toml", 0.94, 0.01, 0.08),  # 96.3%, 0, 3/53
    "heldout3": (lambda name: DATA / f"{name}-heldout3.toml", 0.96, 0.01, 0.10),  # 98.1%, 0, 5/68
    "heldout4": (lambda name: DATA / f"{name}-heldout4.toml", 0.97, 0.01, 0.10),  # 100%, 0, 5/67
    "heldout5": (lambda name: DATA / f"{name}-heldout5.toml", 0.95, 0.01, 0.09),  # 97.9%, 0, 4/63
    "heldout6": (lambda name: DATA / f"{name}-heldout6.toml", 0.96, 0.01, 0.04),  # 98.0%, 0, 1/64
    "heldout7": (lambda name: DATA / f"{name}-heldout7.toml", 0.95, 0.01, 0.08),  # 97.2%, 0, 4/64
    "heldout8": (lambda name: DATA / f"{name}-heldout8.toml", 0.95, 0.015, 0.04),  # 97.2%, 0.9%, 1/61
    "heldout9": (lambda name: DATA / f"{name}-heldout9.toml", 0.95, 0.01, 0.07),  # 97.2%, 0, 3/64
    "heldout10": (lambda name: DATA / f"{name}-heldout10.toml", 0.91, 0.01, 0.08),  # 92.6%, 0, 4/63
    "heldout11": (lambda name: DATA / f"{name}-heldout11.toml", 0.94, 0.01, 0.06),  # 95.7%, 0, 3/63
}


@pytest.mark.parametrize("name", list(SETS))
def test_paraphrases_match_the_right_entry(grounded: dict[str, GroundedPrompts], name: str) -> None:
    files, min_right, max_wrong, max_false = SETS[name]
    right = positives = wrong = others = false = 0
    for persona in PERSONAS:
        paths = files(persona)
        for path in paths if isinstance(paths, list) else [paths]:
            r, p, w, o, f = _score(grounded[persona], path)
            right, positives, wrong, others, false = (
                right + r,
                positives + p,
                wrong + w,
                others + o,
                false + f,
            )
    assert right / positives >= min_right, f"{right}/{positives} right"
    assert wrong / positives <= max_wrong, f"{wrong}/{positives} matched to a wrong entry"
    assert false / others <= max_false, f"{false}/{others} other questions matched to an entry"


def test_matching_is_fast(grounded: dict[str, GroundedPrompts]) -> None:
    prompts = grounded["retail-assistant"]
    prompts.decide("warm up")
    medians = []
    for round_ in range(3):  # best of three rounds: the test machine is shared with other jobs
        times = []
        for i in range(15):
            start = time.perf_counter()
            prompts.decide(f"where could I find item number {round_}-{i} in the shop")
            times.append(time.perf_counter() - start)
        medians.append(sorted(times)[len(times) // 2])
    assert min(medians) < 0.05, medians  # budget: 50 ms per question on 2 cores
