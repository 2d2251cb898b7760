"""From stored records to a board: localised steps, ranked rounds, (pseudonymised) names.

:func:`board_events` streams a board from a :class:`~bot.export.source.BoardSource`
page by page; :func:`build_board` collects the same stream into a :class:`Board`;
:func:`events_of` turns a board back into the stream, so every writer needs only one
implementation for both paths.

Anonymity (the session's choice) is applied here, once for every format. In a step whose
writers stay unnamed a note loses its author, its times, its source and its database id:
it gets a number instead, ``-1``, ``-2``, … counted on over the board's nameless steps in
each step's reveal order (negative, so it can never be mistaken for a stored id), and
vote results and the chosen notes use the same numbers; the notes come in that order, and
a mention in their text becomes ``@…``. Under ``always`` comments lose their writers and
times too (numbered per note), and nobody is named as taking an idea further. A step
whose private writing is still going on is only counted: its notes, themes and vote
results stay out of the export.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.domain.private_writing import reveal_key
from bot.export.model import (
    Board,
    BoardClosed,
    BoardComment,
    BoardEvent,
    BoardNote,
    BoardOpened,
    BoardRound,
    BoardStep,
    BoardTheme,
    GroupClosed,
    GroupOpened,
    NoteVotes,
    RoundResult,
    StepClosed,
    StepOpened,
)
from bot.export.source import BoardSource, NoteRecord, RoundRecord, SessionRecord, TallyRecord
from bot.i18n import Catalog

# A Discord user mention: <@123> or the older <@!123>.
_MENTION = re.compile(r"<@!?(\d+)>")
# What a mention becomes in a text whose writer stays unnamed: nobody's id, nobody's name.
NAMELESS_MENTION = "@…"


@dataclass(frozen=True)
class ExportOptions:
    """How to export: in which language, with which local time, with real names or not."""

    locale: str
    timezone: str = "Europe/Amsterdam"
    pseudonyms: bool = False
    exported_at: datetime | None = None


class AuthorNames:
    """Names as the export shows them.

    With pseudonyms, each person becomes "Participant n", numbered in the order they first
    appear in the export (note authors, people mentioned, commenters, idea takers), and a
    mention of them in a text becomes ``@Participant n`` so no user id leaks either.
    """

    def __init__(self, catalog: Catalog, locale: str, pseudonyms: bool) -> None:
        self._catalog = catalog
        self._locale = locale
        self._pseudonyms = pseudonyms
        self._given: dict[int, str] = {}

    def name(self, user_id: int, display_name: str) -> str:
        """The real display name, or the person's pseudonym."""
        if not self._pseudonyms:
            return display_name
        if user_id not in self._given:
            number = len(self._given) + 1
            self._given[user_id] = self._catalog.t(self._locale, "export.pseudonym", n=number)
        return self._given[user_id]

    def text(self, text: str) -> str:
        """User text with mentions pseudonymised (untouched with real names)."""
        if not self._pseudonyms:
            return text
        return _MENTION.sub(lambda match: "@" + self.name(int(match.group(1)), ""), text)

    @staticmethod
    def nameless_text(text: str) -> str:
        """User text with every mention made anonymous (``@…``)."""
        return _MENTION.sub(NAMELESS_MENTION, text)

    def nameless_note(
        self,
        record: NoteRecord,
        theme_id: int | None,
        number: int,
        *,
        named_comments: bool,
    ) -> BoardNote:
        """A note whose writer stays unnamed: numbered ``number``, without its author,
        times, source or mentions. ``named_comments``: comments keep their writers and
        times (written in the open, under ``while_writing``); else they lose them too,
        numbered 1, 2, … per note, and the idea's takers are left out."""
        comments = []
        for place, comment in enumerate(record.comments, start=1):
            if named_comments:
                comments.append(
                    BoardComment(
                        id=comment.id,
                        author=self.name(comment.author_id, comment.author_name),
                        text=self.text(comment.text),
                        created_at=comment.created_at,
                        edited_at=comment.edited_at,
                    )
                )
            else:
                comments.append(
                    BoardComment(place, None, self.nameless_text(comment.text), None, None)
                )
        takers = (
            tuple(self.name(taker.user_id, taker.user_name) for taker in record.takers)
            if named_comments
            else ()
        )
        return BoardNote(
            id=number,
            step_index=record.step_index,
            kind=record.kind,
            author=None,
            text=self.nameless_text(record.text),
            created_at=None,
            edited_at=None,
            source="",
            attachments=record.attachments,
            theme_id=theme_id,
            comments=tuple(comments),
            votes=tuple(
                NoteVotes(tally.round_id, tally.votes, tally.voters)
                for tally in sorted(record.tallies, key=lambda t: t.round_id)
            ),
            takers=takers,
        )

    def note(self, record: NoteRecord, theme_id: int | None) -> BoardNote:
        """A stored note as the export shows it (names taken in reading order)."""
        author = self.name(record.author_id, record.author_name)
        text = self.text(record.text)
        comments = []
        for comment in record.comments:
            comments.append(
                BoardComment(
                    id=comment.id,
                    author=self.name(comment.author_id, comment.author_name),
                    text=self.text(comment.text),
                    created_at=comment.created_at,
                    edited_at=comment.edited_at,
                )
            )
        takers = tuple(self.name(taker.user_id, taker.user_name) for taker in record.takers)
        return BoardNote(
            id=record.id,
            step_index=record.step_index,
            kind=record.kind,
            author=author,
            text=text,
            created_at=record.created_at,
            edited_at=record.edited_at,
            source=record.source,
            attachments=record.attachments,
            theme_id=theme_id,
            comments=tuple(comments),
            votes=tuple(
                NoteVotes(tally.round_id, tally.votes, tally.voters)
                for tally in sorted(record.tallies, key=lambda t: t.round_id)
            ),
            takers=takers,
        )


