"""JSON: the whole board, for other programs; :func:`board_from_json` reads it back.

The layout (``"format": "cocreate-board"``, ``"version": 1``)::

    {"format", "version", session fields…, "part", "steps": [
        {step fields…, "rounds": […], "themes": [{theme fields…, "notes": […]}],
         "other_notes": […]}]}

Times are ISO 8601 in UTC. The writer streams: one note per line, never the whole board.

Anonymity (``"anonymity"``; per step ``"names_shown"``, ``"people"``, ``"withheld"``): in
a nameless step a note's ``"author"``, ``"created_at"`` and ``"edited_at"`` are null and
its ``"id"`` is its negative number in the reveal order, not its id in the database. Such
an export reads back as the board it shows, not as the board that was stored (lossy).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.export.model import (
    Board,
    BoardComment,
    BoardNote,
    BoardRound,
    BoardStep,
    BoardTheme,
    ExportPart,
    NoteVotes,
    RoundResult,
)
from bot.export.writer import BoardWriter

FORMAT_NAME = "cocreate-board"
FORMAT_VERSION = 1


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _required_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


# -- to JSON --------------------------------------------------------------------------------


def header_json(board: Board) -> dict[str, Any]:
    """The board's own fields (without steps)."""
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "session_id": board.session_id,
        "guild_id": str(board.guild_id),  # a snowflake: beyond what JavaScript reads exactly
        "topic": board.topic,
        "locale": board.locale,
        "template": board.template,
        "status": board.status,
        "created_at": _time(board.created_at),
        "ended_at": _time(board.ended_at),
        "exported_at": _time(board.exported_at),
        "timezone": board.timezone,
        "pseudonyms": board.pseudonyms,
        "chosen_question": board.chosen_question,
        "chosen_notes": list(board.chosen_notes),
        "part": None
        if board.part is None
        else {"number": board.part.number, "total": board.part.total},
        "anonymity": board.anonymity,
    }


def round_json(vote_round: BoardRound) -> dict[str, Any]:
    """A vote round with its results."""
    return {
        "id": vote_round.id,
        "number": vote_round.number,
        "step_index": vote_round.step_index,
        "target": vote_round.target,
        "budget": vote_round.budget,
        "per_note_cap": vote_round.per_note_cap,
        "status": vote_round.status,
        "opened_at": _time(vote_round.opened_at),
        "closed_at": _time(vote_round.closed_at),
        "options": vote_round.options,
        "voters": vote_round.voters,
        "results": [
            {"note_id": r.note_id, "place": r.place, "votes": r.votes, "voters": r.voters}
            for r in vote_round.results
        ],
    }


def step_json(step: BoardStep) -> dict[str, Any]:
    """A step's own fields and rounds (without notes)."""
    return {
        "index": step.index,
        "kind": step.kind,
        "name": step.name,
        "prompt": step.prompt,
        "duration_seconds": step.duration_seconds,
        "names_shown": step.names_shown,
        "people": step.people,
        "withheld": step.withheld,
        "rounds": [round_json(r) for r in step.rounds],
    }


def theme_json(theme: BoardTheme) -> dict[str, Any]:
    """A theme's own fields (without notes)."""
    return {"id": theme.id, "name": theme.name, "keywords": list(theme.keywords)}


def note_json(note: BoardNote) -> dict[str, Any]:
    """A note with its comments, votes and takers."""
    return {
        "id": note.id,
        "step_index": note.step_index,
        "kind": note.kind,
        "author": note.author,
        "text": note.text,
        "created_at": _time(note.created_at),
        "edited_at": _time(note.edited_at),
        "source": note.source,
        "attachments": list(note.attachments),
        "theme_id": note.theme_id,
        "comments": [
            {
                "id": c.id,
                "author": c.author,
                "text": c.text,
                "created_at": _time(c.created_at),
                "edited_at": _time(c.edited_at),
            }
            for c in note.comments
        ],
        "votes": [
            {"round_id": v.round_id, "votes": v.votes, "voters": v.voters} for v in note.votes
        ],
        "takers": list(note.takers),
    }


