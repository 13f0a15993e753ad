"""Finding the line of a key path (``knowledge.qa.2.answer``) in TOML text, for staff messages."""

from __future__ import annotations

import re
from typing import Any

_HEADER = re.compile(r"^\[(\[)?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r'^("[^"]*"|[A-Za-z0-9_\-]+(?:\s*\.\s*(?:"[^"]*"|[A-Za-z0-9_\-]+))*)\s*=')


def _parts(dotted: str) -> list[str]:
    return [part.strip().strip('"') for part in dotted.split(".")]


def key_lines(text: str) -> list[tuple[list[Any], int]]:
    """Every table header and ``key =`` in the text with its full path (array tables get their index)."""
    out: list[tuple[list[Any], int]] = []
    table: list[Any] = []
    counts: dict[tuple[str, ...], int] = {}
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_string:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line)
        if header:
            names = _parts(header.group(2))
            if header.group(1):  # [[array.of.tables]]: one more element
                index = counts.get(tuple(names), 0)
                counts[tuple(names)] = index + 1
                table = [*names, index]
            else:
                table = names
            out.append((list(table), number))
            continue
        assign = _ASSIGN.match(line)
        if assign:
            out.append((table + _parts(assign.group(1)), number))
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return out


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """The line that best matches ``loc``: the key itself, else its closest enclosing key or table."""
    wanted = list(loc)
    best: tuple[int, int] | None = None  # (matched length, line)
    for path, number in key_lines(text):
        if len(path) > len(wanted):
            continue
        if [str(p) for p in path] == [str(w) for w in wanted[: len(path)]] and (
            best is None or len(path) > best[0]
        ):
            best = (len(path), number)
    return best[1] if best else None
