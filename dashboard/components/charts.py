"""Chart builders: pure functions from frames already aggregated to ``alt.Chart``.

Time axes are UTC scales so every viewer sees the same instant; probabilities
are on fixed [0, 1] axes shown as percentages.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

PERCENT = alt.Axis(format="%", tickCount=5)
UNIT = alt.Scale(domain=[0, 1])
UTC_TIME = alt.Scale(type="utc")
# What the builders return: what `st.altair_chart` takes.
Figure = alt.Chart | alt.LayerChart | alt.FacetChart


def time_axis(start: pd.Timestamp, end: pd.Timestamp, title: str = "Time (UTC)") -> alt.Axis:
    """Labels that carry the year whenever the span needs it, on a 24-hour clock."""
    span = end - start
    if span > pd.Timedelta(days=400):
        fmt = "%Y-%m"
    elif span > pd.Timedelta(days=2):
        fmt = "%Y-%m-%d"
    else:
        fmt = "%Y-%m-%d %H:%M"
    return alt.Axis(format=fmt, labelOverlap=True, title=title, labelAngle=0)


def _span(*columns: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    values = pd.concat([c.dropna() for c in columns if len(c)], ignore_index=True)
    return values.min(), values.max()


WHEN = "%Y-%m-%d %H:%M"
EVENT_COLOUR, CITED_COLOUR = "#8a8a8a", "#d35400"


LABEL_SLOTS = 55  # labels that fit side by side across the chart, rotated


def labelled(times: pd.Series, cited: pd.Series, span: pd.Timedelta) -> list[bool]:
    """Which events get their title written: cited ones first, then the others, none closer to
    a written one than 1/LABEL_SLOTS of the span (a cluster of events would overprint)."""
    gap = span / LABEL_SLOTS
    stamps = list(pd.to_datetime(times, utc=True))
    order = sorted(range(len(stamps)), key=lambda i: (not bool(cited.iloc[i]), stamps[i]))
    kept: list[int] = []
    for i in order:
        if all(abs(stamps[i] - stamps[j]) >= gap for j in kept):
            kept.append(i)
    chosen = set(kept)
    return [i in chosen for i in range(len(stamps))]


def _event_layers(
    events: pd.DataFrame, x: alt.X, span: pd.Timedelta, label_limit: int = 34
) -> list[alt.Chart]:
    """Each event as a vertical rule (orange when a forecast cites it), titles along the top where
    they fit; every rule shows its title on hover."""
    shown = events.assign(
        label=events["title"].str.slice(0, label_limit),
        colour=events["cited"].map({True: CITED_COLOUR, False: EVENT_COLOUR}),
    )
    written = shown[labelled(shown["occurred_at"], shown["cited"], span)]
    tooltip = [
        alt.Tooltip("title:N", title="event"),
        alt.Tooltip("occurred_at:T", title="when (UTC)", format=WHEN),
        alt.Tooltip("source:N"),
    ]
    rules = (
        alt.Chart(shown)
        .mark_rule(strokeWidth=2, opacity=0.55, clip=True)
        .encode(x=x, color=alt.Color("colour:N", scale=None), href="url:N", tooltip=tooltip)
    )
    labels = (
        alt.Chart(written)
        .mark_text(angle=270, align="right", baseline="bottom", dx=-4, fontSize=10, clip=True)
        .encode(x=x, y=alt.value(0), text="label:N", color=alt.Color("colour:N", scale=None), tooltip=tooltip)
    )
    return [rules, labels]


def _citation_layers(citations: pd.DataFrame, x: alt.X, y: alt.Y) -> list[alt.Chart]:
    """A dotted line from each cited event's rule to the step that cites it."""
    joins = (
        alt.Chart(citations)
        .mark_rule(strokeDash=[3, 3], color=CITED_COLOUR, strokeWidth=1.5, clip=True)
        .encode(x=x, x2="made_at:T", y=y)
    )
    ends = (
        alt.Chart(citations)
        .mark_point(shape="diamond", size=50, filled=True, color=CITED_COLOUR, clip=True)
        .encode(x=x, y=y, tooltip=[alt.Tooltip("title:N", title="cited event"), "forecaster:N"])
    )
    return [joins, ends]


