"""`cocreate sessions` and `cocreate export`: as functions, and as a real process."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import EXIT_CONFIG, EXIT_NOT_FOUND, main, stream_export
from bot.domain.board import NoteDraft, NoteSource
from bot.export import Board, ExportFormat, board_from_json, build_board
from bot.export.source import NoteRecord
from bot.i18n import catalog
from bot.storage.db import connect
from bot.storage.export_reader import ExportReader, open_reader
from bot.storage.sqlite_store import SqliteStore
from tests.export.conftest import PEOPLE, START, TOPIC, BoardFacts, fill_board, options

SENTENCES = catalog()
ROOT = Path(__file__).resolve().parents[2]


def config_for(facts: BoardFacts, tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\npath = "{facts.path.as_posix()}"\n\n[locale]\ndefault = "nl"\n'
        'timezone = "Europe/Amsterdam"\n',
        encoding="utf-8",
    )
    return config


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("COCREATE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_sessions_lists_id_server_topic_status_created_and_notes(
    board_db: BoardFacts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--config", str(config_for(board_db, tmp_path))]) == 0
    heading, row = capsys.readouterr().out.splitlines()
    assert heading.split() == ["id", "server", "onderwerp", "status", "gestart", "notities"]
    assert row.split()[:2] == [str(board_db.session_id), "555"]
    assert TOPIC in row
    assert "afgerond" in row
    assert "2025-03-14 10:30" in row  # local time
    assert row.split()[-1] == str(len(board_db.notes))


def test_sessions_on_an_empty_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    async def empty() -> Path:
        path = tmp_path / "empty.sqlite3"
        await (await connect(path)).close()
        return path

    path = asyncio.run(empty())
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{path.as_posix()}"\n', encoding="utf-8")
    assert main(["sessions", "--config", str(config)]) == 0
    assert "nog geen sessies" in capsys.readouterr().out


@pytest.mark.parametrize("export_format", list(ExportFormat))
def test_export_writes_the_whole_board_to_a_file(
    board_db: BoardFacts,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    export_format: ExportFormat,
) -> None:
    output = tmp_path / "out" / f"bord.{export_format.extension}"
    output.parent.mkdir()
    config = config_for(board_db, tmp_path)
    arguments = ["export", "--session", str(board_db.session_id), "--format", export_format]
    assert main([*arguments, "--output", str(output), "--config", str(config)]) == 0
    assert "13 notities in 4 stappen" in capsys.readouterr().out
    data = output.read_bytes()
    assert data
    assert not list(output.parent.glob("*.partial"))
    if export_format is ExportFormat.JSON:
        exported = board_from_json(data.decode("utf-8"))

        async def expected() -> Board:
            async with open_reader(board_db.path) as reader:
                session = await reader.session(board_db.session_id)
                assert session is not None
                return await build_board(reader, session, SENTENCES, options())

        board = asyncio.run(expected())
        assert replace(exported, exported_at=board.exported_at) == board
    if export_format is ExportFormat.CSV:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert len(rows) == len(board_db.notes)


def test_export_with_pseudonyms_names_nobody(board_db: BoardFacts, tmp_path: Path) -> None:
    output = tmp_path / "bord.md"
    config = config_for(board_db, tmp_path)
    code = main(
        [
            *("export", "--session", str(board_db.session_id), "--format", "markdown"),
            *("--output", str(output), "--config", str(config), "--pseudonyms"),
        ]
    )
    assert code == 0
    text = output.read_text(encoding="utf-8")
    assert "Deelnemer 1" in text
    for _, name in PEOPLE:
        assert name not in text


def test_export_of_an_unknown_session_or_database_is_one_sentence(
    board_db: BoardFacts, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = config_for(board_db, tmp_path)
    output = tmp_path / "x.json"
    base = ["export", "--format", "json", "--output", str(output)]
    assert main([*base, "--session", "99", "--config", str(config)]) == EXIT_NOT_FOUND
    err = capsys.readouterr().err.strip()
    assert "Sessie 99" in err and len(err.splitlines()) == 1
    assert not output.exists()

    missing = tmp_path / "missing.toml"
    missing.write_text(f'[storage]\npath = "{(tmp_path / "nope.sqlite3").as_posix()}"\n')
    assert main([*base, "--session", "1", "--config", str(missing)]) == EXIT_CONFIG
    err = capsys.readouterr().err.strip()
    assert "bestaat niet" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "nope.sqlite3").exists(), "an export never creates a database"


def test_the_progress_bar_shows_on_a_terminal_only(
    board_db: BoardFacts, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    config = config_for(board_db, tmp_path)
    arguments = [
        *("export", "--session", str(board_db.session_id), "--format", "csv"),
        *("--output", str(tmp_path / "b.csv"), "--config", str(config)),
    ]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    assert main(arguments) == 0
    assert "13/13" in terminal.getvalue() and "notities" in terminal.getvalue()

    pipe = io.StringIO()
    monkeypatch.setattr(sys, "stderr", pipe)
    assert main(arguments) == 0
    assert pipe.getvalue() == ""


async def run_module(*arguments: str, cwd: Path) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COCREATE_", "DISCORD_"))}
    env["PYTHONPATH"] = str(ROOT)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *arguments,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_commands_run_as_a_process_without_a_token(
    board_db: BoardFacts, tmp_path: Path
) -> None:
    config = config_for(board_db, tmp_path)
    code, out, err = await run_module("sessions", "--config", str(config), cwd=tmp_path)
    assert code == 0, err
    assert TOPIC in out
    output = tmp_path / "archief.html"
    code, out, err = await run_module(
        *("export", "--session", str(board_db.session_id), "--format", "html"),
        *("--output", str(output), "--config", str(config)),
        cwd=tmp_path,
    )
    assert code == 0, err
    assert err == ""  # not a terminal: no progress bar
    assert str(output) in out
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # ./config.toml is found without --config; "-" writes to standard output.
    code, out, err = await run_module(
        *("export", "--session", str(board_db.session_id), "--format", "json", "--output", "-"),
        cwd=tmp_path,
    )
    assert code == 0, err
    assert board_from_json(out).session_id == board_db.session_id


# -- large boards stream -----------------------------------------------------------------------


async def big_board(path: Path, notes: int) -> BoardFacts:
    facts = await fill_board(path)
    db = await connect(path)
    try:
        store = SqliteStore(db)
        # Arriving together, the notes are committed in a few group commits.
        await asyncio.gather(
            *(
                store.add_note(
                    NoteDraft(
                        session_id=facts.session_id,
                        step_index=2,
                        author_id=PEOPLE[i % 3][0],
                        author_name=PEOPLE[i % 3][1],
                        text=f"Idee nummer {i}: " + "een bibliotheek vol plekken " * 3,
                        source=NoteSource.COMMAND,
                        created_at=START + timedelta(hours=1, seconds=i),
                    )
                )
                for i in range(notes)
            )
        )
    finally:
        await db.close()
    return facts


class CountingSink(io.StringIO):
    pass


async def test_a_large_board_is_written_page_by_page(tmp_path: Path) -> None:
    facts = await big_board(tmp_path / "big.sqlite3", 3000)
    out = CountingSink(newline="")
    sizes_when_read: list[int] = []
    largest_page = 0
    async with open_reader(facts.path, page_size=200) as reader:
        pages = reader.note_pages

        async def watched(
            session_id: int, step_index: int, theme_id: int | None
        ) -> AsyncIterator[list[NoteRecord]]:
            nonlocal largest_page
            async for page in pages(session_id, step_index, theme_id):
                largest_page = max(largest_page, len(page))
                sizes_when_read.append(out.tell())
                yield page

        reader.note_pages = watched  # type: ignore[method-assign]
        ticks: list[int] = []
        written = await stream_export(
            reader,
            facts.session_id,
            ExportFormat.JSON,
            out,
            SENTENCES,
            options(),
            ticks.append,
        )
    assert written == 3000 + len(facts.notes)
    assert len(ticks) == written
    assert largest_page == 200
    # Each page was read only after the previous ones were written out.
    ideate_pages = sizes_when_read[-15:]
    assert ideate_pages == sorted(ideate_pages)
    assert len(set(ideate_pages)) == len(ideate_pages)
    board = board_from_json(out.getvalue())
    assert len(board.notes) == written
    assert board.steps[2].other[-1].text.startswith("Idee nummer 2999")


async def test_reading_a_board_needs_no_write_access(board_db: BoardFacts) -> None:
    async with open_reader(board_db.path) as reader:
        assert isinstance(reader, ExportReader)
        with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only"):
            await reader._db.execute("DELETE FROM notes")
