"""Sticky notes, comments on them, and how a thread message is read."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# A message starting with this is talk, not a note ("// wie schrijft er mee?").
ASIDE_PREFIX = "//"

# Longest note text accepted from /note and the modal (a message can be longer, up to
# Discord's own limit; it is stored whole).
NOTE_MAX_CHARS = 1000


class NoteSource(StrEnum):
    """How a note reached the board."""

    MESSAGE = "message"
    COMMAND = "command"
    BUTTON = "button"


class NoteKind(StrEnum):
    """What a note says: an observation or idea, a question to work on, or a point of view."""

    NOTE = "note"
    QUESTION = "question"
    POINT_OF_VIEW = "point_of_view"


# How people start a "How might we…?" question, in both languages and shorthand.
_QUESTION_START = re.compile(
    r"^(hoe\s+(kunnen|zouden)\s+(we|wij)|hkw|how\s+(might|could|can)\s+we|hmw)(?![a-z])",
    re.IGNORECASE,
)
# Numbering, bullets, quotes and emoji people put in front of a question.
_LEAD = re.compile(r"^[\W\d_]+", re.UNICODE)
# "[persoon] heeft behoefte aan [behoefte], omdat [inzicht]" / "[person] needs [need] because"
_POINT_OF_VIEW = re.compile(
    r"\b(heeft|hebben) behoefte aan\b.*\bomdat\b|\bneeds?\b.*\bbecause\b",
    re.IGNORECASE | re.DOTALL,
)


def detect_kind(text: str) -> NoteKind:
    """Recognise a "How might we…?" question or a point of view by how it is written."""
    start = _LEAD.sub("", _trim_invisible(text))
    if _QUESTION_START.match(start):
        return NoteKind.QUESTION
    if _POINT_OF_VIEW.search(text):
        return NoteKind.POINT_OF_VIEW
    return NoteKind.NOTE


class MessageKind(StrEnum):
    """What a human message in a session thread is."""

    NOTE = "note"
    COMMENT = "comment"
    ASIDE = "aside"
    EMPTY = "empty"


@dataclass(frozen=True)
class NoteDraft:
    """A note before the store gave it an id."""

    session_id: int
    step_index: int
    author_id: int
    author_name: str
    text: str
    source: NoteSource
    created_at: datetime
    attachments: tuple[str, ...] = ()
    message_id: int | None = None
    kind: NoteKind = NoteKind.NOTE
    # On a canvas step: the lane (None: unsorted) and the column (a phase, a persona).
    lane: str | None = None
    column: str | None = None


@dataclass(frozen=True)
class Note(NoteDraft):
    """A sticky note on a session's board."""

    id: int = 0
    edited_at: datetime | None = None


@dataclass(frozen=True)
class CommentDraft:
    """A reply to a note, kept with the note instead of becoming a note itself."""

    note_id: int
    author_id: int
    author_name: str
    text: str
    created_at: datetime
    message_id: int | None = None


@dataclass(frozen=True)
class Comment(CommentDraft):
    """A stored comment."""

    id: int = 0


def classify_message(text: str, has_attachments: bool, replies_to_note: bool) -> MessageKind:
    """Decide what a human message in a session thread becomes.

    - starts with ``//`` (after any invisible marks): an aside, not stored;
    - nothing visible (white space, zero-width or direction marks) and no attachments:
      ignored;
    - a reply to a note (or to a comment on one): a comment on that note;
    - anything else: a new note.
    """
    visible = _trim_invisible(text)
    if visible.startswith(ASIDE_PREFIX):
        return MessageKind.ASIDE
    if not visible and not has_attachments:
        return MessageKind.EMPTY
    if replies_to_note:
        return MessageKind.COMMENT
    return MessageKind.NOTE


def note_text(text: str) -> str:
    """The text as it goes on the board: trimmed, line endings normalised."""
    # "\r\r\n" must not leave a "\r\n" behind, and a lone "\r" ends a line too.
    return _LINE_END.sub("\n", text).strip()


# Characters that show nothing on their own: zero-width spaces and joiners, the word
# joiner and byte order mark, direction marks and embedding/override/isolate controls,
# the soft hyphen, the combining grapheme joiner, variation selectors and tag characters,
# and the fillers people use for "empty" names (Hangul fillers, the blank Braille cell).
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x2800, 0x2800),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xE0000, 0xE007F),
)
# White space as str.split() sees it, plus the invisible characters.
_BLANK = "".join(chr(c) for c in range(0x3001) if chr(c).isspace()) + "".join(
    chr(c) for low, high in _INVISIBLE_RANGES for c in range(low, high + 1)
)
_LINE_END = re.compile(r"\r\n?")


def _trim_invisible(text: str) -> str:
    return text.strip(_BLANK)


def is_blank(text: str) -> bool:
    """Whether ``text`` shows nothing: only white space and invisible characters (a
    message of zero-width spaces is as empty as one of spaces)."""
    return not _trim_invisible(text)