class JsonWriter(BoardWriter):
    """Streams the layout above: header, then each step's themes and notes as they come."""

    def on_board(self, board: Board) -> None:
        """Open the document and the list of steps."""
        self.out.write(_dump(header_json(board))[:-1] + ',"steps":[')
        self._first_step = True

    def on_step(self, step: BoardStep) -> None:
        """Open a step and its list of themes."""
        self.out.write(("\n" if self._first_step else ",\n") + _dump(step_json(step))[:-1])
        self.out.write(',"themes":[')
        self._first_step = False
        self._first_theme = True
        self._in_other = False

    def on_group(self, theme: BoardTheme | None) -> None:
        """Open a theme's note list, or close the themes and open the other notes."""
        if theme is None:
            self.out.write('],"other_notes":[')
            self._in_other = True
        else:
            self.out.write(("" if self._first_theme else ",") + "\n")
            self.out.write(_dump(theme_json(theme))[:-1] + ',"notes":[')
            self._first_theme = False
        self._first_note = True

    def on_note(self, note: BoardNote) -> None:
        """One note a line."""
        self.out.write(("\n" if self._first_note else ",\n") + _dump(note_json(note)))
        self._first_note = False

    def on_group_closed(self) -> None:
        """Close a theme (the other notes close with the step)."""
        if not self._in_other:
            self.out.write("]}")

    def on_step_closed(self) -> None:
        """Close the step."""
        if not self._in_other:
            self.out.write('],"other_notes":[')
        self.out.write("]}")

    def on_board_closed(self) -> None:
        """Close the document."""
        self.out.write("\n]}\n")


# -- from JSON ------------------------------------------------------------------------------


def _note(data: dict[str, Any]) -> BoardNote:
    return BoardNote(
        id=int(data["id"]),
        step_index=int(data["step_index"]),
        kind=str(data["kind"]),
        author=None if data["author"] is None else str(data["author"]),
        text=str(data["text"]),
        created_at=_parse_time(data["created_at"]),
        edited_at=_parse_time(data["edited_at"]),
        source=str(data["source"]),
        attachments=tuple(str(a) for a in data["attachments"]),
        theme_id=None if data["theme_id"] is None else int(data["theme_id"]),
        comments=tuple(
            BoardComment(
                id=int(c["id"]),
                author=None if c["author"] is None else str(c["author"]),
                text=str(c["text"]),
                created_at=_parse_time(c["created_at"]),
                edited_at=_parse_time(c["edited_at"]),
            )
            for c in data["comments"]
        ),
        votes=tuple(
            NoteVotes(int(v["round_id"]), int(v["votes"]), int(v["voters"])) for v in data["votes"]
        ),
        takers=tuple(str(t) for t in data["takers"]),
    )


def _round(data: dict[str, Any]) -> BoardRound:
    return BoardRound(
        id=int(data["id"]),
        number=int(data["number"]),
        step_index=int(data["step_index"]),
        target=str(data["target"]),
        budget=int(data["budget"]),
        per_note_cap=int(data["per_note_cap"]),
        status=str(data["status"]),
        opened_at=_required_time(data["opened_at"]),
        closed_at=_parse_time(data["closed_at"]),
        options=int(data["options"]),
        voters=int(data["voters"]),
        results=tuple(
            RoundResult(int(r["note_id"]), int(r["place"]), int(r["votes"]), int(r["voters"]))
            for r in data["results"]
        ),
    )


def _step(data: dict[str, Any]) -> BoardStep:
    return BoardStep(
        index=int(data["index"]),
        kind=str(data["kind"]),
        name=str(data["name"]),
        prompt=str(data["prompt"]),
        duration_seconds=float(data["duration_seconds"]),
        # Absent from exports made before anonymity: a plain step.
        names_shown=bool(data.get("names_shown", True)),
        people=None if data.get("people") is None else int(data["people"]),
        withheld=int(data.get("withheld", 0)),
        rounds=tuple(_round(r) for r in data["rounds"]),
        themes=tuple(
            BoardTheme(
                id=int(t["id"]),
                name=str(t["name"]),
                keywords=tuple(str(k) for k in t["keywords"]),
                notes=tuple(_note(n) for n in t["notes"]),
            )
            for t in data["themes"]
        ),
        other=tuple(_note(n) for n in data["other_notes"]),
    )


def board_from_json(text: str) -> Board:
    """The board a JSON export describes (ValueError if it is not one)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise ValueError("not a cocreate board export")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported board export version {data.get('version')!r}")
    part = data["part"]
    try:
        return Board(
            session_id=int(data["session_id"]),
            guild_id=int(data["guild_id"]),
            topic=str(data["topic"]),
            locale=str(data["locale"]),
            template=str(data["template"]),
            status=str(data["status"]),
            created_at=_required_time(data["created_at"]),
            ended_at=_parse_time(data["ended_at"]),
            exported_at=_required_time(data["exported_at"]),
            timezone=str(data["timezone"]),
            pseudonyms=bool(data["pseudonyms"]),
            chosen_question=data["chosen_question"],
            chosen_notes=tuple(int(i) for i in data["chosen_notes"]),
            steps=tuple(_step(s) for s in data["steps"]),
            part=None if part is None else ExportPart(int(part["number"]), int(part["total"])),
            anonymity=str(data.get("anonymity", "off")),
        )
    except (KeyError, TypeError) as error:
        raise ValueError(f"incomplete board export: {error}") from error
