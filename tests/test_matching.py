"""Topic rules read like search queries and fail with a message that points at the problem."""

from __future__ import annotations

import pytest

from forecasts.topic_rules import RuleError, compile_rule, rule_matches

TITLE = "Abe and Putin agree joint activity on the Kuril Islands"


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ("putin", True),
        ("PUTIN", True),
        ("put", False),  # whole words only
        ("put*", True),
        ("kuril*", True),
        ('"joint activity"', True),
        ('"activity joint"', False),
        ("abe putin", True),  # side by side = AND
        ("abe AND medvedev", False),
        ("medvedev OR putin", True),
        ("putin NOT islands", False),
        ("putin AND NOT sport", True),
        ('(kuril* OR "northern territories") AND (putin OR abe)', True),
        ('(kuril* OR "northern territories") AND medvedev', False),
        ("medvedev OR abe AND putin", True),  # AND binds tighter
        ("NOT NOT putin", True),
    ],
)
def test_rules(rule: str, matches: bool) -> None:
    assert rule_matches(compile_rule(rule), TITLE) is matches


def test_no_rule_matches_everything() -> None:
    assert rule_matches(compile_rule(None), "anything")
    assert rule_matches(compile_rule("   "), "anything")


def test_summary_counts_too() -> None:
    assert rule_matches(compile_rule("shikotan"), "Talks end", "No word on Shikotan")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("(putin OR abe", r"never closed"),
        ("putin)", r"unexpected '\)'"),
        ('"northern territories', 'closing "'),
        ("putin OR", "ends where a word was expected"),
        ("OR putin", "'OR' is not allowed here"),
        ("ku*ril", "'*' only ends a word"),
    ],
)
def test_malformed_rules(rule: str, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        compile_rule(rule)
