"""What the bot shows when names are hidden or a private step is revealed: the step
summary as one flat list, recaps that only count what is still being written, pictures
without empty name lines, and the export's rules, which must match the session's."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.board import Note, NoteKind, NoteSource
from bot.domain.private_writing import reveal_order, without_names
from bot.domain.recap import RecapKind, build_recap
from bot.domain.session import Anonymity, Phase, Session, SessionStatus
from bot.domain.summary import (
    AuthorGroup,
    RankedNote,
    SessionSummary,
    StepSummary,
    StepTally,
    ThemeGroup,
    ordered_like,
    summarise_step,
)
from bot.domain.templates import StepPlan
from bot.export.source import SessionRecord, StepRecord
from bot.i18n import LOCALES, catalog
from bot.render import text
from bot.ui.pictures import board_groups
from tests.fakes import START

CAT = catalog()
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def note(note_id: int, author: int, step: int = 0, minute: int = 0, body: str = "") -> Note:
    return Note(
        id=note_id,
        session_id=7,
        step_index=step,
        author_id=author,
        author_name=f"Persoon{author}",
        text=body or f"idee-{note_id:02d}",
        attachments=(),
        source=NoteSource.COMMAND,
        message_id=None,
        created_at=START + minute * MIN,
        kind=NoteKind.NOTE,
    )


def written() -> list[Note]:
    """Twelve notes by three people, one person after the other."""
    return [note(n, author=1 + (n - 1) // 4, minute=n) for n in range(1, 13)]


def revealed(notes: list[Note], *, names: bool, themes: tuple[ThemeGroup, ...] = ()) -> StepSummary:
    """A private step's summary as the use case builds it."""
    ordered = reveal_order(notes, 7, 0)
    shown = tuple(ordered if names else map(without_names, ordered))
    summary = summarise_step(0, "ideate", notes)
    return replace(
        summary,
        groups=(AuthorGroup(0, "", shown),),
        revealed=True,
        names_shown=names,
        themes=themes,
    )


# -- the step summary ---------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_a_nameless_reveal_is_one_flat_list_in_the_reveal_order(locale: str) -> None:
    notes = written()
    out = "\n".join(text.step_summary(CAT, locale, revealed(notes, names=False)))
    heading = CAT.t(
        locale,
        "summary.step.revealed_nameless",
        notes=text.count(CAT, locale, "note", 12),
        people=text.count(CAT, locale, "person", 3),
    )
    assert heading in out
    assert "Persoon" not in out
    assert "****" not in out and "— *" not in out and "**\u2068\u2069**" not in out
    listed = sorted(notes, key=lambda n: out.index(n.text))
    assert [n.id for n in listed] == [n.id for n in reveal_order(notes, 7, 0)]


@pytest.mark.parametrize("locale", LOCALES)
def test_a_reveal_with_names_puts_the_writer_after_each_note(locale: str) -> None:
    out = "\n".join(text.step_summary(CAT, locale, revealed(written(), names=True)))
    assert (
        CAT.t(
            locale,
            "summary.step.revealed",
            notes=text.count(CAT, locale, "note", 12),
            people=text.count(CAT, locale, "person", 3),
        )
        in out
    )
    for line in out.splitlines():
        if "idee-" in line:
            number = int(line.split("idee-")[1][:2])
            writer = text.quote(f"Persoon{1 + (number - 1) // 4}")
            assert line.endswith(f" — *{writer}*")
    # Never an author heading: the list is not by person.
    assert f"**{text.quote('Persoon1')}**" not in out


def test_a_private_steps_summary_after_its_vote_keeps_the_reveal_and_the_names() -> None:
    # Names shown (anonymity off): after the vote the step is summed up once more, still
    # as the use case's one list in the reveal order, each note with its writer.
    summary = replace(revealed(written(), names=True), revealed=False)
    out = "\n".join(text.step_summary(CAT, "nl", summary))
    assert "🔓" not in out and "🕶️" not in out
    notes = list(summary.groups[0].notes)
    assert sorted(notes, key=lambda n: out.index(n.text)) == notes
    for n in notes:
        assert f"{text.quote(n.text)} — *{text.quote(n.author_name)}*" in out
    assert f"**{text.quote('Persoon1')}**" not in out