def trajectory_chart(
    forecasts: pd.DataFrame,
    events: pd.DataFrame,
    resolutions: pd.DataFrame,
    *,
    citations: pd.DataFrame | None = None,
    series: str = "forecaster",
    series_order: list[str] | None = None,
    y_title: str = "P(yes)",
    reference: float = 0.5,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> Figure:
    """Step lines per ``series`` (forecasters; or options of a multiple-choice question); linked
    events as labelled vertical rules, each step that cites one joined to it; the resolution as a
    dashed red rule; a faint line at ``reference``. ``domain`` zooms the time axis."""
    citations = citations if citations is not None else pd.DataFrame()
    start, end = domain or _span(
        forecasts["made_at"], events.get("occurred_at", pd.Series(dtype="datetime64[ns, UTC]"))
    )
    scale = alt.Scale(type="utc", domain=[start.isoformat(), end.isoformat()]) if domain else UTC_TIME
    x_axis = alt.X("made_at:T", scale=scale, axis=time_axis(start, end))
    y_axis = alt.Y("probability:Q", title=y_title, scale=UNIT, axis=PERCENT)
    base = alt.Chart(forecasts)
    lines = base.mark_line(interpolate="step-after", strokeWidth=2, clip=True).encode(
        x=x_axis,
        y=y_axis,
        color=alt.Color(
            f"{series}:N", title=series.capitalize(), sort=series_order, scale=alt.Scale(scheme="tableau10")
        ),
        strokeDash=alt.StrokeDash(
            "kind:N", title="Kind", scale=alt.Scale(domain=["person", "crowd"], range=[[1, 0], [4, 3]])
        ),
    )
    stated = forecasts[~forecasts["closing"]] if "closing" in forecasts else forecasts
    tooltip = [
        alt.Tooltip("forecaster:N"),
        *([alt.Tooltip(f"{series}:N")] if series != "forecaster" else []),
        alt.Tooltip("made_at:T", title="when (UTC)", format=WHEN),
        alt.Tooltip("probability:Q", format=".0%"),
        *([alt.Tooltip("rationale:N", title="why")] if "rationale" in stated else []),
        *([alt.Tooltip("because:N", title="because of")] if "because" in stated else []),
    ]
    points = (
        alt.Chart(stated)
        .mark_point(filled=True, size=50, clip=True)
        .encode(x=x_axis, y=y_axis, color=alt.Color(f"{series}:N", sort=series_order), tooltip=tooltip)
    )
    layers: list[alt.Chart] = [
        alt.Chart(pd.DataFrame({"y": [reference]})).mark_rule(color="#bbb", strokeDash=[2, 2]).encode(y="y:Q")
    ]
    event_x = alt.X("occurred_at:T", scale=scale)
    if not events.empty:
        layers += _event_layers(events, event_x, max(end - start, pd.Timedelta(hours=1)))
    layers += [lines, points]
    if not citations.empty:
        layers += _citation_layers(citations, event_x, alt.Y("probability:Q", scale=UNIT))
    if not resolutions.empty:
        layers.append(
            alt.Chart(resolutions)
            .mark_rule(color="#c0392b", strokeDash=[6, 4], strokeWidth=2, clip=True)
            .encode(
                x=alt.X("resolved_at:T", scale=scale),
                tooltip=[
                    alt.Tooltip("outcome:N", title="resolved"),
                    alt.Tooltip("resolved_at:T", format=WHEN),
                ],
            )
        )
    layered: Figure = alt.layer(*layers).properties(height=360, padding={"top": 10})
    return layered


def fan_chart(
    paths: pd.DataFrame,
    events: pd.DataFrame,
    resolved: pd.DataFrame,
    *,
    y_title: str,
    domain: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    dates: bool = False,
) -> Figure:
    """A numeric question's forecasts over time, per forecaster: the 90 % band (5–95 %) faint, the
    50 % band (25–75 %) darker, the median as a step line; linked events as rules; the resolved
    value (``resolved``: value, resolved_at, outcome) as a dashed red line across. With ``dates``
    the values are milliseconds since 1970 on a UTC date axis (a date question)."""
    start, end = domain or _span(
        paths["made_at"], events.get("occurred_at", pd.Series(dtype="datetime64[ns, UTC]"))
    )
    scale = alt.Scale(type="utc", domain=[start.isoformat(), end.isoformat()]) if domain else UTC_TIME
    x_axis = alt.X("made_at:T", scale=scale, axis=time_axis(start, end))
    colour = alt.Color("forecaster:N", title="Forecaster", scale=alt.Scale(scheme="tableau10"))
    y_scale = alt.Scale(type="utc") if dates else alt.Scale(zero=False, nice=True)
    kind = "T" if dates else "Q"
    base = alt.Chart(paths)
    wide = base.mark_area(interpolate="step-after", opacity=0.12, clip=True).encode(
        x=x_axis, y=alt.Y(f"q05:{kind}", title=y_title, scale=y_scale), y2="q95", color=colour
    )
    middle = base.mark_area(interpolate="step-after", opacity=0.28, clip=True).encode(
        x=x_axis, y=alt.Y(f"q25:{kind}", scale=y_scale), y2="q75", color=colour
    )
    median = base.mark_line(interpolate="step-after", strokeWidth=2, clip=True).encode(
        x=x_axis, y=alt.Y(f"q50:{kind}", scale=y_scale), color=colour
    )
    stated = paths[~paths["closing"]] if "closing" in paths else paths
    tooltip = [
        alt.Tooltip("forecaster:N"),
        alt.Tooltip("made_at:T", title="when (UTC)", format=WHEN),
        alt.Tooltip("stated:N", title="forecast"),
        alt.Tooltip(f"q50:{kind}", title="median", format="%Y-%m-%d" if dates else ",.4~g"),
        alt.Tooltip("rationale:N", title="why"),
    ]
    points = (
        alt.Chart(stated)
        .mark_point(filled=True, size=50, clip=True)
        .encode(x=x_axis, y=alt.Y(f"q50:{kind}", scale=y_scale), color=colour, tooltip=tooltip)
    )
    layers: list[alt.Chart] = []
    if not events.empty:
        layers += _event_layers(
            events, alt.X("occurred_at:T", scale=scale), max(end - start, pd.Timedelta(hours=1))
        )
    layers += [wide, middle, median, points]
    if not resolved.empty:
        outcome_tip = [alt.Tooltip("outcome:N", title="resolved"), alt.Tooltip("resolved_at:T", format=WHEN)]
        layers.append(
            alt.Chart(resolved)
            .mark_rule(color="#c0392b", strokeDash=[6, 4], strokeWidth=2)
            .encode(y=alt.Y(f"value:{kind}", scale=y_scale), tooltip=outcome_tip)
        )
        layers.append(
            alt.Chart(resolved)
            .mark_rule(color="#c0392b", strokeDash=[6, 4], strokeWidth=1, opacity=0.6, clip=True)
            .encode(x=alt.X("resolved_at:T", scale=scale), tooltip=outcome_tip)
        )
    layered: Figure = alt.layer(*layers).properties(height=360, padding={"top": 10})
    return layered


def event_timeline_chart(counts: pd.DataFrame, brush_name: str = "when") -> Figure:
    """Events per day and source, with an x-interval brush the page reads back."""
    brush = alt.selection_interval(name=brush_name, encodings=["x"])
    chart: Figure = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("day:T", title="Day (UTC)", scale=UTC_TIME),
            y=alt.Y("sum(events):Q", title="Events"),
            color=alt.Color("source:N", title="Source"),
            tooltip=[
                alt.Tooltip("day:T", format="%Y-%m-%d"),
                "source:N",
                alt.Tooltip("sum(events):Q", title="events"),
            ],
        )
        .add_params(brush)
        .properties(height=200)
    )
    return chart


