"""What kind of answer a question asks for ("who makes ...", "how long ...") and whether a text gives one,
and the particular needs it names ("vegan", "in French") that a text must name too to answer it.

A curated answer can only answer a question of a kind it gives: "who makes the tents you sell" is
not answered by "tents are in aisle 3", nor "how long does the demo last" by "demos run every hour".
General English patterns, not taken from a persona.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.knowledge.text import NUMBER_WORDS, spoken

# Words a spoken question may open with before its question word ("um, excuse me, who ...").
_OPENERS = (
    r"^(?:(?:um+|uh+|er+m?|so|and|ok|okay|right|well|hi|hey|hello|excuse me|sorry|please|"
    r"can you tell me|could you tell me|do you know|any idea|i wonder|i was wondering|quick question)\W+)*"
)
_NUMBER_WORDS = "|".join(w for w in NUMBER_WORDS if w != "half")
_NUMBER = rf"(?:\d+(?:[.,]\d+)?|{_NUMBER_WORDS}|a|an|half an?)"
_SIZES = r"metres?|meters?|cm|centimetres?|mm|inches|feet|foot|litres?|sizes?"
_UNITS_OF_TIME = r"(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)"


PRICE_ASKED = re.compile(  # "how much is ...", "is it free or do I have to pay"
    r"\b(price|prices|cost|costs|costing|fee|fees|expensive|cheap)\b"
    r"|\bhow much (is|are|for|to|does|do|will|would)\b|\b(is there a|do you|what do you|any) charge\b|\bcharge for\b"
    r"|\bfree or\b|\bor (is it|is there a) (free|charge)\b|\b(have|need) to pay\b|\bpay for (it|the|parking)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Kind:
    name: str
    asked: re.Pattern[str]
    given: re.Pattern[str]  # an answer stating this kind of thing


def _ask(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


KINDS = (
    Kind(
        "person",
        _ask(
            r"\bwho (makes|made|owns|owned|runs|ran|founded|started|designed|built|manufactures|supplies|"
            r"painted|wrote|is in charge)\b|"
            + _OPENERS
            + r"(whose\b|who (do|can|should|could|would) (i|we) (talk|speak|ask|contact|see|call)\b"
            r"|who (is|are|was|were) (the|your) (owner|founder|manager|boss|ceo|designer|maker|artist|painter))"
        ),
        _ask(
            r"\b(made|run|founded|owned|built|designed|led|started|supplied) by\b"
            r"|\b(staff|team|founders?|owners?|managers?|colleagues?|guides?|someone)\b"
        ),
    ),
    Kind(
        "duration",
        _ask(r"\bhow (long|quick(ly)?|soon)\b"),
        _ask(
            rf"\b{_NUMBER}\s*(?:-\s*)?{_UNITS_OF_TIME}\b|\b(overnight|all day|since|until|till)\b"
            r"|\b\d{1,2}(:\d\d)?\s*(am|pm)\b"  # opening times: "how long are you open"
        ),
    ),
    Kind(
        "number",
        _ask(r"\bhow many\b"),
        # a year ("founded in 2016") is no count
        _ask(rf"\b(?!(?:1[89]|20)\d\d\b)(\d+|{_NUMBER_WORDS})\b|\b(several|few|dozens|hundreds)\b"),
    ),
    Kind(
        "weight",
        _ask(r"\bhow heavy\b|\bweigh(s|t)?\b"),
        _ask(r"\b(kg|kilos?|kilograms?|grams?|tonnes?|tons?|pounds?|lbs?|ounces?|light|heavy)\b"),
    ),
    Kind(
        "speed",
        _ask(r"\bhow fast\b|\bspeed\b"),
        _ask(
            r"\b(mph|km/?h|kilometres? an hour|miles an hour|per (hour|second)|metres a second|fast|speed)\b"
            rf"|\b{_NUMBER}\s*(?:-\s*)?{_UNITS_OF_TIME}\b"  # "how fast can you fix it": "within 2 days"
        ),
    ),
    Kind(
        "size",
        _ask(r"\bhow (big|large|tall|wide|high|small|deep)\b|\bdimensions\b|\bwhat size\b"),
        _ask(rf"\b({_SIZES}|big|large|small|wide|tall)\b|\d"),  # "how big is a pilot": "5 robots"
    ),
    Kind(
        "fit",
        _ask(
            r"\b(big|large|wide|tall|long) enough\b|\bfit (in|into|inside)\b"
            r"|\b(will|would|does|do|can) (a|an|my|our|the|it|they)( \w+){0,3} fit\b"
        ),
        _ask(rf"\b({_SIZES}|any size|all sizes)\b"),
    ),
    Kind(
        "distance",
        _ask(r"\bhow far\b"),
        _ask(r"\b(walk|minutes?|metres?|meters?|miles?|km|kilometres?|next door|nearby|close|near|away|across)\b"),
    ),
    Kind(
        "type",
        _ask(
            r"\b(what|which) (kind|kinds|type|types|sort|sorts|brand|brands|make|model|models) of"
            r"(?! (battery life|life|time|price|money|speed|range|size|weight|load)\b)\b|\bwhat brand\b"
        ),
        _ask(r"\b(kinds|types|range|models|brands|including|such as)\b"),
    ),
    Kind("reason", _ask(_OPENERS + r"why\b"), _ask(r"\b(because|since|so that|as|due to|to keep|to protect)\b")),
)


# Particular needs a question can add to a subject an entry is about ("does the cafe do *vegan* food",
# "is there a tour *in French*"): an entry answers them only if its own text names one of the same group.
# A general list (not taken from a persona).
NEEDS = {
    "diet": "vegan|vegetarian|veggie|gluten|halal|kosher|allergy|allergies|allergic|dairy|lactose|nut|nuts",
    "baby": "baby changing|changing table|changing tables|breastfeeding|breast feeding|high chair|high chairs",
    "pushchair": "pram|prams|buggy|buggies|stroller|strollers|pushchair|pushchairs",
    "fitting": "changing room|changing rooms|fitting room|fitting rooms",
    "animals": "dog|dogs|pet|pets",
    "holidays": "bank holiday|bank holidays|public holiday|public holidays|christmas|easter|new year|boxing day",
    "delivery": "delivery|deliveries|deliver|delivered|shipping|ship it|post it|send it to|sent to my|to my house"
    "|home delivery",
    "rental": "hire|hire out|hiring|rent|rental|renting",
    "finance": "instalment|instalments|installment|installments|finance|monthly payments|pay later|klarna"
    "|split the payment|split payment|split the bill|split it",
    "cash machine": "cash machine|cashpoint|atm|cashback|cash back",
    "language": "in french|in german|in spanish|in italian|in chinese|in mandarin|in japanese|in dutch"
    "|in polish|in arabic|in portuguese|in russian|in english|in another language|in other languages"
    "|sign language|braille|subtitles|audio guide|audio guides|audioguide|hearing loop|large print",
    "private": "private|exclusive|vip",
    "own food": "own food|own drinks?|own sandwich(es)?|own lunch|packed lunch(es)?|picnic",
    "refund": "refund|refunds|money back|cancel|cancellation",
    "wifi": "wifi|wi fi|internet|password",
    "smoking": "smoke|smoking|vape|vaping",
    "online": "online|website|web site|app|internet",
    "equipment": "tripod|tripods|selfie stick|selfie sticks|monopod|drone|drones|lighting rig",
    "electric car": "electric car|electric cars|electric vehicle|ev charger|ev charging|car charger|charging point"
    "|charge my car",
    "currency": "in euros|in dollars|in pounds|in us dollars|foreign currency|other currencies|currency|currencies",
}
# Needs an answer meets without naming them: step-free access is what a pushchair needs.
MET_BY = {"pushchair": "step free|wheelchairs?|accessible|lifts?|ramps?", "rental": "borrow|borrowed|lend|loan"}
_NEEDS = {group: re.compile(rf"\b({phrases})\b") for group, phrases in NEEDS.items()}
_MET = {group: re.compile(rf"\b({NEEDS[group]}|{phrases})\b") for group, phrases in MET_BY.items()}


def needs(text: str) -> set[str]:
    """The particular needs (``NEEDS`` groups) ``text`` names."""
    plain = spoken(text)
    return {group for group, pattern in _NEEDS.items() if pattern.search(plain)}


def meets(text: str) -> set[str]:
    """The particular needs an answer or staff phrasing ``text`` speaks to (named, or ``MET_BY``)."""
    plain = spoken(text)
    return needs(text) | {group for group, pattern in _MET.items() if pattern.search(plain)}


def asked(question: str) -> list[Kind]:
    """The kinds of answer ``question`` asks for (none for "do you ...", "where ...", "what ...")."""
    text = re.sub(r"[^a-z0-9' ]+", " ", question.lower()).replace("who's", "who is").strip()
    return [k for k in KINDS if k.asked.search(text)]


def gives(answer: str, phrasings: list[str] | tuple[str, ...], kind: Kind) -> bool:
    """Whether an entry answers ``kind`` questions: its answer states one, or staff wrote such a question."""
    return bool(kind.given.search(answer)) or any(kind.asked.search(p.strip().lower()) for p in phrasings)
