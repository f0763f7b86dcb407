"""Topic rules: which feed items become events.

A rule is words, "quoted phrases", prefix* terms, AND, OR, NOT and
parentheses; terms side by side mean AND, and AND binds tighter than OR::

    (kuril* OR "northern territories") AND (putin OR abe) NOT sport

Matching is case-insensitive on whole words of the item's title and summary.
A malformed rule raises :class:`RuleError` saying where.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')
_OPERATORS = {"AND", "OR", "NOT"}


class RuleError(ValueError):
    """A topic rule that cannot be read; the message points at the problem."""


class Node(Protocol):
    def matches(self, text: str) -> bool: ...


@dataclass(frozen=True)
class Term:
    pattern: re.Pattern[str]
    source: str

    def matches(self, text: str) -> bool:
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class Not:
    operand: Node

    def matches(self, text: str) -> bool:
        return not self.operand.matches(text)


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]

    def matches(self, text: str) -> bool:
        return all(operand.matches(text) for operand in self.operands)


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]

    def matches(self, text: str) -> bool:
        return any(operand.matches(text) for operand in self.operands)


def _term(text: str, phrase: bool) -> Term:
    words = text.lower().split()
    if not words:
        raise RuleError('empty phrase ""')
    prefix = not phrase and words[-1].endswith("*") and len(words[-1]) > 1
    if prefix:
        words[-1] = words[-1][:-1]
    if any("*" in word for word in words):
        raise RuleError(f"'*' only ends a word, as in kuril*: {text!r}")
    body = r"\s+".join(re.escape(word) for word in words)
    tail = r"\w*" if prefix else r"\b"
    return Term(re.compile(rf"(?<!\w){body}{tail}", re.IGNORECASE), text)


def _tokens(rule: str) -> list[tuple[str, str]]:
    if rule.count('"') % 2:
        raise RuleError('a quoted phrase is missing its closing "')
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(rule):
        if rule[position:].strip() == "":
            break
        match = _TOKEN.match(rule, position)
        if match is None or match.end() == position:
            raise RuleError(
                f"cannot read the rule at character {position + 1}: {rule[position : position + 20]!r}"
            )
        opening, closing, phrase, word = match.groups()
        if opening:
            tokens.append(("(", "("))
        elif closing:
            tokens.append((")", ")"))
        elif phrase is not None:
            tokens.append(("phrase", phrase))
        elif word.upper() in _OPERATORS:
            tokens.append((word.upper(), word))
        else:
            tokens.append(("word", word))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse_or(self) -> Node:
        operands = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            operands.append(self.parse_and())
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def parse_and(self) -> Node:
        operands = [self.parse_unary()]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.take()
            operands.append(self.parse_unary())
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def parse_unary(self) -> Node:
        kind = self.peek()
        if kind is None:
            raise RuleError("the rule ends where a word was expected")
        if kind == "NOT":
            self.take()
            return Not(self.parse_unary())
        if kind == "(":
            self.take()
            inner = self.parse_or()
            if self.peek() != ")":
                raise RuleError("a '(' is never closed")
            self.take()
            return inner
        if kind in ("word", "phrase"):
            return _term(self.take()[1], phrase=kind == "phrase")
        raise RuleError(f"{self.take()[1]!r} is not allowed here; expected a word, a phrase, NOT or '('")


def compile_rule(rule: str | None) -> Node | None:
    """The rule as a matcher, or None for "everything matches"."""
    if rule is None or not rule.strip():
        return None
    parser = _Parser(_tokens(rule))
    node = parser.parse_or()
    if parser.peek() is not None:
        raise RuleError(f"unexpected {parser.take()[1]!r}: is a '(' missing?")
    return node


def rule_matches(rule: Node | None, *texts: str) -> bool:
    return True if rule is None else rule.matches("\n".join(texts))
