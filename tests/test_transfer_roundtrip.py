"""Property: any history survives export → import into an empty database → export, byte for byte.

Hypothesis builds histories with awkward text (commas, quotes, newlines,
non-Latin scripts), microsecond times, both question types, undone
resolutions and events; each is written to one SQLite file, exported as CSV
and JSON, imported into a fresh file and exported again.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
        options = draw(
            st.none()
            | st.lists(st.sampled_from(["A", "B, C", 'D"', "É"]), min_size=2, max_size=3, unique=True)
        )
        tags = tuple(sorted(set(draw(st.lists(st.sampled_from(["kuril", "treaty", "oil"]), max_size=2)))))
        bundle.questions.append(
            QuestionRecord(
                uid,
                draw(title),
                draw(text),
                draw(text),
                "binary" if options is None else "multiple_choice",
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
            )
        )
        resolved_at = None
        for n, outcome in enumerate(draw(st.lists(st.sampled_from(["settle", "unresolved"]), max_size=3))):
            if outcome == "settle":
                outcome = draw(
                    st.sampled_from(["yes", "no", "annulled"] if options is None else ["option", "annulled"])
                )
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
                )
            )
        for name in people:
            times = draw(st.lists(st.integers(0, 399 * 86_400_000_000), max_size=4, unique=True))
            for offset in sorted(times):
                made_at = opens + timedelta(microseconds=offset)
                if resolved_at is not None and made_at > resolved_at:
                    continue  # the importer refuses forecasts made after the resolution
                if options is None:
                    p, vector = draw(st.floats(0, 1)), None
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
