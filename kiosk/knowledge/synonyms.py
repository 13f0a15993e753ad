"""Everyday words visitors use for common kiosk topics, mapped to one canonical word.

The embedding model knows little of "loo" or "rucksack"; adding the canonical word to a question
("I need the loo" -> "... toilet") lets both the embedding and the word overlap see the topic.
"""

from __future__ import annotations

import re

GROUPS: dict[str, tuple[str, ...]] = {
    "toilet": (
        "loo",
        "restroom",
        "restrooms",
        "bathroom",
        "bathrooms",
        "wc",
        "lavatory",
        "washroom",
        "washrooms",
        "toilets",
        "the ladies",
        "the gents",
        "ladies room",
        "men room",
        "mens room",
        "powder room",
        "wash my hands",
        "wee",
        "pee",
        "potty",
    ),
    "cafe": (
        "restaurant",
        "coffee",
        "food",
        "eat",
        "lunch",
        "snack",
        "snacks",
        "sandwich",
        "drink",
        "drinks",
        "hungry",
        "thirsty",
        "canteen",
        "cafeteria",
        "tea",
        "breakfast",
    ),
    "ticket": ("tickets", "admission", "entry", "entrance fee", "get in"),
    "price": ("cost", "costs", "fee", "fees", "charge", "expensive", "cheap"),
    "hours": ("opening", "open", "close", "closing", "shut", "times", "late", "till what time"),
    "parking": ("park", "car", "cars", "car park", "garage", "drive here"),
    "tour": (
        "tours",
        "guided",
        "guide",
        "guides",
        "show us around",
        "show us round",
        "take us around",
        "take us round",
        "show me around",
        "show me round",
        "walk around",
    ),
    "locker": (
        "lockers",
        "cloakroom",
        "coat",
        "coats",
        "bag",
        "bags",
        "luggage",
        "suitcase",
        "backpack",
        "rucksack",
        "umbrella",
    ),
    "photo": (
        "photos",
        "photograph",
        "photography",
        "pictures",
        "picture",
        "camera",
        "film",
        "filming",
        "video",
        "selfie",
    ),
    "wheelchair": ("accessible", "accessibility", "disabled", "mobility", "step free", "ramp", "scooter"),
    "return": ("returns", "refund", "refunds", "exchange", "swap", "bring back", "take back"),
    "voucher": (
        "gift card",
        "gift cards",
        "present card",
        "gift certificate",
        "gift certificates",
        "vouchers",
    ),
    "discount": ("reduction", "concession", "concessions", "cheaper", "money off"),
    "member": ("members", "membership", "club", "loyalty", "rewards", "points card"),
    "repair": ("fix", "fixing", "service", "servicing", "mend", "tune up", "maintenance", "adjusting"),
    "collect": ("collection", "pick up", "pickup", "parcel", "click and collect", "ordered online"),
    "payment": (
        "pay",
        "cash",
        "contactless",
        "cheque",
        "cheques",
        "apple pay",
        "google pay",
        "card payment",
        "debit card",
        "credit card",
        "visa",
        "mastercard",
        "amex",
        "american express",
    ),
    "demo": ("demonstration", "live show", "in action", "showcase"),
    "brochure": (
        "leaflet",
        "flyer",
        "documentation",
        "datasheet",
        "product sheet",
        "information pack",
        "more information",
        "literature",
        "pamphlet",
        "handout",
        "booklet",
        "catalogue",
        "catalog",
        "spec sheet",
        "print out",
        "printout",
    ),
    "pilot": ("trial", "test it", "proof of concept", "try it"),
    "sales": ("salesperson", "sales rep", "representative", "meeting", "appointment", "buying", "purchase"),
    "battery": ("charge", "charging", "recharge", "recharging", "charged", "runtime"),
    "payload": ("load", "weight", "carry", "capacity", "heavy"),
    "speed": (
        "fast",
        "faster",
        "fastest",
        "top speed",
        "metres per second",
        "meters per second",
        "kilometres per hour",
        "kilometers per hour",
        "miles per hour",
        "mph",
    ),
    "founded": ("how old", "since when", "been around", "established", "establish"),
    "headquarters": ("head office", "based", "hq", "headquartered"),
}
_LOOKUP = sorted(((w, c) for c, ws in GROUPS.items() for w in ws), key=lambda x: -len(x[0]))
_PATTERNS = [(re.compile(rf"\b{re.escape(w)}\b", re.IGNORECASE), c) for w, c in _LOOKUP]


def concepts(text: str) -> list[str]:
    """Canonical words for the everyday words in ``text`` (in order, without repeats)."""
    found: list[str] = []
    for pattern, canonical in _PATTERNS:
        if canonical not in found and pattern.search(text):
            found.append(canonical)
    return found


def canonical(words: set[str]) -> set[str]:
    """Replace every word of a synonym group by the group's canonical word."""
    members = {w: c for c, ws in GROUPS.items() for w in ws if " " not in w}
    return {members.get(w, w) for w in words}


def expand(text: str) -> str:
    extra = [c for c in concepts(text) if not re.search(rf"\b{c}\b", text, re.IGNORECASE)]
    return f"{text} ({', '.join(extra)})" if extra else text
