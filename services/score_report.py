"""Everything the Calibration & scores page shows, computed once per change and kept.

Scoring a million forecasts takes seconds, so the result is stored as a
:class:`db.models.ScoreSnapshot` (JSON, never pickle: a restored backup must
not be able to run code). The worker refreshes the default view after any
forecast, resolution or question changes; a page that finds the snapshot stale
scores live and stores the result, so the next open is instant either way.
Filtered views (one tag, some forecasters, a date range) are scored live.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import Database
from db.models import Forecast, Forecaster, Question, QuestionTag, Resolution, ScoreSnapshot
from db.score_pieces import (
    Kept,
    Watermarks,
    changed_questions,
    current_watermarks,
    edit_times,
    kept_watermarks,
    read_pieces,
    store_pieces,
)
from forecasts.scoring.decomposition import corp_reliability_curve
from forecasts.scoring.multiple_choice import (
    ChoiceForecast,
    choice_question_scores,
    choice_scores_by_forecaster,
)
from forecasts.scoring.pieces import (
    SHARPNESS_BINS,
    Pieces,
    Steps,
    best_and_worst,
    concatenate,
    concatenate_steps,
    empty_pieces,
    from_records,
    notable_steps,
    pair_pieces,
    steps_from_records,
    steps_to_records,
    to_records,
)
from forecasts.scoring.scorecard import (
    Scorecard,
    assemble_scorecard,
    forecaster_names,
    scorecard_from_dict,
    with_choices,
)
from services.score_data import resolved_binary_table, resolved_choice_forecasts
from services.updates import STEP_COLUMNS, steps_frame

# Part of every snapshot's fingerprint: bump it when scoring code changes what a snapshot holds.
SCORER_VERSION = "5"  # 2: updating; 3: multiple choice; 4: from pieces; 5: exact stored seconds
DEFAULT_KEY = "calibration:default"
# A stale report that scored faster than this is rescored while the page loads; a slower one
# is shown (marked stale) while the worker rescores it, so no page makes its user wait.
LIVE_SCORING_LIMIT = 1.0


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
    # The updates that helped most (kind "best") and hurt most ("worst"): NOTABLE_COLUMNS.
    notable: pd.DataFrame = field(default_factory=pd.DataFrame, compare=False)


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


def _sharpness(pieces: Pieces, names: Mapping[int, str]) -> pd.DataFrame:
    """Every forecast counted in 5-point bins, per forecaster (from each pair's bin counts)."""
    codes, forecaster = np.unique(pieces.forecaster, return_inverse=True)
    counts = np.zeros((codes.size, SHARPNESS_BINS), dtype=np.int64)
    np.add.at(counts, forecaster.reshape(-1), pieces.sharpness)
    who, which = np.nonzero(counts)
    return pd.DataFrame(
        {
            "forecaster": [names[int(code)] for code in codes[who]],
            "lower": which / SHARPNESS_BINS,  # divide, not multiply: 19 · 0.05 is 0.9500000000000001
            "upper": (which + 1) / SHARPNESS_BINS,
            "forecasts": counts[who, which],
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


def _question_frame(session: Session, pieces: Pieces, names: Mapping[int, str]) -> pd.DataFrame:
    """One row per forecaster and question: the numbers behind "scores by question"."""
    about = {
        int(i): (str(uid), str(title))
        for i, uid, title in session.execute(select(Question.id, Question.uid, Question.title))
    }
    questions = [about[q] for q in pieces.question.tolist()]
    frame = pd.DataFrame(
        {
            "question": [uid for uid, _ in questions],
            "forecaster": [names[f] for f in pieces.forecaster.tolist()],
            "n_forecasts": pieces.n_forecasts,
            "last_probability": pieces.last_probability,
            "outcome": pieces.outcome,
            "brier_last": (pieces.last_probability - pieces.outcome) ** 2,
            "brier_exact": pieces.brier_exact,
            "coverage": pieces.coverage,
            "resolved_at": pd.to_datetime(pieces.resolved_at, unit="s", utc=True).as_unit("us"),
            "title": [title for _, title in questions],
        }
    )
    return frame


NOTABLE_COLUMNS = ["kind", *STEP_COLUMNS, "gain"]


def _notable(session: Session, steps: Steps, names: Mapping[int, str]) -> pd.DataFrame:
    """The updates that helped most ("best") and hurt most ("worst"), with their forecast ids."""
    best, worst = best_and_worst(steps)
    frame = pd.concat(
        [
            steps_frame(session, part, names).assign(kind=kind)
            for kind, part in (("best", best), ("worst", worst))
        ],
        ignore_index=True,
    )
    return frame[NOTABLE_COLUMNS]


def _curves(
    pieces: Pieces, names: Mapping[int, str], kept: Mapping[str, pd.DataFrame] | None = None
) -> dict[str, pd.DataFrame]:
    """Per forecaster: the CORP reliability curve of their last forecasts, with its consistency band.
    A ``kept`` curve computed from the same forecasts and outcomes (same key) is used as it is."""
    curves = {}
    for code in np.unique(pieces.forecaster).tolist():
        mine = pieces.forecaster == code
        p, y = pieces.last_probability[mine], pieces.outcome[mine]
        key = hashlib.sha256(p.tobytes() + y.tobytes()).hexdigest()
        before = (kept or {}).get(names[code])
        if before is not None and _curve_key(before) == key:
            curves[names[code]] = before
            continue
        curve = corp_reliability_curve(p, y)
        curves[names[code]] = pd.DataFrame(
            {
                "forecast": curve.forecast,
                "recalibrated": curve.recalibrated,
                "band_low": curve.band_low,
                "band_high": curve.band_high,
                "level": curve.level,
            }
        )
        curves[names[code]].attrs["key"] = key
    return curves


def _kept_curves(session: Session) -> dict[str, pd.DataFrame]:
    """The reliability curves of the kept default report, each with the key of its inputs."""
    snapshot = session.get(ScoreSnapshot, DEFAULT_KEY)
    if snapshot is None or not snapshot.inputs_version.startswith(f"{SCORER_VERSION}:"):
        return {}
    try:
        data = json.loads(snapshot.payload) or {}
        return _curves_of(data)
    except (ValueError, KeyError, TypeError):
        return {}


def _curves_of(data: dict[str, Any]) -> dict[str, pd.DataFrame]:
    curves = {name: _frame(frame) for name, frame in data["curves"].items()}
    for name, key in data.get("curve_keys", {}).items():
        if name in curves:
            curves[name].attrs["key"] = key
    return curves


def _report(
    session: Session,
    pieces: Pieces,
    steps: Steps,
    names: Mapping[int, str],
    filters: ReportFilters,
    version: str,
    started: float,
    kept_curves: Mapping[str, pd.DataFrame] | None = None,
) -> CalibrationReport | None:
    """The report from the pieces of the questions in view (None if there are none)."""
    if len(pieces) == 0:
        return None
    tags = pd.DataFrame(
        session.execute(select(Question.uid, QuestionTag.tag).join(QuestionTag)).all(), columns=["uid", "tag"]
    )
    card, choices = _with_multiple_choice(session, assemble_scorecard(pieces, names), filters)
    return CalibrationReport(
        card=card,
        questions=_question_frame(session, pieces, names),
        tags=tags,
        sharpness=_sharpness(pieces, names),
        curves=_curves(pieces, names, kept_curves),
        inputs_version=version,
        computed_at=datetime.now(UTC),
        compute_seconds=time.perf_counter() - started,
        choices=choices,
        notable=_notable(session, steps, names),
    )


def build_report(session: Session, filters: ReportFilters = ReportFilters()) -> CalibrationReport | None:
    """Score the resolved yes/no questions that match ``filters`` from scratch (None if there are none)."""
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
    names = forecaster_names(table)
    return _report(session, pair_pieces(table), notable_steps(table), names, filters, version, started)


# --- storage as JSON ---------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot store {type(value).__name__} in a score snapshot")


def _frame_json(frame: pd.DataFrame) -> str:
    """A frame as JSON columns. Python's float repr reads back bit for bit (pandas' to_json keeps 10
    digits), so a kept report equals the report it was computed as; times as ISO 8601 in UTC."""
    times = [name for name in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[name])]
    data = {
        str(name): (
            [None if pd.isna(v) else v.isoformat() for v in frame[name]]
            if name in times
            else frame[name].tolist()
        )
        for name in frame.columns
    }
    return json.dumps(
        {"columns": [str(c) for c in frame.columns], "times": times, "data": data}, default=_plain
    )


def _frame(text: str) -> pd.DataFrame:
    stored = json.loads(text)
    frame = pd.DataFrame(stored["data"], columns=stored["columns"])
    for name in stored["times"]:
        frame[name] = pd.to_datetime(frame[name], utc=True, format="ISO8601").dt.as_unit("us")
    return frame


def report_to_json(report: CalibrationReport, *, with_questions: bool = True) -> str:
    """The report as JSON. The kept default report leaves its per-question table out
    (``with_questions=False``): that table is the kept score pieces, read from them on load."""
    return json.dumps(
        {
            "card": asdict(report.card),
            **({"questions": _frame_json(report.questions)} if with_questions else {}),
            "curve_keys": {name: _curve_key(frame) for name, frame in report.curves.items()},
            "tags": _frame_json(report.tags),
            "sharpness": _frame_json(report.sharpness),
            "curves": {name: _frame_json(frame) for name, frame in report.curves.items()},
            "choices": _frame_json(report.choices),
            "notable": _frame_json(report.notable),
        },
        default=_plain,
    )


def _notable_frame(text: str | None) -> pd.DataFrame:
    if not text:
        return pd.DataFrame(columns=NOTABLE_COLUMNS)
    return _frame(text)


def report_from_json(
    text: str, snapshot: ScoreSnapshot, questions: pd.DataFrame | None = None
) -> CalibrationReport:
    """The inverse of :func:`report_to_json`; ``questions`` where the JSON left them out."""
    data = json.loads(text)
    if "questions" in data:
        questions = _frame(data["questions"])
    if questions is None:
        raise KeyError("questions")
    return CalibrationReport(
        card=scorecard_from_dict(data["card"]),
        questions=questions,
        tags=_frame(data["tags"]),
        sharpness=_frame(data["sharpness"]),
        curves=_curves_of(data),
        inputs_version=snapshot.inputs_version,
        computed_at=snapshot.computed_at,
        compute_seconds=snapshot.compute_seconds,
        choices=_frame(data["choices"]) if data.get("choices") else pd.DataFrame(columns=CHOICE_COLUMNS),
        notable=_notable_frame(data.get("notable")),
    )


def store_report(session: Session, report: CalibrationReport | None, version: str) -> None:
    """Keep the default view's report (None: nothing to score yet) under ``version``."""
    snapshot = session.get(ScoreSnapshot, DEFAULT_KEY) or ScoreSnapshot(key=DEFAULT_KEY)
    snapshot.inputs_version = version
    snapshot.payload = "null" if report is None else report_to_json(report, with_questions=False)
    snapshot.computed_at = report.computed_at if report else datetime.now(UTC)
    snapshot.compute_seconds = report.compute_seconds if report else 0.0
    session.add(snapshot)


def stored_report(
    session: Session, *, with_questions: bool = True
) -> tuple[CalibrationReport | None, bool] | None:
    """The kept default report and whether it is current; None if there is none (or it is unreadable).
    Without ``with_questions`` its per-question table is left empty (the headline needs the card only,
    and the table is the kept pieces, megabytes at a million forecasts)."""
    snapshot = session.get(ScoreSnapshot, DEFAULT_KEY)
    if snapshot is None or not snapshot.inputs_version.startswith(f"{SCORER_VERSION}:"):
        return None
    current = snapshot.inputs_version == inputs_version(session)
    if snapshot.payload == "null":
        return None, current
    questions = _kept_questions(session) if with_questions else pd.DataFrame(columns=["n_forecasts"])
    try:
        report = report_from_json(snapshot.payload, snapshot, questions)
    except (ValueError, KeyError, TypeError):
        return None  # written by other code: score again rather than show something wrong
    if with_questions and int(report.questions["n_forecasts"].sum()) != report.card.n_forecasts:
        return None  # the kept pieces are not the ones this report was summed from: score again
    return (report if current else CalibrationReport(**{**report.__dict__, "stale": True})), current


def _kept_questions(session: Session) -> pd.DataFrame:
    """The per-question table of the kept default report: its score pieces, as kept."""
    records, _ = read_pieces(session.connection())
    return _question_frame(session, from_records(records), _forecaster_names(session))


def _curve_key(frame: pd.DataFrame) -> str:
    return str(frame.attrs.get("key", ""))


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


def _forecaster_names(session: Session) -> dict[int, str]:
    return {int(i): str(name) for i, name in session.execute(select(Forecaster.id, Forecaster.name))}


def _fresh_pieces(session: Session, question_ids: list[int] | None) -> tuple[Pieces, Steps, dict[int, Kept]]:
    """Pieces and notable steps computed from the forecasts (of ``question_ids``; None: of every
    question), and what to keep per question."""
    edited = edit_times(session.connection(), question_ids)  # before the forecasts: see db.score_pieces
    table = resolved_binary_table(session, question_ids=question_ids)
    if len(table) == 0:
        return empty_pieces(), steps_from_records(b""), {}
    pieces, steps = pair_pieces(table), notable_steps(table)
    records, step_records = to_records(pieces), steps_to_records(steps)
    kept = {}
    for question in np.unique(pieces.question).tolist():
        mine = np.searchsorted(pieces.question, [question, question + 1])
        its_steps = np.searchsorted(steps.question, [question, question + 1])
        kept[question] = Kept(
            records[mine[0] : mine[1]].tobytes(),
            step_records[its_steps[0] : its_steps[1]].tobytes(),
            edited[question],
        )
    return pieces, steps, kept


@dataclass(frozen=True)
class PieceRefresh:
    pieces: Pieces  # every resolved question's, current
    steps: Steps  # each question's notable updates
    rescored: int | None  # questions rescored (None: all of them, from scratch)


def refresh_pieces(database: Database) -> PieceRefresh:
    """Bring the kept score pieces up to date: rescore the questions that changed since they were
    kept, or everything when there are none (or the counts do not add up), and keep the result."""
    with database.read_session() as session:
        connection = session.connection()
        marks = current_watermarks(connection)  # first: whatever is added after is seen next time
        kept = kept_watermarks(connection, SCORER_VERSION)
        changed = changed_questions(connection, kept, marks) if kept is not None else None
        if changed is None:
            pieces, steps, records = _fresh_pieces(session, None)
        else:
            ids = sorted(changed)
            fresh, fresh_steps, records = _fresh_pieces(session, ids)
            kept_records, kept_steps = read_pieces(connection, leaving_out=ids)
            try:
                others, other_steps = from_records(kept_records), steps_from_records(kept_steps)
            except ValueError:  # kept in another layout: start again
                return _refresh_all(database, marks)
            pieces = concatenate([others, fresh])
            steps = concatenate_steps([other_steps, fresh_steps])
    if changed is None or changed:
        with database.write_session() as session:
            store_pieces(
                session.connection(),
                records,
                replacing=None if changed is None else changed,
                marks=marks,
                scorer_version=SCORER_VERSION,
            )
    return PieceRefresh(pieces, steps, None if changed is None else len(changed))


def _refresh_all(database: Database, marks: Watermarks) -> PieceRefresh:
    with database.read_session() as session:
        pieces, steps, records = _fresh_pieces(session, None)
    with database.write_session() as session:
        store_pieces(
            session.connection(), records, replacing=None, marks=marks, scorer_version=SCORER_VERSION
        )
    return PieceRefresh(pieces, steps, None)


def _rescore_and_keep(database: Database) -> CalibrationReport | None:
    """Score the default view from the kept pieces (rescoring only what changed) and keep the report,
    under the fingerprint of the data it was scored from."""
    started = time.perf_counter()
    with database.read_session() as session:
        version = inputs_version(session)
    refreshed = refresh_pieces(database)
    with database.read_session() as session:
        names = _forecaster_names(session)
        curves = _kept_curves(session)
        report = _report(
            session, refreshed.pieces, refreshed.steps, names, ReportFilters(), version, started, curves
        )
    with database.write_session() as session:
        store_report(session, report, version)
    return report
