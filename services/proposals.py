"""Resolutions proposed by crowd platforms: raised by ingestion, accepted or dismissed by the user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import Database
from db.models import Question, ResolutionProposal, Source
from forecasts.errors import Invalid, NotFound
from services.questions import load_question, settled_as
from services.resolutions import RecordedResolution, resolve_in


def propose_in(
    session: Session,
    *,
    question_id: int,
    source_id: int,
    outcome: str,
    resolved_at: datetime,
    detail: str,
    now: datetime,
) -> bool:
    """Propose ``outcome`` for an open question, once per (question, source, outcome). True if new."""
    question = load_question(session, question_id)
    already = session.scalar(
        select(ResolutionProposal.id).where(
            ResolutionProposal.question_id == question_id,
            ResolutionProposal.source_id == source_id,
            ResolutionProposal.outcome == outcome,
        )
    )
    if already is not None or settled_as(question) is not None:
        return False
    session.add(
        ResolutionProposal(
            question_id=question_id,
            source_id=source_id,
            outcome=outcome,
            resolved_at=resolved_at,
            proposed_at=now,
            detail=detail,
        )
    )
    return True


@dataclass(frozen=True)
class Proposal:
    id: int
    question_id: int
    title: str
    outcome: str
    source: str
    detail: str


def pending(database: Database) -> list[Proposal]:
    """Proposals waiting for the user, oldest first."""
    with database.read_session() as session:
        rows = session.execute(
            select(
                ResolutionProposal.id,
                Question.id,
                Question.title,
                ResolutionProposal.outcome,
                Source.name,
                ResolutionProposal.detail,
            )
            .join(Question, Question.id == ResolutionProposal.question_id)
            .join(Source, Source.id == ResolutionProposal.source_id)
            .where(ResolutionProposal.status == "pending")
            .order_by(ResolutionProposal.proposed_at)
        )
        return [Proposal(int(i), int(q), str(t), str(o), str(s), str(d)) for i, q, t, o, s, d in rows]


def _pending_proposal(session: Session, proposal_id: int) -> ResolutionProposal:
    proposal = session.get(ResolutionProposal, proposal_id)
    if proposal is None:
        raise NotFound("proposal", proposal_id)
    if proposal.status != "pending":
        raise Invalid("proposal", f"was already {proposal.status}", value=proposal_id)
    return proposal


def accept(database: Database, proposal_id: int, *, now: datetime | None = None) -> RecordedResolution:
    """Resolve the question as the platform proposed, and mark the proposal accepted."""
    current = now or datetime.now(UTC)
    with database.write_session() as session:
        proposal = _pending_proposal(session, proposal_id)
        recorded = resolve_in(
            session,
            proposal.question_id,
            outcome=proposal.outcome,
            option=proposal.option,
            resolved_at=min(proposal.resolved_at or current, current),
            note=f"confirmed from {proposal.detail}",
            source=f"crowd:{proposal.source_id}",
            now=current,
        )
        proposal.status = "accepted"
        return recorded


def dismiss(database: Database, proposal_id: int) -> None:
    with database.write_session() as session:
        _pending_proposal(session, proposal_id).status = "dismissed"