def reliability_chart(bins: pd.DataFrame) -> Figure:
    """Binned reliability: points at the bins' mean forecast, 95 % Wilson bars.

    The counts go in their own chart (``bin_counts_chart``) beneath: a concatenated chart
    cannot stretch to its column and spills into the next one."""
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(color="#999", strokeDash=[4, 4])
        .encode(
            x=alt.X("x:Q", scale=UNIT, axis=PERCENT, title="Forecast (mean in bin)"),
            y=alt.Y("y:Q", scale=UNIT, axis=PERCENT, title="Happened"),
        )
    )
    bars = (
        alt.Chart(bins)
        .mark_rule(strokeWidth=2)
        .encode(x=alt.X("mean_forecast:Q", scale=UNIT), y=alt.Y("ci_low:Q", scale=UNIT), y2="ci_high:Q")
    )
    points = (
        alt.Chart(bins)
        .mark_circle(color="#1f77b4")
        .encode(
            x=alt.X("mean_forecast:Q", scale=UNIT, axis=PERCENT, title="Forecast (mean in bin)"),
            y=alt.Y("observed:Q", scale=UNIT, axis=PERCENT, title="Happened"),
            # No legend: the counts chart beneath says it, and a legend would narrow this plot
            # so its forecast axis no longer lines up with the counts'.
            size=alt.Size("count:Q", scale=alt.Scale(range=[40, 400]), legend=None),
            tooltip=[
                alt.Tooltip("mean_forecast:Q", title="mean forecast", format=".0%"),
                alt.Tooltip("observed:Q", title="happened", format=".0%"),
                alt.Tooltip("count:Q", title="forecasts"),
                alt.Tooltip("ci_low:Q", title="95% low", format=".0%"),
                alt.Tooltip("ci_high:Q", title="95% high", format=".0%"),
            ],
        )
    )
    layered: Figure = alt.layer(diagonal, bars, points).properties(height=300)
    return layered


