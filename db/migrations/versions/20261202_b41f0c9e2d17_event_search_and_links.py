"""full-text search over events; watch rules; link origins, unlinks and citations

SQLite: two external-content FTS5 tables over ``event(title, summary)``, one
of words (unicode61, diacritics removed) and one of trigrams (substrings in
Chinese and Japanese), kept in step by triggers. PostgreSQL: a generated
``tsvector`` (title weighted A, summary B) with a GIN index, and pg_trgm
indexes for substrings. Both fold text as :mod:`forecasts.search_text` does;
the fold tables are written out here so this revision never changes meaning.

Batch migrations that rebuild ``event`` on SQLite drop its triggers: such a
revision must create them again (see ``_sqlite_triggers``).

Revision ID: b41f0c9e2d17
Revises: 7d3e9a1f5b20
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "b41f0c9e2d17"
down_revision: str | None = "7d3e9a1f5b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LINK_ORIGINS = ("source", "rule", "manual", "cited")
FOLDED_RANGES = ((0x00C0, 0x024F), (0x0370, 0x03FF), (0x0400, 0x052F), (0x1E00, 0x1FFF))


def _fold_tables() -> tuple[dict[str, str], dict[str, str]]:
    """The case and Latin-diacritic folds of forecasts.search_text, as they were at this revision."""
    case: dict[str, str] = {}
    diacritics: dict[str, str] = {}
    for start, end in FOLDED_RANGES:
        for code in range(start, end + 1):
            lowered = chr(code).lower()
            if len(lowered) != 1:
                continue
            folded = lowered.casefold() if len(lowered.casefold()) == 1 else lowered
            if folded != lowered:
                case[lowered] = folded
            decomposed = unicodedata.normalize("NFD", folded)
            marks = decomposed[1:]
            if decomposed[0] < "\x80" and marks and all(unicodedata.category(m) == "Mn" for m in marks):
                diacritics[folded] = decomposed[0]
    return case, diacritics


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pairs(table: dict[str, str]) -> tuple[str, str]:
    keys = sorted(table)
    return _literal("".join(keys)), _literal("".join(table[k] for k in keys))


PAD = "  "  # the trigram index holds each field with two trailing spaces (db.search.TRIGRAM_PADDING)


def _fields(row: str, table: str) -> str:
    pad = f" || '{PAD}'" if table == "event_trigram" else ""
    return f"{row}.title{pad}, {row}.summary{pad}"


def _sqlite_triggers() -> list[str]:
    tables = ("event_fts", "event_trigram")
    add = "".join(
        f"INSERT INTO {t}(rowid, title, summary) VALUES (new.id, {_fields('new', t)}); " for t in tables
    )
    remove = "".join(
        f"INSERT INTO {t}({t}, rowid, title, summary) VALUES ('delete', old.id, {_fields('old', t)}); "
        for t in tables
    )
    return [
        f"CREATE TRIGGER event_search_insert AFTER INSERT ON event BEGIN {add}END",
        f"CREATE TRIGGER event_search_delete AFTER DELETE ON event BEGIN {remove}END",
        f"CREATE TRIGGER event_search_update AFTER UPDATE OF title, summary ON event BEGIN {remove}{add}END",
    ]


def _sqlite_search() -> None:
    # Words read their text from `event` (external content); the trigram index keeps none
    # (contentless), since it indexes the padded fields.
    op.execute(
        "CREATE VIRTUAL TABLE event_fts USING fts5(title, summary, content='event', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE VIRTUAL TABLE event_trigram USING fts5(title, summary, content='', tokenize='trigram')"
    )
    for statement in _sqlite_triggers():
        op.execute(statement)
    op.execute("INSERT INTO event_fts(event_fts) VALUES ('rebuild')")
    fields = _fields("event", "event_trigram")
    op.execute(f"INSERT INTO event_trigram(rowid, title, summary) SELECT id, {fields} FROM event")
    for table in ("event_fts", "event_trigram"):
        # A word in the title counts five times one in the summary.
        op.execute(f"INSERT INTO {table}({table}, rank) VALUES ('rank', 'bm25(5.0, 1.0)')")


def _postgresql_search() -> None:
    case, diacritics = _fold_tables()
    case_from, case_to = _pairs(case)
    dia_from, dia_to = _pairs(diacritics)
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # ICU's root collation: the same lower() and [[:alnum:]] whatever locale the cluster has.
    op.execute(
        "CREATE FUNCTION summit_fold_case(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT translate(lower(replace($1, 'İ', 'i') COLLATE \"und-x-icu\"), {case_from}, {case_to}) $$"
    )
    op.execute(
        "CREATE FUNCTION summit_fold_words(text) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $$ SELECT regexp_replace(translate(summit_fold_case($1), {dia_from}, {dia_to}) "
        "COLLATE \"und-x-icu\", '[^[:alnum:]]+', ' ', 'g') $$"
    )
    op.execute(
        "ALTER TABLE event ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
        "setweight(to_tsvector('simple'::regconfig, summit_fold_words(title)), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, summit_fold_words(coalesce(summary, ''))), 'B')) STORED"
    )
    op.execute("CREATE INDEX ix_event_search_vector ON event USING gin (search_vector)")
    for column in ("title", "summary"):
        op.execute(
            f"CREATE INDEX ix_event_{column}_trigram ON event USING gin (summit_fold_case({column}) gin_trgm_ops)"
        )


def _links() -> None:
    origins = ", ".join(f"'{origin}'" for origin in LINK_ORIGINS)
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("watch_rule", sa.Text(), nullable=True))
    with op.batch_alter_table("event_question") as batch:
        batch.add_column(sa.Column("origin", sa.String(16), nullable=False, server_default="source"))
        batch.create_check_constraint("origin", f"origin IN ({origins})")
    op.create_table(
        "event_unlink",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("unlinked_at", db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_unlink_event_id_event"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_event_unlink_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "question_id", name=op.f("pk_event_unlink")),
    )
    op.create_index(op.f("ix_event_unlink_question_id"), "event_unlink", ["question_id"])
    op.create_table(
        "forecast_event",
        sa.Column("forecast_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["forecast_id"],
            ["forecast.id"],
            name=op.f("fk_forecast_event_forecast_id_forecast"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_forecast_event_event_id_event"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("forecast_id", "event_id", name=op.f("pk_forecast_event")),
    )
    op.create_index(op.f("ix_forecast_event_event_id"), "forecast_event", ["event_id"])


def upgrade() -> None:
    _links()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_search()
    else:
        _postgresql_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("event_search_insert", "event_search_delete", "event_search_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS event_fts")
        op.execute("DROP TABLE IF EXISTS event_trigram")
    else:
        for index in ("ix_event_search_vector", "ix_event_title_trigram", "ix_event_summary_trigram"):
            op.execute(f"DROP INDEX IF EXISTS {index}")
        op.execute("ALTER TABLE event DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS summit_fold_words(text)")
        op.execute("DROP FUNCTION IF EXISTS summit_fold_case(text)")
    op.drop_index(op.f("ix_forecast_event_event_id"), table_name="forecast_event")
    op.drop_table("forecast_event")
    op.drop_index(op.f("ix_event_unlink_question_id"), table_name="event_unlink")
    op.drop_table("event_unlink")
    with op.batch_alter_table("event_question") as batch:
        batch.drop_constraint(op.f("ck_event_question_origin"), type_="check")
        batch.drop_column("origin")
    with op.batch_alter_table("question") as batch:
        batch.drop_column("watch_rule")
