"""Everything the Calibration & scores page shows, computed once per change and kept.

Scoring a million forecasts takes seconds, so the result is stored as a
:class:`db.models.ScoreSnapshot` (JSON, never pickle: a restored backup must
not be able to run code). The worker refreshes the default view after any
forecast, resolution or question changes; a page that finds the snapshot stale
scores live and stores the result, so the next open is instant either way.
Filtered views (one tag, some forecasters, a date range) are scored live.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Forecast, Forecaster, Question, QuestionTag, Resolution, ScoreSnapshot
from forecasts.scoring.decomposition import corp_reliability_curve
from forecasts.scoring.multiple_choice import (
    ChoiceForecast,
    choice_question_scores,
    choice_scores_by_forecaster,
)
from forecasts.scoring.scorecard import (
    ForecastTable,
    Scorecard,
    per_question_scores,
    score_forecasts,
    scorecard_from_dict,
    with_choices,
)
from services.score_data import resolved_binary_table, resolved_choice_forecasts

# Part of every snapshot's fingerprint: bump it when scoring code changes what a snapshot holds.
SCORER_VERSION = "3"  # 2: with how each forecaster updates; 3: multiple choice scored
DEFAULT_KEY = "calibration:default"
# A stale report that scored faster than this is rescored while the page loads; a slower one
# is shown (marked stale) while the worker rescores it, so no page makes its user wait.
LIVE_SCORING_LIMIT = 1.0
SHARPNESS_STEP = 0.05


@dataclass(frozen=True)
class ReportFilters:
    forecasters: tuple[str, ...] = ()  # empty: everyone
    tag: str | None = None
    resolved_from: datetime | None = None  # inclusive
    resolved_until: datetime | None = None  # exclusive

    @property
    def is_default(self) -> bool:
        return self == ReportFilters()


@dataclass(frozen=True)
class CalibrationReport:
    card: Scorecard
    questions: pd.DataFrame  # one row per forecaster and question (per_question_scores + title)
    tags: pd.DataFrame  # uid, tag
    sharpness: pd.DataFrame  # forecaster, lower, upper, forecasts: every forecast, in 5-point bins
    curves: dict[str, pd.DataFrame]  # per forecaster: the CORP curve and its consistency band
    inputs_version: str
    computed_at: datetime
    compute_seconds: float
    stale: bool = field(default=False, compare=False)  # shown while the worker rescores
    # One row per forecaster and multiple-choice question: uid, title, forecaster, forecast, happened,
    # brier (0–2 scale), log, rps (ordered options only).
    choices: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)


def inputs_version(session: Session) -> str:
    """A fingerprint of everything scores depend on; any forecast, resolution or question edit changes it."""
    row = session.execute(
        select(
            select(func.max(Forecast.id)).scalar_subquery(),
            select(func.count()).select_from(Forecast).scalar_subquery(),
            select(func.max(Resolution.id)).scalar_subquery(),
            select(func.count()).select_from(Question).scalar_subquery(),
            select(func.max(Question.updated_at)).scalar_subquery(),
            select(func.count()).select_from(QuestionTag).scalar_subquery(),
            select(func.count()).select_from(Forecaster).scalar_subquery(),
            select(func.max(Forecaster.id)).scalar_subquery(),
        )
    ).one()
    return ":".join([SCORER_VERSION, *("-" if v is None else str(v) for v in row)])


def _sharpness(table: ForecastTable) -> pd.DataFrame:
    """Every forecast counted in 5-point bins, per forecaster (integer codes: fast at a million rows)."""
    n_bins = round(1 / SHARPNESS_STEP)
    # 100 % joins the top bin; the nudge keeps 0.15 in [15 %, 20 %) despite float division.
    bins = np.minimum((table.probability / SHARPNESS_STEP + 1e-9).astype(int), n_bins - 1)
    codes, first_rows, forecaster = np.unique(table.forecaster_codes, return_index=True, return_inverse=True)
    counts = np.bincount(forecaster.reshape(-1) * n_bins + bins, minlength=codes.size * n_bins)
    who, which = np.divmod(np.flatnonzero(counts), n_bins)
    return pd.DataFrame(
        {
            "forecaster": table.forecaster[first_rows][who],
            "lower": which / n_bins,  # divide, not multiply: 19 · 0.05 is 0.9500000000000001
            "upper": (which + 1) / n_bins,
            "forecasts": counts[counts > 0],
        }
    )


CHOICE_COLUMNS = [
    "question",
    "title",
    "forecaster",
    "forecast",
    "happened",
    "brier",
    "brier_exact",
    "log",
    "rps",
]


def _choice_rows(session: Session, rows: list[ChoiceForecast], names: dict[int, str]) -> pd.DataFrame:
    ids = sorted({row.question for row in rows})
    about = {
        int(i): (str(uid), str(title), list(options or []))
        for i, uid, title, options in session.execute(
            select(Question.id, Question.uid, Question.title, Question.options).where(Question.id.in_(ids))
        )
    }
    table = []
    for score in choice_question_scores(rows):
        uid, title, options = about[score.question]
        forecast = " · ".join(f"{o} {p:.0%}" for o, p in zip(options, score.probabilities, strict=True))
        happened = options[score.outcome]
        name = names[score.forecaster]
        table.append(
            (uid, title, name, forecast, happened, score.brier, score.brier_exact, score.log, score.rps)
        )
    return pd.DataFrame(table, columns=CHOICE_COLUMNS)


def _with_multiple_choice(
    session: Session, card: Scorecard, filters: ReportFilters
) -> tuple[Scorecard, pd.DataFrame]:
    rows, names = resolved_choice_forecasts(
        session,
        forecasters=filters.forecasters or None,
        tag=filters.tag,
        resolved_from=filters.resolved_from,
        resolved_until=filters.resolved_until,
    )
    if not rows:
        return card, pd.DataFrame(columns=CHOICE_COLUMNS)
    overall, mine = choice_scores_by_forecaster(rows)
    card = with_choices(card, overall, {names[code]: scores for code, scores in mine.items()})
    return card, _choice_rows(session, rows, names)


def build_report(session: Session, filters: ReportFilters = ReportFilters()) -> CalibrationReport | None:
    """Score the resolved yes/no questions that match ``filters`` (None if there are none)."""
    started = time.perf_counter()
    version = inputs_version(session)
    table = resolved_binary_table(
        session,
        forecasters=filters.forecasters or None,
        tag=filters.tag,
        resolved_from=filters.resolved_from,
        resolved_until=filters.resolved_until,
    )
    if len(table) == 0:
        return None
    titles = dict(session.execute(select(Question.uid, Question.title)).all())
    tags = pd.DataFrame(
        session.execute(select(Question.uid, QuestionTag.tag).join(QuestionTag)).all(), columns=["uid", "tag"]
    )
    card, choices = _with_multiple_choice(session, score_forecasts(table), filters)
    questions = pd.DataFrame([s.__dict__ for s in per_question_scores(table)])
    questions["title"] = questions["question"].map(titles)
    curves = {}
    for name, mine in questions.groupby("forecaster"):
        curve = corp_reliability_curve(mine["last_probability"].to_numpy(), mine["outcome"].to_numpy())
        curves[str(name)] = pd.DataFrame(
            {
                "forecast": curve.forecast,
                "recalibrated": curve.recalibrated,
                "band_low": curve.band_low,
                "band_high": curve.band_high,
                "level": curve.level,
            }
        )
    questions["resolved_at"] = pd.to_datetime(questions["resolved_at"], unit="s", utc=True).dt.as_unit("us")
    return CalibrationReport(
        card=card,
        questions=questions,
        tags=tags,
        sharpness=_sharpness(table),
        curves=curves,
        inputs_version=version,
        computed_at=datetime.now(UTC),
        compute_seconds=time.perf_counter() - started,
        choices=choices,
    )


# --- storage as JSON ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a score snapshot")


def _frame_json(frame: pd.DataFrame) -> str:
    return frame.to_json(orient="split", index=False, date_format="iso", date_unit="us")


def _frame(text: str) -> pd.DataFrame:
    return pd.read_json(StringIO(text), orient="split", dtype=False)


def report_to_json(report: CalibrationReport) -> str:
    return json.dumps(
        {
            "card": asdict(report.card),
            "questions": _frame_json(report.questions),
            "tags": _frame_json(report.tags),
            "sharpness": _frame_json(report.sharpness),
            "curves": {name: _frame_json(frame) for name, frame in report.curves.items()},
            "choices": _frame_json(report.choices),
        },
        default=_plain,
    )


def report_from_json(text: str, snapshot: ScoreSnapshot) -> CalibrationReport:
    data = json.loads(text)
    questions = _frame(data["questions"])
    resolved = pd.to_datetime(questions["resolved_at"], utc=True, format="ISO8601")
    questions["resolved_at"] = resolved.dt.as_unit("us")
    return CalibrationReport(
        card=scorecard_from_dict(data["card"]),
        questions=questions,
        tags=_frame(data["tags"]),
        sharpness=_frame(data["sharpness"]),
        curves={name: _frame(frame) for name, frame in data["curves"].items()},
        inputs_version=snapshot.inputs_version,
        computed_at=snapshot.computed_at,
        compute_seconds=snapshot.compute_seconds,
        choices=_frame(data["choices"]) if data.get("choices") else pd.DataFrame(columns=CHOICE_COLUMNS),
    )


def store_report(session: Session, report: CalibrationReport | None, version: str) -> None:
    """Keep the default view's report (None: nothing to score yet) under ``version``."""
    snapshot = session.get(ScoreSnapshot, DEFAULT_KEY) or ScoreSnapshot(key=DEFAULT_KEY)
    snapshot.inputs_version = version
    snapshot.payload = "null" if report is None else report_to_json(report)
    snapshot.computed_at = report.computed_at if report else datetime.now(UTC)
    snapshot.compute_seconds = report.compute_seconds if report else 0.0
    session.add(snapshot)


