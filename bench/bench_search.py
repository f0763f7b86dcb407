"""Searching and linking a million events, next to ``LIKE '%word%'`` on the same database in the same run.

Run: ``make bench`` (or ``PYTHONPATH=. python bench/bench_search.py``). Builds, once, a
SQLite file in /tmp with 1,000,000 events (titles and summaries drawn from a
summit-news vocabulary with a Zipf-like spread, one in twenty in Japanese),
then measures:

- a ranked top-50 search (``db.search.ranked_search``: FTS5 + bm25) over 100
  varied queries (common and rare words, prefixes, phrases, AND / NOT, Japanese
  substrings), p50 and p95, next to the same queries' words with ``LIKE``;
- back-filling one watch rule over all stored events (``watch_question``), next
  to an ``INSERT … SELECT … WHERE title LIKE …`` of the same word;
- linking a batch of 10,000 new events against 1,000 watch rules (the
  ``upsert_events`` path ingestion and import take);
- the size of the two search indexes next to the event table's.

Targets (issue 11): search p95 < 50 ms; one back-fill < 1 s; 10k x 1k linking < 2 s.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import numpy as np
from sqlalchemy import text

from db import Database, open_database
from db.events import EventValues, upsert_events, watches
from db.search import link_watched, ranked_search
from forecasts.topic_rules import compile_rule
from services import event_links
from services.questions import NewQuestion, create_question

N_EVENTS = 1_000_000
N_RULES = 1_000
N_BATCH = 10_000
BUILT = Path(tempfile.gettempdir()) / "summit-bench-search.db"  # built once, never changed
PATH = Path(tempfile.gettempdir()) / "summit-bench-search-run.db"  # a fresh copy for each run

COMMON = ["talks", "summit", "minister", "leaders", "agree", "said", "report", "oil", "price", "budget"]
COMMON += ["visit", "week"]
TOPIC = [
    "kuril",
    "islands",
    "northern",
    "territories",
    "shikotan",
    "habomai",
    "iturup",
    "kunashir",
    "nagato",
    "putin",
    "abe",
    "treaty",
    "sanctions",
    "opec",
    "brent",
    "deficit",
    "defence",
    "joint",
    "economic",
    "activity",
    "fisheries",
    "tourism",
    "visa",
]
RARE = [f"term{i}" for i in range(30_000)]
JAPANESE = ["北方領土問題で進展なし", "日露首脳会談", "長門での会談", "共同経済活動", "平和条約交渉"]


def _vocabulary() -> tuple[list[str], np.ndarray]:
    """Words by rank, with Zipf-Mandelbrot frequencies as in news text: a few words in most
    events, the topic words spread from common to rare, a long tail."""
    words = list(COMMON)
    tail = list(RARE)
    for i, word in enumerate(TOPIC):  # topic words at ranks from ~15 to ~3,000
        tail.insert(int(3 * 1.3**i), word)
    words += tail
    ranks = np.arange(1, len(words) + 1)
    weights = 1.0 / (ranks + 2.7) ** 1.05
    return words, weights / weights.sum()


def _sentences(rng: np.random.Generator, n: int, length: int) -> list[str]:
    words, p = _vocabulary()
    picks = rng.choice(len(words), size=(n, length), p=p)
    vocabulary = np.array(words, dtype=object)
    return [" ".join(row).capitalize() for row in vocabulary[picks]]


def _event_rows(seed: int, start: int, n: int, source_id: int) -> list[tuple[object, ...]]:
    rng = np.random.default_rng(seed)
    titles, summaries = _sentences(rng, n, 9), _sentences(rng, n, 30)
    japanese = rng.random(n) < 0.05
    seconds = rng.uniform(0, 3e8, n)
    base = datetime(2016, 1, 1, tzinfo=UTC)
    rows = []
    for k in range(n):
        i = start + k
        title, summary = titles[k], summaries[k]
        if japanese[k]:
            title, summary = JAPANESE[i % 5] + f"（{i}）", JAPANESE[(i // 5) % 5]
        when = (base + timedelta(seconds=float(seconds[k]))).strftime("%Y-%m-%d %H:%M:%S.%f")
        rows.append((source_id, f"k{i}", when, title, summary, when, when))
    return rows


INSERT = (
    "INSERT INTO event (source_id, dedupe_key, occurred_at, title, summary, occurred_at_estimated,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)"
)


def build() -> None:
    """The database, once: events loaded with the search triggers off, then each index rebuilt."""
    BUILT.unlink(missing_ok=True)
    open_database(f"sqlite:///{BUILT}").dispose()
    connection = sqlite3.connect(BUILT)
    connection.execute("INSERT INTO source (id, name, kind, settings, enabled, created_at, updated_at)"
                       " VALUES (1, 'wire', 'manual', '{}', 0, '2016-01-01', '2016-01-01')")  # fmt: skip
    triggers = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name in ("event_search_insert", "event_search_delete", "event_search_update"):
        connection.execute(f"DROP TRIGGER {name}")
    for start in range(0, N_EVENTS, 100_000):
        connection.executemany(INSERT, _event_rows(start, start, 100_000, 1))
    connection.commit()
    for table, statement in (
        ("event_fts", "INSERT INTO event_fts(event_fts) VALUES ('rebuild')"),
        ("event_trigram", "INSERT INTO event_trigram(rowid, title, summary) "
                          "SELECT id, title || '  ', summary || '  ' FROM event"),
    ):  # fmt: skip
        started = time.perf_counter()
        connection.execute(statement)
        connection.commit()
        print(f"built {table} in {time.perf_counter() - started:.1f} s")
    for (sql,) in triggers:
        connection.execute(sql)
    connection.commit()
    connection.execute("VACUUM")
    connection.close()


def sizes() -> None:
    connection = sqlite3.connect(PATH)
    page = connection.execute("PRAGMA page_size").fetchone()[0]

    def pages(prefix: str) -> int:
        try:
            rows = connection.execute("SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE").fetchall()
        except sqlite3.OperationalError:
            rows = []
        return sum(size for name, size in rows if name.startswith(prefix))

    event = (
        pages("event") - pages("event_fts") - pages("event_trigram") - pages("event_tag") - pages("event_q")
    )
    event = event - pages("event_revision") - pages("event_unlink")
    if not event:  # no dbstat in this build: sum the FTS blocks and estimate the table from its text
        text = connection.execute("SELECT sum(length(title) + length(summary) + 60) FROM event").fetchone()[0]
        words = connection.execute("SELECT sum(length(block)) FROM event_fts_data").fetchone()[0]
        trigrams = connection.execute("SELECT sum(length(block)) FROM event_trigram_data").fetchone()[0]
        print(f"event table ~{text / 2**20:.0f} MB (text + row overhead; no dbstat in this SQLite build)")
    else:
        words, trigrams, text = pages("event_fts"), pages("event_trigram"), event
        print(f"event table {text / 2**20:.0f} MB ({page}-byte pages)")
    print(f"word index {words / 2**20:.0f} MB ({words / text:.2f}x the table), "
          f"trigram index {trigrams / 2**20:.0f} MB ({trigrams / text:.2f}x)")  # fmt: skip
    connection.close()


def queries(rng: random.Random) -> list[tuple[str, str]]:
    """(rule, the one word a LIKE baseline looks for)."""
    chosen: list[tuple[str, str]] = []
    for _ in range(20):
        word = rng.choice(COMMON + TOPIC)
        chosen.append((word, word))
    for _ in range(20):
        word = rng.choice(RARE)
        chosen.append((word, word))
    for _ in range(15):
        word = rng.choice(TOPIC)
        chosen.append((f"{word[:4]}*", word[:4]))
    for _ in range(15):
        a, b = rng.sample(TOPIC, 2)
        chosen.append((f'"{a} {b}"', a))
    for _ in range(15):
        a, b, c = rng.sample(TOPIC + COMMON, 3)
        chosen.append((f"({a} OR {b}) NOT {c}", a))
    for _ in range(15):
        text = rng.choice(JAPANESE)
        start = rng.randrange(0, len(text) - 3)
        piece = text[start : start + rng.choice([2, 3, 4])]
        chosen.append((piece, piece))
    return chosen


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18]


LIKE_TOP_50 = "SELECT id FROM event WHERE title LIKE :p OR summary LIKE :p ORDER BY occurred_at DESC LIMIT 50"


def search(database: Database) -> None:
    ours: list[float] = []
    like: list[float] = []
    with database.read_session() as session:
        connection = session.connection()
        for rule, word in queries(random.Random(3)):
            node = compile_rule(rule)
            assert node is not None
            ours.append(timed(partial(ranked_search, connection, node, limit=50)))
            like.append(timed(partial(connection.execute, text(LIKE_TOP_50), {"p": f"%{word}%"})))
    for name, times in (("FTS5 ranked top-50", ours), ("LIKE '%word%' top-50 (baseline)", like)):
        print(f"{name:<34} p50 {statistics.median(times) * 1000:7.1f} ms   p95 {_p95(times) * 1000:7.1f} ms")
    print(f"p95 ratio ours / LIKE: {_p95(ours) / _p95(like):.3f}")


BACKFILLS = [
    ("fisheries OR tourism", ["fisheries", "tourism"]),  # one topic: about 1 % of the events
    ('"kuril islands" OR iturup', ["kuril islands", "iturup"]),  # broad: about 14 %
    ("putin OR abe", ["putin", "abe"]),
]


def backfill(database: Database) -> None:
    question = create_question(database, NewQuestion(title="Will the Kuril talks go anywhere?")).id
    for rule, words in BACKFILLS:
        like = " OR ".join(f"title LIKE '%{w}%' OR summary LIKE '%{w}%'" for w in words)
        statement = text(
            "INSERT INTO event_question (event_id, question_id, origin, created_at) SELECT id, :q, 'rule', "
            f"'2016-01-01' FROM event WHERE {like} ON CONFLICT DO NOTHING"
        )
        with database.write_session() as session:
            baseline = timed(partial(session.execute, statement, {"q": question}))
            session.rollback()
        started = time.perf_counter()
        result = event_links.watch_question(database, question, rule)
        ours = time.perf_counter() - started
        print(
            f"back-fill of {rule!r} ({result.linked:,} links): ours {ours:.2f} s, "
            f"LIKE baseline {baseline:.2f} s ({ours / baseline:.3f}x)"
        )
        with database.write_session() as session:
            session.execute(text("DELETE FROM event_question"))
            session.execute(text("UPDATE question SET watch_rule = NULL"))


ADD_QUESTION = text(
    "INSERT INTO question (uid, title, description, resolution_criteria, type, created_at, opens_at, "
    "updated_at, watch_rule) VALUES (:u, :t, '', '', 'binary', :n, :n, :n, :r)"
)


def _watch_rules(database: Database) -> None:
    rng = random.Random(5)
    middle = _vocabulary()[0][100:5_000]  # the words people watch for: neither "the" nor a typo
    with database.write_session() as session:
        for i in range(N_RULES):
            a, b, c = rng.sample(middle, 3)
            topic = rng.choice(TOPIC)
            shapes = [f"{a} OR {b}", f'"{topic} {a}" OR {b}', f"{topic} AND ({a} OR {b})", f"{a}* NOT {c}"]
            values = {"u": f"bench-{i}", "t": f"Will rule {i} fire?", "n": "2016-01-01 00:00:00.000000"}
            session.execute(ADD_QUESTION, {**values, "r": rng.choice(shapes)})


def linking(database: Database) -> None:
    _watch_rules(database)
    rows = _event_rows(9, N_EVENTS + 1, N_BATCH, 1)
    values = [
        EventValues(key, datetime.fromisoformat(when).replace(tzinfo=UTC), False, title, summary, None, None)
        for _, key, when, title, summary, _, _ in rows
    ]
    with database.write_session() as session:
        connection = session.connection()
        rules = watches(connection)
        stored = timed(partial(upsert_events, connection, 1, values))  # links as it stores
        linked = connection.execute(
            text("SELECT count(*) FROM event_question WHERE origin = 'rule'")
        ).scalar()
        ids = [i for (i,) in connection.execute(text("SELECT id FROM event WHERE id > :n"), {"n": N_EVENTS})]
        connection.execute(text("DELETE FROM event_question"))
        alone = timed(partial(link_watched, connection, ids, rules, datetime.now(UTC)))
        session.rollback()
    print(
        f"storing {N_BATCH:,} new events with {len(rules):,} watch rules: {stored:.2f} s in all "
        f"({linked:,} links); the linking alone {alone:.2f} s"
    )


def main() -> None:
    sys.setrecursionlimit(10_000)
    if not BUILT.exists():
        build()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{PATH}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(BUILT, PATH)
    database = open_database(f"sqlite:///{PATH}")
    sizes()
    search(database)
    backfill(database)
    linking(database)
    database.dispose()


if __name__ == "__main__":
    main()
