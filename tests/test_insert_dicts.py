"""Rows as dicts straight to the driver store what an ORM insert of the same dicts stores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from db import Database
from db.bulk import insert_dicts
from db.models import Question, Resolution

WHEN = datetime(2016, 12, 15, 6, 0, tzinfo=UTC)
# Only some columns given: the rest take their Python-side defaults (description "", type binary…).
QUESTION = {"title": "Will Abe and Putin sign a peace treaty?", "opens_at": WHEN, "updated_at": WHEN}


def _stored(database: Database, uid: str) -> dict[str, object]:
    with database.read_session() as session:
        row = session.execute(select(Question.__table__).where(Question.uid == uid)).mappings().one()
    return {name: value for name, value in row.items() if name not in ("id", "uid", "created_at")}


def test_missing_columns_take_the_defaults_an_orm_insert_gives(database: Database) -> None:
    with database.write_session() as session:
        session.execute(insert(Question), [{"uid": "by-orm", **QUESTION}])
        insert_dicts(session.connection(), Question.__table__, [{"uid": "by-driver", **QUESTION}])
    assert _stored(database, "by-driver") == _stored(database, "by-orm")
    with database.read_session() as session:
        created = session.scalars(select(Question.created_at).order_by(Question.uid)).all()
    assert all(abs((when - datetime.now(UTC)).total_seconds()) < 60 for when in created)


def test_rows_with_different_columns_are_refused(database: Database) -> None:
    with (
        pytest.raises(ValueError, match="do not all have the same columns"),
        database.write_session() as session,
    ):
        insert_dicts(
            session.connection(),
            Resolution.__table__,
            [{"question_id": 1, "outcome": "yes"}, {"question_id": 1, "outcome": "no", "note": "x"}],
        )
