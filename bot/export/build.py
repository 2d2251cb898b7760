"""From stored records to a board: localised steps, ranked rounds, (pseudonymised) names.

:func:`board_events` streams a board from a :class:`~bot.export.source.BoardSource`
page by page; :func:`build_board` collects the same stream into a :class:`Board`;
:func:`events_of` turns a board back into the stream, so every writer needs only one
implementation for both paths.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

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


async def board_events(
    source: BoardSource, session: SessionRecord, catalog: Catalog, options: ExportOptions
) -> AsyncIterator[BoardEvent]:
    """Stream a session's board: header, then step by step, theme by theme, note by note.

    Only one page of notes is held at a time, whatever the size of the board.
    """
    names = AuthorNames(catalog, options.locale, options.pseudonyms)
    rounds = board_rounds(await source.rounds(session.id))
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
            chosen_question=(
                None if session.chosen_question is None else names.text(session.chosen_question)
            ),
            chosen_notes=chosen_notes(rounds),
        )
    )
    for index, planned in enumerate(session.steps):
        name, prompt = step_words(catalog, options.locale, planned.kind, session.topic)
        themes = tuple(
            BoardTheme(theme.id, theme.name, theme.keywords)
            for theme in await source.themes(session.id, index)
        )
        yield StepOpened(
            BoardStep(
                index=index,
                kind=planned.kind,
                name=name,
                prompt=prompt,
                duration_seconds=planned.seconds,
                rounds=tuple(r for r in rounds if r.step_index == index),
                themes=themes,
            )
        )
        for theme in themes:
            yield GroupOpened(theme)
            async for page in source.note_pages(session.id, index, theme.id):
                for record in page:
                    yield names.note(record, theme.id)
            yield GroupClosed()
        opened = False
        async for page in source.note_pages(session.id, index, None):
            if page and not opened:
                opened = True
                yield GroupOpened(None)
            for record in page:
                yield names.note(record, None)
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
