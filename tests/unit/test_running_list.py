"""A writer's running list during silent writing: numbered, quoted, within one message."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.board import Note, NoteKind, NoteSource
from bot.i18n import catalog
from bot.render.private_text import RUNNING_LIST_ROOM, running_list
from bot.render.text import MESSAGE_LIMIT, quote
from tests.fakes import START


def note(number: int, text: str, attachments: tuple[str, ...] = ()) -> Note:
    return Note(
        id=number,
        session_id=1,
        step_index=0,
        author_id=7,
        author_name="Alice",
        text=text,
        attachments=attachments,
        source=NoteSource.COMMAND,
        message_id=None,
        created_at=START + timedelta(minutes=number),
        edited_at=None,
        kind=NoteKind.NOTE,
    )


def test_each_note_is_numbered_and_quoted() -> None:
    shown = running_list(catalog(), "nl", [note(1, "Een *leesclub*"), note(2, "Koffie")])
    assert shown.splitlines() == [f"1. {quote('Een *leesclub*')}", f"2. {quote('Koffie')}"]


def test_a_long_note_is_cut_and_an_attachment_only_note_is_named() -> None:
    shown = running_list(
        catalog(), "en", [note(1, "woord " * 400), note(2, "", ("https://x/a.png",))]
    )
    first, second = shown.splitlines()
    assert len(first) < 200 and first.endswith("…\u2069")
    assert second == "2. 📎 (an attachment without text)"


def test_many_notes_fit_in_one_message_with_the_latest_shown() -> None:
    notes = [note(n, f"Idee nummer {n} " + "x" * 150) for n in range(1, 61)]
    shown = running_list(catalog(), "nl", notes)
    lines = shown.splitlines()
    assert len(shown) <= RUNNING_LIST_ROOM + 100 < MESSAGE_LIMIT
    assert lines[0].startswith("… en ") and "notities daarvoor" in lines[0]
    assert lines[-1].startswith("60. ")
    hidden = int(lines[0].split()[2])
    assert lines[1].startswith(f"{hidden + 1}. ")
