"""Highlighted snippets: where a rule's terms occur in a text, as plain segments.

A snippet is a list of ``(text, is_match)`` pieces, never markup, so a front
end can show the matches however it likes while the text itself stays text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forecasts.search_text import WORD, fold, fold_case
from forecasts.topic_rules import Node, Term, positive_terms

ELLIPSIS = "…"


@dataclass(frozen=True)
class Snippet:
    pieces: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        return "".join(piece for piece, _ in self.pieces)

    @property
    def has_match(self) -> bool:
        return any(is_match for _, is_match in self.pieces)


def _word_spans(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    folded = fold(text)
    if len(folded) != len(text):  # a rare letter whose fold has another length: no highlight
        return []
    found = [(m.start(), m.end(), m.group()) for m in WORD.finditer(folded)]
    spans: list[tuple[int, int]] = []
    for term in terms:
        if not term.words:
            continue
        size = len(term.words)
        for i in range(len(found) - size + 1):
            run = [w for _, _, w in found[i : i + size]]
            last_ok = run[-1].startswith(term.words[-1]) if term.prefix else run[-1] == term.words[-1]
            if run[:-1] == list(term.words[:-1]) and last_ok:
                spans.append((found[i][0], found[i + size - 1][1]))
    return spans


def _substring_spans(text: str, terms: list[Term]) -> list[tuple[int, int]]:
    folded = fold_case(text)
    if len(folded) != len(text):
        return []
    spans = []
    for term in terms:
        if term.substring:
            spans += [(m.start(), m.end()) for m in re.finditer(re.escape(term.substring), folded)]
    return spans


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(rule: Node | None, text: str) -> Snippet:
    """The whole text, with every match of the rule's positive terms marked."""
    terms = list(positive_terms(rule)) if rule is not None else []
    spans = _merged(_word_spans(text, terms) + _substring_spans(text, terms))
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        if start > position:
            pieces.append((text[position:start], False))
        pieces.append((text[start:end], True))
        position = end
    if position < len(text):
        pieces.append((text[position:], False))
    return Snippet(tuple(pieces))


def snippet(rule: Node | None, text: str, width: int = 180) -> Snippet:
    """A window of about ``width`` characters around the first match (the start if none)."""
    whole = highlight(rule, " ".join(text.split()))
    flat = whole.text
    if len(flat) <= width:
        return whole
    first = 0
    offset = 0
    for piece, is_match in whole.pieces:
        if is_match:
            first = offset
            break
        offset += len(piece)
    start = max(0, min(first - width // 3, len(flat) - width))
    return _cut(whole, start, start + width)


def _cut(whole: Snippet, start: int, end: int) -> Snippet:
    pieces: list[tuple[str, bool]] = [(ELLIPSIS, False)] if start > 0 else []
    offset = 0
    for piece, is_match in whole.pieces:
        lo, hi = max(start, offset), min(end, offset + len(piece))
        if lo < hi:
            pieces.append((piece[lo - offset : hi - offset], is_match))
        offset += len(piece)
    if end < offset:
        pieces.append((ELLIPSIS, False))
    return Snippet(tuple(pieces))
