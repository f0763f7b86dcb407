"""Where a question meets its events: the linked list (unlink), finding more (link), its watch rule,
and the "because of" picker the forecast forms share. All text from feeds stays text."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st
from streamlit.elements.lib.column_types import ColumnConfig

from dashboard.components.database import get_database, refresh
from dashboard.components.forms import WARNING
from dashboard.components.text import http_link, plain
from forecasts.errors import Invalid
from forecasts.snippets import Snippet
from services import event_links
from services.event_links import EventHit, LinkedEvent
from services.questions import QuestionDetail

RULE_HELP = (
    'Words, "phrases", prefix* and AND / OR / NOT with parentheses, e.g. '
    'kuril* OR "northern territories" NOT sport. Case and accents do not matter; '
    "Chinese and Japanese terms match inside words (北方領土)."
)
ORIGINS = {
    "source": "its source is tied to this question",
    "rule": "the watch rule matched it",
    "manual": "linked by hand",
    "cited": "a forecast cites it",
}


def marked(snippet: Snippet) -> str:
    """A table cell can't be bold: matches are set in «guillemets», the text otherwise as written."""
    return "".join(f"«{text}»" if is_match else text for text, is_match in snippet.pieces)


def _event_columns() -> dict[str, ColumnConfig]:
    return {
        "occurred_at": st.column_config.DatetimeColumn(
            "When (UTC)", format="YYYY-MM-DD HH:mm", timezone="UTC"
        ),
        "title": st.column_config.TextColumn("Event", width="large"),
        "snippet": st.column_config.TextColumn("Where it matches", width="medium"),
        "source": st.column_config.TextColumn("Source", width="small"),
        "url": st.column_config.LinkColumn("Link", display_text="open", width="small"),
    }


def _linked_frame(linked: Sequence[LinkedEvent]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "new": ["new" if e.new else "" for e in linked],
            "occurred_at": [e.occurred_at for e in linked],
            "title": [marked(e.title_snippet) for e in linked],
            "origin": [e.origin for e in linked],
            "cited_by": [e.cited_by for e in linked],
            "score": ["" if e.score is None else f"{e.score:.2f}" for e in linked],
            "snippet": [marked(e.summary_snippet) if e.summary_snippet.has_match else "" for e in linked],
            "source": [e.source for e in linked],
            "url": [http_link(e.url) for e in linked],
        }
    )


def show_linked(detail: QuestionDetail, linked: Sequence[LinkedEvent]) -> None:
    """The question's events, newest first; select rows to unlink them (for good)."""
    st.subheader("Linked events")
    if not linked:
        st.caption("No events linked yet: find some below, or give the question a watch rule.")
        return
    fresh = sum(e.new for e in linked)
    st.caption(
        f"{len(linked)} linked" + (f", {fresh} new since your last forecast" if fresh else "")
        + ". Origin: " + "; ".join(f"{k}: {v}" for k, v in ORIGINS.items()) + ". Select rows to unlink."
    )  # fmt: skip
    columns = {
        **_event_columns(),
        "new": st.column_config.TextColumn("", width="small"),
        "origin": st.column_config.TextColumn("Origin", width="small"),
        "cited_by": st.column_config.NumberColumn("Cited", width="small", help="Forecasts citing it"),
        "score": st.column_config.TextColumn(
            "Rank", width="small", help="How well it matches the watch rule"
        ),
    }
    picked = st.dataframe(
        _linked_frame(linked),
        hide_index=True,
        width="stretch",
        column_config=columns,
        on_select="rerun",
        selection_mode="multi-row",
        key=f"linked-{detail.id}",
    )
    rows = list(picked.selection.rows) if picked else []
    if rows and st.button(
        f"Unlink {len(rows)} selected", key=f"unlink-{detail.id}", icon=":material/link_off:"
    ):
        for row in rows:
            event_links.unlink_event(get_database(), linked[row].id, detail.id)
        refresh()
        st.rerun()


def _hits_frame(hits: Sequence[EventHit], linked_ids: set[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "linked": ["linked" if h.id in linked_ids else "" for h in hits],
            "occurred_at": [h.occurred_at for h in hits],
            "title": [marked(h.title_snippet) for h in hits],
            "snippet": [marked(h.summary_snippet) if h.summary_snippet.has_match else "" for h in hits],
            "source": [h.source for h in hits],
            "url": [http_link(h.url) for h in hits],
        }
    )


