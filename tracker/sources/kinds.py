"""What a source kind is: declared once, by the module that polls it.

Each source module exposes ``KINDS``, a tuple of :class:`SourceKind`. The
descriptor says everything the rest of Summit Watch needs to know about the
kind: its poller, whether it logs events (a feed) or the crowd's forecasts on
one question, how often it is polled by default, what its URL means and which
settings it takes. The CLI's options and help, the Sources page's form, the
services' validation and the README's table are all built from these, so a new
kind is one new module in ``tracker/sources/``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from tracker.sources.base import PollResult, SourceConfig
from tracker.sources.http import Fetcher

Poller = Callable[[SourceConfig, Fetcher, datetime], PollResult]
Role = Literal["feed", "crowd", "timeline"]


@dataclass(frozen=True)
class Setting:
    """One entry of a source's settings (``--setting NAME=VALUE`` on the command line)."""

    name: str
    help: str
    required: bool = False
    is_list: bool = False  # a comma-separated list, such as actors=JPN,RUS
    example: str = ""


@dataclass(frozen=True)
class SourceKind:
    name: str
    label: str  # for people: "RSS feed", "Manifold market"
    role: Role  # feed: logs events; crowd: logs the crowd's forecast on one question
    poll: Poller | None  # None: nothing to poll (a hand-kept timeline)
    default_every: int = 900  # seconds
    url_help: str = ""  # what the URL is for this kind
    url_required: bool = False
    default_url: str | None = None  # the public API when no URL is given
    settings: tuple[Setting, ...] = ()
    note: str = ""  # anything else a user must know, such as where a token comes from
    numeric: bool = False  # a crowd kind that also forecasts numeric and date questions

    @property
    def a_label(self) -> str:
        """The label with its article, for messages: "an RSS feed", "a Manifold market"."""
        first = self.label.split()[0]
        vowel_sound = first[0] in "AEIOU" or (first.isupper() and first[0] in "FHLMNRSX")
        return f"{'an' if vowel_sound else 'a'} {self.label}"

    @property
    def is_crowd(self) -> bool:
        return self.role == "crowd"

    @property
    def can_poll(self) -> bool:
        return self.poll is not None

    @property
    def required_settings(self) -> tuple[Setting, ...]:
        return tuple(setting for setting in self.settings if setting.required)

    @property
    def forecaster(self) -> str | None:
        """The name a crowd source's forecasts are logged under."""
        return f"crowd:{self.name}" if self.is_crowd else None


MANUAL = SourceKind(
    name="manual",
    label="Hand-kept timeline",
    role="timeline",
    poll=None,
    url_help="none: events are added by hand or by an import",
)
