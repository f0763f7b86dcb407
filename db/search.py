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
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    Select,
    Subquery,
    TextClause,
    and_,
    exists,
    false,
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
# The trigram index holds each field with two spaces after it, so even a one-character term at
# the very end of a field begins a trigram (see _trigrams_starting). No term ends in a space.
TRIGRAM_PADDING = "  "
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


def _quoted(text_: str) -> str:
    return '"' + text_.replace('"', '""') + '"'


SHORT_EXPANSION_LIMIT = 500  # trigrams a one- or two-character term may stand for before we scan


def _trigrams_starting(connection: Connection, table: str, start: str) -> list[str] | None:
    """The indexed trigrams that begin with ``start`` (one or two characters), from the index's own
    vocabulary: every place ``start`` occurs begins one, as fields are indexed with two trailing
    spaces. None when there are too many to list (the caller scans instead)."""
    schema = "temp" if table.startswith("batch_") else "main"
    vocabulary = f"{table}_vocab"
    connection.exec_driver_sql(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocabulary} USING fts5vocab({schema}, {table}, 'row')"
    )
    rows = connection.exec_driver_sql(
        f"SELECT term FROM temp.{vocabulary} WHERE term >= ? AND term < ? LIMIT {SHORT_EXPANSION_LIMIT + 1}",
        (start, start + "\U0010ffff"),
    ).all()
    return None if len(rows) > SHORT_EXPANSION_LIMIT else [str(term) for (term,) in rows]


@dataclass
class _Sqlite:
    """Compiles a rule for SQLite: FTS5 where it can, SQL around it where it must."""

    connection: Connection
    tables: Tables
    binds: _Binds

    def substring_query(self, term: Term) -> str | None:
        """An FTS5 query on the trigram table for a substring term; "" when it cannot occur;
        None when only a scan can answer."""
        if len(term.substring) >= TRIGRAM_MIN:
            return _quoted(term.substring)
        found = _trigrams_starting(self.connection, self.tables.trigrams, term.substring)
        if found is None:
            return None
        return " OR ".join(_quoted(trigram) for trigram in found)

    def substring(self, term: Term) -> ColumnElement[bool]:
        query = self.substring_query(term)
        if query == "":
            return false()
        if query is not None:
            return Event.id.in_(_rowids(self.tables.trigrams, query, self.binds).columns(rowid=Integer))
        return or_(
            func.instr(func.summit_fold_case(Event.title), term.substring) > 0,
            func.instr(func.summit_fold_case(Event.summary), term.substring) > 0,
        )

    def where(self, node: Node) -> ColumnElement[bool]:
        query = _fts5(node)
        if query is not None:
            return Event.id.in_(_rowids(self.tables.words, query, self.binds).columns(rowid=Integer))
        if isinstance(node, Term):
            return self.substring(node)
        if isinstance(node, Not):
            return not_(self.where(node.operand))
        if isinstance(node, AllOf):
            return and_(*(self.where(o) for o in node.operands))
        if isinstance(node, AnyOf):
            return or_(*(self.where(o) for o in node.operands))
        raise TypeError(f"not a rule node: {node!r}")

    def whole(self, node: Node) -> tuple[str, str] | None:
        """(table, query) when one FTS5 query answers the whole rule: what ranking can run on."""
        words = _fts5(node)
        if words is not None:
            return self.tables.words, words
        if isinstance(node, Term) and node.substring:
            query = self.substring_query(node)
            if query:
                return self.tables.trigrams, query
        return None


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
        return _Sqlite(connection, tables, binds).where(node)
    return _postgresql_where(node, binds)


def _positive(node: Node) -> list[Term]:
    return [t for t in positive_terms(node) if not t.substring]


@dataclass(frozen=True)
class Ranked:
    event_id: int
    score: float  # higher is a better match; 0 when the rule has nothing to rank by


# Ranking reads this many of the newest matches at most: a word in most events would otherwise be
# scored a million times for fifty results. Fewer matches than this are ranked exactly.
RANK_WINDOW = 2_000


def _sqlite_ranked(
    connection: Connection, node: Node, where: Sequence[ColumnElement[bool]], limit: int
) -> Select[int, Any] | None:
    """One FTS5 query drives: its newest RANK_WINDOW matches (that pass ``where``), best bm25 first."""
    whole = _Sqlite(connection, Tables(), _Binds()).whole(node)
    if whole is None:
        return None
    table, query = whole
    fts = text(f"SELECT rowid, rank FROM {table}(:rank_query)").bindparams(rank_query=query)
    found = fts.columns(rowid=Integer, rank=Float).subquery("found")
    newest = select(found.c.rowid.label("id"), found.c.rank.label("rank"))
    if where:
        newest = newest.join(Event, Event.id == found.c.rowid).where(*where)
    window = newest.order_by(found.c.rowid.desc()).limit(RANK_WINDOW).subquery("window")
    return select(window.c.id, -window.c.rank).order_by(window.c.rank, window.c.id.desc()).limit(limit)


