"""Curated-answer matching on paraphrases, with the real embedding model.

The persona question files and the sealed files hold paraphrases written by hand; the sealed ones were
written before the last changes to the matcher and never used to tune it (tests/knowledge/data/*-dev.toml
were). The floors below are the measured figures, so a regression fails; the issue's target (>= 95%
right, < 2% wrong) is not reached on the sealed set.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.knowledge.answerer import GroundedPrompts
from kiosk.knowledge.questions import load_questions

from .conftest import DATA, PERSONAS, question_file


def _score(prompts: GroundedPrompts, path: Path) -> tuple[int, int, int, int]:
    right = positives = wrong = total = 0
    for question in load_questions(path):
        decision = prompts.decide(question.text)
        total += 1
        matched = decision.qa + 1 if decision.kind == "curated" and decision.qa is not None else None
        if question.expect == "curated":
            positives += 1
            right += matched == question.qa
            wrong += matched is not None and matched != question.qa
        else:
            wrong += matched is not None
    return right, positives, wrong, total


@pytest.mark.parametrize(
    ("files", "min_right", "max_wrong"),
    [
        (lambda name: question_file(name), 0.86, 0.01),
        (lambda name: DATA / f"{name}-sealed.toml", 0.78, 0.045),
    ],
    ids=["question-files", "sealed"],
)
def test_paraphrases_match_the_right_entry(
    grounded: dict[str, GroundedPrompts], files, min_right, max_wrong
) -> None:
    right = positives = wrong = total = 0
    for name in PERSONAS:
        r, p, w, t = _score(grounded[name], files(name))
        right, positives, wrong, total = right + r, positives + p, wrong + w, total + t
    assert right / positives >= min_right, f"{right}/{positives} right"
    assert wrong / total <= max_wrong, f"{wrong}/{total} matched to a wrong entry"


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