def search_hits(query: str) -> list[EventHit] | None:
    """The ranked hits for ``query``, or None (with the reason shown) when it cannot be read."""
    try:
        return event_links.search_events(get_database(), query)
    except Invalid as error:
        st.error(plain(f"Search: {error.message}"), icon=WARNING)
        return None


def show_hits(hits: Sequence[EventHit], linked_ids: set[int], key: str) -> list[EventHit]:
    """A table of hits, best first; returns the selected ones."""
    columns = {**_event_columns(), "linked": st.column_config.TextColumn("", width="small")}
    picked = st.dataframe(
        _hits_frame(hits, linked_ids),
        hide_index=True,
        width="stretch",
        column_config=columns,
        on_select="rerun",
        selection_mode="multi-row",
        key=key,
    )
    return [hits[row] for row in (picked.selection.rows if picked else [])]


def find_events(detail: QuestionDetail, linked: Sequence[LinkedEvent]) -> None:
    """Search every stored event; link the selected ones, or keep the search as the watch rule."""
    st.subheader("Find events for this question")
    query = st.text_input(
        "Search events", key=f"find-{detail.id}", placeholder="kuril* OR nagato", help=RULE_HELP
    )
    if query.strip():
        hits = search_hits(query)
        if hits is not None:
            _link_hits(detail, hits, {e.id for e in linked})
    _watch_rule(detail, query)


def best_matches(n: int) -> str:
    return "The one match" if n == 1 else f"The {n} best matches, best first"


def _link_hits(detail: QuestionDetail, hits: list[EventHit], linked_ids: set[int]) -> None:
    if not hits:
        st.caption("No events match.")
        return
    st.caption(f"{best_matches(len(hits))} (matches in «guillemets»). Select rows to link them.")
    chosen = show_hits(hits, linked_ids, key=f"hits-{detail.id}")
    fresh = [h for h in chosen if h.id not in linked_ids]
    if fresh and st.button(
        f"Link {len(fresh)} selected", key=f"link-{detail.id}", type="primary", icon=":material/link:"
    ):
        for hit in fresh:
            event_links.link_event(get_database(), hit.id, detail.id)
        refresh()
        st.rerun()


def _watch_rule(detail: QuestionDetail, query: str) -> None:
    current = detail.watch_rule
    said = st.session_state.pop(f"watch-said-{detail.id}", None)
    if said:
        st.success(said)
    shown = plain(current) if current else "none: new events are linked to it only by their source"
    st.markdown(f"**Watch rule:** {shown}")
    label = "Watch this search" if query.strip() and query.strip() != current else None
    left, right = st.columns(2)
    if label and left.button(
        label, key=f"watch-{detail.id}", help="New and stored events matching it get linked"
    ):
        _save_rule(detail, query)
    if current and right.button("Stop watching", key=f"unwatch-{detail.id}"):
        _save_rule(detail, "")


def _save_rule(detail: QuestionDetail, rule: str) -> None:
    bar = st.progress(0.0, text="Linking the stored events that match…")

    def step(done: int, total: int) -> None:
        bar.progress(done / max(total, 1), text=f"Linking the stored events that match… ({done} of {total})")

    try:
        result = event_links.watch_question(get_database(), detail.id, rule, progress=step)
    except Invalid as error:
        bar.empty()
        st.error(plain(f"Watch rule: {error.message}"), icon=WARNING)
        return
    bar.empty()
    refresh()
    st.session_state[f"watch-said-{detail.id}"] = (
        f"Watching: {result.matching} stored events match, {result.linked} newly linked."
        if result.rule
        else "No longer watching; the linked events stay."
    )
    st.rerun()


def because_picker(linked: Sequence[LinkedEvent], key: str) -> list[int]:
    """'Because of': the question's linked events, newest first, searchable by typing."""
    if not linked:
        return []
    labels = {e.id: f"{e.occurred_at:%Y-%m-%d} · {e.title[:90]}" for e in linked[:200]}
    return st.multiselect(
        "Because of (events that moved you)",
        list(labels),
        format_func=lambda event_id: labels[event_id],
        key=key,
        placeholder="Type to search the linked events",
    )