def _newest_matches(connection: Connection, node: Node, where: Sequence[ColumnElement[bool]]) -> Subquery:
    """The ids of the newest RANK_WINDOW events the rule (and ``where``) matches: what is ranked."""
    return (
        select(Event.id)
        .where(matching(connection, node), *where)
        .order_by(Event.id.desc())
        .limit(RANK_WINDOW)
        .subquery("window")
    )


def _sqlite_general(
    connection: Connection, node: Node, where: Sequence[ColumnElement[bool]], limit: int
) -> Select[int, Any]:
    """A rule with substrings and words mixed, or only NOTs: its newest matches, ranked by the
    bm25 of their positive words (0 without any)."""
    newest = _newest_matches(connection, node, where)
    words = _positive(node)
    if not words:
        return select(newest.c.id, literal(0.0)).order_by(newest.c.id.desc()).limit(limit)
    scores = text(f"SELECT rowid, -rank AS score FROM {WORDS_TABLE}(:rank_query)").bindparams(
        rank_query=" OR ".join(_fts5_term(t) for t in words)
    )
    ranks = scores.columns(rowid=Integer, score=Float).subquery("ranks")
    score = func.coalesce(ranks.c.score, 0.0)
    return (
        select(newest.c.id, score)
        .outerjoin(ranks, ranks.c.rowid == newest.c.id)
        .order_by(score.desc(), newest.c.id.desc())
        .limit(limit)
    )


def _postgresql_ranked(
    connection: Connection, node: Node, where: Sequence[ColumnElement[bool]], limit: int
) -> Select[int, Any]:
    newest = _newest_matches(connection, node, where)
    positive = " | ".join(_tsquery_term(t) for t in _positive(node))
    if not positive:
        return select(newest.c.id, literal(0.0)).order_by(newest.c.id.desc()).limit(limit)
    score = text("ts_rank_cd(event.search_vector, CAST(:rank_query AS tsquery))").bindparams(
        rank_query=positive
    )
    return (
        select(Event.id, score)
        .join(newest, newest.c.id == Event.id)
        .order_by(text("2 DESC"), Event.id.desc())
        .limit(limit)
    )


def ranked_search(
    connection: Connection,
    node: Node,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    limit: int = 50,
) -> list[Ranked]:
    """The best ``limit`` events matching ``node`` (and ``where``), best first, newest among equals;
    with more than RANK_WINDOW matches, the best among the newest RANK_WINDOW."""
    if connection.dialect.name == "sqlite":
        exact = _sqlite_ranked(connection, node, where, limit)
        query = exact if exact is not None else _sqlite_general(connection, node, where, limit)
    else:
        query = _postgresql_ranked(connection, node, where, limit)
    return [Ranked(int(i), float(s or 0.0)) for i, s in connection.execute(query)]


def count_matching(
    connection: Connection, node: Node | None, *, where: Sequence[ColumnElement[bool]] = ()
) -> int:
    query = select(func.count()).select_from(Event).where(matching(connection, node), *where)
    return int(connection.execute(query).scalar_one())


# --- linking ------------------------------------------------------------------------------


def _candidates(
    connection: Connection, node: Node, tables: Tables, id_range: tuple[int, int] | None, in_batch: bool
) -> tuple[Select[int], ColumnElement[int]]:
    """The events a rule matches, as (a select of ids, its id column): on SQLite, when one FTS5
    query answers the rule it drives, its id range pushed down into the index."""
    whole = _Sqlite(connection, tables, _Binds()).whole(node) if connection.dialect.name == "sqlite" else None
    if whole is not None:
        table, query = whole
        found = text(f"SELECT rowid FROM {table}(:link_query)").bindparams(link_query=query)
        hits = found.columns(rowid=Integer).subquery("hits")
        chosen = select(hits.c.rowid).join(Event, Event.id == hits.c.rowid)
        if id_range is not None:
            chosen = chosen.where(hits.c.rowid.between(*id_range))
        return chosen, hits.c.rowid
    chosen = select(Event.id).where(matching(connection, node, tables))
    if id_range is not None:
        chosen = chosen.where(Event.id.between(*id_range))
    if in_batch:  # a NOT or a scan reaches beyond the batch's own index: keep to the batch
        chosen = chosen.where(Event.id.in_(text(f"SELECT rowid FROM {tables.words}").columns(rowid=Integer)))
    event_id: ColumnElement[int] = Event.id.expression
    return chosen, event_id


