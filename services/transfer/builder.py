"""Collects records from any format, checks them as the services would, remembers lines.

The same rules as entering forecasts by hand: probabilities within 0–1, option
probabilities that match the options and sum to 1, quantiles that rise inside a
numeric or date question's range, a resolution that names an option of the
question (or a value its range allows), no forecast after its question was resolved. A record
that breaks one becomes a :class:`RowError` with its line, and is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from forecasts import rules
from forecasts.errors import Invalid
from forecasts.scoring.numeric import NumericRange
from services.transfer.reading import RowProblem
from services.transfer.records import (
    Bundle,
    ForecasterRecord,
    ForecastRecord,
    Parsed,
    QuestionRecord,
    ResolutionRecord,
    RowError,
)

T = TypeVar("T")


def scale_of(question: QuestionRecord) -> NumericRange | None:
    """A numeric or date question's range as the rules check it (None for the other kinds)."""
    return rules.check_range(
        question.type,
        question.range_lower,
        question.range_upper,
        lower_open=question.lower_open,
        upper_open=question.upper_open,
        log_scale=question.log_scale,
    )


def _checked(check: Callable[[], T]) -> T:
    """Run a rule from :mod:`forecasts.rules`; its failure becomes a problem on this row."""
    try:
        return check()
    except Invalid as error:
        raise RowProblem(error.field, error.message) from None


