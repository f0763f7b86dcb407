"""Overview: what needs attention now, the latest events, and the headline scores."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from dashboard.database import data_version, get_database
from dashboard.forms import local
from db.models import ResolutionProposal
from forecasts.calibration_report import stored_report
from forecasts.errors import ValidationError
from forecasts.services import resolve_question
from forecasts.views import attention, events_frame, headline_scores
from tracker.status import worker_status


@st.cache_data(ttl=30, show_spinner=False)
def headline(version: tuple[int, ...]) -> tuple[dict[str, tuple[int, float]], datetime | None]:
    """Per forecaster: resolved questions and Brier, and when they were scored if not just now.

    From the kept report when there is one (a stale one is fine here: it says so, and the
    worker is rescoring), else one aggregate query.
    """
    with get_database().read_session() as session:
        kept = stored_report(session)
        if kept is not None:
            report, current = kept
            if report is not None:
                scores = {name: (c.n_questions, c.brier) for name, c in report.card.by_forecaster.items()}
                return scores, None if current else report.computed_at
            if current:
                return {}, None
        return headline_scores(session), None


def accept(proposal_id: int) -> None:
    try:
        _accept(proposal_id)
    except ValidationError as error:
        st.session_state["overview_error"] = str(error)


def _accept(proposal_id: int) -> None:
    with get_database().write_session() as session:
        proposal = session.get(ResolutionProposal, proposal_id)
        resolve_question(
            session,
            proposal.question_id,
            outcome=proposal.outcome,
            option=proposal.option,
            resolved_at=min(proposal.resolved_at or datetime.now(UTC), datetime.now(UTC)),
            note=f"confirmed from {proposal.detail}",
            source=f"crowd:{proposal.source_id}",
        )
        proposal.status = "accepted"
    st.cache_data.clear()


def dismiss(proposal_id: int) -> None:
    with get_database().write_session() as session:
        session.get(ResolutionProposal, proposal_id).status = "dismissed"


st.title("Overview")
now = datetime.now(UTC)
with get_database().read_session() as session:
    todo = attention(session)
    status = worker_status(session, now)
    latest = events_frame(session, limit=8)

st.subheader("Needs attention")
if message := st.session_state.pop("overview_error", None):
    st.error(message)
if not status.alive:
    st.warning(status.describe(now))
if todo.total == 0 and status.alive:
    st.success("Nothing needs you right now.")
elif todo.total == 0:
    st.info("No reminders, proposals or failing sources (reminders are raised by the worker).")
for kind, frame, icon in (
    ("Ready to resolve", todo.ready_to_resolve, ":material/alarm:"),
    ("Stale forecast", todo.stale, ":material/history:"),
):
    for _, row in frame.iterrows():
        st.page_link(
            "dashboard/questions_page.py",
            label=f"{kind}: {row['title']} ({row['detail']})",
            query_params={"question": str(row["question_id"])},
            icon=icon,
        )
for _, row in todo.proposals.iterrows():
    with st.container(border=True, horizontal=True):
        st.markdown(f"**{row['source']}** proposes **{row['outcome']}** for *{row['title']}*")
        st.button("Accept", key=f"accept-{row['id']}", on_click=accept, args=(int(row["id"]),))
        st.button("Dismiss", key=f"dismiss-{row['id']}", on_click=dismiss, args=(int(row["id"]),))
for _, row in todo.failing_sources.iterrows():
    st.error(
        f"Source {row['source']} failed at {local(row['at'])}: {row['error']}", icon=":material/cell_tower:"
    )

left, right = st.columns(2)
with left:
    st.subheader("Latest events")
    if latest.empty:
        st.caption("No events yet.")
    for _, event in latest.iterrows():
        title = event["title"]
        url = event["url"]
        link = f" · [source]({url})" if isinstance(url, str) and url else ""
        st.markdown(
            f"**{local(event['occurred_at'].to_pydatetime(), '%Y-%m-%d')}** · {event['source']}{link}"
        )
        st.text(title)  # plain text: titles come from the outside world
with right:
    st.subheader("Scores so far")
    st.caption("Brier score, 0–1 scale, on each one's last forecast per question; lower is better.")
    scores, scored_at = headline(data_version())
    if not scores:
        st.caption("Scores appear once questions resolve.")
    if scored_at is not None:
        st.caption(
            f"As scored {local(scored_at)}: newer forecasts and resolutions are not counted yet. "
            "The worker rescores within a minute; the Calibration page rescores on opening."
        )
    for name, (n, brier) in sorted(scores.items(), key=lambda item: item[1][1]):
        st.metric(
            name,
            f"{brier:.3f}",
            help=f"Brier score, 0–1 scale (lower is better), last forecast on {n} resolved questions",
        )
    st.page_link("dashboard/calibration_page.py", label="Calibration & scores →")
