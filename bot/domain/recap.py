"""End-of-day recaps and morning digests as data, and when they happen. Pure; no I/O.

A recap covers a window: from the previous recap of its kind (or the session's start) to
the recap moment. Moments are local wall-clock times in the server's timezone, so 17:00
stays 17:00 across daylight-saving changes.

A recap shows what the thread may see: the notes of a step whose private writing is going
on are only counted, never shown; notes whose writers stay unnamed lose their names and
come in their reveal order (not the order of writing); newcomers are named only when the
session shows names at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.board import Note
from bot.domain.private_writing import reveal_order, without_names
from bot.domain.summary import RankedNote, ThemeGroup


class RecapKind(StrEnum):
    """The evening recap, or the optional morning digest for people who were away."""

    RECAP = "recap"
    DIGEST = "digest"


@dataclass(frozen=True)
class DailyRecap:
    """What happened in a session during one window, and what comes next.

    ``new_notes``: the notes the recap may show (nameless where the session hides names);
    ``private_notes``: how many more were written in private writing that is going on
    (counted, never shown). ``newcomers`` names who joined when names may be shown;
    otherwise ``unnamed_newcomers`` only counts them.
    """

    kind: RecapKind
    since: datetime
    until: datetime
    step_index: int
    step_kind: str
    new_notes: tuple[Note, ...]
    comments: int
    writers: int
    newcomers: tuple[str, ...]
    themes: tuple[ThemeGroup, ...] = ()
    votes: tuple[RankedNote, ...] = ()
    voters: int = 0
    due_at: datetime | None = None
    next_step_kind: str | None = None
    private_notes: int = 0
    unnamed_newcomers: int = 0

    @property
    def quiet(self) -> bool:
        """Nothing written in the window: a quiet day posts nothing."""
        return not self.new_notes and self.comments == 0 and self.private_notes == 0

    @property
    def board_changed(self) -> bool:
        """Whether the board looks different from the previous recap."""
        return bool(self.new_notes)


def moment_on(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """``at`` local time on ``day``'s local date, as an aware UTC datetime."""
    local_day = day.astimezone(zone).date()
    return datetime.combine(local_day, at, tzinfo=zone).astimezone(UTC)


def latest_moment(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The most recent ``at`` (local) at or before ``now``."""
    today = moment_on(now, at, zone)
    if today <= now:
        return today
    yesterday = now.astimezone(zone) - timedelta(days=1)
    return moment_on(yesterday, at, zone)


def next_moment(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first ``at`` (local) strictly after ``now``."""
    today = moment_on(now, at, zone)
    if today > now:
        return today
    tomorrow = now.astimezone(zone) + timedelta(days=1)
    return moment_on(tomorrow, at, zone)


def local_day(moment: datetime, zone: ZoneInfo) -> str:
    """The local date of a moment, as the key that makes a recap once per day."""
    return moment.astimezone(zone).date().isoformat()


def window_start(
    moment: datetime, previous_end: datetime | None, session_start: datetime, zone: ZoneInfo
) -> datetime:
    """Where a recap at ``moment`` starts: the previous recap of its kind, else a local
    day earlier; never before the session began."""
    day_before = (moment.astimezone(zone) - timedelta(days=1)).replace(tzinfo=None)
    fallback = day_before.replace(tzinfo=zone).astimezone(UTC)
    start = previous_end if previous_end is not None and previous_end < moment else fallback
    return max(start, session_start)


def build_recap(
    *,
    kind: RecapKind,
    since: datetime,
    until: datetime,
    step_index: int,
    step_kinds: Sequence[str],
    notes: Iterable[Note],
    comments: int,
    first_contributions: Iterable[tuple[str, datetime]],
    themes: tuple[ThemeGroup, ...] = (),
    votes: tuple[RankedNote, ...] = (),
    voters: int = 0,
    due_at: datetime | None = None,
    hidden_step: int | None = None,
    nameless_steps: frozenset[int] = frozenset(),
    session_id: int = 0,
    name_newcomers: bool = True,
    reveal_salt: str = "",
) -> DailyRecap:
    """Collect a window's recap from the session's notes and contributors.

    ``hidden_step``: the step whose private writing is going on; its notes are counted in
    ``private_notes`` and left out. ``nameless_steps``: steps whose writers stay unnamed;
    their notes lose their names and come in their reveal order (``session_id`` and
    ``reveal_salt`` key it).
    ``name_newcomers``: False counts newcomers without naming them.
    """
    in_window = [note for note in notes if since <= note.created_at < until]
    hidden = [note for note in in_window if note.step_index == hidden_step]
    shown = [note for note in in_window if note.step_index != hidden_step]
    new_notes: list[Note] = []
    for index in sorted({note.step_index for note in shown}):
        in_step = [note for note in shown if note.step_index == index]
        if index in nameless_steps:
            new_notes += map(without_names, reveal_order(in_step, session_id, index, reveal_salt))
        else:
            new_notes += sorted(in_step, key=lambda note: (note.created_at, note.id))
    newcomers = tuple(name for name, first in first_contributions if since <= first < until)
    following = step_index + 1
    return DailyRecap(
        kind=kind,
        since=since,
        until=until,
        step_index=step_index,
        step_kind=step_kinds[step_index],
        new_notes=tuple(new_notes),
        comments=comments,
        writers=len({note.author_id for note in shown}),
        newcomers=newcomers if name_newcomers else (),
        themes=themes,
        votes=votes,
        voters=voters,
        due_at=due_at,
        next_step_kind=step_kinds[following] if following < len(step_kinds) else None,
        private_notes=len(hidden),
        unnamed_newcomers=0 if name_newcomers else len(newcomers),
    )