def link_matching(
    connection: Connection,
    question_id: int,
    node: Node | None,
    *,
    origin: str,
    now: datetime,
    tables: Tables = Tables(),
    until: datetime | None = None,
    id_range: tuple[int, int] | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> int:
    """Link to the question every event the rule matches (within ``id_range``, and ``where``)
    that happened by ``until`` (the question's close: later news cannot bear on it), except the
    pairs a person unlinked; an existing link keeps its origin. Returns the links added."""
    if node is None:
        return 0
    chosen, event_id = _candidates(connection, node, tables, id_range, tables.words.startswith("batch_"))
    if until is not None:
        chosen = chosen.where(Event.occurred_at <= until)
    unlinked = select(EventUnlink.event_id).where(
        EventUnlink.event_id == event_id, EventUnlink.question_id == question_id
    )
    rows = chosen.where(not_(exists(unlinked)), *where).with_only_columns(
        event_id, literal(question_id), literal(origin), literal(now, type_=EventQuestion.created_at.type)
    )
    statement = (
        insert_or_ignore(connection, EventQuestion)
        .from_select(["event_id", "question_id", "origin", "created_at"], rows)
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


def _sqlite_batch_index(connection: Connection, event_ids: Sequence[int], *, trigrams: bool) -> None:
    """A temporary index of just these events, so a thousand rules each search ten thousand
    rows rather than the whole history. Same tokenizers as the stored index; the trigram one
    only when some rule has a substring term."""
    wanted = [(BATCH_TABLES.words, "unicode61 remove_diacritics 2", "")]
    if trigrams:
        wanted.append((BATCH_TABLES.trigrams, "trigram", f" || '{TRIGRAM_PADDING}'"))
    for table, tokenizer, padding in wanted:
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
                f"SELECT id, title{padding}, summary{padding} FROM event WHERE id IN ({marks})",
                tuple(chunk),
            )


# One prepared statement for every word rule of a batch, run once per rule (executemany): a
# thousand rules cost a thousand index lookups, not a thousand statements to build.
_BATCH_WORD_LINKS = f"""
INSERT INTO event_question (event_id, question_id, origin, created_at)
SELECT hits.rowid, :question_id, 'rule', :now FROM {BATCH_TABLES.words}(:query) AS hits
JOIN event ON event.id = hits.rowid
WHERE (:until IS NULL OR event.occurred_at <= :until)
  AND NOT EXISTS (
    SELECT 1 FROM event_unlink WHERE event_unlink.event_id = hits.rowid
    AND event_unlink.question_id = :question_id)
ON CONFLICT DO NOTHING
"""


def _stored_time(when: datetime | None) -> str | None:
    """A time as the UTCDateTime columns hold it on SQLite (naive UTC, microseconds)."""
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class Watch(NamedTuple):
    question_id: int
    rule: Node
    until: datetime | None  # the question's close


def _has_substring(node: Node) -> bool:
    if isinstance(node, Term):
        return bool(node.substring)
    if isinstance(node, Not):
        return _has_substring(node.operand)
    if isinstance(node, AllOf | AnyOf):
        return any(_has_substring(o) for o in node.operands)
    return False


def _sqlite_link_batch(connection: Connection, watches: Sequence[Watch], now: datetime) -> int:
    words = [(w, _fts5(w.rule)) for w in watches]
    simple = [
        {"question_id": w.question_id, "now": _stored_time(now), "query": q, "until": _stored_time(w.until)}
        for w, q in words
        if q is not None
    ]
    added = 0
    if simple:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(_BATCH_WORD_LINKS, simple)
        added += max(cursor.rowcount, 0)
        cursor.close()
    for watch, query in words:
        if query is None:  # substrings, or a NOT with nothing beside it: built one by one
            added += link_matching(
                connection, watch.question_id, watch.rule, origin="rule", now=now, tables=BATCH_TABLES,
                until=watch.until,
            )  # fmt: skip
    return added


def link_watched(
    connection: Connection, event_ids: Sequence[int], watches: Sequence[Watch], now: datetime
) -> int:
    """Link these (new or changed) events to every question whose watch rule they match."""
    if not event_ids or not watches:
        return 0
    if connection.dialect.name == "sqlite":
        _sqlite_batch_index(connection, event_ids, trigrams=any(_has_substring(w.rule) for w in watches))
        return _sqlite_link_batch(connection, watches, now)
    added = 0
    for start in range(0, len(event_ids), KEY_CHUNK):
        chunk = Event.id.in_(list(event_ids[start : start + KEY_CHUNK]))
        for watch in watches:
            added += link_matching(
                connection,
                watch.question_id,
                watch.rule,
                origin="rule",
                now=now,
                where=[chunk],
                until=watch.until,
            )
    return added
