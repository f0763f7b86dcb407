"""Property: any history survives export → import into an empty database → export, byte for byte.

Hypothesis builds histories with awkward text (commas, quotes, newlines,
non-Latin scripts), microsecond times, every question type (numeric and date
ones with open or closed ranges, log scales, quantiles and values), undone
resolutions and events; each is written to one SQLite file, exported as CSV
and JSON, imported into a fresh file and exported again.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from db import Database
from db.engine import connect
from forecasts.rules import LINK_ORIGINS
from services.transfer import (
    Bundle,
    bundle_json,
    events_csv,
    export_bundle,
    forecasts_csv,
    import_bundle,
    read_file,
)
from services.transfer.records import (
    EventRecord,
    ForecasterRecord,
    ForecastRecord,
    QuestionRecord,
    ResolutionRecord,
    SourceRecord,
)

START = datetime(2016, 1, 1, tzinfo=UTC)
AWKWARD = ['a, "quoted" word', "line one\nline two", "windows\r\nline", "北方領土", "Курилы", "  padded  "]
# What a spreadsheet would run, and what already looks escaped (the export's ' must undo exactly).
FORMULA_LIKE = [
    '=HYPERLINK("http://127.0.0.1/x")',
    "+1 call",
    "-0.5",
    "@SUM(A1)",
    "'=quoted",
    "''@x",
    "'",
    "\tx",
]
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30) | st.sampled_from(
    [*AWKWARD, *FORMULA_LIKE]
)
title = text.filter(lambda t: t.strip() != "" and t == t.strip()).map(lambda t: f"Will {t}?")
moment = st.integers(0, 2_000 * 86_400_000_000).map(lambda us: START + timedelta(microseconds=us))


LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


@st.composite
def ranges(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    """A numeric or date question's unit and range (a date's bounds in seconds since 1970)."""
    if kind == "date":
        lower = float(draw(st.integers(1_400_000_000, 1_600_000_000)))
        return {"range_lower": lower, "range_upper": lower + draw(st.integers(86_400, 10**8))}
    log_scale = draw(st.booleans())
    lower = draw(st.floats(0.001, 1e6) if log_scale else st.floats(-1e6, 1e6))
    return {
        "unit": draw(st.sampled_from(["", "USD", "% of GDP", "документов"])),
        "range_lower": lower,
        "range_upper": lower + draw(st.floats(0.01, 1e6)),
        "lower_open": draw(st.booleans()),
        "upper_open": draw(st.booleans()),
        "log_scale": log_scale,
    }


def inside(question: QuestionRecord, fractions: list[int]) -> tuple[float, ...]:
    """Values at these thousandths of the range: strictly inside it, rising."""
    assert question.range_lower is not None
    assert question.range_upper is not None
    width = question.range_upper - question.range_lower
    return tuple(question.range_lower + width * f / 1000 for f in fractions)


@st.composite
def quantiles(draw: st.DrawFn, question: QuestionRecord) -> tuple[tuple[float, float], ...]:
    levels = sorted(draw(st.lists(st.sampled_from(LEVELS), min_size=3, max_size=5, unique=True)))
    fractions = sorted(
        draw(st.lists(st.integers(1, 999), min_size=len(levels), max_size=len(levels), unique=True))
    )
    values = inside(question, fractions)
    if len(set(values)) < len(values):  # a range too narrow for distinct floats: spread them
        values = inside(question, [100 * (i + 1) for i in range(len(levels))])
    return tuple(zip(levels, values, strict=True))


@st.composite
def outcome_value(draw: st.DrawFn, question: QuestionRecord) -> float:
    assert question.range_lower is not None
    assert question.range_upper is not None
    if question.upper_open and draw(st.booleans()):
        return question.range_upper * 2 + 1  # above an open range (and above 0 on a log scale)
    return inside(question, [draw(st.integers(0, 1000))])[0]


def outcomes(kind: str) -> list[str]:
    return [*{"binary": ["yes", "no"], "multiple_choice": ["option"]}.get(kind, ["value"]), "annulled"]


@st.composite
def histories(draw: st.DrawFn) -> Bundle:
    bundle = Bundle()
    people = draw(
        st.lists(st.sampled_from(["ana", "bo", "crowd:x", "Zoë"]), min_size=1, max_size=3, unique=True)
    )
    for name in people:
        kind = "crowd" if name.startswith("crowd:") else "person"
        bundle.forecasters.append(ForecasterRecord(name, kind, draw(text), draw(moment)))
    for i in range(draw(st.integers(1, 5))):
        uid = f"q{i}"
        opens = draw(moment)
        closes = opens + timedelta(days=draw(st.integers(1, 400)))
        kind = draw(st.sampled_from(["binary", "multiple_choice", "numeric", "date"]))
        options = (
            draw(st.lists(st.sampled_from(["A", "B, C", 'D"', "É"]), min_size=2, max_size=3, unique=True))
            if kind == "multiple_choice"
            else None
        )
        tags = tuple(sorted(set(draw(st.lists(st.sampled_from(["kuril", "treaty", "oil"]), max_size=2)))))
        bundle.questions.append(
            QuestionRecord(
                uid,
                draw(title),
                draw(text),
                draw(text),
                kind,
                tuple(options) if options else None,
                tags,
                opens,
                opens,
                closes,
                draw(st.none() | st.just(closes)),
                draw(
                    st.none() | st.sampled_from(["kuril*", '"northern territories" OR 北方領土', "w NOT z"])
                ),
                options is not None and draw(st.booleans()),
                **(draw(ranges(kind)) if kind in ("numeric", "date") else {}),
            )
        )
        question = bundle.questions[-1]
        resolved_at = None
        for n, outcome in enumerate(draw(st.lists(st.sampled_from(["settle", "unresolved"]), max_size=3))):
            if outcome == "settle":
                outcome = draw(st.sampled_from(outcomes(kind)))
            at = opens + timedelta(days=draw(st.integers(0, 400)), microseconds=n)
            resolved_at = None if outcome == "unresolved" else at
            bundle.resolutions.append(
                ResolutionRecord(
                    uid,
                    outcome,
                    draw(st.sampled_from(options)) if outcome == "option" else None,
                    resolved_at,
                    closes + timedelta(days=n, microseconds=draw(st.integers(0, 999_999))),
                    draw(text),
                    draw(st.sampled_from(["manual", "demo"])),
                    draw(outcome_value(question)) if outcome == "value" else None,
                )
            )
        for name in people:
            times = draw(st.lists(st.integers(0, 399 * 86_400_000_000), max_size=4, unique=True))
            for offset in sorted(times):
                made_at = opens + timedelta(microseconds=offset)
                if resolved_at is not None and made_at > resolved_at:
                    continue  # the importer refuses forecasts made after the resolution
                pairs = draw(quantiles(question)) if kind in ("numeric", "date") else None
                if kind == "binary":
                    p, vector = draw(st.floats(0, 1)), None
                elif pairs is not None:
                    p, vector = None, None
                else:
                    weights = draw(st.lists(st.integers(0, 10), min_size=len(options), max_size=len(options)))
                    weights[0] += 1
                    p, vector = None, tuple(w / sum(weights) for w in weights)
                bundle.forecasts.append(
                    ForecastRecord(
                        uid,
                        name,
                        made_at,
                        p,
                        vector,
                        draw(text),
                        draw(st.sampled_from(["manual", "import"])),
                        made_at,
                        quantiles=pairs,
                    )
                )
    bundle.sources.append(
        SourceRecord("feed", "rss", "http://127.0.0.1/feed", {"tags": ["x"]}, 3600, False, None, START)
    )
    uids = [q.uid for q in bundle.questions]
    for i in range(draw(st.integers(0, 3))):
        when = draw(moment)
        linked = tuple(sorted(set(draw(st.lists(st.sampled_from(uids), max_size=2)))))
        bundle.events.append(
            EventRecord(
                "feed",
                f"k{i}",
                when,
                draw(st.booleans()),
                draw(title),
                draw(text),
                None,
                None,
                (),
                linked,
                when,
                when,
                tuple(draw(st.sampled_from(LINK_ORIGINS)) for _ in linked),
                tuple(uid for uid in draw(st.lists(st.sampled_from(uids), max_size=1)) if uid not in linked),
            )
        )
    refs = [("feed", e.dedupe_key) for e in bundle.events]
    if refs:  # some forecasts cite some events
        bundle.forecasts = [
            f._replace(because=tuple(sorted(set(draw(st.lists(st.sampled_from(refs), max_size=2))))))
            for f in bundle.forecasts
        ]
    return bundle


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(history=histories())
def test_any_history_round_trips_byte_for_byte(sqlite_template: Path, history: Bundle) -> None:
    def fresh(path: Path) -> Database:
        shutil.copyfile(sqlite_template, path)
        return connect(f"sqlite:///{path}")

    with tempfile.TemporaryDirectory() as folder:
        original = fresh(Path(folder) / "original.db")
        import_bundle(original, history)
        exported = export_bundle(original)
        original.dispose()
        assert len(exported.questions) == len(history.questions)  # every kind is carried
        assert len(exported.forecasts) == len(history.forecasts)
        assert len(exported.resolutions) == len(history.resolutions)
        forecasts, events, dumped = forecasts_csv(exported), events_csv(exported), bundle_json(exported)

        for files in ([(dumped, "x.json")], [(forecasts, "x.csv"), (events, "x.events.csv")]):
            copy = fresh(Path(folder) / f"copy-{len(files)}.db")
            for content, name in files:
                parsed = read_file(content.encode(), name)
                assert parsed.errors == []
                import_bundle(copy, parsed.bundle)
            again = export_bundle(copy)
            if len(files) == 1:
                assert bundle_json(again) == dumped
            else:
                assert forecasts_csv(again) == forecasts
                assert events_csv(again) == events
            # and a second import of the same files changes nothing
            for content, name in files:
                assert not import_bundle(copy, read_file(content.encode(), name).bundle).changed
            copy.dispose()