def step_words(catalog: Catalog, locale: str, kind: str, topic: str) -> tuple[str, str]:
    """A step's name and prompt in ``locale`` (the kind itself for an unknown kind)."""
    try:
        name = catalog.t(locale, f"steps.{kind}.name")
        prompt = catalog.t(locale, f"steps.{kind}.prompt", topic=topic)
    except KeyError:
        return kind, ""
    return name, prompt.strip()


def ranked(tallies: Iterable[TallyRecord]) -> tuple[RoundResult, ...]:
    """Voted notes best first; equal votes share a place (1, 2, 2, 4), as the bot ranks."""
    ordered = sorted(tallies, key=lambda t: (-t.votes, -t.voters, t.note_id))
    results: list[RoundResult] = []
    for position, tally in enumerate(ordered, start=1):
        tied = bool(results) and results[-1].votes == tally.votes
        place = results[-1].place if tied else position
        results.append(RoundResult(tally.note_id, place, tally.votes, tally.voters))
    return tuple(results)


def board_rounds(records: Iterable[RoundRecord]) -> tuple[BoardRound, ...]:
    """The session's rounds, numbered from 1 in the order they were opened."""
    return tuple(
        BoardRound(
            id=record.id,
            number=number,
            step_index=record.step_index,
            target=record.target,
            budget=record.budget,
            per_note_cap=record.per_note_cap,
            status=record.status,
            opened_at=record.opened_at,
            closed_at=record.closed_at,
            options=record.options,
            voters=record.voters,
            results=ranked(tally for tally in record.tallies if tally.votes > 0),
        )
        for number, record in enumerate(sorted(records, key=lambda r: r.id), start=1)
    )


def chosen_notes(rounds: Iterable[BoardRound]) -> tuple[int, ...]:
    """The winners of the last closed question vote (several on a tie)."""
    closed = [r for r in rounds if r.target == "questions" and r.status == "closed"]
    if not closed:
        return ()
    return tuple(result.note_id for result in closed[-1].results if result.place == 1)


@dataclass
class StepPrivacy:
    """What anonymity does to one step of an export.

    ``numbers`` maps a nameless step's stored note ids to the numbers the export shows;
    ``withheld`` holds the ids of notes still being written privately (left out).
    """

    names_shown: bool = True
    hidden: bool = False
    numbers: dict[int, int] = field(default_factory=dict)
    people: int | None = None
    withheld: frozenset[int] = frozenset()


