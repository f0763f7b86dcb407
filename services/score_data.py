"""From the database to a :class:`ForecastTable`: the resolved yes/no forecasts to score.

Only binary questions whose latest resolution is yes or no count; annulled
and unresolved questions are left out here, so they are excluded from every
score and calibration chart built on top.

Built for a million forecasts: the database turns timestamps into epoch
seconds, the forecast rows come back as plain numbers without a join (the
question-level columns are read once per question and spread with numpy), and
the table keeps the database ids as its integer codes.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Select, Subquery, select
from sqlalchemy.orm import Session

from db.expressions import epoch_seconds, fetch_numbers
from db.models import EventQuestion, Forecast, Forecaster, Question, QuestionTag
from db.queries import latest_resolutions
from forecasts.scoring.multiple_choice import ChoiceForecast
from forecasts.scoring.scorecard import ForecastTable

# Up to this many questions, fetch their forecasts by id (an index lookup);
# beyond it, one scan of the forecast table and a numpy filter is faster.
INDEXED_LOOKUP_LIMIT = 500


AnySelect = Select[*tuple[Any, ...]]


def _resolved_questions(
    tag: str | None, resolved_from: datetime | None, resolved_until: datetime | None
) -> AnySelect:
    latest = latest_resolutions()
    query = (
        select(
            Question.id,
            epoch_seconds(Question.opens_at),
            epoch_seconds(Question.closes_at),
            latest.c.outcome == "yes",
            epoch_seconds(latest.c.resolved_at),
            Question.uid,
        )
        .join(latest, latest.c.question_id == Question.id)
        .where(Question.type == "binary", latest.c.outcome.in_(("yes", "no")))
    )
    return with_report_filters(query, latest, tag, resolved_from, resolved_until)


def with_report_filters(
    query: AnySelect,
    latest: Subquery,
    tag: str | None,
    resolved_from: datetime | None,
    resolved_until: datetime | None,
) -> AnySelect:
    """The report's filters on a query over questions joined to their latest resolution."""
    if tag:
        query = query.where(Question.id.in_(select(QuestionTag.question_id).where(QuestionTag.tag == tag)))
    if resolved_from is not None:
        query = query.where(latest.c.resolved_at >= resolved_from)
    if resolved_until is not None:
        query = query.where(latest.c.resolved_at < resolved_until)
    return query


def _number_columns(rows: Sequence[Sequence[Any]], width: int, *, nullable: bool = False) -> np.ndarray:
    """Rows of numbers as a (rows × width) float array; ``nullable`` turns None into nan."""
    flat = itertools.chain.from_iterable(rows)
    values = (np.nan if v is None else v for v in flat) if nullable else flat
    return np.fromiter(values, np.float64, count=len(rows) * width).reshape(-1, width)


