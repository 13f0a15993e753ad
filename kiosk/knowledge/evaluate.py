"""`kiosk persona eval`: typed questions through the real matching and the real language model."""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from kiosk.knowledge.answerer import DAYS_AND_MONTHS, GroundedPrompts, GuardedLLM
from kiosk.knowledge.guard import known_words, unknown_names
from kiosk.knowledge.questions import Question
from kiosk.knowledge.text import specifics, unsupported
from kiosk.llm.base import LLMEngine
from kiosk.llm.prompt import History
from kiosk.llm.speech_text import ClauseSplitter


@dataclass
class Outcome:
    question: Question
    answer: str
    decision: str
    verdict: str  # "correct" | "refused" | "invented" | "wrong"
    invented: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    outcomes: list[Outcome]

    def counts(self) -> Counter[str]:
        return Counter(o.verdict for o in self.outcomes)

    def matching(self) -> tuple[int, int, int, int]:
        """(curated questions, matched right, matched wrong, questions matched to any entry wrongly)."""
        curated = [o for o in self.outcomes if o.question.expect == "curated"]
        right = sum(o.verdict == "correct" for o in curated)
        wrong_curated = sum(o.decision.startswith("curated") and o.verdict != "correct" for o in curated)
        false = sum(o.decision.startswith("curated") for o in self.outcomes if o.question.expect != "curated")
        return len(curated), right, wrong_curated, false

    def summary(self) -> str:
        counts = self.counts()
        total, right, wrong, false = self.matching()
        n = len(self.outcomes)
        return (
            f"{n} questions: {counts['correct']} correct, {counts['refused']} refused correctly, "
            f"{counts['invented']} invented a fact, {counts['wrong']} other wrong answers\n"
            f"curated matching: {right}/{total} right, {wrong + false}/{n} matched to a wrong entry"
        )


def _contains(answer: str, expected: str) -> bool:
    text = answer.lower()
    return any(re.search(rf"\b{re.escape(alt.strip().lower())}\b", text) for alt in expected.split("|"))


def answer_one(prompts: GroundedPrompts, llm: GuardedLLM, question: str) -> tuple[str, str]:
    """(decision, spoken answer) the way AnswerStage produces it, without audio."""
    decision = prompts.decide(question)
    style = prompts.persona.style
    splitter = ClauseSplitter(max_sentences=style.max_sentences, max_words=style.max_words)
    if decision.text is not None:
        splitter.push(decision.text)
        splitter.finish()
        label = decision.kind if decision.qa is None else f"curated:{decision.qa + 1}"
        return label, splitter.text
    messages = History().messages(prompts.system_prompt(), prompts.user_message(question))
    for piece in llm.stream(messages, threading.Event()):
        splitter.push(piece)
        if splitter.done:
            break
    splitter.finish()
    return "model", splitter.text


def evaluate(prompts: GroundedPrompts, engine: LLMEngine, questions: list[Question]) -> Report:
    persona = prompts.persona
    knowledge = persona.knowledge
    known_text = " ".join([*knowledge.facts, *(qa.answer for qa in knowledge.qa), persona.name])
    known = specifics(known_text)
    names = known_words(known_text, persona.greeting, persona.style.personality, DAYS_AND_MONTHS)
    refusals = {knowledge.unknown_line.strip(), knowledge.decline_line.strip()}
    llm = GuardedLLM(engine, lambda: prompts)
    outcomes = []
    for question in questions:
        start = time.monotonic()
        decision, answer = answer_one(prompts, llm, question.text)
        made_up = sorted(unsupported(answer, known | specifics(question.text)))
        made_up += sorted(unknown_names(answer, names | known_words(question.text)))
        refused = answer.strip() in refusals
        if made_up or (question.expect == "unknown" and decision == "model" and not refused):
            # an answer to a question the facts do not cover is made up, numbers or not
            verdict = "invented"
        elif question.expect in ("unknown", "decline", "injection"):
            verdict = "refused" if refused else "wrong"
        elif question.expect == "curated":
            verdict = "correct" if decision == f"curated:{question.qa}" else "wrong"
        elif question.expect == "fact":
            verdict = "correct" if all(_contains(answer, f) for f in question.facts) else "wrong"
        else:
            verdict = "correct" if answer.strip() and not refused and decision == "model" else "wrong"
        outcomes.append(Outcome(question, answer, decision, verdict, made_up, time.monotonic() - start))
    return Report(outcomes)
