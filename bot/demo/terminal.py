"""Show a Discord thread in a terminal: who said what, the bot's posts readable.

Discord's markup is turned into what a reader would see: **bold** in bold, timestamps
(``<t:…:R>``) as local clock times, channel and user mentions as names, an escaped
character (``\\*``) as itself. Colours only on a terminal, and never with ``NO_COLOR`` set.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_STAMP = re.compile(r"<t:(\d+)(?::([tTdDfFR]))?>")
_CHANNEL = re.compile(r"<#(\d+)>")
_USER = re.compile(r"<@!?(\d+)>")
# Bot posts quote what people wrote escaped and inside a bidi isolate (render.text.quote):
# Discord shows an escaped character as itself and the isolate marks not at all.
_ESCAPED = re.compile(r"\\([^0-9A-Za-z\s])")
_ISOLATE_MARKS = re.compile("[\u2066-\u2069]")
_KEPT = re.compile("\ue000(\\d+)\ue001")  # an escaped character, set aside meanwhile

# Colours per speaker (ANSI 256): the bot in teal, the facilitator in purple, then people.
_BOT = "38;5;37"
_FACILITATOR = "38;5;135"
_PEOPLE = ("38;5;166", "38;5;32", "38;5;142", "38;5;168", "38;5;72", "38;5;101")
_DIM = "2"


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal, unless NO_COLOR says otherwise."""
    return stream.isatty() and "NO_COLOR" not in os.environ


class ThreadPrinter:
    """Prints messages as they come, with a name column and wrapped, marked-up text."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        colour: bool | None = None,
        zone: str = "Europe/Amsterdam",
        names: Mapping[int, str] | None = None,
        channels: Mapping[int, str] | None = None,
        relative: Callable[[datetime], str] | None = None,
    ) -> None:
        self._out = out or sys.stdout
        self._colour = wants_colour(self._out) if colour is None else colour
        self._zone = ZoneInfo(zone)
        self.names: dict[int, str] = dict(names or {})
        self.channels: dict[int, str] = dict(channels or {})
        self._palette: dict[str, str] = {}
        # "in 10 min" for Discord's relative timestamps (the demo's clock knows "now").
        self._relative = relative

    def _paint(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self._colour else text

    def _markup(self, text: str) -> str:
        def stamp(match: re.Match[str]) -> str:
            moment = datetime.fromtimestamp(int(match.group(1)), UTC).astimezone(self._zone)
            style = match.group(2) or "f"
            if style == "R" and self._relative is not None:
                return self._relative(moment)
            return moment.strftime("%H:%M" if style in "tTR" else "%d-%m-%Y %H:%M")

        escaped: list[str] = []

        def set_aside(match: re.Match[str]) -> str:
            escaped.append(match.group(1))
            return f"\ue000{len(escaped) - 1}\ue001"

        # Escaped characters are set aside first so they read as no markup below.
        text = _ESCAPED.sub(set_aside, _ISOLATE_MARKS.sub("", text))
        text = _STAMP.sub(stamp, text)
        text = _CHANNEL.sub(lambda m: "#" + self.channels.get(int(m.group(1)), "thread"), text)
        text = _USER.sub(lambda m: "@" + self.names.get(int(m.group(1)), "iemand"), text)
        bold = (lambda m: self._paint("1", m.group(1))) if self._colour else (lambda m: m.group(1))
        text = _BOLD.sub(bold, text)
        text = _ITALIC.sub(lambda m: m.group(1), text)
        return _KEPT.sub(lambda m: escaped[int(m.group(1))], text)

    def _colour_of(self, who: str, role: str) -> str:
        if role == "bot":
            return _BOT
        if role == "facilitator":
            return _FACILITATOR
        if who not in self._palette:
            self._palette[who] = _PEOPLE[len(self._palette) % len(_PEOPLE)]
        return self._palette[who]

    def message(self, who: str, text: str, *, role: str = "person", note: str = "") -> None:
        """One message: ``who`` in a coloured column, the text indented under it."""
        label = self._paint(self._colour_of(who, role) + ";1", who)
        extra = f" {self._paint(_DIM, note)}" if note else ""
        lines = self._markup(text).splitlines() or [""]
        print(f"{label}{extra}", file=self._out)
        for line in lines:
            print(f"  {line}" if line.strip() else "", file=self._out)
        self._out.flush()

    def aside(self, text: str) -> None:
        """A quiet line: a reaction, a private answer, the clock moving on."""
        print(self._paint(_DIM, f"  {self._markup(text)}"), file=self._out)
        self._out.flush()

    def heading(self, text: str) -> None:
        """A rule with a title, between the parts of the demo."""
        rule = "─" * max(4, 60 - len(text))
        print("\n" + self._paint("1", f"── {text} {rule}"), file=self._out)
        self._out.flush()
