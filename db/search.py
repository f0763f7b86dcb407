"""Full-text search over events, in each database's own engine, and linking by rule.

A topic rule (:mod:`forecasts.topic_rules`) compiles to SQL that answers as
the rule's Python matcher does:

- SQLite: word terms go to the FTS5 table ``event_fts`` (unicode61, diacritics
  removed); a subtree of word terms becomes one FTS5 query. Substring terms
  (Chinese, Japanese…) go to ``event_trigram``; shorter than three characters
  (which trigrams cannot index) they scan with :func:`summit_fold_case`.
- PostgreSQL: word terms become one ``tsquery`` over the generated
  ``search_vector`` (title weighted A, summary B, so a phrase never runs from
  the title into the summary); substring terms use the pg_trgm indexes.

Ranking is bm25 (title weighted 5:1) on SQLite and ``ts_rank_cd`` on
PostgreSQL, over the rule's positive terms; higher scores are better here.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    TextClause,
    and_,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    true,
)

from db.expressions import insert_or_ignore
from db.models import Event, EventQuestion, EventUnlink
from forecasts.topic_rules import AllOf, AnyOf, Node, Not, Term, positive_terms

WORDS_TABLE = "event_fts"
TRIGRAMS_TABLE = "event_trigram"
SEARCH_COLUMNS = frozenset({"search_vector"})
SEARCH_INDEXES = frozenset({"ix_event_search_vector", "ix_event_title_trigram", "ix_event_summary_trigram"})
TRIGRAM_MIN = 3  # characters a trigram index can look up
KEY_CHUNK = 500  # ids per IN (...): well under every database's parameter limit


def is_search_table(name: str) -> bool:
    """The FTS5 tables and their shadow tables (``event_fts_data``, ``event_fts_idx``…)."""
    return any(name == table or name.startswith(f"{table}_") for table in (WORDS_TABLE, TRIGRAMS_TABLE))


@dataclass(frozen=True)
class Tables:
    """Where a compiled rule looks: the stored index, or a temporary one over a batch."""

    words: str = WORDS_TABLE
    trigrams: str = TRIGRAMS_TABLE


class _Binds:
    """Unique bind names, so one statement can hold many compiled terms."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def name(self) -> str:
        return f"search_{next(self._counter)}"


# --- SQLite -------------------------------------------------------------------------------


def _fts5_term(term: Term) -> str:
    return '"' + " ".join(term.words) + '"' + (" *" if term.prefix else "")


def _fts5(node: Node) -> str | None:
    """One FTS5 query for a subtree of word terms, or None if it needs SQL around it."""
    if isinstance(node, Term):
        return None if node.substring else _fts5_term(node)
    if isinstance(node, AnyOf):
        parts = [_fts5(operand) for operand in node.operands]
        return None if None in parts else "(" + " OR ".join(p for p in parts if p) + ")"
    if isinstance(node, AllOf):
        wanted = [_fts5(o) for o in node.operands if not isinstance(o, Not)]
        unwanted = [_fts5(o.operand) for o in node.operands if isinstance(o, Not)]
        if not wanted or None in wanted or None in unwanted:
            return None
        query = "(" + " AND ".join(p for p in wanted if p) + ")"
        return f"({query} NOT ({' OR '.join(p for p in unwanted if p)}))" if unwanted else query
    return None  # FTS5's NOT needs something on its left


def _rowids(table: str, query: str, binds: _Binds) -> TextClause:
    name = binds.name()
    return text(f"SELECT rowid FROM {table}(:{name})").bindparams(**{name: query})


def _sqlite_substring(term: Term, tables: Tables, binds: _Binds) -> ColumnElement[bool]:
    if len(term.substring) >= TRIGRAM_MIN:
        phrase = '"' + term.substring.replace('"', '""') + '"'
        return Event.id.in_(_rowids(tables.trigrams, phrase, binds).columns(rowid=Integer))
    return or_(
        func.instr(func.summit_fold_case(Event.title), term.substring) > 0,
        func.instr(func.summit_fold_case(Event.summary), term.substring) > 0,
    )


def _sqlite_where(node: Node, tables: Tables, binds: _Binds) -> ColumnElement[bool]:
    query = _fts5(node)
    if query is not None:
        return Event.id.in_(_rowids(tables.words, query, binds).columns(rowid=Integer))
    if isinstance(node, Term):
        return _sqlite_substring(node, tables, binds)
    if isinstance(node, Not):
        return not_(_sqlite_where(node.operand, tables, binds))
    if isinstance(node, AllOf):
        return and_(*(_sqlite_where(o, tables, binds) for o in node.operands))
    if isinstance(node, AnyOf):
        return or_(*(_sqlite_where(o, tables, binds) for o in node.operands))
    raise TypeError(f"not a rule node: {node!r}")


