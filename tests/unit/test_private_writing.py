"""Private writing and anonymity in the domain and the use cases: the reveal order (not by
author, stable across a restart), "everyone is done", and what the thread may see."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.board import MessageKind, Note, NoteKind, NoteSource
from bot.domain.private_writing import per_person, progress, reveal_order, without_names
from bot.domain.session import Anonymity, Refusal, SessionRuleError, TypedInPrivate
from bot.facilitation import Facilitation, PrivateChoice
from bot.ports import Store
from tests.fakes import START, FakeClock, RecordingAnnouncer
from tests.unit.test_facilitation import CHANNEL, MIN, message


def note(note_id: int, author: int, minute: int = 0) -> Note:
    return Note(
        id=note_id,
        session_id=1,
        step_index=2,
        author_id=author,
        author_name=f"Person{author}",
        text=f"idee {note_id}",
        attachments=(),
        source=NoteSource.COMMAND,
        message_id=None,
        created_at=START + timedelta(minutes=minute),
        edited_at=None,
        kind=NoteKind.NOTE,
    )


# -- the reveal order ---------------------------------------------------------------------


@given(st.lists(st.integers(min_value=1, max_value=10_000), unique=True, max_size=40))
def test_the_reveal_is_a_permutation_and_the_same_every_time(ids: list[int]) -> None:
    notes = [note(i, author=i % 3, minute=n) for n, i in enumerate(ids)]
    first = reveal_order(notes, session_id=7, step_index=2)
    assert sorted(n.id for n in first) == sorted(ids)
    # As after a restart: the notes come back from the store in another order.
    assert reveal_order(list(reversed(notes)), 7, 2) == first


def test_the_reveal_is_neither_by_author_nor_by_time() -> None:
    # Three writers, ten notes each, written one writer after the other.
    notes = [
        note(author * 10 + k + 1, author, minute=author * 10 + k)
        for author in range(3)
        for k in range(10)
    ]
    revealed = reveal_order(notes, 7, 2)
    authors = [n.author_id for n in revealed]
    runs = 1 + sum(a != b for a, b in pairwise(authors))
    assert runs > 10, "grouped by author"
    assert revealed != sorted(notes, key=lambda n: n.created_at), "in the order of writing"
    assert [n.id for n in reveal_order(notes, 8, 2)] != [n.id for n in revealed]


def test_everyone_done_counts_the_sessions_writers_and_the_done() -> None:
    step = [note(1, author=1), note(2, author=2)]
    assert not progress(step, session_writers={1, 2, 3}, done={1, 2}).everyone_done
    finished = progress(step, session_writers={1, 2, 3}, done={1, 2, 3})
    assert finished.everyone_done
    assert (finished.notes, finished.writers, finished.done, finished.expected) == (2, 2, 3, 3)
    # A newcomer who only said "done" joins the expected; nothing written: never done.
    assert not progress([], session_writers=set(), done={9}).everyone_done


def test_the_facilitator_sees_counts_per_person_and_never_texts() -> None:
    rows = per_person([note(1, 1), note(2, 2), note(3, 2)])
    assert rows == [(2, "Person2", 2), (1, "Person1", 1)]
    assert "idee" not in repr(rows)
    hidden = without_names(note(1, 1))
    assert (hidden.author_id, hidden.author_name) == (0, "")


# -- the use cases --------------------------------------------------------------------------


async def start_private(
    facilitation: Facilitation,
    *,
    anonymity: Anonymity = Anonymity.WHILE_WRITING,
    typed: TypedInPrivate = TypedInPrivate.TAKE,
    end_when_all_done: bool = True,
) -> int:
    session = await facilitation.start_session(
        guild_id=1,
        channel_id=CHANNEL,
        facilitator_id=42,
        topic="Stil schrijven",
        locale="nl",
        template_key="classic",
        private=PrivateChoice.ALL,
        anonymity=anonymity,
        typed_in_private=typed,
        end_when_all_done=end_when_all_done,
    )
    return session.id


async def test_typed_messages_in_a_private_step_are_taken_out_of_sight(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session_id = await start_private(facilitation)
    session = await store.get_session(session_id)
    assert session is not None and session.writing_privately
    outcome = await message(facilitation, session, 500, "Een stille hoek", author=7)
    assert outcome.private and outcome.stored  # type: ignore[attr-defined]
    # A reply is a note too: nobody replies to what nobody can see.
    reply = await message(facilitation, session, 501, "En koffie", author=8, reply_to=500)
    assert reply.kind is MessageKind.NOTE and reply.stored  # type: ignore[attr-defined]
    counts = [call.args["progress"] for call in announcer.of("private_progress")]
    assert (counts[-1].notes, counts[-1].writers) == (2, 2)
    # Removed from the thread by the bot: the note stays.
    facilitation.removed_by_us(500)
    assert await facilitation.messages_deleted([500]) == 0
    assert [n.text for n in await store.notes(session_id)] == ["Een stille hoek", "En koffie"]
    # Deleted by the writer: the note goes.
    assert await facilitation.messages_deleted([501]) == 1


async def test_refused_typing_stores_nothing_and_says_so(
    facilitation: Facilitation, store: Store
) -> None:
    session_id = await start_private(facilitation, typed=TypedInPrivate.REFUSE)
    session = await store.get_session(session_id)
    assert session is not None
    outcome = await message(facilitation, session, 500, "Een stille hoek")
    assert outcome.private and not outcome.stored  # type: ignore[attr-defined]
    assert await store.notes(session_id) == []


async def test_when_everyone_is_done_the_notes_are_revealed_without_names(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    session_id = await start_private(facilitation)
    for author, text in ((7, "Koffiehoek"), (8, "Stilteplek"), (7, "Leesclub")):
        await facilitation.add_note(
            channel_id=CHANNEL,
            author_id=author,
            author_name=f"P{author}",
            text=text,
            source=NoteSource.COMMAND,
        )
    first = await facilitation.done_writing(session_id, 0, 7)
    assert (first.done, first.expected, first.everyone_done) == (1, 2, False)
    assert (await store.get_session(session_id)).step_index == 0  # type: ignore[union-attr]
    await facilitation.done_writing(session_id, 0, 8)
    assert (await store.get_session(session_id)).step_index == 1  # type: ignore[union-attr]

    summary = announcer.of("step_summary")[-1].args["summary"]
    assert summary.revealed and not summary.names_shown
    shown = [n for group in summary.groups for n in group.notes]
    assert sorted(n.text for n in shown) == ["Koffiehoek", "Leesclub", "Stilteplek"]
    assert {(n.author_id, n.author_name) for n in shown} == {(0, "")}
    assert (summary.note_count, summary.author_count) == (3, 2)
    # The order is the reveal order, not the order of writing.
    stored = await store.notes(session_id, 0)
    session = await store.get_session(session_id)
    assert session is not None and len(session.reveal_salt) == 32  # random per session
    salted = reveal_order(stored, session_id, 0, session.reveal_salt)
    assert [n.id for n in shown] == [n.id for n in salted]


async def test_reveal_ends_private_writing_early_and_is_refused_elsewhere(
    facilitation: Facilitation, store: Store, clock: FakeClock
) -> None:
    session = await facilitation.start_session(
        guild_id=1,
        channel_id=CHANNEL,
        facilitator_id=42,
        topic="Open",
        locale="nl",
        template_key="classic",
    )
    with pytest.raises(SessionRuleError) as refused:
        await facilitation.reveal(session.id)
    assert refused.value.refusal is Refusal.NOT_PRIVATE
    await facilitation.end(session.id)

    private_id = await start_private(facilitation, anonymity=Anonymity.OFF)
    clock.advance(MIN)
    await facilitation.reveal(private_id)
    assert (await store.get_session(private_id)).step_index == 1  # type: ignore[union-attr]


async def test_names_follow_the_sessions_choice(
    facilitation: Facilitation, store: Store, announcer: RecordingAnnouncer
) -> None:
    # While writing: the private step reveals without names; an open step shows them.
    session = await facilitation.start_session(
        guild_id=1,
        channel_id=CHANNEL,
        facilitator_id=42,
        topic="Gemengd",
        locale="nl",
        template_key="classic",
        anonymity=Anonymity.WHILE_WRITING,
    )
    stored = await store.get_session(session.id)
    assert stored is not None
    steps = tuple(replace(step, private=index == 0) for index, step in enumerate(stored.steps))
    assert await store.save_session(replace(stored, steps=steps)) is not None
    facilitation.forget_session(session.id)
    await facilitation.add_note(
        channel_id=CHANNEL, author_id=7, author_name="Anna", text="privé", source=NoteSource.COMMAND
    )
    await facilitation.next_step(session.id)
    await facilitation.add_note(
        channel_id=CHANNEL, author_id=7, author_name="Anna", text="open", source=NoteSource.COMMAND
    )
    await facilitation.next_step(session.id)
    first, second = (call.args["summary"] for call in announcer.of("step_summary")[-2:])
    assert not first.names_shown and first.revealed
    assert second.names_shown and not second.revealed
    assert second.groups[0].author_name == "Anna"


async def test_the_facilitator_status_counts_per_person_in_a_private_step(
    facilitation: Facilitation,
) -> None:
    session_id = await start_private(facilitation)
    for author in (7, 7, 8):
        await facilitation.add_note(
            channel_id=CHANNEL,
            author_id=author,
            author_name=f"P{author}",
            text="x",
            source=NoteSource.COMMAND,
        )
    await facilitation.done_writing(session_id, 0, 8)
    view = await facilitation.status(CHANNEL)
    assert view.writers == ((7, "P7", 2), (8, "P8", 1))
    assert view.done == frozenset({8})