class Anonymiser:
    """The board's anonymity, step by step: what is renumbered and what is left out."""

    def __init__(self, session: SessionRecord, steps: list[StepPrivacy]) -> None:
        self.session = session
        self.steps = steps
        self._next = -sum(len(step.numbers) for step in steps)

    @classmethod
    async def read(cls, source: BoardSource, session: SessionRecord) -> Anonymiser:
        """Read the ids (never texts) the nameless and hidden steps need up front."""
        steps: list[StepPrivacy] = []
        counted = 0
        for index in range(len(session.steps)):
            names = session.shows_names(index)
            if session.hidden(index):
                ids = frozenset(n for n, _ in await source.step_writers(session.id, index))
                steps.append(StepPrivacy(names_shown=names, hidden=True, withheld=ids))
            elif not names:
                writers = await source.step_writers(session.id, index)
                ordered = sorted(
                    writers, key=lambda w: reveal_key(session.id, index, w[0], session.reveal_salt)
                )
                numbers = {
                    note_id: -(counted + place) for place, (note_id, _) in enumerate(ordered, 1)
                }
                counted += len(numbers)
                people = len({author for _, author in writers})
                steps.append(StepPrivacy(names_shown=False, numbers=numbers, people=people))
            else:
                steps.append(StepPrivacy())
        return cls(session, steps)

    def number(self, step_index: int, note_id: int) -> int:
        """The number a nameless step's note is shown with (a note that came after the
        ids were read gets the next free number)."""
        numbers = self.steps[step_index].numbers
        if note_id not in numbers:
            self._next -= 1
            numbers[note_id] = self._next
        return numbers[note_id]

    def shown_id(self, note_id: int) -> int | None:
        """A note id as the export shows it: renumbered in a nameless step, None when the
        note is still being written privately, else itself."""
        for step in self.steps:
            if note_id in step.numbers:
                return step.numbers[note_id]
            if note_id in step.withheld:
                return None
        return note_id

    def rounds(self, records: Iterable[RoundRecord]) -> list[RoundRecord]:
        """Vote rounds with their tallies renumbered (ties then rank by the numbers, not
        by the order of writing) and without results in a step still being written."""
        shown = []
        for record in records:
            step = self.steps[record.step_index] if record.step_index < len(self.steps) else None
            tallies = []
            for tally in record.tallies:
                note_id = self.shown_id(tally.note_id)
                if step is not None and step.hidden:
                    note_id = None
                elif note_id == tally.note_id and step is not None and not step.names_shown:
                    note_id = self.number(record.step_index, tally.note_id)
                if note_id is not None:
                    tallies.append(replace(tally, note_id=note_id))
            shown.append(replace(record, tallies=tuple(tallies)))
        return shown


