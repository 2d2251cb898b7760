"""Each export format, made from a realistic board stored in a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from bot.export import (
    Board,
    ExportFormat,
    board_events,
    board_from_json,
    board_to_json,
    build_board,
    collect_board,
    events_of,
    render_board,
    render_text,
    write_events,
)
from bot.export.text import csv_cell, escape_markdown
from bot.i18n import catalog
from bot.storage.export_reader import ExportReader
from tests.export.conftest import (
    ALICE,
    BOB,
    CAROL,
    FORMULA,
    MARKDOWN,
    PEOPLE,
    SCRIPT,
    BoardFacts,
    options,
)

SENTENCES = catalog()


async def board_of(reader: ExportReader, facts: BoardFacts, pseudonyms: bool = False) -> Board:
    session = await reader.session(facts.session_id)
    assert session is not None
    return await build_board(reader, session, SENTENCES, options(pseudonyms))


# -- the board itself --------------------------------------------------------------------------


async def test_the_board_holds_everything_the_session_left(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    assert board.status == "ended"
    assert [step.kind for step in board.steps] == ["empathise", "define", "ideate", "prototype"]
    assert [step.name for step in board.steps] == [
        "Inleven",
        "Definiëren",
        "Ideeën bedenken",
        "Prototypen",
    ]
    assert "verplaatsen ons" in board.steps[0].prompt
    assert board.topic in board.steps[0].prompt  # the prompt as the thread showed it
    # Every note exactly once, although the reader pages two at a time.
    assert sorted(note.id for note in board.notes) == sorted(board_db.note_ids)
    empathise = board.steps[0]
    assert [theme.name for theme in empathise.themes] == ["een eigen plek", "examens · rust"]
    assert [len(theme.notes) for theme in empathise.themes] == [2, 3]
    assert len(empathise.other) == 2
    hall = empathise.themes[0].notes[0]
    assert hall.author == ALICE[1]
    assert [(c.author, c.text) for c in hall.comments] == [
        (BOB[1], "Klopt, ik zie ze elke middag"),
        (CAROL[1], "<b>ook</b> in het weekend?"),
    ]
    # The question vote: Alice's question won and is the chosen question.
    q1 = board_db.notes["Hoe kunnen we jongeren een eigen plek geven?"]
    (question_round,) = board.steps[1].rounds
    assert question_round.target == "questions"
    best = question_round.results[0]
    assert (best.note_id, best.place, best.votes, best.voters) == (q1, 1, 3, 2)
    assert board.chosen_notes == (q1,)
    assert board.chosen_question == "Hoe kunnen we jongeren een eigen plek geven?"
    # The idea vote: tallies per note and round, a tie sharing second place, the takers.
    (idea_round,) = board.steps[2].rounds
    assert [(r.place, r.votes) for r in idea_round.results] == [(1, 3), (2, 1), (2, 1)]
    ideas = {note.text: note for note in board.steps[2].notes}
    winner = ideas["Jongeren zelf de inrichting laten ontwerpen"]
    assert [(v.round_id, v.votes, v.voters) for v in winner.votes] == [(idea_round.id, 3, 3)]
    assert winner.takers == (CAROL[1], ALICE[1])
    assert board.steps[3].notes == ()


async def test_streaming_and_collecting_give_the_same_board(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    assert collect_board(events_of(board)) == board
    session = await reader.session(board_db.session_id)
    assert session is not None
    for export_format in ExportFormat:
        streamed = io.StringIO(newline="")
        events = [e async for e in board_events(reader, session, SENTENCES, options())]
        write_events(events, export_format, streamed, SENTENCES)
        assert streamed.getvalue() == render_text(board, export_format, SENTENCES)


# -- JSON --------------------------------------------------------------------------------------


@pytest.mark.parametrize("pseudonyms", [False, True])
async def test_json_round_trips_to_an_equal_board(
    reader: ExportReader, board_db: BoardFacts, pseudonyms: bool
) -> None:
    board = await board_of(reader, board_db, pseudonyms)
    text = board_to_json(board, SENTENCES)
    assert board_from_json(text) == board
    data = json.loads(text)
    assert data["format"] == "cocreate-board"
    assert data["steps"][0]["themes"][0]["notes"][0]["comments"][1]["text"] == (
        "<b>ook</b> in het weekend?"
    )
    # A part reads back too, and says which part it is.
    part = replace(board, steps=board.steps[1:2], part=None)
    assert board_from_json(board_to_json(part, SENTENCES)) == part


def test_json_that_is_not_a_board_is_refused() -> None:
    with pytest.raises(ValueError, match="not a cocreate board"):
        board_from_json('{"format": "something else"}')
    with pytest.raises(ValueError, match="version"):
        board_from_json('{"format": "cocreate-board", "version": 99}')


# -- CSV ---------------------------------------------------------------------------------------


async def test_csv_opens_with_the_csv_module_one_row_per_note(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    data = render_board(board, ExportFormat.CSV, SENTENCES)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert len(rows) == len(board_db.notes)
    assert {int(row["Notitie-id"]) for row in rows} == board_db.note_ids
    by_id = {int(row["Notitie-id"]): row for row in rows}
    hall = by_id[board_db.notes["Jongeren zitten na school in de hal omdat er geen plek is"]]
    assert hall["Stap"] == "1"
    assert hall["Stapnaam"] == "Inleven"
    assert hall["Thema"] == "een eigen plek"
    assert hall["Auteur"] == ALICE[1]
    assert hall["Reacties"] == "2"
    assert hall["Tijd (UTC, ISO 8601)"] == "2025-03-14T09:31:00Z"
    assert hall["Lokale tijd (Europe/Amsterdam)"] == "2025-03-14T10:31:00+01:00"
    question = by_id[board_db.notes["Hoe kunnen we jongeren een eigen plek geven?"]]
    assert question["Stemmen"] == "3"
    assert question["Stemmen per ronde"] == "1: 3"
    assert question["Soort notitie"] == "vraag"
    assert question["Gekozen vraag"] == "ja"
    idea = by_id[board_db.notes["Jongeren zelf de inrichting laten ontwerpen"]]
    assert idea["Pakt dit op"] == f"{CAROL[1]}; {ALICE[1]}"
    # Line breaks survive; a formula does not run.
    floor = by_id[board_db.notes["Scholieren zitten in de examentijd\nop de grond te leren"]]
    assert floor["Tekst"] == "Scholieren zitten in de examentijd\nop de grond te leren"
    assert by_id[board_db.notes[FORMULA]]["Tekst"] == "'" + FORMULA
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_csv_cells_never_start_a_formula() -> None:
    for dangerous in ("=1+1", "+31 6", "-2", "@SUM(A1)", "\tx"):
        assert csv_cell(dangerous).startswith("'")
    assert csv_cell("gewoon") == "gewoon"
    assert csv_cell(12) == "12"


# -- HTML --------------------------------------------------------------------------------------

VOID = {"meta", "br", "hr", "img", "link", "input", "wbr", "col", "area", "base", "source"}


class StrictPage(HTMLParser):
    """Records tags, attributes and text, and every nesting mistake."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parsed(data: bytes) -> StrictPage:
    page = StrictPage()
    page.feed(data.decode("utf-8"))
    page.close()
    assert page.doctype
    assert not page.errors, page.errors
    assert page.open == [], f"never closed: {page.open}"
    return page