def bin_counts_chart(bins: pd.DataFrame) -> Figure:
    """How many forecasts fell in each bin, on the same forecast axis as the reliability chart."""
    chart: Figure = (
        alt.Chart(bins)
        .mark_bar(width=8)
        .encode(
            x=alt.X("mean_forecast:Q", scale=UNIT, axis=PERCENT, title="Forecast (mean in bin)"),
            y=alt.Y("count:Q", title="Forecasts"),
            tooltip=[alt.Tooltip("count:Q", title="forecasts")],
        )
        .properties(height=130)
    )
    return chart


def corp_chart(curve: pd.DataFrame) -> Figure:
    """CORP: the PAV-recalibrated curve over the consistency band of a calibrated forecaster."""
    band = (
        alt.Chart(curve)
        .mark_area(opacity=0.25, color="#f39c12", interpolate="step-after")
        .encode(
            x=alt.X("forecast:Q", scale=UNIT, axis=PERCENT, title="Forecast"),
            y=alt.Y("band_low:Q", scale=UNIT, axis=PERCENT, title="Recalibrated (what happened)"),
            y2="band_high:Q",
        )
    )
    diagonal = (
        alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]}))
        .mark_line(color="#999", strokeDash=[4, 4])
        .encode(x=alt.X("x:Q", scale=UNIT), y=alt.Y("y:Q", scale=UNIT))
    )
    line = (
        alt.Chart(curve)
        .mark_line(interpolate="step-after", color="#1f77b4", point=True)
        .encode(
            x=alt.X("forecast:Q", scale=UNIT),
            y=alt.Y("recalibrated:Q", scale=UNIT),
            tooltip=[alt.Tooltip("forecast:Q", format=".1%"), alt.Tooltip("recalibrated:Q", format=".1%")],
        )
    )
    layered: Figure = alt.layer(band, diagonal, line).properties(height=300)
    return layered


def sharpness_chart(counts: pd.DataFrame) -> Figure:
    """How often each probability was used: ``lower``, ``upper`` and ``forecasts`` per 5-point bin."""
    chart: Figure = (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            x=alt.X("lower:Q", bin="binned", scale=alt.Scale(domain=[0, 1]), axis=PERCENT, title="Forecast"),
            x2="upper:Q",
            y=alt.Y("forecasts:Q", title="Forecasts"),
            tooltip=[
                alt.Tooltip("lower:Q", format=".0%", title="From"),
                alt.Tooltip("upper:Q", format=".0%", title="Below"),
                alt.Tooltip("forecasts:Q", title="Forecasts"),
            ],
        )
        .properties(height=160)
    )
    return chart


def score_over_time_chart(scores: pd.DataFrame) -> Figure:
    """Brier (0–1 scale) per resolved question by resolution date, per forecaster."""
    chart: Figure = (
        alt.Chart(scores)
        .mark_line(point=True)
        .encode(
            x=alt.X("resolved_at:T", title="Resolved (UTC)", scale=UTC_TIME),
            # A short axis title (a long one is cut at the chart's height); the caption says the rest.
            y=alt.Y("brier:Q", title="Brier (lower is better)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("forecaster:N", title="Forecaster"),
            tooltip=["forecaster:N", "question:N", alt.Tooltip("brier:Q", format=".3f")],
        )
        .properties(height=220)
    )
    return chart


def excess_movement_chart(table: pd.DataFrame) -> Figure:
    """Each forecaster's excess movement with a 95 % interval (±1.96 standard errors); zero, a
    Bayesian's expectation, marked."""
    shown = table.assign(
        low=table["Excess movement"] - 1.96 * table["± (standard error)"].fillna(0),
        high=table["Excess movement"] + 1.96 * table["± (standard error)"].fillna(0),
    )
    y = alt.Y("Forecaster:N", title=None, sort=list(shown["Forecaster"]), axis=alt.Axis(labelOverlap=False))
    bars = (
        alt.Chart(shown)
        .mark_rule(strokeWidth=2)
        .encode(
            x=alt.X("low:Q", title="Excess movement (0: as a Bayesian; > 0 over-reacts, < 0 under-reacts)"),
            x2="high:Q",
            y=y,
        )
    )
    points = (
        alt.Chart(shown)
        .mark_point(filled=True, size=80)
        .encode(
            x="Excess movement:Q",
            y=y,
            tooltip=[
                "Forecaster:N",
                alt.Tooltip("Excess movement:Q", format="+.3f"),
                alt.Tooltip("± (standard error):Q", format=".3f"),
                alt.Tooltip("Questions:Q"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0], "label": ["Bayesian"]}))
    rule = zero.mark_rule(color="#888", strokeDash=[4, 4]).encode(x="x:Q")
    label = zero.mark_text(align="left", dx=4, dy=-6, color="#666").encode(
        x="x:Q", y=alt.value(0), text="label:N"
    )
    layered: Figure = alt.layer(rule, label, bars, points).properties(height=50 + 36 * len(shown))
    return layered