def test_a_note_without_a_name_gets_no_writer_line_nor_heading() -> None:
    nameless = [without_names(n) for n in written()[:2]]
    summary = replace(
        revealed(written()[:2], names=True), groups=(AuthorGroup(0, "", tuple(nameless)),)
    )
    out = "\n".join(text.step_summary(CAT, "nl", summary))
    assert "— *" not in out
    grouped = replace(summarise_step(0, "ideate", nameless), names_shown=True)
    out = "\n".join(text.step_summary(CAT, "nl", grouped))
    assert "****" not in out
    assert all(line.strip() for line in out.split("\n\n"))


def test_a_steps_themes_list_a_nameless_step_in_the_reveal_order() -> None:
    notes = written()
    theme = ThemeGroup("rust", tuple(notes[:6]))  # in the order of writing
    out = "\n".join(text.step_summary(CAT, "nl", revealed(notes, names=False, themes=(theme,))))
    listed = sorted(notes[:6], key=lambda n: out.index(n.text))
    assert [n.id for n in listed] == [n.id for n in reveal_order(notes[:6], 7, 0)]
    assert [n.id for n in listed] != [n.id for n in notes[:6]]
    assert "Persoon" not in out
    # The rest comes after the theme, in the reveal order as well.
    rest = [n for n in reveal_order(notes, 7, 0) if n.id > 6]
    assert sorted(rest, key=lambda n: out.index(n.text)) == rest


def test_ordered_like_keeps_unknown_notes_last() -> None:
    notes = written()
    theme = ThemeGroup("t", (notes[0], notes[1], notes[2]))
    (ordered,) = ordered_like((theme,), [notes[2], notes[0]])
    assert [n.id for n in ordered.notes] == [3, 1, 2]


def test_a_nameless_session_summary_has_no_empty_names() -> None:
    stripped = [without_names(n) for n in written()]
    summary = SessionSummary(
        topic="Stil",
        steps=(StepTally(0, "ideate", 12, 3),),
        note_count=12,
        author_count=3,
        themes=(ThemeGroup("rust", tuple(stripped[:3])),),
        top_ideas=(RankedNote(1, 4, 2, stripped[0]),),
        takers={},
        board=(ThemeGroup("", tuple(stripped), step_kind="ideate"),),
    )
    out = "\n".join(text.session_summary(CAT, "nl", summary, 30))
    assert "****" not in out and "— **" not in out and "🙌" not in out
    groups = board_groups(summary.board, (), "", {})
    assert all(card.author is None for group in groups for card in group.notes)


def test_a_picture_card_without_a_name_has_no_name_line() -> None:
    named, nameless = note(1, 1), without_names(note(2, 2))
    (group,) = board_groups((ThemeGroup("t", (named, nameless)),), (), "", {})
    assert [card.author for card in group.notes] == ["Persoon1", None]


# -- recaps -------------------------------------------------------------------------------------


def session(anonymity: Anonymity = Anonymity.OFF) -> Session:
    started, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="Stil",
        locale="nl",
        template="classic",
        steps=(StepPlan("empathise", 2 * HOUR, private=True), StepPlan("define", 2 * HOUR)),
        reminder_before=2 * MIN,
        now=START,
        anonymity=anonymity,
    )
    return started


