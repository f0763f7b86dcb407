"""Full-text search over events, in SQLite's FTS5 and PostgreSQL's tsvector, answering as the
topic rules' Python matcher does."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from db import Database
from db.events import EventValues, upsert_events
from db.models import Event, Source
from db.search import matching, ranked_search
from forecasts.errors import Invalid
from forecasts.search_text import words
from forecasts.topic_rules import compile_rule, rule_matches
from services import event_links
from tests.factories import E, Q, S, day

CORPUS = [
    ("Abe and Putin meet in Nagato", "Talks on the Kuril Islands, no deal on territory"),
    ("北方領土問題で進展なし", "日露首脳会談は長門で"),
    ("Путин и Абэ обсудили Курилы", "Переговоры о мирном договоре"),
    ("Café talks in Tōkyō", "On the northern-territories question"),
    ("Sport: Putin at a judo match", "Not about the islands"),
    ("Kurils, Kurils and the Kuril Islands", "Kuril chain again"),
]


def _ids(database: Database, rule: str) -> list[int]:
    node = compile_rule(rule)
    with database.read_session() as session:
        return [r.event_id for r in ranked_search(session.connection(), node, limit=100)]


@pytest.fixture
def corpus(database: Database) -> dict[str, int]:
    """The corpus stored, each event's id by its title."""
    source = S(database, "wire").id
    return {title: E(database, source, title, summary=summary) for title, summary in CORPUS}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("putin", ["Abe and Putin meet in Nagato", "Sport: Putin at a judo match"]),
        ("PUTIN NOT sport", ["Abe and Putin meet in Nagato"]),
        ("kuril*", ["Abe and Putin meet in Nagato", "Kurils, Kurils and the Kuril Islands"]),
        ('"kuril islands"', ["Abe and Putin meet in Nagato", "Kurils, Kurils and the Kuril Islands"]),
        ('"islands kuril"', []),
        ("путин", ["Путин и Абэ обсудили Курилы"]),  # Cyrillic, case folded
        ("курил*", ["Путин и Абэ обсудили Курилы"]),
        ("北方領土", ["北方領土問題で進展なし"]),  # a substring of 「北方領土問題で…」
        ("長門", ["北方領土問題で進展なし"]),  # two characters: too short for trigrams, still found
        ("cafe tokyo", ["Café talks in Tōkyō"]),  # diacritics removed
        ('"northern territories"', ["Café talks in Tōkyō"]),  # the hyphen separates words
        ("(nagato OR 長門) NOT sport", ["Abe and Putin meet in Nagato", "北方領土問題で進展なし"]),
        ("NOT (putin OR kuril* OR 北方 OR путин OR cafe)", []),
        ("islands NOT kuril*", ["Sport: Putin at a judo match"]),
    ],
)
def test_search_finds_what_the_rule_says(
    database: Database, corpus: dict[str, int], rule: str, expected: list[str]
) -> None:
    found = {title for title, event_id in corpus.items() if event_id in _ids(database, rule)}
    assert found == set(expected)


def test_a_title_match_ranks_above_a_summary_match_and_more_matches_rank_higher(
    database: Database, corpus: dict[str, int]
) -> None:
    ranked = _ids(database, "kuril*")
    assert ranked == [corpus["Kurils, Kurils and the Kuril Islands"], corpus["Abe and Putin meet in Nagato"]]


def test_search_service_highlights_the_matches(database: Database, corpus: dict[str, int]) -> None:
    hits = event_links.search_events(database, "kuril* OR nagato")
    best = next(hit for hit in hits if hit.id == corpus["Abe and Putin meet in Nagato"])
    assert [text for text, is_match in best.title_snippet.pieces if is_match] == ["Nagato"]
    assert [text for text, is_match in best.summary_snippet.pieces if is_match] == ["Kuril"]
    assert best.title_snippet.text == "Abe and Putin meet in Nagato"