async def board_events(
    source: BoardSource, session: SessionRecord, catalog: Catalog, options: ExportOptions
) -> AsyncIterator[BoardEvent]:
    """Stream a session's board: header, then step by step, theme by theme, note by note.

    Only one page of notes is held at a time, whatever the size of the board; a nameless
    step's notes are held a theme at a time, to be put in their reveal order.
    """
    names = AuthorNames(catalog, options.locale, options.pseudonyms)
    privacy = await Anonymiser.read(source, session)
    rounds = board_rounds(privacy.rounds(await source.rounds(session.id)))
    chosen_question = session.chosen_question
    if chosen_question is not None:
        chosen_question = (
            names.text(chosen_question)
            if session.anonymity == "off"
            else names.nameless_text(chosen_question)
        )
    yield BoardOpened(
        Board(
            session_id=session.id,
            guild_id=session.guild_id,
            topic=session.topic,
            locale=options.locale,
            template=session.template,
            status=session.status,
            created_at=session.created_at,
            ended_at=session.ended_at,
            exported_at=options.exported_at or datetime.now(UTC),
            timezone=options.timezone,
            pseudonyms=options.pseudonyms,
            chosen_question=chosen_question,
            chosen_notes=chosen_notes(rounds),
            anonymity=session.anonymity,
        )
    )
    named_comments = session.anonymity != "always"
    for index, planned in enumerate(session.steps):
        step = privacy.steps[index]
        name, prompt = step_words(catalog, options.locale, planned.kind, session.topic)
        # A step still being written keeps its themes to itself: their names are its words.
        stored_themes = [] if step.hidden else await source.themes(session.id, index)
        themes = tuple(BoardTheme(theme.id, theme.name, theme.keywords) for theme in stored_themes)
        yield StepOpened(
            BoardStep(
                index=index,
                kind=planned.kind,
                name=name,
                prompt=prompt,
                duration_seconds=planned.seconds,
                rounds=tuple(r for r in rounds if r.step_index == index),
                themes=themes,
                names_shown=step.names_shown,
                people=step.people,
                withheld=len(step.withheld),
            )
        )
        if step.hidden:
            yield StepClosed()
            continue

        async def group(theme_id: int | None, index: int = index) -> AsyncIterator[BoardNote]:
            pages = source.note_pages(session.id, index, theme_id)
            if privacy.steps[index].names_shown:
                async for page in pages:
                    for record in page:
                        yield names.note(record, theme_id)
                return
            held = [record async for page in pages for record in page]
            numbered = sorted(
                ((privacy.number(index, record.id), record) for record in held),
                key=lambda pair: -pair[0],
            )
            for number, record in numbered:
                yield names.nameless_note(record, theme_id, number, named_comments=named_comments)

        for theme in themes:
            yield GroupOpened(theme)
            async for note in group(theme.id):
                yield note
            yield GroupClosed()
        opened = False
        async for note in group(None):
            if not opened:
                opened = True
                yield GroupOpened(None)
            yield note
        if opened:
            yield GroupClosed()
        yield StepClosed()
    yield BoardClosed()


class BoardCollector:
    """Assembles a :class:`Board` from its event stream."""

    def __init__(self) -> None:
        self._board: Board | None = None
        self._steps: list[BoardStep] = []
        self._step: BoardStep | None = None
        self._themes: list[BoardTheme] = []
        self._theme: BoardTheme | None = None
        self._in_group = False
        self._notes: list[BoardNote] = []
        self._other: list[BoardNote] = []
        self._done = False

    def feed(self, event: BoardEvent) -> None:
        """Take the next event."""
        match event:
            case BoardOpened(board=board):
                self._board = board
            case StepOpened(step=step):
                self._step, self._themes, self._other = step, [], []
            case GroupOpened(theme=theme):
                self._theme, self._in_group, self._notes = theme, True, []
            case BoardNote():
                self._notes.append(event)
            case GroupClosed():
                if self._theme is None:
                    self._other.extend(self._notes)
                else:
                    self._themes.append(replace(self._theme, notes=tuple(self._notes)))
                self._in_group, self._notes = False, []
            case StepClosed():
                assert self._step is not None, "StepClosed before StepOpened"
                self._steps.append(
                    replace(self._step, themes=tuple(self._themes), other=tuple(self._other))
                )
                self._step = None
            case BoardClosed():
                self._done = True

    @property
    def board(self) -> Board:
        """The board, once the stream is complete."""
        if self._board is None or not self._done:
            raise ValueError("the board stream is incomplete")
        return replace(self._board, steps=tuple(self._steps))


def collect_board(events: Iterable[BoardEvent]) -> Board:
    """The board an event stream describes."""
    collector = BoardCollector()
    for event in events:
        collector.feed(event)
    return collector.board


async def build_board(
    source: BoardSource, session: SessionRecord, catalog: Catalog, options: ExportOptions
) -> Board:
    """The whole board in memory (for exports that fit in memory, such as Discord's)."""
    collector = BoardCollector()
    async for event in board_events(source, session, catalog, options):
        collector.feed(event)
    return collector.board


def events_of(board: Board) -> Iterator[BoardEvent]:
    """A board as the event stream writers consume."""
    yield BoardOpened(replace(board, steps=()))
    for step in board.steps:
        yield StepOpened(
            replace(step, themes=tuple(replace(t, notes=()) for t in step.themes), other=())
        )
        for theme in step.themes:
            yield GroupOpened(replace(theme, notes=()))
            yield from theme.notes
            yield GroupClosed()
        if step.other:
            yield GroupOpened(None)
            yield from step.other
            yield GroupClosed()
        yield StepClosed()
    yield BoardClosed()
