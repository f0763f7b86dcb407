"""numeric and date questions: a range and a unit, quantile forecasts, resolution to a value

``question`` gains ``unit``, ``range_lower``/``range_upper`` (a date as seconds since 1970),
``lower_open``/``upper_open`` and ``log_scale``; ``forecast`` gains ``quantiles``
([[level, value], ...]); ``resolution`` gains ``value`` and the outcome ``value``. A crowd
proposal still never proposes a value. On SQLite the three tables are rebuilt (their CHECKs
change), which drops their change-counter triggers: they are made again.

Revision ID: b8e3f5a1c2d4
Revises: a2d4f6b8c0e1
Create Date: 2026-12-04 13:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8e3f5a1c2d4"
down_revision: str | None = "a2d4f6b8c0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ors(column: str, values: tuple[str, ...]) -> str:
    return " OR ".join(f"{column} = '{value}'" for value in values)


# The rules at this revision, as text (the models' constants may move on).
TYPES_BEFORE = ("binary", "multiple_choice")
TYPES = ("binary", "multiple_choice", "numeric", "date")
OUTCOMES_BEFORE = ("yes", "no", "option", "annulled", "unresolved")
OUTCOMES = ("yes", "no", "option", "value", "annulled", "unresolved")
OPTIONS_MATCH_TYPE = (
    "(type = 'binary' AND options IS NULL) OR (type = 'multiple_choice' AND options IS NOT NULL)"
)
FIELDS_MATCH_TYPE = (
    "(type = 'binary' AND options IS NULL AND range_lower IS NULL AND range_upper IS NULL)"
    " OR (type = 'multiple_choice' AND options IS NOT NULL AND range_lower IS NULL AND range_upper IS NULL)"
    " OR ((type = 'numeric' OR type = 'date') AND options IS NULL"
    " AND range_lower IS NOT NULL AND range_upper IS NOT NULL AND range_lower < range_upper)"
)
ONE_KIND_OF_PROBABILITY = "(probability IS NULL) <> (option_probabilities IS NULL)"
ONE_KIND_OF_FORECAST = (
    "(CASE WHEN probability IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN option_probabilities IS NULL THEN 0 ELSE 1 END)"
    " + (CASE WHEN quantiles IS NULL THEN 0 ELSE 1 END) = 1"
)
VALUE_ONLY = "(outcome = 'value' AND value IS NOT NULL) OR (outcome <> 'value' AND value IS NULL)"

# db.changes' triggers on the tables rebuilt here, as they are at this revision.
REBUILT = ("question", "forecast", "resolution")
BUMP = "BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END"


def _restore_triggers() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return  # PostgreSQL alters in place, and counts no changes by trigger
    for table in REBUILT:
        for action, event_sql in (("update", "UPDATE"), ("delete", "DELETE")):
            name = f"change_counter_{table}_{action}"
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
            op.execute(f"CREATE TRIGGER {name} AFTER {event_sql} ON {table} {BUMP}")


def upgrade() -> None:
    with op.batch_alter_table("question") as batch:
        batch.add_column(sa.Column("unit", sa.String(40), nullable=False, server_default=""))
        batch.add_column(sa.Column("range_lower", sa.Float(), nullable=True))
        batch.add_column(sa.Column("range_upper", sa.Float(), nullable=True))
        for flag in ("lower_open", "upper_open", "log_scale"):
            batch.add_column(sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_constraint(op.f("ck_question_options_match_type"), type_="check")
        batch.drop_constraint(op.f("ck_question_type"), type_="check")
        batch.create_check_constraint("type", _ors("type", TYPES))
        batch.create_check_constraint("fields_match_type", FIELDS_MATCH_TYPE)
        batch.create_check_constraint("log_scale_above_zero", "NOT log_scale OR range_lower > 0")
    with op.batch_alter_table("forecast") as batch:
        batch.add_column(sa.Column("quantiles", sa.JSON(none_as_null=True), nullable=True))
        batch.drop_constraint(op.f("ck_forecast_one_kind_of_probability"), type_="check")
        batch.create_check_constraint("one_kind_of_forecast", ONE_KIND_OF_FORECAST)
    with op.batch_alter_table("resolution") as batch:
        batch.add_column(sa.Column("value", sa.Float(), nullable=True))
        batch.drop_constraint(op.f("ck_resolution_outcome"), type_="check")
        batch.create_check_constraint("outcome", _ors("outcome", OUTCOMES))
        batch.create_check_constraint("value_only_for_value_outcome", VALUE_ONLY)
    _restore_triggers()


RANGED = "SELECT id FROM question WHERE type = 'numeric' OR type = 'date'"


def _delete_ranged_questions() -> None:
    """Numeric and date questions cannot live in the older schema: they go, with every row that
    refers to them, before the columns do (by hand: batch migrations run without foreign keys)."""
    inspector = sa.inspect(op.get_bind())
    doomed = {"question": RANGED, "forecast": f"SELECT id FROM forecast WHERE question_id IN ({RANGED})"}
    for parent in ("forecast", "question"):
        for table in inspector.get_table_names():
            for key in inspector.get_foreign_keys(table):
                if key["referred_table"] != parent or table == parent:
                    continue
                column = key["constrained_columns"][0]
                if (key.get("options") or {}).get("ondelete") == "SET NULL":
                    op.execute(f"UPDATE {table} SET {column} = NULL WHERE {column} IN ({doomed[parent]})")
                else:
                    op.execute(f"DELETE FROM {table} WHERE {column} IN ({doomed[parent]})")
    op.execute(f"DELETE FROM question WHERE id IN ({RANGED})")


def downgrade() -> None:
    _delete_ranged_questions()
    with op.batch_alter_table("resolution") as batch:
        batch.drop_constraint(op.f("ck_resolution_value_only_for_value_outcome"), type_="check")
        batch.drop_constraint(op.f("ck_resolution_outcome"), type_="check")
        batch.create_check_constraint("outcome", _ors("outcome", OUTCOMES_BEFORE))
        batch.drop_column("value")
    with op.batch_alter_table("forecast") as batch:
        batch.drop_constraint(op.f("ck_forecast_one_kind_of_forecast"), type_="check")
        batch.create_check_constraint("one_kind_of_probability", ONE_KIND_OF_PROBABILITY)
        batch.drop_column("quantiles")
    with op.batch_alter_table("question") as batch:
        batch.drop_constraint(op.f("ck_question_log_scale_above_zero"), type_="check")
        batch.drop_constraint(op.f("ck_question_fields_match_type"), type_="check")
        batch.drop_constraint(op.f("ck_question_type"), type_="check")
        batch.create_check_constraint("type", _ors("type", TYPES_BEFORE))
        batch.create_check_constraint("options_match_type", OPTIONS_MATCH_TYPE)
        for column in ("log_scale", "upper_open", "lower_open", "range_upper", "range_lower", "unit"):
            batch.drop_column(column)
    _restore_triggers()