def stored_report(session: Session) -> tuple[CalibrationReport | None, bool] | None:
    """The kept default report and whether it is current; None if there is none (or it is unreadable)."""
    snapshot = session.get(ScoreSnapshot, DEFAULT_KEY)
    if snapshot is None or not snapshot.inputs_version.startswith(f"{SCORER_VERSION}:"):
        return None
    current = snapshot.inputs_version == inputs_version(session)
    if snapshot.payload == "null":
        return None, current
    try:
        report = report_from_json(snapshot.payload, snapshot)
    except (ValueError, KeyError, TypeError):
        return None  # written by other code: score again rather than show something wrong
    return (report if current else CalibrationReport(**{**report.__dict__, "stale": True})), current


def kept_report_is_current(session: Session) -> bool:
    """Cheap: compares fingerprints without reading the report."""
    version = session.scalar(select(ScoreSnapshot.inputs_version).where(ScoreSnapshot.key == DEFAULT_KEY))
    return version == inputs_version(session)


def current_report(
    database: Database, filters: ReportFilters = ReportFilters(), *, worker_alive: bool = False
) -> CalibrationReport | None:
    """The report for ``filters``: the kept one when current, else scored now and kept.

    With ``worker_alive``, a stale kept report that took longer than
    LIVE_SCORING_LIMIT to score is returned as it is (``stale=True``): the
    worker rescores within seconds, and the page says so and refreshes itself.
    """
    if not filters.is_default:
        with database.read_session() as session:
            return build_report(session, filters)
    with database.read_session() as session:
        kept = stored_report(session)
    if kept is not None:
        report, current = kept
        slow = report is not None and report.compute_seconds > LIVE_SCORING_LIMIT
        if current or (slow and worker_alive):
            return report
    return _rescore_and_keep(database)


def refresh_stored_report(database: Database) -> bool:
    """For the worker: rescore the default view if the data changed since the snapshot. True if it did."""
    with database.read_session() as session:
        if kept_report_is_current(session):
            return False
    _rescore_and_keep(database)
    return True


def _rescore_and_keep(database: Database) -> CalibrationReport | None:
    """Score the default view and keep it, under the fingerprint of the data it was scored from."""
    with database.read_session() as session:
        report = build_report(session)
        version = report.inputs_version if report is not None else inputs_version(session)
    with database.write_session() as session:
        store_report(session, report, version)
    return report
