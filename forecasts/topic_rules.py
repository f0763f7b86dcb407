"""Topic rules: which feed items become events, and which events a question watches.

A rule is words, "quoted phrases", prefix* terms, AND, OR, NOT and
parentheses; terms side by side mean AND, and AND binds tighter than OR::

    (kuril* OR "northern territories") AND (putin OR abe) NOT sport

A word matches a whole word of the title or the summary, folded as the search
index folds it (:mod:`forecasts.search_text`: case and Latin diacritics do not
matter); a phrase matches its words in a row within one field; ``kuril*``
matches words that start with ``kuril``. A term in a script written without
spaces (北方領土) matches wherever it appears inside a field. The same tree
compiles to SQLite FTS5 and PostgreSQL ``tsquery`` (:mod:`db.search`), and both
databases answer as :meth:`Node.matches` does. A malformed rule raises
:class:`RuleError` saying where.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from forecasts.search_text import fold_case, is_substring_term, words

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))')
_OPERATORS = {"AND", "OR", "NOT"}


class RuleError(ValueError):
    """A topic rule that cannot be read; the message points at the problem."""


@dataclass(frozen=True)
class Field:
    words: tuple[str, ...]
    folded: str  # case folded, for substring terms


@dataclass(frozen=True)
class Document:
    """An event's text, split once, for matching many rules against it."""

    fields: tuple[Field, ...]

    @classmethod
    def of(cls, *texts: str) -> Document:
        return cls(tuple(Field(tuple(words(text)), fold_case(text)) for text in texts))


class Node(Protocol):
    def matches(self, document: Document) -> bool: ...


def _has_run(haystack: tuple[str, ...], needle: tuple[str, ...], prefix: bool) -> bool:
    last = len(needle) - 1
    for start in range(len(haystack) - last):
        window = haystack[start : start + last + 1]
        if window[:last] == needle[:last] and (
            window[last].startswith(needle[last]) if prefix else window[last] == needle[last]
        ):
            return True
    return False


@dataclass(frozen=True)
class Term:
    """A word, phrase or prefix (``words``), or a substring (``substring``) for unspaced scripts."""

    source: str
    words: tuple[str, ...] = ()
    prefix: bool = False
    substring: str = ""

    def matches(self, document: Document) -> bool:
        if self.substring:
            return any(self.substring in field.folded for field in document.fields)
        return any(_has_run(field.words, self.words, self.prefix) for field in document.fields)


@dataclass(frozen=True)
class Not:
    operand: Node

    def matches(self, document: Document) -> bool:
        return not self.operand.matches(document)


@dataclass(frozen=True)
class AllOf:
    operands: tuple[Node, ...]

    def matches(self, document: Document) -> bool:
        return all(operand.matches(document) for operand in self.operands)


@dataclass(frozen=True)
class AnyOf:
    operands: tuple[Node, ...]

    def matches(self, document: Document) -> bool:
        return any(operand.matches(document) for operand in self.operands)


def _term(text: str, phrase: bool) -> Term:
    if not text.split():
        raise RuleError('empty phrase ""')
    prefix = not phrase and text.endswith("*") and len(text) > 1
    body = text[:-1] if prefix else text
    if "*" in body and not phrase:
        raise RuleError(f"'*' only ends a word, as in kuril*: {text!r}")
    if is_substring_term(body):
        if prefix:
            raise RuleError(f"{text!r}: Chinese, Japanese or Thai terms match anywhere already; drop the '*'")
        return Term(text, substring=fold_case(" ".join(body.split())))
    found = tuple(words(body))
    if not found:
        raise RuleError(f"{text!r} has no letters or digits to search for")
    return Term(text, words=found, prefix=prefix)


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
    """Whether the fields ``texts`` (title, summary…) match; no rule matches everything."""
    return True if rule is None else rule.matches(Document.of(*texts))


def positive_terms(node: Node, negated: bool = False) -> Iterator[Term]:
    """The terms a match is made of (not those under a NOT): what ranking and highlighting use."""
    if isinstance(node, Term):
        if not negated:
            yield node
    elif isinstance(node, Not):
        yield from positive_terms(node.operand, not negated)
    elif isinstance(node, AllOf | AnyOf):
        for operand in node.operands:
            yield from positive_terms(operand, negated)