# --- PostgreSQL ---------------------------------------------------------------------------


def _lexeme(word: str, prefix: bool, weight: str = "") -> str:
    return f"'{word}'" + (f":*{weight}" if prefix else (f":{weight}" if weight else ""))


def _tsquery_term(term: Term) -> str:
    if len(term.words) == 1:
        return _lexeme(term.words[0], term.prefix)
    phrases = []
    for weight in ("A", "B"):  # within the title, or within the summary
        last = len(term.words) - 1
        lexemes = [_lexeme(w, term.prefix and i == last, weight) for i, w in enumerate(term.words)]
        phrases.append("(" + " <-> ".join(lexemes) + ")")
    return "(" + " | ".join(phrases) + ")"


def _tsquery(node: Node) -> str | None:
    if isinstance(node, Term):
        return None if node.substring else _tsquery_term(node)
    if isinstance(node, Not):
        inner = _tsquery(node.operand)
        return None if inner is None else f"!{inner}"
    if isinstance(node, AllOf | AnyOf):
        parts = [_tsquery(operand) for operand in node.operands]
        joiner = " & " if isinstance(node, AllOf) else " | "
        return None if None in parts else "(" + joiner.join(p for p in parts if p) + ")"
    raise TypeError(f"not a rule node: {node!r}")


def _like_pattern(substring: str) -> str:
    escaped = substring.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _vector_matches(query: str, binds: _Binds) -> ColumnElement[bool]:
    name = binds.name()
    clause = text(f"event.search_vector @@ CAST(:{name} AS tsquery)").bindparams(**{name: query})
    return and_(true(), clause)


def _postgresql_where(node: Node, binds: _Binds) -> ColumnElement[bool]:
    query = _tsquery(node)
    if query is not None:
        return _vector_matches(query, binds)
    if isinstance(node, Term):
        pattern = _like_pattern(node.substring)
        return or_(
            func.summit_fold_case(Event.title).like(pattern, escape="\\"),
            func.summit_fold_case(Event.summary).like(pattern, escape="\\"),
        )
    if isinstance(node, Not):
        return not_(_postgresql_where(node.operand, binds))
    if isinstance(node, AllOf):
        return and_(*(_postgresql_where(o, binds) for o in node.operands))
    if isinstance(node, AnyOf):
        return or_(*(_postgresql_where(o, binds) for o in node.operands))
    raise TypeError(f"not a rule node: {node!r}")


# --- both ---------------------------------------------------------------------------------


def matching(connection: Connection, node: Node | None, tables: Tables = Tables()) -> ColumnElement[bool]:
    """A condition on ``event`` rows: true for the events ``node`` matches (all when None)."""
    if node is None:
        return true()
    binds = _Binds()
    if connection.dialect.name == "sqlite":
        return _sqlite_where(node, tables, binds)
    return _postgresql_where(node, binds)


def _positive(node: Node) -> tuple[list[Term], list[Term]]:
    terms = list(positive_terms(node))
    return [t for t in terms if not t.substring], [t for t in terms if len(t.substring) >= TRIGRAM_MIN]


def _sqlite_rank(node: Node) -> tuple[TextClause, bool] | None:
    """``(rowid, score)`` of the events the positive terms find, bm25 turned higher-is-better,
    and whether those are exactly the events the rule matches (a rule FTS5 answers alone)."""
    whole = _fts5(node)
    if whole is not None:
        return _scored(WORDS_TABLE, whole), True
    word_terms, substring_terms = _positive(node)
    if word_terms:
        table, query = WORDS_TABLE, " OR ".join(_fts5_term(t) for t in word_terms)
    elif substring_terms:
        phrases = ['"' + t.substring.replace('"', '""') + '"' for t in substring_terms]
        table, query = TRIGRAMS_TABLE, " OR ".join(phrases)
    else:
        return None
    return _scored(table, query), False


def _scored(table: str, query: str) -> TextClause:
    return text(f"SELECT rowid, -rank AS score FROM {table}(:rank_query)").bindparams(rank_query=query)


@dataclass(frozen=True)
class Ranked:
    event_id: int
    score: float  # higher is a better match; 0 when the rule has nothing to rank by


