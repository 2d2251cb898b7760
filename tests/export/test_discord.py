"""`/board export` end to end: the real bot, the local Discord sandbox, uploaded files."""

from __future__ import annotations

import csv
import io

import pytest

import bot.export
from bot.export import board_from_json
from bot.sandbox import RecordedCall
from tests.e2e.conftest import Harness
from tests.e2e.test_session_flow import TOPIC, open_session
from tests.export.test_formats import parsed

SCRIPT = "<script>alert(1)</script> een hoek voor tieners"


def uploads(h: Harness, since: int) -> list[RecordedCall]:
    """Follow-up messages to interactions that carried files."""
    return [
        c
        for c in h.sb.calls[since:]
        if c.method == "POST" and c.path.startswith(f"/webhooks/{h.sb.application_id}/") and c.files
    ]


async def test_a_facilitator_gets_the_board_as_a_private_attachment(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h)
    await h.say(thread, h.alice, "Jongeren zitten na school in de hal")
    await h.say(thread, h.bob, SCRIPT)

    # A participant may not export.
    mark = h.mark()
    refused = await h.command(h.alice, "board", "export", channel=thread, format="html")
    assert "begeleider" in refused
    assert uploads(h, mark) == []

    mark = h.mark()
    answer = await h.command(h.facilitator, "board", "export", channel=thread, format="html")
    assert "📦" in answer and TOPIC in answer and "2 notities" in answer
    (call,) = uploads(h, mark)
    assert call.json is not None and call.json["flags"] & 64, "the export is private"
    ((name, data),) = call.files
    assert name == "bord-sessie-1.html"
    page = parsed(data)
    assert SCRIPT in "".join(page.text)
    assert b"&lt;script&gt;" in data and b"<script>" not in data
    assert "Alice" in data.decode("utf-8")

    # From the parent channel, after the end: the latest session, here as CSV.
    await h.command(h.facilitator, "session", "end", channel=thread)
    mark = h.mark()
    await h.command(h.facilitator, "board", "export", format="csv")
    (call,) = uploads(h, mark)
    ((name, data),) = call.files
    assert name == "bord-sessie-1.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {row["Tekst"] for row in rows} == {"Jongeren zitten na school in de hal", SCRIPT}


async def test_pseudonyms_and_english_from_the_parent_channel(harness: Harness) -> None:
    h = harness
    await h.start()
    thread = await open_session(h, language="en")
    await h.say(thread, h.alice, "Teenagers hang around the entrance")
    await h.say(thread, h.carol, "No quiet desks in exam weeks")
    mark = h.mark()
    answer = await h.command(
        h.facilitator,
        "board",
        "export",
        format="json",
        pseudonyms=True,
        locale="en-GB",
    )
    assert "pseudonyms" in answer
    (call,) = uploads(h, mark)
    ((name, data),) = call.files
    assert name == "board-session-1.json"  # the file speaks the session's language
    board = board_from_json(data.decode("utf-8"))
    assert board.pseudonyms
    assert [note.author for note in board.notes] == ["Participant 1", "Participant 2"]
    assert "Alice" not in data.decode("utf-8") and "Carol" not in data.decode("utf-8")


async def test_no_session_here_is_said_kindly(harness: Harness) -> None:
    h = harness
    await h.start()
    mark = h.mark()
    answer = await h.command(
        h.facilitator, "board", "export", channel=h.other_channel_id, format="markdown"
    )
    assert "geen sessie om te exporteren" in answer
    assert uploads(h, mark) == []


async def test_a_large_export_comes_in_parts_at_most_ten_a_message(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    # A tiny attachment limit stands in for a huge board.
    monkeypatch.setattr(bot.export, "EXPORT_FILE_LIMIT", 900)
    await h.start()
    thread = await open_session(h)
    for number in range(14):
        await h.say(thread, (h.alice, h.bob, h.carol)[number % 3], f"Notitie nummer {number}")
    mark = h.mark()
    answer = await h.command(h.facilitator, "board", "export", channel=thread, format="markdown")
    assert "delen" in answer
    # The answer is the first message; the rest of the parts follow in a second one.
    await h.sb.wait_for_call(
        lambda c: c.method == "POST" and bool(c.files) and "Vervolg" in str(c.json or {}),
        since=mark,
        timeout=10,
    )
    calls = uploads(h, mark)
    files = [file for call in calls for file in call.files]
    assert len(files) > 10
    assert len(calls[0].files) == 10
    assert all(len(call.files) <= 10 for call in calls)
    total = len(files)
    assert files[0][0] == f"bord-sessie-1-deel-{'1'.zfill(len(str(total)))}-van-{total}.md"
    assert "Vervolg van de export" in str((calls[1].json or {}).get("content"))
    text = "".join(data.decode("utf-8") for _, data in files)
    for number in range(14):
        assert f"Notitie nummer {number}" in text


async def test_the_export_command_speaks_dutch(harness: Harness) -> None:
    h = harness
    await h.start(sync=True)
    board = next(c for c in h.sb.commands() if c["name"] == "board")
    export = next(o for o in board["options"] if o["name"] == "export")
    assert export["name_localizations"]["nl"] == "exporteren"
    options = {o["name"]: o for o in export["options"]}
    assert options["format"]["name_localizations"]["nl"] == "formaat"
    assert options["format"]["required"] is True
    assert {c["value"] for c in options["format"]["choices"]} == {
        "html",
        "markdown",
        "csv",
        "json",
    }
    assert options["pseudonyms"]["name_localizations"]["nl"] == "pseudoniemen"
    assert not options["pseudonyms"].get("required", False)