class BundleBuilder:
    def __init__(self, format_name: str, unit: str = "line") -> None:
        self.parsed = Parsed(format_name, Bundle())
        self.unit = unit  # how errors locate a record: a CSV line, or an item of a JSON list
        self.questions: dict[str, QuestionRecord] = {}
        self.forecaster_details: dict[str, tuple[str, str, datetime | None]] = {}
        self.forecasts: dict[tuple[str, str, datetime], tuple[ForecastRecord, int]] = {}
        self.resolutions: list[tuple[ResolutionRecord, int]] = []
        self.refused_on: set[str] = set()  # questions one of whose forecast rows was refused
        self.now = datetime.now(UTC)  # no forecast from the future

    def error(self, line: int, field: str, reason: str) -> None:
        self.parsed.errors.append(RowError(line, field, reason, self.unit))

    def forecast_error(self, line: int, field: str, reason: str) -> None:
        """A forecast refused once all are read: in a JSON export, an item of its forecasts list."""
        self.error(line, f"forecasts.{field}" if self.unit == "item" else field, reason)

    def note(self, text: str) -> None:
        self.parsed.notes.append(text)

    def question(self, record: QuestionRecord) -> QuestionRecord:
        """The question with this uid: the first time it is seen defines it."""
        known = self.questions.get(record.uid)
        if known is not None:
            return known
        _checked(lambda: rules.check_uid(record.uid))
        _checked(lambda: rules.check_title(record.title))
        options = _checked(lambda: rules.check_options(record.type, record.options))
        _checked(lambda: rules.check_window(record.opens_at, record.closes_at, record.resolve_by))
        watch_rule = _checked(lambda: rules.check_topic_rule(record.watch_rule, "watch_rule"))
        tags = _checked(lambda: rules.normalise_tags(record.tags))
        unit = _checked(lambda: rules.check_unit(record.unit))
        _checked(lambda: scale_of(record))
        record = record._replace(options=options, tags=tags, watch_rule=watch_rule, unit=unit)
        self.questions[record.uid] = record
        return record

    def forecaster(
        self, name: str, kind: str = "person", description: str = "", created_at: datetime | None = None
    ) -> str:
        """Known from the first time it is seen; created_at defaults to its first forecast. Returns the
        name as stored (trimmed)."""
        if name in self.forecaster_details:  # the common case: a name already checked
            return name
        clean = _checked(lambda: rules.check_forecaster_name(name))
        if clean not in self.forecaster_details:
            _checked(lambda: rules.check_forecaster_kind(kind))
            self.forecaster_details[clean] = (kind, description, created_at)
        return clean

    def forecast(self, record: ForecastRecord, line: int) -> None:
        """Take a forecast; its values and origin are checked column-wise in :meth:`finish`."""
        name = record.forecaster
        if name not in self.forecaster_details:  # the common case skips the name rule: a known name
            name = _checked(lambda: rules.check_forecaster_name(record.forecaster))
            record = record._replace(forecaster=name)
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
        _checked(lambda: rules.check_resolution_source(record.source))
        _checked(
            lambda: rules.check_outcome(
                question.type,
                question.options,
                record.outcome,
                record.option,
                record.value,
                scale_of(question),
            )
        )
        _checked(
            lambda: rules.check_resolved_at(
                record.resolved_at, record.outcome, opens_at=question.opens_at, now=self.now
            )
        )
        self.resolutions.append((record, line))

    def _checked_forecasts(self) -> list[tuple[tuple[str, str, datetime], tuple[ForecastRecord, int]]]:
        """The forecasts that pass the value and origin rules; the others become row errors.

        The rules run on the suspects only (:func:`forecasts.rules.forecast_suspects`): at a
        million rows, a call per row would be most of the time spent reading.
        """
        items = list(self.forecasts.items())
        records = [record for _, (record, _) in items]
        shapes = [self.questions[r.question_uid] for r in records]
        binary = [shape.type == "binary" for shape in shapes]
        suspects = rules.forecast_suspects(
            binary,
            [r.probability for r in records],
            [r.option_probabilities for r in records],
            [r.origin for r in records],
        )
        with_quantiles = [i for i, r in enumerate(records) if r.quantiles is not None]
        dropped: set[int] = set()
        for i in sorted(set(suspects).union(with_quantiles)):
            record, line = items[i][1]
            try:
                rules.check_origin(record.origin)
                p, values = rules.check_forecast_values(
                    shapes[i].type, shapes[i].options, record.probability, record.option_probabilities
                )
                quantiles = rules.check_forecast_quantiles(
                    shapes[i].type, scale_of(shapes[i]), record.quantiles
                )
            except Invalid as error:
                self.forecast_error(line, error.field, error.message)
                dropped.add(i)
                self.refused_on.add(record.question_uid)
                continue
            checked = record._replace(probability=p, option_probabilities=values, quantiles=quantiles)
            items[i] = (items[i][0], (checked, line))
        return [item for i, item in enumerate(items) if i not in dropped]

    def _check_when(self, made_at: datetime, uid: str, resolved_at: datetime | None) -> None:
        """Made once its question opened, not in the future, not before the resolution. (Not
        bounded by the close: a question's close may be moved before forecasts already made, and
        an export of that history must import.)"""
        rules.check_made_after_opening(made_at, self.questions[uid].opens_at)
        rules.check_not_in_future(made_at, self.now)
        if resolved_at is not None:
            rules.check_not_after_resolution(made_at, resolved_at)

    def refuse_forecast_on(self, uid: str) -> None:
        """A reader refused a forecast row of this question (its cell could not be read)."""
        self.refused_on.add(uid)

    def _drop_emptied(self, uids: set[str]) -> None:
        """A question all of whose forecast rows were refused is not created (nor its resolution):
        importing would make an empty question the file never meant."""
        if not uids:
            return
        bundle = self.parsed.bundle
        bundle.questions = [q for q in bundle.questions if q.uid not in uids]
        bundle.resolutions = [r for r in bundle.resolutions if r.question_uid not in uids]
        for uid in sorted(uids):
            self.note(f"question {uid} is left out: none of its forecasts could be imported")

    def finish(self) -> Parsed:
        bundle = self.parsed.bundle
        bundle.questions = sorted(self.questions.values(), key=lambda q: q.uid)
        current: dict[str, ResolutionRecord] = {}
        for resolution, _ in sorted(self.resolutions, key=lambda item: item[0].recorded_at):
            current[resolution.question_uid] = resolution
        bundle.resolutions = sorted(
            (r for r, _ in self.resolutions), key=lambda r: (r.question_uid, r.recorded_at)
        )
        first_forecast: dict[str, datetime] = {}
        forecasts: list[ForecastRecord] = []
        refused_on: set[str] = set()  # questions with a forecast row refused here
        for (uid, name, made_at), (record, line) in self._checked_forecasts():
            settled = current.get(uid)
            resolved_at = (
                settled.resolved_at if settled is not None and settled.outcome != "unresolved" else None
            )
            try:
                self._check_when(made_at, uid, resolved_at)
            except Invalid as error:
                self.forecast_error(line, error.field, error.message)
                refused_on.add(uid)
                continue
            forecasts.append(record)
            first_forecast[name] = min(made_at, first_forecast.get(name, made_at))
        bundle.forecasts = forecasts
        refused_on |= self.refused_on
        self._drop_emptied(refused_on - {f.question_uid for f in forecasts})
        for name, (kind, description, created_at) in sorted(self.forecaster_details.items()):
            when = created_at or first_forecast.get(name)
            if when is not None:  # a forecaster whose forecasts were all refused is left out too
                bundle.forecasters.append(ForecasterRecord(name, kind, description, when))
        self.parsed.errors.sort(key=lambda e: e.line)
        return self.parsed