def ranked_search(
    connection: Connection,
    node: Node,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    limit: int = 50,
) -> list[Ranked]:
    """The best ``limit`` events matching ``node`` (and ``where``), best first, newest among equals."""
    condition = and_(matching(connection, node), *where)
    query: Select[int, Any]
    if connection.dialect.name == "sqlite":
        scored = _sqlite_rank(node)
        if scored is None:
            query = select(Event.id, literal(0.0))
        else:
            scores, exact = scored
            ranks = scores.columns(rowid=Integer, score=Float).subquery("ranks")
            if exact:  # the ranked rows are the matches: one FTS5 query does it all
                query = select(Event.id, ranks.c.score).join(ranks, ranks.c.rowid == Event.id)
                condition = and_(true(), *where)
            else:
                query = select(Event.id, func.coalesce(ranks.c.score, 0.0)).outerjoin(
                    ranks, ranks.c.rowid == Event.id
                )
    else:
        word_terms, _ = _positive(node)
        positive = " | ".join(_tsquery_term(t) for t in word_terms)
        score = (
            text("ts_rank_cd(event.search_vector, CAST(:rank_query AS tsquery))").bindparams(
                rank_query=positive
            )
            if positive
            else literal(0.0)
        )
        query = select(Event.id, score)
    query = query.where(condition).order_by(text("2 DESC"), Event.occurred_at.desc(), Event.id.desc())
    return [Ranked(int(i), float(s or 0.0)) for i, s in connection.execute(query.limit(limit))]


def count_matching(
    connection: Connection, node: Node | None, *, where: Sequence[ColumnElement[bool]] = ()
) -> int:
    query = select(func.count()).select_from(Event).where(matching(connection, node), *where)
    return int(connection.execute(query).scalar_one())


# --- linking ------------------------------------------------------------------------------


def _not_unlinked(question_id: ColumnElement[int] | int) -> ColumnElement[bool]:
    unlinked = select(EventUnlink.event_id).where(
        EventUnlink.event_id == Event.id, EventUnlink.question_id == question_id
    )
    return not_(exists(unlinked))


def link_matching(
    connection: Connection,
    question_id: int,
    node: Node | None,
    *,
    origin: str,
    now: datetime,
    where: Sequence[ColumnElement[bool]] = (),
    tables: Tables = Tables(),
) -> int:
    """Link to the question every event the rule matches (and ``where`` keeps), except the pairs
    a person unlinked; an existing link keeps its origin. Returns the links added."""
    if node is None:
        return 0
    chosen = select(
        Event.id, literal(question_id), literal(origin), literal(now, type_=EventQuestion.created_at.type)
    )
    chosen = chosen.where(matching(connection, node, tables), _not_unlinked(question_id), *where)
    statement = (
        insert_or_ignore(connection, EventQuestion)
        .from_select(["event_id", "question_id", "origin", "created_at"], chosen)
        .returning(EventQuestion.event_id)
    )
    return len(connection.execute(statement).all())  # rows inserted: a conflict returns none


def id_ranges(connection: Connection, size: int) -> Iterator[tuple[int, int]]:
    """Inclusive ``(first, last)`` event id ranges of about ``size`` ids: a back-fill's steps."""
    low, high = connection.execute(select(func.min(Event.id), func.max(Event.id))).one()
    if low is None:
        return
    for start in range(int(low), int(high) + 1, size):
        yield start, min(start + size - 1, int(high))


BATCH_TABLES = Tables(words="batch_fts", trigrams="batch_trigram")


def _sqlite_batch_index(connection: Connection, event_ids: Sequence[int]) -> None:
    """A temporary index of just these events, so a thousand rules each search ten thousand
    rows rather than the whole history. Same tokenizers as the stored index."""
    for table, tokenizer in (
        (BATCH_TABLES.words, "unicode61 remove_diacritics 2"),
        (BATCH_TABLES.trigrams, "trigram"),
    ):
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{table} "
            f"USING fts5(title, summary, tokenize='{tokenizer}')"
        )
        connection.exec_driver_sql(f"DELETE FROM temp.{table}")
        for start in range(0, len(event_ids), KEY_CHUNK):
            chunk = list(event_ids[start : start + KEY_CHUNK])
            marks = ", ".join("?" * len(chunk))
            connection.exec_driver_sql(
                f"INSERT INTO temp.{table}(rowid, title, summary) "
                f"SELECT id, title, summary FROM event WHERE id IN ({marks})",
                tuple(chunk),
            )


def link_watched(
    connection: Connection, event_ids: Sequence[int], watches: Sequence[tuple[int, Node]], now: datetime
) -> int:
    """Link these (new or changed) events to every question whose watch rule they match."""
    if not event_ids or not watches:
        return 0
    added = 0
    if connection.dialect.name == "sqlite":
        _sqlite_batch_index(connection, event_ids)
        in_batch = Event.id.in_(text(f"SELECT rowid FROM {BATCH_TABLES.words}").columns(rowid=Integer))
        for question_id, node in watches:
            added += link_matching(
                connection, question_id, node, origin="rule", now=now, where=[in_batch], tables=BATCH_TABLES
            )
        return added
    for start in range(0, len(event_ids), KEY_CHUNK):
        chunk = Event.id.in_(list(event_ids[start : start + KEY_CHUNK]))
        for question_id, node in watches:
            added += link_matching(connection, question_id, node, origin="rule", now=now, where=[chunk])
    return added
