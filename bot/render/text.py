"""Turn sessions and summaries into Discord message texts, split at Discord's limits.

Pure functions over the prompts catalogue: no Discord objects here, so every message the
bot posts can be checked in a unit test.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.domain.session import Session, SessionStatus
from bot.domain.summary import SessionSummary, StepSummary
from bot.i18n import Catalog

MESSAGE_LIMIT = 2000


def split_message(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack lines into as few messages as fit ``limit``; never drop or cut text.

    Lines are kept whole where they fit; a single line longer than the limit is broken
    at the last space (or hard, inside a very long word) and continues in the next part.
    """
    messages: list[str] = []
    current = ""
    for line in lines:
        for piece in _pieces(line, limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                if current:
                    messages.append(current)
                current = piece
    if current:
        messages.append(current)
    return messages


def _pieces(line: str, limit: int) -> list[str]:
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    pieces.append(line)
    return pieces


def timestamp(moment: datetime, style: str) -> str:
    """A Discord timestamp that each reader sees in their own timezone."""
    return f"<t:{int(moment.timestamp())}:{style}>"


def human_duration(catalog: Catalog, locale: str, span: timedelta) -> str:
    """``1 uur 30 minuten`` / ``1 hour 30 minutes``; seconds only under ten minutes."""
    seconds = max(round(span.total_seconds()), 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    for amount, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")):
        if amount:
            parts.append(count(catalog, locale, unit, amount))
    if secs and seconds < 600:
        parts.append(count(catalog, locale, "second", secs))
    if not parts:
        parts.append(count(catalog, locale, "second", 0))
    return " ".join(parts)


def count(catalog: Catalog, locale: str, noun: str, amount: int) -> str:
    """``1 notitie`` / ``3 notities``: the prompts hold a ``one`` and an ``other`` form."""
    form = "one" if amount == 1 else "other"
    return catalog.t(locale, f"common.count.{noun}.{form}", n=amount)


def step_name(catalog: Catalog, locale: str, kind: str) -> str:
    """The step's name in the locale (``Inleven``)."""
    return catalog.t(locale, f"steps.{kind}.name")


def deadline(catalog: Catalog, locale: str, due_at: datetime) -> str:
    """``<t:…:R> (om <t:…:t>)``."""
    return catalog.t(
        locale,
        "common.deadline",
        relative=timestamp(due_at, "R"),
        clock=timestamp(due_at, "t"),
    )


def session_card(catalog: Catalog, locale: str, topic: str, facilitator_id: int) -> str:
    """The message in the channel that the session thread hangs from."""
    return catalog.t(locale, "session.card", topic=topic, facilitator=f"<@{facilitator_id}>")


def thread_name(catalog: Catalog, locale: str, topic: str) -> str:
    """A thread name within Discord's 100 characters."""
    name = catalog.t(locale, "session.thread_name", topic=" ".join(topic.split()))
    return name if len(name) <= 100 else name[:99].rstrip() + "…"


def welcome(catalog: Catalog, session: Session, retention_days: int) -> list[str]:
    """What the session is, its steps, how to take part, and what is stored for how long."""
    loc = session.locale
    steps = [
        catalog.t(
            loc,
            "session.welcome.step_line",
            number=index + 1,
            name=step_name(catalog, loc, step.kind),
            duration=human_duration(catalog, loc, step.duration),
        )
        for index, step in enumerate(session.steps)
    ]
    lines = [
        catalog.t(loc, "session.welcome.intro", topic=session.topic),
        *steps,
        "",
        catalog.t(loc, "session.welcome.how"),
        "",
        catalog.t(
            loc,
            "session.welcome.privacy",
            retention=count(catalog, loc, "day", retention_days),
        ),
    ]
    return split_message(lines)


def step_prompt(catalog: Catalog, session: Session, again: bool) -> list[str]:
    """The step's heading, its prompt and its deadline."""
    loc = session.locale
    kind = session.current_step.kind
    heading_key = "session.step.again" if again else "session.step.heading"
    lines = [
        catalog.t(
            loc,
            heading_key,
            number=session.step_index + 1,
            total=len(session.steps),
            name=step_name(catalog, loc, kind),
        ),
        catalog.t(loc, f"steps.{kind}.prompt", topic=session.topic),
    ]
    if session.due_at is not None:
        lines.append(
            catalog.t(loc, "session.step.due", deadline=deadline(catalog, loc, session.due_at))
        )
    return split_message(lines)


def reminder(catalog: Catalog, session: Session) -> str:
    """Time is almost up."""
    loc = session.locale
    assert session.due_at is not None
    return catalog.t(
        loc,
        "session.reminder",
        name=step_name(catalog, loc, session.current_step.kind),
        deadline=deadline(catalog, loc, session.due_at),
    )


def paused(catalog: Catalog, session: Session) -> str:
    """The clock stopped."""
    loc = session.locale
    return catalog.t(
        loc,
        "session.paused",
        name=step_name(catalog, loc, session.current_step.kind),
        remaining=human_duration(catalog, loc, session.remaining or timedelta(0)),
    )


def resumed(catalog: Catalog, session: Session) -> str:
    """The clock runs again."""
    loc = session.locale
    assert session.due_at is not None
    return catalog.t(
        loc,
        "session.resumed",
        name=step_name(catalog, loc, session.current_step.kind),
        deadline=deadline(catalog, loc, session.due_at),
    )


def extended(catalog: Catalog, session: Session, added: timedelta) -> str:
    """The step got more time."""
    loc = session.locale
    name = step_name(catalog, loc, session.current_step.kind)
    more = human_duration(catalog, loc, added)
    if session.status is SessionStatus.PAUSED or session.due_at is None:
        return catalog.t(
            loc,
            "session.extended_paused",
            name=name,
            added=more,
            remaining=human_duration(catalog, loc, session.remaining or timedelta(0)),
        )
    return catalog.t(
        loc,
        "session.extended",
        name=name,
        added=more,
        deadline=deadline(catalog, loc, session.due_at),
    )


def step_summary(catalog: Catalog, locale: str, summary: StepSummary) -> list[str]:
    """Counts, then each participant's notes, split across as many messages as needed."""
    name = step_name(catalog, locale, summary.step_kind)
    lines = [
        catalog.t(
            locale,
            "summary.step.title",
            name=name,
            notes=count(catalog, locale, "note", summary.note_count),
            people=count(catalog, locale, "person", summary.author_count),
        )
    ]
    if not summary.note_count:
        lines.append(catalog.t(locale, "summary.step.empty"))
    for group in summary.groups:
        lines.append("")
        lines.append(catalog.t(locale, "summary.step.author", name=group.author_name))
        for note in group.notes:
            lines.append(
                note_line(
                    catalog,
                    locale,
                    note.text,
                    note.attachments,
                    summary.comment_counts.get(note.id, 0),
                )
            )
    return split_message(lines)


def note_line(
    catalog: Catalog, locale: str, text: str, attachments: tuple[str, ...], comments: int
) -> str:
    """One note as a bullet, with its attachments as links and its comment count."""
    body = " ".join(text.split("\n")) if text else ""
    line = catalog.t(locale, "summary.step.note", text=body)
    if attachments:
        line += " " + catalog.t(locale, "summary.step.attachments", links=" ".join(attachments))
    if comments:
        line += " " + catalog.t(
            locale, "summary.step.comments", comments=count(catalog, locale, "comment", comments)
        )
    return line


def session_summary(
    catalog: Catalog, locale: str, summary: SessionSummary, retention_days: int
) -> list[str]:
    """The session's end: notes and people per step, totals, and thanks."""
    lines = [catalog.t(locale, "summary.session.title", topic=summary.topic)]
    for tally in summary.steps:
        lines.append(
            catalog.t(
                locale,
                "summary.session.step_line",
                number=tally.step_index + 1,
                name=step_name(catalog, locale, tally.step_kind),
                notes=count(catalog, locale, "note", tally.note_count),
                people=count(catalog, locale, "person", tally.author_count),
            )
        )
    lines.append(
        catalog.t(
            locale,
            "summary.session.total",
            notes=count(catalog, locale, "note", summary.note_count),
            people=count(catalog, locale, "person", summary.author_count),
        )
    )
    lines.append("")
    lines.append(
        catalog.t(
            locale,
            "summary.session.closing",
            retention=count(catalog, locale, "day", retention_days),
        )
    )
    return split_message(lines)


def status(
    catalog: Catalog,
    locale: str,
    session: Session,
    time_left: timedelta,
    note_count: int,
    author_count: int,
) -> str:
    """`/session status` for whoever asks, in their own language."""
    name = step_name(catalog, locale, session.current_step.kind)
    if session.status is SessionStatus.PAUSED:
        clock = catalog.t(
            locale, "status.paused", remaining=human_duration(catalog, locale, time_left)
        )
    elif session.due_at is not None:
        clock = catalog.t(
            locale, "status.running", deadline=deadline(catalog, locale, session.due_at)
        )
    else:
        clock = catalog.t(locale, "status.ended")
    return catalog.t(
        locale,
        "status.body",
        topic=session.topic,
        number=session.step_index + 1,
        total=len(session.steps),
        name=name,
        clock=clock,
        notes=count(catalog, locale, "note", note_count),
        people=count(catalog, locale, "person", author_count),
        thread=f"<#{session.thread_id}>",
    )