def resolved_binary_table(
    session: Session,
    *,
    forecasters: Sequence[str] | None = None,
    tag: str | None = None,
    resolved_from: datetime | None = None,
    resolved_until: datetime | None = None,
    question_ids: Sequence[int] | None = None,
    linked_only: bool = False,
) -> ForecastTable:
    """The forecasts of resolved yes/no questions (of ``question_ids`` only, if given; with
    ``linked_only``, of questions some event is linked to); the table's codes are the database ids
    of question and forecaster."""
    connection = session.connection()
    questions_query = _resolved_questions(tag, resolved_from, resolved_until)
    if question_ids is not None:
        questions_query = questions_query.where(Question.id.in_(list(question_ids)))
    if linked_only:
        questions_query = questions_query.where(Question.id.in_(select(EventQuestion.question_id)))
    question_rows = connection.execute(questions_query).all()
    people_query = select(Forecaster.id, Forecaster.name)
    if forecasters:
        people_query = people_query.where(Forecaster.name.in_(list(forecasters)))
    people = dict(connection.execute(people_query).all())

    forecasts = select(
        Forecast.question_id, Forecast.forecaster_id, epoch_seconds(Forecast.made_at), Forecast.probability
    ).where(Forecast.probability.is_not(None))
    if forecasters:
        forecasts = forecasts.where(Forecast.forecaster_id.in_(list(people)))
    if len(question_rows) <= INDEXED_LOOKUP_LIMIT:
        forecasts = forecasts.where(Forecast.question_id.in_([row[0] for row in question_rows]))
    rows = np.empty((0, 4))
    if question_rows and people:
        rows = _number_columns(fetch_numbers(connection, forecasts), 4)

    ids = np.array([row[0] for row in question_rows], dtype=np.int64)
    by_id = np.argsort(ids)
    ids = ids[by_id]
    position = np.searchsorted(ids, rows[:, 0].astype(np.int64))
    kept = position < ids.size
    kept[kept] = ids[position[kept]] == rows[kept, 0]
    rows, question_codes, position = rows[kept], ids[position[kept]], by_id[position[kept]]

    per_question = _number_columns([row[1:5] for row in question_rows], 4, nullable=True)
    uids = np.array([row[5] for row in question_rows], dtype=str)
    forecaster_ids = rows[:, 1].astype(np.int64)
    known_ids = np.array(sorted(people), dtype=np.int64)
    names = np.array([people[i] for i in known_ids.tolist()], dtype=str)
    forecaster_codes = np.searchsorted(known_ids, forecaster_ids)
    return ForecastTable(
        question=uids[position],
        forecaster=names[forecaster_codes],
        made_at=rows[:, 2],
        probability=rows[:, 3],
        outcome=per_question[position, 2],
        opens_at=per_question[position, 0],
        closes_at=per_question[position, 1],
        resolved_at=per_question[position, 3],
        question_codes=question_codes,
        forecaster_codes=known_ids[forecaster_codes],
    )


def resolved_choice_forecasts(
    session: Session,
    *,
    forecasters: Sequence[str] | None = None,
    tag: str | None = None,
    resolved_from: datetime | None = None,
    resolved_until: datetime | None = None,
) -> tuple[list[ChoiceForecast], dict[int, str]]:
    """The forecasts on multiple-choice questions resolved to one of their options, and the
    forecasters' names by code; questions marked ``options_ordered`` get the ranked probability score."""
    latest = latest_resolutions()
    query = (
        select(Forecast.question_id, Forecast.forecaster_id, Forecaster.name, Forecast.made_at)
        .add_columns(
            Forecast.option_probabilities, Question.options, latest.c.option, Question.options_ordered
        )
        .add_columns(Question.opens_at, Question.closes_at, latest.c.resolved_at)
        .join(Question, Question.id == Forecast.question_id)
        .join(Forecaster, Forecaster.id == Forecast.forecaster_id)
        .join(latest, latest.c.question_id == Question.id)
        .where(Question.type == "multiple_choice", latest.c.outcome == "option")
        .where(Forecast.option_probabilities.is_not(None))
    )
    if forecasters:
        query = query.where(Forecaster.name.in_(list(forecasters)))
    rows, names = [], {}
    query = with_report_filters(query, latest, tag, resolved_from, resolved_until)
    for row in session.execute(query):
        (
            question_id,
            forecaster_id,
            name,
            made_at,
            values,
            options,
            option,
            ordered,
            opens,
            closes,
            resolved,
        ) = row
        # The window ends at the close or the resolution, the earlier (the resolution without a close).
        ends = min(t for t in (closes, resolved) if t is not None)
        if option not in (options or []) or len(values or []) != len(options):
            continue  # the rules keep these from being stored; an old row is skipped, not guessed
        names[int(forecaster_id)] = str(name)
        rows.append(
            ChoiceForecast(
                int(question_id), int(forecaster_id), made_at.timestamp(), tuple(float(v) for v in values),
                list(options).index(option), ordered=bool(ordered), opens_at=opens.timestamp(),
                ends_at=ends.timestamp(),
            )
        )  # fmt: skip
    return rows, names
