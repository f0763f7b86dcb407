"""Collects records from any format, checks them as the services would, remembers lines.

The same rules as entering forecasts by hand: probabilities within 0–1, option
probabilities that match the options and sum to 1, a resolution that names an
option of the question, no forecast after its question was resolved. A record
that breaks one becomes a :class:`RowError` with its line, and is left out.
"""

from __future__ import annotations

from datetime import datetime

from db.models import FORECAST_ORIGINS, FORECASTER_KINDS, QUESTION_TYPES, RESOLUTION_OUTCOMES
from forecasts.transfer.cells import CellError, check_option_probabilities
from forecasts.transfer.reading import RowProblem
from forecasts.transfer.records import (
    Bundle,
    ForecasterRecord,
    ForecastRecord,
    Parsed,
    QuestionRecord,
    ResolutionRecord,
    RowError,
)


class BundleBuilder:
    def __init__(self, format_name: str, unit: str = "line") -> None:
        self.parsed = Parsed(format_name, Bundle())
        self.unit = unit  # how errors locate a record: a CSV line, or an item of a JSON list
        self.questions: dict[str, QuestionRecord] = {}
        self.forecaster_details: dict[str, tuple[str, str, datetime | None]] = {}
        self.forecasts: dict[tuple[str, str, datetime], tuple[ForecastRecord, int]] = {}
        self.resolutions: list[tuple[ResolutionRecord, int]] = []

    def error(self, line: int, field: str, reason: str) -> None:
        self.parsed.errors.append(RowError(line, field, reason, self.unit))

    def note(self, text: str) -> None:
        self.parsed.notes.append(text)

    def question(self, record: QuestionRecord) -> QuestionRecord:
        """The question with this uid: the first time it is seen defines it."""
        known = self.questions.get(record.uid)
        if known is not None:
            return known
        if not record.title.strip():
            raise RowProblem("title", "is empty; every question needs one")
        if record.type not in QUESTION_TYPES:
            raise RowProblem("type", f"{record.type!r} is not one of {', '.join(QUESTION_TYPES)}")
        if (record.type == "multiple_choice") != (record.options is not None):
            raise RowProblem("options", "multiple-choice questions need options; yes/no questions have none")
        if record.options is not None and len(set(record.options)) < 2:
            raise RowProblem("options", "a multiple-choice question needs at least two different options")
        if record.closes_at is not None and record.closes_at < record.opens_at:
            raise RowProblem("closes_at", "is before the question opens")
        if record.resolve_by is not None and record.resolve_by < record.opens_at:
            raise RowProblem("resolve_by", "is before the question opens")
        self.questions[record.uid] = record
        return record

    def forecaster(
        self, name: str, kind: str = "person", description: str = "", created_at: datetime | None = None
    ) -> None:
        """Known from the first time it is seen; created_at defaults to its first forecast."""
        if name in self.forecaster_details:
            return
        if not name.strip():
            raise RowProblem("forecaster", "is empty")
        if kind not in FORECASTER_KINDS:
            raise RowProblem("forecaster_kind", f"{kind!r} is not one of {', '.join(FORECASTER_KINDS)}")
        self.forecaster_details.setdefault(name, (kind, description, created_at))

    def forecast(self, record: ForecastRecord, line: int) -> None:
        question = self.questions[record.question_uid]
        if record.origin not in FORECAST_ORIGINS:
            raise RowProblem("origin", f"{record.origin!r} is not one of {', '.join(FORECAST_ORIGINS)}")
        if question.type == "binary":
            if record.probability is None or record.option_probabilities is not None:
                raise RowProblem("probability", "a yes/no question takes one probability")
        else:
            try:
                values = check_option_probabilities(record.option_probabilities or (), question.options)
            except CellError as error:
                raise RowProblem("option_probabilities", str(error)) from None
            record = record._replace(option_probabilities=values, probability=None)
        key = (record.question_uid, record.forecaster, record.made_at)
        if key in self.forecasts:
            earlier = self.forecasts[key][1]
            raise RowProblem(
                "made_at",
                f"a second forecast by {record.forecaster} at the same time (first on line {earlier})",
            )
        self.forecasts[key] = (record, line)

    def resolution(self, record: ResolutionRecord, line: int) -> None:
        question = self.questions[record.question_uid]
        if record.outcome not in RESOLUTION_OUTCOMES:
            raise RowProblem("outcome", f"{record.outcome!r} is not one of {', '.join(RESOLUTION_OUTCOMES)}")
        allowed = ("yes", "no") if question.type == "binary" else ("option",)
        if record.outcome not in (*allowed, "annulled", "unresolved"):
            raise RowProblem("outcome", f"{record.outcome!r} does not fit a {question.type} question")
        if record.outcome == "option" and record.option not in (question.options or ()):
            raise RowProblem(
                "option", f"{record.option!r} is not one of the options {list(question.options or ())}"
            )
        if record.outcome != "unresolved" and record.resolved_at is None:
            raise RowProblem("resolved_at", "is needed for a resolved question")
        if record.resolved_at is not None and record.resolved_at < question.opens_at:
            raise RowProblem("resolved_at", "is before the question opens")
        self.resolutions.append((record, line))

    def finish(self) -> Parsed:
        bundle = self.parsed.bundle
        bundle.questions = sorted(self.questions.values(), key=lambda q: q.uid)
        current: dict[str, ResolutionRecord] = {}
        for record, _ in sorted(self.resolutions, key=lambda item: item[0].recorded_at):
            current[record.question_uid] = record
        bundle.resolutions = sorted(
            (r for r, _ in self.resolutions), key=lambda r: (r.question_uid, r.recorded_at)
        )
        first_forecast: dict[str, datetime] = {}
        for (uid, name, made_at), (record, line) in self.forecasts.items():
            settled = current.get(uid)
            if (
                settled is not None
                and settled.outcome not in ("unresolved",)
                and settled.resolved_at < made_at
            ):
                self.error(
                    line,
                    "made_at",
                    f"is after the question was resolved ({settled.resolved_at:%Y-%m-%d %H:%M} UTC)",
                )
                continue
            bundle.forecasts.append(record)
            first_forecast[name] = min(made_at, first_forecast.get(name, made_at))
        for name, (kind, description, created_at) in sorted(self.forecaster_details.items()):
            when = created_at or first_forecast.get(name)
            if when is not None:  # a forecaster whose forecasts were all refused is left out too
                bundle.forecasters.append(ForecasterRecord(name, kind, description, when))
        self.parsed.errors.sort(key=lambda e: e.line)
        return self.parsed
