"""Parse the durations facilitators type: ``90s``, ``10m``, ``10 min``, ``1h30``, ``1u30``, ``2d``.

Dutch and English unit words are both accepted. A trailing bare number after hours means
minutes (``1h30``, ``1u30``), after minutes it means seconds (``2m30``). A bare number on
its own means minutes, the unit people mean in a workshop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

MAX_DURATION = timedelta(days=14)

UNIT_SECONDS: dict[str, int] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds", "sec.", "seconde", "seconden"), 1),
    (("m", "min", "mins", "min.", "minute", "minutes", "minuut", "minuten"), 60),
    (("h", "hr", "hrs", "hour", "hours", "u", "uur", "uren"), 3600),
    (("d", "day", "days", "dag", "dagen"), 86400),
):
    for _name in _names:
        UNIT_SECONDS[_name] = _seconds

# The next smaller unit, for a trailing bare number ("1h30" -> 30 minutes).
_NEXT_SMALLER = {86400: 3600, 3600: 60, 60: 1}

_NUMBER = r"\d+(?:[.,]\d+)?"
_TOKEN = re.compile(rf"\s*({_NUMBER})\s*([a-z.]+)?", re.IGNORECASE)


class DurationProblem(StrEnum):
    """Why a duration was refused; the edge turns it into a sentence."""

    EMPTY = "empty"
    UNREADABLE = "unreadable"
    NOT_POSITIVE = "not_positive"
    TOO_LONG = "too_long"


class DurationError(ValueError):
    """A duration that cannot be used, with the reason and the offending text."""

    def __init__(self, problem: DurationProblem, text: str) -> None:
        super().__init__(f"{problem.value}: {text!r}")
        self.problem = problem
        self.text = text


@dataclass(frozen=True)
class DurationListError(ValueError):
    """A list of step durations with the wrong number of entries."""

    expected: int
    given: int


def parse_duration(text: str, *, maximum: timedelta = MAX_DURATION) -> timedelta:
    """Return the duration written in ``text`` or raise :class:`DurationError`."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise DurationError(DurationProblem.EMPTY, text)
    if cleaned.startswith("-"):
        raise DurationError(DurationProblem.NOT_POSITIVE, text)
    total = 0.0
    position = 0
    previous_unit: int | None = None
    while position < len(cleaned):
        match = _TOKEN.match(cleaned, position)
        if match is None or match.end() == position:
            raise DurationError(DurationProblem.UNREADABLE, text)
        number = float(match.group(1).replace(",", "."))
        unit_name = match.group(2)
        if unit_name is None:
            if previous_unit is None:
                unit = 60  # a lone number means minutes
            elif previous_unit in _NEXT_SMALLER:
                unit = _NEXT_SMALLER[previous_unit]
            else:
                raise DurationError(DurationProblem.UNREADABLE, text)
            if match.end() != len(cleaned.rstrip()):
                raise DurationError(DurationProblem.UNREADABLE, text)
        else:
            if unit_name not in UNIT_SECONDS:
                raise DurationError(DurationProblem.UNREADABLE, text)
            unit = UNIT_SECONDS[unit_name]
            if previous_unit is not None and unit >= previous_unit:
                raise DurationError(DurationProblem.UNREADABLE, text)
        total += number * unit
        previous_unit = unit
        position = match.end()
        while position < len(cleaned) and cleaned[position] == " ":
            position += 1
    if total <= 0:
        raise DurationError(DurationProblem.NOT_POSITIVE, text)
    if total > maximum.total_seconds():
        raise DurationError(DurationProblem.TOO_LONG, text)
    if round(total) <= 0:  # "0.4s" would round to nothing
        raise DurationError(DurationProblem.NOT_POSITIVE, text)
    return timedelta(seconds=round(total))


def parse_duration_list(text: str, defaults: list[timedelta]) -> list[timedelta]:
    """Parse ``"10m,10m,15m,15m"`` against a template's defaults.

    Entries are separated by ``,`` or ``;`` (so write a decimal as ``1.5h`` here); an
    empty entry keeps the default for that step. The count must match the template, so
    nobody sets every step to the first step's length by accident.
    """
    parts = [part.strip() for part in re.split(r"[;,]", text)]
    if len(parts) != len(defaults):
        raise DurationListError(expected=len(defaults), given=len(parts))
    return [
        default if not part else parse_duration(part)
        for part, default in zip(parts, defaults, strict=True)
    ]


# Words that switch reminders off, in either language.
NO_REMINDERS = frozenset({"0", "off", "uit", "geen", "none", "no", "nee"})


def parse_reminders(text: str) -> tuple[timedelta, ...]:
    """Reminder lead times such as ``"24h, 1h"`` (longest first); ``uit``/``off``: none."""
    if text.strip().lower() in NO_REMINDERS:
        return ()
    parts = [part for part in re.split(r"[;,]", text) if part.strip()]
    if not parts:
        raise DurationError(DurationProblem.EMPTY, text)
    return tuple(sorted((parse_duration(part) for part in parts), reverse=True))


def format_duration(span: timedelta) -> str:
    """The shortest text parse_duration reads back as ``span``: ``1h``, ``1d12h``, ``90s``."""
    seconds = round(span.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"
