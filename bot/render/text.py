"""Turn sessions and summaries into Discord message texts, split at Discord's limits.

Pure functions over the prompts catalogue: no Discord objects here, so every message the
bot posts can be checked in a unit test.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote as percent_encode

from bot.domain.board import Note
from bot.domain.canvas import Canvas, Lane, LaneGroup, fold, step_columns
from bot.domain.recap import DailyRecap
from bot.domain.session import Session, SessionStatus
from bot.domain.summary import (
    Participation,
    RankedNote,
    SessionSummary,
    StepSummary,
    ThemeGroup,
    ordered_like,
)
from bot.domain.voting import VoteRound
from bot.i18n import Catalog

MESSAGE_LIMIT = 2000

# A recap names this many newcomers and lists this many of the latest notes.
MAX_NAMED_NEWCOMERS = 10
MAX_RECAP_NOTES = 15


def split_message(lines: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pack lines into as few messages as fit ``limit``; never drop or cut text.

    Lines are kept whole where they fit; a single line longer than the limit is broken
    at its last white space (or hard, inside a very long word) and continues in the next
    part. Only white space goes: at a break, and the indentation of a line that is broken.
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
    if len(line) <= limit:
        return [line]
    pieces = []
    # Indentation would be a blank part of its own (Discord refuses an empty message).
    line = line.lstrip()
    while len(line) > limit:
        cut = _last_space(line, limit)
        if cut <= 0:
            cut = _hard_cut(line, limit)
        pieces.append(line[:cut])
        line = line[cut:].lstrip()
    pieces.append(line)
    return pieces


def _last_space(line: str, limit: int) -> int:
    """Where to break ``line`` so the first part fits: its last white space up to
    ``limit`` (a space right after a full part is a break too); -1 if there is none."""
    for index in range(min(limit, len(line) - 1), 0, -1):
        if line[index].isspace():
            return index
    return -1


# What a part must not start with after a hard cut: at a line start it would begin a
# quote, heading, subtext or list that the text before it had made harmless.
_LINE_MARKER = re.compile(r"(?:>>>|>|#{1,3}|-#|[-+*]|\d{1,9}[.)])\s")
# How far back a hard cut may move to avoid that (a marker is at most 10 characters).
_CUT_BACK = 16


def _hard_cut(line: str, limit: int) -> int:
    """Where to cut a word too long for one message: at ``limit``, or a little before it,
    never between a backslash and the character it escapes nor before a line marker (the
    next part would start with live markdown)."""
    for cut in range(limit, max(limit - _CUT_BACK, 0), -1):
        head = line[:cut]
        escaped = (len(head) - len(head.rstrip("\\"))) % 2 == 1
        if not escaped and not _LINE_MARKER.match(line, cut):
            return cut
    return limit


# -- what people wrote, inside the bot's posts ------------------------------------------------

# Direction controls: the marks (LRM, RLM, ALM), embeddings and overrides (LRE, RLE, PDF,
# LRO, RLO) and isolates (LRI, RLI, FSI, PDI). Quoted text loses them all: one unclosed
# override would reverse everything after it on the line, a stray PDI would end the
# isolate that keeps the text apart.
_DIRECTION_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_LRI, _RLI, _FSI, _PDI = "\u2066", "\u2067", "\u2068", "\u2069"
# A leading mark says which way the writer meant (a right-to-left keyboard puts one there).
_LEADING_MARK = {"\u200e": _LRI, "\u200f": _RLI, "\u061c": _RLI}
_STRONG = ("L", "R", "AL")
# Discord markdown as it can begin inside someone's text. Inline markers (emphasis,
# underline, strike-through, spoiler, code, masked link, the escape itself) anywhere;
# line markers (quote, heading, subtext, lists) at the start of any word, because a line
# longer than a message is split at a space and each part then starts a line. Links stay
# whole: Discord reads a link before markdown, and an escape would change the address.
_MARKUP = r"[\\*_~|`\[]|(?<!\S)[>#+-]|(?<!\S)(?P<number>\d+)(?P<dot>[.)])"
_MARKDOWN = re.compile(r"(?P<link><[^: >]+:/[^ >]+>|https?://[^\s<]+[^<.,:;\"')\]\s])|" + _MARKUP)
_MARKUP_ONLY = re.compile(_MARKUP)
# A bare link at the very end would run on into the closing PDI (Discord ends a link at
# white space only), so such a text gets a space before it.
_LINK_AT_END = re.compile(r"https?://[^\s<]*$")
# A link in a word longer than this is escaped like any text: split_message may cut such a
# word over two messages, and the second half is no link to Discord (escaped, it is at
# most twice as long and still well under MESSAGE_LIMIT, so shorter words are never cut).
_LINK_WORD_MAX = 900


def quote(text: str) -> str:
    """What someone wrote (a note, a name, a theme, the topic), ready to sit inside a bot
    post without changing anything around it: on one line, its markdown escaped so it shows
    as typed, its direction controls removed, and the whole wrapped in a bidi isolate so
    right-to-left text cannot reorder the bot's words or other people's. The stored text
    is never changed; this is only how it is shown."""
    flat = " ".join(_DIRECTION_CONTROLS.sub("", text).split())
    if not flat:
        return ""
    shown = _MARKDOWN.sub(_escape, flat)
    if _LINK_AT_END.search(flat):
        shown += " "
    return f"{_isolate_for(text)}{shown}{_PDI}"


def _escape(match: re.Match[str]) -> str:
    link = match.groupdict().get("link")
    if link is not None:
        text = match.string
        word_start = text.rfind(" ", 0, match.start()) + 1
        word_end = text.find(" ", match.end())
        if (word_end if word_end >= 0 else len(text)) - word_start <= _LINK_WORD_MAX:
            return link
        return _MARKUP_ONLY.sub(_escape, link)
    if match["number"] is not None:
        return f"{match['number']}\\{match['dot']}"
    return "\\" + match[0]


def _isolate_for(text: str) -> str:
    """LRI or RLI when a direction mark comes before the first letter, else FSI (the
    direction of the first letter, as the text itself would be read)."""
    for char in text:
        if char in _LEADING_MARK:
            return _LEADING_MARK[char]
        if unicodedata.bidirectional(char) in _STRONG:
            break
    return _FSI


def attachment_link(url: str) -> str:
    """An attachment's address as a link Discord shows whole: white space, direction
    controls and other characters a URL may not hold are percent-encoded (a file name
    is the uploader's to choose)."""
    return percent_encode(url, safe=":/?#[]@!$&'()*+,;=%-._~")


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


def deadline(catalog: Catalog, locale: str, due_at: datetime, long: bool = False) -> str:
    """``<t:…:R> (om <t:…:t>)``; ``long`` gives the date too (``<t:…:f>``), for steps
    that last days."""
    return catalog.t(
        locale,
        "common.deadline_long" if long else "common.deadline",
        relative=timestamp(due_at, "R"),
        clock=timestamp(due_at, "f" if long else "t"),
    )


def session_deadline(catalog: Catalog, session: Session) -> str:
    """The current step's deadline, with the date when the step is an async one."""
    assert session.due_at is not None
    return deadline(catalog, session.locale, session.due_at, long=session.step_is_async)


def session_card(catalog: Catalog, locale: str, topic: str, facilitator_id: int) -> str:
    """The message in the channel that the session thread hangs from."""
    return catalog.t(locale, "session.card", topic=quote(topic), facilitator=f"<@{facilitator_id}>")


def thread_name(catalog: Catalog, locale: str, topic: str) -> str:
    """A thread name within Discord's 100 characters."""
    name = catalog.t(locale, "session.thread_name", topic=" ".join(topic.split()))
    return name if len(name) <= 100 else name[:99].rstrip() + "…"


def welcome(
    catalog: Catalog,
    session: Session,
    retention_days: int,
    canvases: Mapping[str, Canvas] | None = None,
) -> list[str]:
    """What the session is, its steps (a canvas step by its canvas's name), how to take
    part, and what is stored for how long."""
    loc = session.locale
    known = canvases or {}
    steps = [
        catalog.t(
            loc,
            "session.welcome.step_line",
            number=index + 1,
            name=canvas_step_name(
                catalog, loc, step.kind, known.get(step.canvas) if step.canvas else None
            ),
            duration=(
                catalog.t(loc, "session.welcome.until", deadline=timestamp(step.deadline, "f"))
                if step.deadline is not None
                else human_duration(catalog, loc, step.duration)
            ),
        )
        for index, step in enumerate(session.steps)
    ]
    lines = [
        catalog.t(loc, "session.welcome.intro", topic=quote(session.topic)),
        *steps,
        "",
        catalog.t(loc, "session.welcome.how"),
        *(
            [catalog.t(loc, "session.welcome.nudges")]
            if session.nudges and session.has_async_steps
            else []
        ),
        "",
        # 0 days: kept until the library removes the session itself.
        catalog.t(loc, "session.kept.privacy")
        if retention_days == 0
        else catalog.t(
            loc,
            "session.welcome.privacy",
            retention=count(catalog, loc, "day", retention_days),
        ),
    ]
    return split_message(lines)


def step_prompt(
    catalog: Catalog, session: Session, again: bool, canvas: Canvas | None = None
) -> list[str]:
    """The step's heading, its prompt and its deadline; on a canvas step the canvas's
    name, intro and lanes (what to write where, and how) instead of the step's prompt."""
    loc = session.locale
    kind = session.current_step.kind
    heading_key = "session.step.again" if again else "session.step.heading"
    lines = [
        catalog.t(
            loc,
            heading_key,
            number=session.step_index + 1,
            total=len(session.steps),
            name=canvas_step_name(catalog, loc, kind, canvas),
        ),
    ]
    if canvas is None:
        lines.append(catalog.t(loc, f"steps.{kind}.prompt", topic=quote(session.topic)))
    else:
        lines += canvas_prompt(catalog, session, canvas)
    if session.chosen_question and session.step_index > 0:
        lines.append(
            catalog.t(loc, "session.step.question", question=quote(session.chosen_question))
        )
    if session.due_at is not None:
        lines.append(
            catalog.t(loc, "session.step.due", deadline=session_deadline(catalog, session))
        )
        if session.step_is_async:
            lines.append(catalog.t(loc, "session.step.async"))
    return split_message(lines)


# -- canvases ----------------------------------------------------------------------------------


def localised(texts: Mapping[str, str], locale: str) -> str:
    """A canvas text in ``locale``, else the first one given."""
    return texts.get(locale) or next(iter(texts.values()), "")


def canvas_step_name(catalog: Catalog, locale: str, kind: str, canvas: Canvas | None) -> str:
    """The step's name; on a canvas step the canvas's name with the step's after it."""
    name = step_name(catalog, locale, kind)
    if canvas is None:
        return name
    if fold(canvas.name(locale)) == fold(name):  # the Prototypen canvas in Prototypen
        return canvas.name(locale)
    return catalog.t(locale, "canvas.step.name", canvas=canvas.name(locale), step=name)


def lane_prefix(lane: Lane, locale: str) -> str:
    """The word to type before a note for this lane, in ``locale``'s language.

    Prefixes carry no language, so the lane's name in ``locale`` decides: the name itself
    when it is a short prefix (``zegt``), else the shortest prefix (of three letters or
    more) the name starts with or holds as words (``pijn`` for *Pijnpunten*, ``werkt``
    for *➕ Wat werkt*). Failing that, the first prefix that names the lane in no other
    language, else the name itself (names always route), else the key."""
    name = re.sub(r"^\W+", "", fold(lane.name(locale)))
    words = set(re.findall(r"\w+", name))
    typed = [prefix for prefix in lane.prefixes if prefix[:1].isalnum()]
    if name in typed and len(name) <= _SHORT_PREFIX:
        return name
    fitting = [
        prefix
        for prefix in typed
        if name.startswith(prefix) or set(re.findall(r"\w+", prefix)) <= words
    ]
    if fitting:
        short = [prefix for prefix in fitting if len(prefix) >= 3]
        return min(short, key=len) if short else max(fitting, key=len)
    others = [fold(text) for where, text in lane.names.items() if where != locale]
    for prefix in (*typed, *lane.prefixes):
        if not any(other.startswith(prefix) for other in others):
            return prefix
    return lane.key if any(mark in name for mark in ":/`") or not name else name


# A lane's name is shown as its prefix up to this length (longer: a shorter prefix).
_SHORT_PREFIX = 12


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def canvas_prompt(catalog: Catalog, session: Session, canvas: Canvas) -> list[str]:
    """A canvas step's prompt: the topic, the canvas's intro, every lane with what to write
    there, an example and its prefix, then the columns and how to name one."""
    loc = session.locale
    lines = [
        catalog.t(loc, "canvas.step.topic", topic=quote(session.topic)),
        localised(canvas.intros, loc),
    ]
    for lane in canvas.lanes:
        # One block per lane, so a split between messages never cuts a lane in two.
        block = [
            catalog.t(loc, "canvas.step.lane", name=lane.name(loc), prefix=lane_prefix(lane, loc)),
            localised(lane.prompts, loc),
            catalog.t(loc, "canvas.step.example", example=localised(lane.examples, loc)),
        ]
        lines += ["", "\n".join(block)]
    lines.append("")
    if canvas.columns is not None:
        columns = step_columns(canvas, session.current_step.columns, loc)
        label = canvas.columns.label(loc)
        first = lane_prefix(canvas.lanes[0], loc)
        if columns:
            lines.append(
                catalog.t(
                    loc,
                    "canvas.step.columns",
                    label=_capitalised(label),
                    columns=" · ".join(columns),
                )
            )
        if canvas.columns.open:
            example = columns[0] if columns else catalog.t(loc, "canvas.step.open_placeholder")
            how = catalog.t(
                loc, "canvas.step.open_how", label=label, prefix=first, column=fold(example)
            )
            lines.append(how)
        elif columns:
            how = catalog.t(
                loc, "canvas.step.column_how", label=label, prefix=first, column=fold(columns[0])
            )
            lines.append(how)
    lines.append(catalog.t(loc, "canvas.step.unsorted"))
    return lines


def canvas_summary(
    catalog: Catalog,
    locale: str,
    summary: StepSummary,
    canvas: Canvas,
    listing: Callable[[Sequence[Note], int], list[str]],
) -> list[str]:
    """A canvas step's notes lane by lane in the canvas's order (column by column within a
    lane), the unsorted ones last; an empty lane or column is one short line."""
    by_lane: dict[str | None, list[LaneGroup]] = {}
    for group in summary.lanes:
        by_lane.setdefault(group.lane, []).append(group)
    order = [key for key in by_lane if key is not None] + ([None] if None in by_lane else [])
    filled = sum(1 for group in summary.lanes if group.notes)
    share = max(MAX_LISTED_NOTES // max(filled, 1), 3)
    label = canvas.columns.label(locale) if canvas.columns is not None else ""
    lines: list[str] = []
    for key in order:
        groups = by_lane[key]
        total = sum(len(group.notes) for group in groups)
        notes = count(catalog, locale, "note", total)
        lines.append("")
        if key is None:
            lines.append(catalog.t(locale, "canvas.summary.unsorted", notes=notes))
            lines += listing([n for group in groups for n in group.notes], share)
            continue
        lane = canvas.lane(key)
        name = lane.name(locale) if lane is not None else key
        if not total:
            lines.append(catalog.t(locale, "canvas.summary.lane_empty", name=name))
            continue
        lines.append(catalog.t(locale, "canvas.summary.lane", name=name, notes=notes))
        if all(group.column is None for group in groups):
            lines += listing([n for group in groups for n in group.notes], share)
            continue
        empty: list[str] = []
        for group in groups:
            column = (
                quote(group.column)
                if group.column is not None
                else catalog.t(locale, "canvas.summary.no_column", label=label)
            )
            if not group.notes:
                empty.append(column)
                continue
            lines.append(catalog.t(locale, "canvas.summary.column", name=column))
            lines += listing(group.notes, share)
        if empty:  # the columns without notes, together on one line
            lines.append(catalog.t(locale, "canvas.summary.column_empty", name=" · ".join(empty)))
    return lines


def reminder(catalog: Catalog, session: Session) -> str:
    """Time is almost up."""
    loc = session.locale
    assert session.due_at is not None
    return catalog.t(
        loc,
        "session.reminder",
        name=step_name(catalog, loc, session.current_step.kind),
        deadline=session_deadline(catalog, session),
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
        deadline=session_deadline(catalog, session),
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
        deadline=session_deadline(catalog, session),
    )


# A step summary lists at most about this many notes; beyond it each group shows its
# most typical notes and says how many more there are (the picture and the export hold
# them all). A 10,000-note step would otherwise be hundreds of messages.
MAX_LISTED_NOTES = 150


def _listed(notes: Sequence[Note], share: int) -> tuple[Sequence[Note], int]:
    return notes[:share], max(len(notes) - share, 0)


def step_summary(
    catalog: Catalog, locale: str, summary: StepSummary, canvas: Canvas | None = None
) -> list[str]:
    """Counts, top votes, then the notes by theme (or by participant), split to fit; a
    canvas step's notes lane by lane (``canvas``: the step's canvas).

    A private step's reveal, or a step whose writers stay unnamed, lists its notes as one
    flat list in the order given (the reveal order, never by author): a heading says so,
    and a writer's name follows a note only when the session shows names. So does a
    private step's summary after its vote (the use case's one group without a name). On
    a canvas the notes stand in their lanes, never by author, in the order given: a
    writer's name follows each note, and only when the session shows names.
    """
    if summary.canvas is None or not summary.lanes:
        canvas = None
    flat = (
        summary.revealed
        or not summary.names_shown
        or _one_unnamed_group(summary)
        or canvas is not None
    )
    name = canvas_step_name(catalog, locale, summary.step_kind, canvas)
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
    elif summary.revealed or not summary.names_shown:
        lines.append(reveal_heading(catalog, locale, summary))
    if summary.participation is not None and summary.participation.people > 1:
        lines.append(participation_line(catalog, locale, summary.participation))
    top = [item for item in summary.ranking if item.votes > 0][:5]
    if top:
        lines += ["", catalog.t(locale, "summary.step.top_heading")]
        lines += [ranked_line(catalog, locale, item) for item in top]

    def line(note: Note) -> str:
        comments = summary.comment_counts.get(note.id, 0)
        shown = note_line(catalog, locale, note.text, note.attachments, comments)
        if flat and summary.names_shown:
            shown += writer_suffix(catalog, locale, note.author_name)
        return shown

    def listing(notes: Sequence[Note], share: int) -> list[str]:
        shown, more = _listed(notes, share)
        out = [line(note) for note in shown]
        if more:
            out.append(
                catalog.t(locale, "summary.step.more", notes=count(catalog, locale, "note", more))
            )
        return out

    if canvas is not None:
        lines += canvas_summary(catalog, locale, summary, canvas, listing)
        return split_message(lines)
    if summary.themes:
        themes = summary.themes
        if flat:  # in the reveal order too, never in the order of writing
            themes = ordered_like(themes, (n for group in summary.groups for n in group.notes))
        placed = {note.id for theme in themes for note in theme.notes}
        rest = [n for group in summary.groups for n in group.notes if n.id not in placed]
        share = max(MAX_LISTED_NOTES // (len(themes) + bool(rest)), 3)
        for number, theme in enumerate(themes, start=1):
            lines += ["", theme_heading(catalog, locale, number, theme.name, len(theme.notes))]
            lines += listing(theme.notes, share)
        if rest:
            lines += [
                "",
                catalog.t(locale, "themes.other", notes=count(catalog, locale, "note", len(rest))),
            ]
            lines += listing(rest, share)
        return split_message(lines)
    if flat:
        everything = [note for group in summary.groups for note in group.notes]
        if everything:
            lines += ["", *listing(everything, MAX_LISTED_NOTES)]
        return split_message(lines)
    share = max(MAX_LISTED_NOTES // max(len(summary.groups), 1), 3)
    for group in summary.groups:
        lines.append("")
        writer = quote(group.author_name)
        if writer:  # a group without a name gets no empty heading
            lines.append(catalog.t(locale, "summary.step.author", name=writer))
        lines += listing(group.notes, share)
    return split_message(lines)


def _one_unnamed_group(summary: StepSummary) -> bool:
    """Whether the notes come as the use case's single group without a writer (a
    private step's notes in their reveal order), not grouped by person."""
    return len(summary.groups) == 1 and not summary.groups[0].author_name.strip()


def reveal_heading(catalog: Catalog, locale: str, summary: StepSummary) -> str:
    """What the flat list is: the reveal of a private step (with or without names), or
    a step whose writers stay unnamed; with the step's counts."""
    if summary.revealed:
        key = "summary.step.revealed" if summary.names_shown else "summary.step.revealed_nameless"
    else:
        key = "summary.step.nameless"
    return catalog.t(
        locale,
        key,
        notes=count(catalog, locale, "note", summary.note_count),
        people=count(catalog, locale, "person", summary.author_count),
    )


def writer_suffix(catalog: Catalog, locale: str, name: str) -> str:
    """`` — *Name*`` after a note whose writer may be named; nothing without a name."""
    shown = quote(name)
    return " " + catalog.t(locale, "summary.step.writer", name=shown) if shown else ""


def participation_line(catalog: Catalog, locale: str, share: Participation) -> str:
    """How many took part and how evenly, naming nobody."""
    return catalog.t(
        locale,
        "summary.participation",
        people=count(catalog, locale, "person", share.people),
        half=count(catalog, locale, "person", share.half_from),
    )


def ranked_line(catalog: Catalog, locale: str, item: RankedNote) -> str:
    """``1. text — 5 stemmen``; tied places share a number."""
    return catalog.t(
        locale,
        "vote.result_line",
        place=item.place,
        text=quote(item.note.text),
        votes=count(catalog, locale, "vote", item.votes),
    )


def theme_heading(catalog: Catalog, locale: str, number: int, name: str, notes: int) -> str:
    """``**1. rust · examens** (4 notities)``."""
    return catalog.t(
        locale,
        "themes.theme_line",
        number=number,
        name=quote(name),
        notes=count(catalog, locale, "note", notes),
    )


def one_line(text: str) -> str:
    """A note on a single line (summaries list one note per line)."""
    return " ".join(text.split())


def themes_post(
    catalog: Catalog, locale: str, step_kind: str, groups: Sequence[ThemeGroup], other: int
) -> list[str]:
    """The themes of a step, then how to write questions per theme."""
    total = sum(len(group.notes) for group in groups) + other
    if not groups:
        return [catalog.t(locale, "themes.none")]
    lines = [
        catalog.t(
            locale,
            "themes.title",
            name=step_name(catalog, locale, step_kind),
            themes=count(catalog, locale, "theme", len(groups)),
            notes=count(catalog, locale, "note", total),
        )
    ]
    for number, group in enumerate(groups, start=1):
        lines += ["", theme_heading(catalog, locale, number, group.name, len(group.notes))]
        lines += [
            catalog.t(locale, "summary.step.note", text=quote(note.text)) for note in group.notes
        ]
    if other:
        lines += [
            "",
            catalog.t(locale, "themes.other", notes=count(catalog, locale, "note", other)),
        ]
    lines += ["", catalog.t(locale, "themes.prompt"), catalog.t(locale, "themes.generators")]
    return split_message(lines)


def vote_opened(catalog: Catalog, locale: str, vote: VoteRound) -> str:
    """What the vote is on, the budget and the cap, secret until it closes, and when."""
    closes = deadline(catalog, locale, vote.closes_at) if vote.closes_at else ""
    return catalog.t(
        locale,
        f"vote.opened.{vote.target.value}",
        budget=count(catalog, locale, "dot", vote.budget),
        cap=vote.per_note_cap,
        options=len(vote.options),
        deadline=closes,
    )


def voters(catalog: Catalog, locale: str, vote: VoteRound, people: int) -> str:
    """The vote post while voting: only how many people have voted."""
    return (
        vote_opened(catalog, locale, vote)
        + "\n"
        + catalog.t(locale, "vote.voters", people=count(catalog, locale, "person", people))
    )


def vote_results(
    catalog: Catalog, locale: str, vote: VoteRound, ranking: Sequence[RankedNote], people: int
) -> list[str]:
    """The reveal: every option with its votes, ties sharing a place."""
    lines = [
        catalog.t(locale, "vote.results_title", people=count(catalog, locale, "person", people))
    ]
    if not any(item.votes for item in ranking):
        lines.append(catalog.t(locale, "vote.no_votes"))
    lines += [ranked_line(catalog, locale, item) for item in ranking if item.votes > 0]
    return split_message(lines)


def note_line(
    catalog: Catalog, locale: str, text: str, attachments: tuple[str, ...], comments: int
) -> str:
    """One note as a bullet, with its attachments as links and its comment count."""
    line = catalog.t(locale, "summary.step.note", text=quote(text))
    if attachments:
        links = " ".join(attachment_link(url) for url in attachments)
        line += " " + catalog.t(locale, "summary.step.attachments", links=links)
    if comments:
        line += " " + catalog.t(
            locale, "summary.step.comments", comments=count(catalog, locale, "comment", comments)
        )
    return line


def session_summary(
    catalog: Catalog, locale: str, summary: SessionSummary, retention_days: int
) -> list[str]:
    """The session's end: counts, the chosen question, themes, participation, the top
    ideas with who takes them further, and thanks."""
    lines = [catalog.t(locale, "summary.session.title", topic=quote(summary.topic))]
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
    if summary.participation is not None and summary.participation.people > 1:
        lines.append(participation_line(catalog, locale, summary.participation))
    if summary.chosen_question:
        lines += ["", catalog.t(locale, "vote.chosen", question=quote(summary.chosen_question))]
    if summary.themes:
        lines += ["", catalog.t(locale, "summary.session.themes_heading")]
        lines += [
            theme_heading(catalog, locale, number, theme.name, len(theme.notes))
            for number, theme in enumerate(summary.themes, start=1)
        ]
    if summary.top_ideas:
        lines += ["", catalog.t(locale, "summary.session.candidates_heading")]
        takers = summary.takers or {}
        for number, item in enumerate(summary.top_ideas, start=1):
            line = catalog.t(
                locale,
                "summary.session.candidate",
                number=number,
                text=quote(item.note.text),
                votes=count(catalog, locale, "vote", item.votes),
            )
            names = takers.get(item.note.id)
            if names:
                named = ", ".join(quote(name) for name in names)
                line += " " + catalog.t(locale, "summary.session.takers", names=named)
            lines.append(line)
    lines.append("")
    lines.append(
        catalog.t(locale, "session.kept.closing")
        if retention_days == 0
        else catalog.t(
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
            locale,
            "status.running",
            deadline=deadline(catalog, locale, session.due_at, long=session.step_is_async),
        )
    else:
        clock = catalog.t(locale, "status.ended")
    return catalog.t(
        locale,
        "status.body",
        topic=quote(session.topic),
        number=session.step_index + 1,
        total=len(session.steps),
        name=name,
        clock=clock,
        notes=count(catalog, locale, "note", note_count),
        people=count(catalog, locale, "person", author_count),
        thread=f"<#{session.thread_id}>",
    )


def daily_recap(
    catalog: Catalog, session: Session, recap: DailyRecap, in_channel: bool = False
) -> list[str]:
    """The end-of-day recap or the morning digest: what was added, themes and votes so
    far, who joined, and what comes next by when."""
    loc = session.locale
    kind = recap.kind.value
    lines = [
        catalog.t(
            loc,
            f"recap.{kind}.heading",
            topic=quote(session.topic),
            since=timestamp(recap.since, "f"),
        )
    ]
    if in_channel:
        lines.append(catalog.t(loc, "recap.thread", thread=f"<#{session.thread_id}>"))
    lines.append(
        catalog.t(
            loc,
            "recap.added",
            notes=count(catalog, loc, "note", len(recap.new_notes)),
            comments=count(catalog, loc, "comment", recap.comments),
            people=count(catalog, loc, "person", recap.writers),
        )
    )
    if recap.private_notes:
        lines.append(
            catalog.t(loc, "recap.private", notes=count(catalog, loc, "note", recap.private_notes))
        )
    named = [shown for shown in (quote(name) for name in recap.newcomers) if shown]
    if named:
        names = ", ".join(named[:MAX_NAMED_NEWCOMERS])
        more = len(named) - MAX_NAMED_NEWCOMERS
        if more > 0:
            names += " " + catalog.t(loc, "recap.and_more", n=more)
        lines.append(catalog.t(loc, "recap.newcomers", names=names))
    elif recap.unnamed_newcomers:
        people = count(catalog, loc, "person", recap.unnamed_newcomers)
        lines.append(catalog.t(loc, "recap.newcomers_counted", people=people))
    listed = recap.new_notes[-MAX_RECAP_NOTES:]
    if listed:
        lines += ["", catalog.t(loc, "recap.latest")]
        lines += [
            catalog.t(loc, "summary.step.note", text=quote(note.text))
            + writer_suffix(catalog, loc, note.author_name)
            for note in listed
        ]
        if len(recap.new_notes) > len(listed):
            hidden = len(recap.new_notes) - len(listed)
            lines.append(catalog.t(loc, "recap.and_more", n=hidden))
    if recap.themes:
        lines += ["", catalog.t(loc, "recap.themes")]
        lines += [
            f"• **{quote(group.name)}** ({count(catalog, loc, 'note', len(group.notes))})"
            for group in recap.themes
        ]
    if recap.votes:
        lines += ["", catalog.t(loc, "recap.votes")]
        lines += [ranked_line(catalog, loc, item) for item in recap.votes]
    if recap.voters:
        lines.append(
            catalog.t(loc, "recap.voting", people=count(catalog, loc, "person", recap.voters))
        )
    lines.append("")
    step = step_name(catalog, loc, recap.step_kind)
    if recap.due_at is not None:
        lines.append(
            catalog.t(
                loc,
                "recap.now",
                name=step,
                deadline=deadline(catalog, loc, recap.due_at, long=True),
            )
        )
    if recap.next_step_kind is not None:
        lines.append(
            catalog.t(loc, "recap.next", name=step_name(catalog, loc, recap.next_step_kind))
        )
    else:
        lines.append(catalog.t(loc, "recap.last"))
    return split_message(lines)


def nudge(catalog: Catalog, session: Session) -> str:
    """The private half-time nudge: friendly, with the way back and the way out."""
    loc = session.locale
    return catalog.t(
        loc,
        "recap.nudge",
        topic=quote(session.topic),
        name=step_name(catalog, loc, session.current_step.kind),
        deadline=session_deadline(catalog, session),
        thread=f"<#{session.thread_id}>",
    )