def test_a_recap_counts_private_writing_and_hides_names_where_the_session_does() -> None:
    open_step = [note(20 + n, author=n, step=1, minute=30 + n) for n in range(1, 3)]
    private_step = written()
    since, until = START - HOUR, START + 2 * HOUR
    recap = build_recap(
        kind=RecapKind.RECAP,
        since=since,
        until=until,
        step_index=1,
        step_kinds=["empathise", "define"],
        notes=[*private_step, *open_step],
        comments=0,
        first_contributions=[("Persoon1", START), ("Persoon9", START)],
        hidden_step=1,
        nameless_steps=frozenset({0}),
        session_id=7,
        name_newcomers=False,
    )
    assert recap.private_notes == 2
    assert [n.id for n in recap.new_notes] == [n.id for n in reveal_order(private_step, 7, 0)]
    assert {(n.author_id, n.author_name) for n in recap.new_notes} == {(0, "")}
    assert recap.writers == 3
    assert recap.newcomers == () and recap.unnamed_newcomers == 2
    out = "\n".join(text.daily_recap(CAT, session(Anonymity.ALWAYS), recap))
    assert "idee-21" not in out and "idee-22" not in out
    assert "Persoon" not in out and "— *" not in out
    assert CAT.t("nl", "recap.private", notes=text.count(CAT, "nl", "note", 2)) in out
    people = text.count(CAT, "nl", "person", 2)
    assert CAT.t("nl", "recap.newcomers_counted", people=people) in out


def test_private_writing_alone_still_makes_a_recap_but_no_board() -> None:
    recap = build_recap(
        kind=RecapKind.RECAP,
        since=START - HOUR,
        until=START + HOUR,
        step_index=0,
        step_kinds=["empathise"],
        notes=written()[:3],
        comments=0,
        first_contributions=[],
        hidden_step=0,
    )
    assert not recap.quiet and not recap.board_changed
    assert recap.new_notes == () and recap.private_notes == 3


def test_a_named_recap_still_names_writers_and_newcomers() -> None:
    recap = build_recap(
        kind=RecapKind.RECAP,
        since=START - HOUR,
        until=START + HOUR,
        step_index=0,
        step_kinds=["empathise"],
        notes=written()[:2],
        comments=0,
        first_contributions=[("Persoon1", START)],
    )
    out = "\n".join(text.daily_recap(CAT, session(), recap))
    assert f"— *{text.quote('Persoon1')}*" in out
    assert CAT.t("nl", "recap.newcomers", names=text.quote("Persoon1")) in out


# -- the export's rules are the session's -------------------------------------------------------


@pytest.mark.parametrize(
    ("anonymity", "private", "status", "phase", "at"),
    list(
        itertools.product(
            list(Anonymity),
            [(False, False), (True, False), (False, True)],
            list(SessionStatus),
            list(Phase),
            [0, 1],
        )
    ),
)
def test_the_export_decides_names_as_the_session_does(
    anonymity: Anonymity,
    private: tuple[bool, bool],
    status: SessionStatus,
    phase: Phase,
    at: int,
) -> None:
    plans = tuple(
        StepPlan(kind, HOUR, private=flag)
        for kind, flag in zip(("empathise", "define"), private, strict=True)
    )
    live = replace(session(anonymity), steps=plans, status=status, phase=phase, step_index=at)
    record = SessionRecord(
        id=7,
        guild_id=1,
        channel_id=2,
        thread_id=3,
        topic="Stil",
        locale="nl",
        template="classic",
        status=status.value,
        created_at=START,
        ended_at=None,
        chosen_question=None,
        steps=tuple(StepRecord(p.kind, 3600.0, p.private) for p in plans),
        anonymity=anonymity.value,
        step_index=at,
        phase=phase.value,
    )
    for index in range(2):
        assert record.is_private(index) == live.is_private(index)
        assert record.shows_names(index) == live.shows_names(index)
        assert record.hidden(index) == live.hidden(index)


def test_the_reveal_order_needs_the_sessions_salt() -> None:
    notes = written()
    salted = reveal_order(notes, 7, 0, "9f2c")
    assert salted == reveal_order(list(reversed(notes)), 7, 0, "9f2c")  # stable
    # Another salt, another order: the ids alone do not give it away.
    assert [n.id for n in salted] != [n.id for n in reveal_order(notes, 7, 0, "51aa")]
