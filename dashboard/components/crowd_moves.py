"""What moved the crowd: each big crowd move on a question, with the events just before it."""

from __future__ import annotations

import streamlit as st

from dashboard.components.database import get_database
from dashboard.components.text import plain
from services import event_links
from services.questions import QuestionDetail


def move_line(move: event_links.CrowdMove) -> str:
    """``crowd:manifold 35 % → 12 % on 2016-12-16, after: 'Tokyo: about 80 deals, no territory'``"""
    said = f"{move.forecaster} {move.before:.0%} → {move.after:.0%} on {move.end:%Y-%m-%d}"
    if not move.events:
        return f"{said}, with no linked event in the 48 hours before"
    titles = "; ".join(f"'{title}'" for _, title in move.events[:3])
    more = f" and {len(move.events) - 3} more" if len(move.events) > 3 else ""
    return f"{said}, after: {titles}{more}"


def show_crowd_moves(detail: QuestionDetail) -> None:
    moves = event_links.crowd_moves(get_database(), detail.id)
    if not moves:
        return
    plural = "s" * (len(moves) != 1)
    with st.expander(f"What moved the crowd: {len(moves)} move{plural} of 10 points or more within 48 hours"):
        for move in moves:
            st.markdown(f"- {plain(move_line(move))}")
