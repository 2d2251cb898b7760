"""The facilitator's hint card at the start of each step (coaching for librarians who
facilitate): sent privately, never in the thread. What the step is for, what to watch
for, a typical timebox, a question to ask when the thread goes quiet; texts per canvas,
else per step kind (``prompts/<locale>/coaching.toml``).

``/session status`` shows the card again to the facilitator, with the step's live
figures (:func:`step_figures`): notes so far, notes per lane on a canvas, and who wrote
earlier in the session but not yet in this step.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import discord

from bot.domain.board import Note
from bot.domain.canvas import Canvas
from bot.domain.session import Session
from bot.i18n import Catalog
from bot.render.text import canvas_step_name, count, human_duration, quote, split_message
from bot.ui.replies import NO_PINGS

log = logging.getLogger(__name__)

# The parts of a hint, in the order the card shows them.
HINT_PARTS = ("purpose", "watch", "timebox", "quiet")
# How many names of people who have not written yet the facilitator sees at most.
MAX_SILENT_NAMES = 15


def _hint(catalog: Catalog, locale: str, kind: str, canvas: Canvas | None, part: str) -> str:
    """One part of the hint: the canvas's text, else the step kind's (else none)."""
    resolved = catalog.resolve(locale)
    known = catalog.keys(resolved) | catalog.keys(catalog.default)
    candidates = []
    if canvas is not None:
        candidates.append(f"coaching.canvas.{canvas.key}.{part}")
    candidates.append(f"coaching.kind.{kind}.{part}")
    for key in candidates:
        if key in known:
            return catalog.t(resolved, key)
    return ""


def hint_card(catalog: Catalog, locale: str, session: Session, canvas: Canvas | None) -> str:
    """The hint card for the session's current step, in ``locale``."""
    step = session.current_step
    name = canvas_step_name(catalog, locale, step.kind, canvas)
    lines = [
        catalog.t(
            locale,
            "coaching.card.heading",
            number=session.step_index + 1,
            total=len(session.steps),
            name=name,
            topic=quote(session.topic),
        )
    ]
    texts = {part: _hint(catalog, locale, step.kind, canvas, part) for part in HINT_PARTS}
    if texts["purpose"]:
        lines.append(catalog.t(locale, "coaching.card.purpose", text=texts["purpose"]))
    if texts["watch"]:
        lines.append(catalog.t(locale, "coaching.card.watch", text=texts["watch"]))
    if step.deadline is None:
        planned = human_duration(catalog, locale, step.duration)
        if texts["timebox"]:
            typical = texts["timebox"]
            lines.append(
                catalog.t(locale, "coaching.card.timebox", typical=typical, planned=planned)
            )
    elif texts["timebox"]:
        lines.append(catalog.t(locale, "coaching.card.timebox_deadline", typical=texts["timebox"]))
    if texts["quiet"]:
        lines.append(catalog.t(locale, "coaching.card.quiet", text=texts["quiet"]))
    if step.private:
        lines.append(catalog.t(locale, "coaching.card.private"))
    if step.vote is not None:
        lines.append(catalog.t(locale, "coaching.card.vote"))
    if canvas is not None:
        lines.append(catalog.t(locale, "coaching.card.lanes"))
    return "\n".join(lines)


async def send_hint_card(
    client: discord.Client, catalog: Catalog, session: Session, canvas: Canvas | None
) -> None:
    """DM the facilitator the step's hint card, in the session's language. Closed DMs (or
    a facilitator Discord cannot find) are logged; the session goes on."""
    locale = session.locale
    text = (
        hint_card(catalog, locale, session, canvas)
        + "\n\n"
        + catalog.t(locale, "coaching.card.footer", thread=f"<#{session.thread_id}>")
    )
    try:
        user = client.get_user(session.facilitator_id) or await client.fetch_user(
            session.facilitator_id
        )
        for part in split_message(text.split("\n")):
            await user.send(part, allowed_mentions=NO_PINGS)
    except discord.HTTPException as error:
        log.info(
            "no hint card for the facilitator of session %s (step %s): %s",
            session.id,
            session.step_index + 1,
            error,
        )


def not_yet_written(step_notes: Iterable[Note], earlier_notes: Iterable[Note]) -> list[str]:
    """Names of people who wrote earlier in the session but not in this step (their
    latest name), in the order they first wrote."""
    now = {note.author_id for note in step_notes}
    names: dict[int, str] = {}
    for note in sorted(earlier_notes, key=lambda n: (n.created_at, n.id)):
        if note.author_id not in now and note.author_id:
            names[note.author_id] = note.author_name
    return list(names.values())


def step_figures(
    catalog: Catalog,
    locale: str,
    canvas: Canvas | None,
    step_notes: list[Note],
    silent: list[str],
) -> str:
    """The facilitator's live figures of the current step: notes so far (per lane on a
    canvas) and who has not written in this step yet (names: for the facilitator only)."""
    people = len({note.author_id for note in step_notes})
    lines = [
        catalog.t(
            locale,
            "coaching.figures.heading",
            notes=count(catalog, locale, "note", len(step_notes)),
            people=count(catalog, locale, "person", people),
        )
    ]
    if canvas is not None:
        per_lane: Mapping[str | None, int] = _per_lane(canvas, step_notes)
        for lane in canvas.lanes:
            lines.append(
                catalog.t(
                    locale, "coaching.figures.lane", lane=lane.name(locale), n=per_lane[lane.key]
                )
            )
        if per_lane[None]:
            lines.append(catalog.t(locale, "coaching.figures.unsorted", n=per_lane[None]))
    if silent:
        shown = ", ".join(quote(name) or "?" for name in silent[:MAX_SILENT_NAMES])
        if len(silent) > MAX_SILENT_NAMES:
            shown += " " + catalog.t(
                locale, "coaching.figures.silent_more", n=len(silent) - MAX_SILENT_NAMES
            )
        lines.append(catalog.t(locale, "coaching.figures.silent", names=shown))
    elif step_notes:
        lines.append(catalog.t(locale, "coaching.figures.all_in"))
    return "\n".join(lines)


def _per_lane(canvas: Canvas, notes: Iterable[Note]) -> dict[str | None, int]:
    counts: dict[str | None, int] = {lane.key: 0 for lane in canvas.lanes}
    counts[None] = 0
    for note in notes:
        key = note.lane if note.lane in counts else None
        counts[key] += 1
    return counts