async def test_html_is_one_self_contained_printable_page(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    data = render_board(board, ExportFormat.HTML, SENTENCES)
    page = parsed(data)
    names = [tag for tag, _ in page.tags]
    assert "script" not in names
    assert "link" not in names
    assert "img" not in names
    assert "iframe" not in names
    assert names.count("style") == 1
    users_links = {"https://cdn.example.org/foto.png"}
    for tag, attrs in page.tags:
        assert "src" not in attrs, (tag, attrs)
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert tag == "a"
            assert href.startswith("#") or href in users_links, href
    html = data.decode("utf-8")
    assert "url(" not in html and "@import" not in html
    assert "@media print" in html and "break-before:page" in html and "@page" in html
    # User text is shown, never run: the script and the tags are text on the page.
    text = "".join(page.text)
    assert SCRIPT in text
    assert "<b>ook</b> in het weekend?" in text
    assert "&lt;script&gt;alert(&#x27;xss&#x27;)&lt;/script&gt;" in html
    assert "javascript:" not in {attrs.get("href", "") for _, attrs in page.tags}
    # Steps are sections with their prompts; the topic is escaped inside our emphasis.
    assert html.count('<section class="step"') == 4
    assert "<strong>Hoe wordt de bibliotheek een &lt;ontmoetingsplek&gt; voor *jongeren*?" in html
    assert "Inleven" in text and "Stap 2: Definiëren" in text


# -- Markdown ----------------------------------------------------------------------------------


async def test_markdown_is_readable_and_escapes_what_people_wrote(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    board = await board_of(reader, board_db)
    text = render_board(board, ExportFormat.MARKDOWN, SENTENCES).decode("utf-8")
    assert text.startswith("# Bord: ")
    assert "## Stap 1: Inleven" in text
    assert "### Thema: een eigen plek" in text
    assert "Jongeren zitten na school in de hal omdat er geen plek is" in text  # as written
    assert "<script>" not in text and "\\<script\\>" in text
    assert "<b>" not in text
    # No line of user text opens a heading or list of its own, nor a link.
    assert "\\# Geen kop" in text and "\n# Geen kop" not in text
    assert "\\[geen link\\](http://example.org)" in text
    assert "\\*\\*niet vet\\*\\*" in text
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert all(
        line.startswith(("# Bord:", "## Stap", "### Thema", "### Notities", "#### Uitslag"))
        for line in headings
    ), headings
    assert "★ gekozen vraag" in text
    assert "Pakt dit op: Carol Bakker, Alice Jansen" in text


def test_markdown_escaping_keeps_plain_text_plain() -> None:
    assert escape_markdown("Gewoon een zin, met komma's.") == "Gewoon een zin, met komma's."
    assert escape_markdown("1. eerste") == "1\\. eerste"
    assert escape_markdown("- punt\n> citaat") == "\\- punt\n\\> citaat"
    assert escape_markdown("a &amp; b") == "a \\&amp; b"


async def test_markdown_renders_no_user_markup(reader: ExportReader, board_db: BoardFacts) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    board = await board_of(reader, board_db)
    text = render_board(board, ExportFormat.MARKDOWN, SENTENCES).decode("utf-8")
    html = markdown_it.MarkdownIt("commonmark", {"html": True}).render(text)
    assert "<script>" not in html
    assert '<a href="http://example.org">' not in html
    assert "<h1>Geen kop</h1>" not in html
    assert "<strong>niet vet</strong>" not in html
    assert MARKDOWN.splitlines()[0] in html  # shown as text


# -- pseudonyms --------------------------------------------------------------------------------


@pytest.mark.parametrize("export_format", list(ExportFormat))
async def test_pseudonyms_hide_real_names_everywhere(
    reader: ExportReader, board_db: BoardFacts, export_format: ExportFormat
) -> None:
    board = await board_of(reader, board_db, pseudonyms=True)
    text = render_board(board, export_format, SENTENCES).decode("utf-8")
    for user_id, name in PEOPLE:
        for part in name.split():
            if part not in {"de"}:
                assert part not in text, (export_format, part)
        assert not re.search(rf"\b{user_id}\b", text), (export_format, user_id)
    assert "Deelnemer 1" in text and "Deelnemer 3" in text
    assert "Deelnemer 4" not in text


async def test_pseudonyms_are_stable_per_person_by_first_appearance(
    reader: ExportReader, board_db: BoardFacts
) -> None:
    real = await board_of(reader, board_db)
    hidden = await board_of(reader, board_db, pseudonyms=True)
    given: dict[str, str] = {}
    for named, pseudonymous in zip(real.notes, hidden.notes, strict=True):
        pairs = [(named.author, pseudonymous.author)]
        pairs += [
            (a.author, b.author) for a, b in zip(named.comments, pseudonymous.comments, strict=True)
        ]
        pairs += list(zip(named.takers, pseudonymous.takers, strict=True))
        for name, pseudonym in pairs:
            assert given.setdefault(name, pseudonym) == pseudonym
    # Alice writes the first note, Bob and Carol comment on it: numbered in that order.
    assert given == {ALICE[1]: "Deelnemer 1", BOB[1]: "Deelnemer 2", CAROL[1]: "Deelnemer 3"}
    assert len(set(given.values())) == 3
    mention = next(n for n in hidden.notes if n.text.startswith("Eens met"))
    assert mention.text == "Eens met @Deelnemer 2: er is hier niks voor tieners"
    english = await build_board(
        reader,
        await reader.session(board_db.session_id),  # type: ignore[arg-type]
        SENTENCES,
        options(pseudonyms=True, locale="en"),
    )
    assert english.notes[0].author == "Participant 1"
    assert english.steps[0].name == "Empathise"
