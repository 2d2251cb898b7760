from __future__ import annotations

import io
from datetime import UTC, datetime

from bot.demo.terminal import ThreadPrinter

MOMENT = datetime(2026, 11, 25, 13, 30, tzinfo=UTC)  # 14:30 in Amsterdam


def test_discord_markup_reads_as_a_person_sees_it() -> None:
    out = io.StringIO()
    printer = ThreadPrinter(
        out,
        colour=False,
        names={7: "Anouk"},
        channels={9: "Sessie: bieb"},
        relative=lambda moment: "over 10 min",
    )
    stamp = int(MOMENT.timestamp())
    printer.message(
        "cocreate",
        f"**Stap 1** · klaar <t:{stamp}:R> (om <t:{stamp}:t>) in <#9>, dank <@7> *echt*",
        role="bot",
    )
    text = out.getvalue()
    assert text.splitlines()[0] == "cocreate"
    assert "Stap 1 · klaar over 10 min (om 14:30) in #Sessie: bieb, dank @Anouk echt" in text
    assert "\x1b[" not in text


def test_colour_marks_speakers_and_bold_on_a_terminal() -> None:
    out = io.StringIO()
    printer = ThreadPrinter(out, colour=True)
    printer.message("Sem", "**hoi**")
    printer.message("Sem", "nog een")
    printer.message("Fatima", "ook")
    lines = out.getvalue().splitlines()
    assert "\x1b[1mhoi\x1b[0m" in lines[1]
    assert lines[0] == lines[2]  # the same person keeps the same colour
    assert lines[0].split("m", 1)[0] != lines[4].split("m", 1)[0]


def test_quoted_text_reads_as_typed() -> None:
    out = io.StringIO()
    printer = ThreadPrinter(out, colour=False)
    post = "• \u2068\\*\\*niet vet\\*\\* 1\\. \\\\\u2069 — **vet**"
    printer.message("cocreate", post, role="bot")
    assert out.getvalue().splitlines()[1] == "  • **niet vet** 1. \\ — vet"