def test_search_since_and_within_a_question(database: Database) -> None:
    source = S(database, "wire").id
    question = Q(database)
    old = E(database, source, "Kuril talks begin", at=1, questions=[question])
    new = E(database, source, "Kuril talks end", at=20)
    assert {h.id for h in event_links.search_events(database, "kuril*", since=day(10))} == {new}
    assert {h.id for h in event_links.search_events(database, "kuril*", question_id=question)} == {old}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "is empty"),
        ("(putin", "never closed"),
        ("!!!", "no letters or digits"),
        ("北方*", "drop the '\\*'"),
    ],
)
def test_a_query_that_cannot_be_read_says_why(database: Database, query: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        event_links.search_events(database, query)


# --- the database answers as the Python matcher does ------------------------------------------

VOCABULARY = [
    "Kuril", "kurils", "KURILSK", "Kurilen", "northern", "Territories", "territory", "Abe", "abe's",
    "Putin", "PUTIN", "putinism", "Café", "cafe", "CAFÉ", "naïve", "Tōkyō", "tokyo", "Ёлка", "елка",
    "Путин", "путина", "Курилы", "курильские", "йод", "иод", "Σοφία", "σοφια", "ΣΟΦΊΑ", "treaty",
    "2016", "g7", "x_y", "北方領土問題で", "北方領土", "日露首脳会談", "領土", "東京", "sport", "deal",
]  # fmt: skip
SEPARATORS = [" ", " ", ", ", "-", "「", "」", ". ", "\n", "/", " (", ") ", "'", "…"]
TERMS = [
    *VOCABULARY[:20],
    "kuril*", "put*", "terr*", "курил*", "caf*", "σοφ*", "2016", "北方", "領土", "北方領土",
    "首脳会談", "問題で進", '"northern territories"', '"abe putin"', '"kuril kurils"', '"путин курилы"',
]  # fmt: skip

text_strategy = st.lists(
    st.tuples(st.sampled_from(VOCABULARY), st.sampled_from(SEPARATORS)), min_size=0, max_size=8
).map(lambda parts: "".join(word + sep for word, sep in parts).strip())


def _rule_text(draw: st.DrawFn, depth: int) -> str:
    if depth == 0 or draw(st.booleans()):
        term = draw(st.sampled_from(TERMS))
        return f"NOT {term}" if draw(st.integers(0, 4)) == 0 else term
    left, right = _rule_text(draw, depth - 1), _rule_text(draw, depth - 1)
    operator = draw(st.sampled_from(["AND", "OR", "", "AND NOT"]))
    return f"({left} {operator} {right})".replace("  ", " ")


@st.composite
def rules(draw: st.DrawFn) -> str:
    return _rule_text(draw, 3)


def _source(database: Database) -> int:
    with database.read_session() as session:
        found = session.scalar(select(Source.id).where(Source.name == "generated"))
    return int(found) if found is not None else S(database, "generated").id


def _store(database: Database, source_id: int, texts: Sequence[tuple[str, str]]) -> list[int]:
    with database.write_session() as session:
        connection = session.connection()
        connection.execute(delete(Event))  # the delete trigger keeps the index in step
        values = [
            EventValues(f"k{i:03d}", day(i), False, title or "untitled", summary, None, None)
            for i, (title, summary) in enumerate(texts)
        ]
        upsert_events(connection, source_id, values)
        return list(session.scalars(select(Event.id).order_by(Event.dedupe_key)))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.tuples(text_strategy, text_strategy), min_size=1, max_size=12), rule=rules())
def test_database_search_equals_the_python_matcher(
    database: Database, texts: list[tuple[str, str]], rule: str
) -> None:
    stored = _store(database, _source(database), texts)
    node = compile_rule(rule)
    pairs = zip(stored, texts, strict=True)
    expected = {i for i, (title, summary) in pairs if rule_matches(node, title or "untitled", summary)}
    with database.read_session() as session:
        found = set(session.scalars(select(Event.id).where(matching(session.connection(), node))))
    assert found == expected, (rule, [(t, words(t)) for t, _ in texts])
