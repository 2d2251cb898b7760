"""Parse step times for async sessions: a duration (``2d``) or a deadline (``vrijdag 17:00``).

Durations go through :func:`~bot.domain.durations.parse_duration` unchanged. Anything else
is read as a local moment in the session's time zone, in Dutch or English:

* a day: ``vandaag``/``today``, ``morgen``/``tomorrow``, ``overmorgen``, a weekday
  (``vrijdag``, ``vr``, ``friday``, ``fri``), ``volgende week vrijdag``/``next friday``
  (that weekday in the next calendar week, Monday to Sunday), or a date: ``3 december``,
  ``3 dec``, ``Dec 3``, ``3-12``, ``3/12`` (day first), ``2026-12-03``, each with an
  optional year (and an optional weekday in front, which must match);
* a time of day: ``17:00``, ``17.30``, ``17u``, ``17u30``, ``17 uur``, ``5pm``, ``9:30 am``,
  optionally after ``om``/``at``.

Either part may be left out: without a time the day's ``default_time`` is used, without a
day the time is today's if still ahead, otherwise tomorrow's. A weekday or a date without a
year means the next one still ahead. A bare number or a lone ``17u`` stays a duration
(minutes, hours), exactly as :func:`parse_duration` reads it.

dateparser was evaluated and rejected: it misreads ``vrijdag 17u`` (the 17th of the month),
``vrijdag 17u30`` (2030), ``morgen om 9 uur`` (23:00), does not know ``volgende week
vrijdag``, turns ``5`` or ``a`` into dates in the past, and silently shifts wall times in
the spring-forward gap and picks the second of two repeated autumn hours.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# The unit words are durations.py's own table, so "looks like a duration" never drifts from
# what parse_duration reads.
from bot.domain.durations import UNIT_SECONDS as DURATION_UNITS
from bot.domain.durations import DurationError, DurationListError, DurationProblem, parse_duration

MAX_AHEAD = timedelta(days=60)

_WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    (
        ("maandag", "ma", "monday", "mon"),
        ("dinsdag", "di", "tuesday", "tue", "tues"),
        ("woensdag", "wo", "wednesday", "wed"),
        ("donderdag", "do", "thursday", "thu", "thur", "thurs"),
        ("vrijdag", "vr", "vrij", "friday", "fri"),
        ("zaterdag", "za", "zat", "saturday", "sat"),
        ("zondag", "zo", "zon", "sunday", "sun"),
    )
):
    for _name in _names:
        _WEEKDAYS[_name] = _index

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        ("januari", "january", "jan"),
        ("februari", "february", "feb"),
        ("maart", "march", "mrt", "mar"),
        ("april", "apr"),
        ("mei", "may"),
        ("juni", "june", "jun"),
        ("juli", "july", "jul"),
        ("augustus", "august", "aug"),
        ("september", "sep", "sept"),
        ("oktober", "october", "okt", "oct"),
        ("november", "nov"),
        ("december", "dec"),
    ),
    start=1,
):
    for _name in _names:
        _MONTHS[_name] = _number

RELATIVE_DAYS: dict[str, int] = {
    "vandaag": 0,
    "today": 0,
    "morgen": 1,
    "tomorrow": 1,
    "overmorgen": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
}
# Every word the grammar gives a meaning of its own (for tests and help texts).
WEEKDAY_WORDS = frozenset(_WEEKDAYS)
MONTH_WORDS = frozenset(_MONTHS)

_NEXT_WEEK = {"volgende week", "next week", "volgende", "next"}
_THIS_WEEK = {"deze", "this", "komende", "aanstaande", "coming"}


def _alternatives(words: Iterable[str]) -> str:
    # Longest first, so "vrijdag" is not read as "vr" plus leftovers.
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WD = rf"(?P<wd>{_alternatives(_WEEKDAYS)})\.?"
_WD_PREFIX = rf"(?:{_WD}\s+)?"
_MON = rf"(?P<mon>{_alternatives(_MONTHS)})\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th|ste|de|e)?"
_YEAR = r"(?P<y>\d{4})"

_RELATIVE = re.compile(rf"(?P<rel>{_alternatives(RELATIVE_DAYS)})", re.ASCII)
_WEEKDAY = re.compile(
    rf"(?:(?P<mod>{_alternatives(_NEXT_WEEK | _THIS_WEEK)})\s+)?{_WD}"
    rf"(?:\s+(?P<after>{_alternatives({'volgende week', 'next week'})}))?",
    re.ASCII,
)
_DATES = tuple(
    re.compile(_WD_PREFIX + pattern, re.ASCII)
    for pattern in (
        rf"{_YEAR}-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})",  # 2026-12-03
        rf"(?P<d>\d{{1,2}})(?P<sep>[-/])(?P<m>\d{{1,2}})(?:(?P=sep){_YEAR})?",  # 3-12, 3/12/2026
        rf"{_DAY}\s+{_MON}(?:\s+{_YEAR})?",  # 3 december, 3 dec 2026
        rf"{_MON}\s+{_DAY}(?:\s+{_YEAR})?",  # Dec 3, december 3 2026
    )
)
_CLOCK = re.compile(
    r"(?P<h>\d{1,2})"
    r"(?:[:.](?P<m>\d{2})|\s*(?P<unit>uur|u|h)(?:\s*(?P<m2>\d{2}))?)?"
    r"\s*(?P<ap>[ap]\.?m\.?)?",
    re.ASCII,
)
# Words allowed before the day ("op vrijdag") and before the time ("om 17:00").
_BEFORE_DAY = {"op", "on"}
_BEFORE_TIME = {"om", "at", "@"}


class DeadlineProblem(StrEnum):
    """Why a step time was refused; the edge turns it into a sentence."""

    EMPTY = "empty"
    UNREADABLE = "unreadable"
    IN_PAST = "in_past"
    TOO_FAR = "too_far"
    NOT_IN_ORDER = "not_in_order"
    NONEXISTENT = "nonexistent"  # a wall time skipped when the clocks go forward
    NO_SUCH_DATE = "no_such_date"  # 31 februari, 3/13
    WEEKDAY_MISMATCH = "weekday_mismatch"  # "vrijdag 3 december" when the 3rd is a Thursday


class DeadlineError(ValueError):
    """A deadline that cannot be used, with the reason, the typed text and (if read) the moment."""

    def __init__(self, problem: DeadlineProblem, text: str, moment: datetime | None = None) -> None:
        super().__init__(f"{problem.value}: {text!r}")
        self.problem = problem
        self.text = text
        self.moment = moment


@dataclass(frozen=True)
class StepTime:
    """A step's length as typed: a duration, or a deadline (aware, UTC)."""

    duration: timedelta | None = None
    deadline: datetime | None = None


def parse_step_time(
    text: str, *, now: datetime, zone: ZoneInfo, default_time: time = time(17, 0)
) -> StepTime:
    """Read a duration or a deadline typed by a facilitator.

    Raises :class:`DurationError` for text that reads as a duration but cannot be used
    (``0m``, ``15 dagen``, ``1h2h``) and :class:`DeadlineError` otherwise.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    try:
        return StepTime(duration=parse_duration(text))
    except DurationError as error:
        if error.problem is DurationProblem.EMPTY:
            raise DeadlineError(DeadlineProblem.EMPTY, text) from None
        if error.problem is not DurationProblem.UNREADABLE:
            raise
        duration_error = error
    cleaned = " ".join(text.lower().split())
    deadline = _Reader(text, now, zone, default_time.replace(tzinfo=None)).read(cleaned)
    if deadline is None:
        if _looks_like_duration(cleaned):
            raise duration_error
        raise DeadlineError(DeadlineProblem.UNREADABLE, text)
    return StepTime(deadline=deadline)


def parse_step_times(
    text: str,
    *,
    now: datetime,
    zone: ZoneInfo,
    defaults: list[timedelta],
    default_time: time = time(17, 0),
) -> list[StepTime]:
    """Parse ``"2d, vrijdag 17:00, , 3 dec"`` against a template's default durations.

    Entries are separated by ``,`` or ``;`` as in :func:`parse_duration_list`; an empty
    entry keeps that step's default duration, and the count must match the template
    (:class:`DurationListError`). Deadlines must come later step by step.
    """
    parts = [part.strip() for part in re.split(r"[;,]", text)]
    if len(parts) != len(defaults):
        raise DurationListError(expected=len(defaults), given=len(parts))
    times: list[StepTime] = []
    latest: datetime | None = None
    for part, default in zip(parts, defaults, strict=True):
        if not part:
            times.append(StepTime(duration=default))
            continue
        step = parse_step_time(part, now=now, zone=zone, default_time=default_time)
        if step.deadline is not None:
            if latest is not None and step.deadline <= latest:
                raise DeadlineError(DeadlineProblem.NOT_IN_ORDER, part, step.deadline)
            latest = step.deadline
        times.append(step)
    return times


def add_wall_clock(start: datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
    """When a step that starts at ``start`` and lasts ``duration`` ends, as aware UTC.

    Whole days are counted on the local calendar, so ``2d`` from Saturday 17:00 ends on
    Monday 17:00 even when the clocks change in between (47 or 49 real hours); anything
    else is exact elapsed time (``48h`` equals ``2d`` as a timedelta, so it counts as whole
    days too). An end in the spring-forward gap moves on by the gap
    (02:30 becomes 03:30); a repeated autumn hour means its first occurrence.
    """
    if start.utcoffset() is None:
        raise ValueError("start must be timezone-aware")
    if duration % timedelta(days=1):
        # In UTC: adding to a zoned datetime would count wall-clock time, not elapsed time.
        return start.astimezone(UTC) + duration
    local = start.astimezone(zone).replace(tzinfo=None) + duration
    return local.replace(tzinfo=zone).astimezone(UTC)


def _looks_like_duration(cleaned: str) -> bool:
    """Numbers and duration units only (``1h2h``, ``5 5``): parse_duration's error fits."""
    if not re.fullmatch(r"-?[0-9a-z.,\s]*[0-9][0-9a-z.,\s]*", cleaned, re.ASCII):
        return False
    return all(word in DURATION_UNITS for word in re.findall(r"[a-z][a-z.]*", cleaned))


def _localize(naive: datetime, zone: ZoneInfo) -> datetime | None:
    """The UTC moment of a local wall time, or None if the clocks skip it."""
    # fold=0 (the default) picks the first of two repeated autumn wall times.
    moment = naive.replace(tzinfo=zone).astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != naive:
        return None
    return moment


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class _Reader:
    """Reads one cleaned entry relative to ``now`` in ``zone``."""

    text: str
    now: datetime
    zone: ZoneInfo
    default_time: time

    @property
    def _local_now(self) -> datetime:
        return self.now.astimezone(self.zone).replace(tzinfo=None)

    def read(self, cleaned: str) -> datetime | None:
        """The deadline, None if unreadable; raises DeadlineError for a readable but bad one."""
        words = cleaned.split(" ") if cleaned else []
        if words and words[0] in _BEFORE_DAY:
            words = words[1:]
        for day_words, clock in self._splits(words):
            if not day_words and clock is None:
                continue
            found = self._day(" ".join(day_words), clock or self.default_time)
            if found is not None:
                return found
        return None

    def _splits(self, words: list[str]) -> Iterable[tuple[list[str], time | None]]:
        """(day words, time) for each way to cut a time off the end or the start."""
        yield words, None
        for size in (1, 2, 3):
            if size > len(words):
                break
            clock = _clock(" ".join(words[-size:]))
            if clock is not None:
                rest = words[:-size]
                if rest and rest[-1] in _BEFORE_TIME:
                    rest = rest[:-1]
                yield rest, clock
            clock = _clock(" ".join(words[:size]))
            if clock is not None and size < len(words):
                yield words[size:], clock

    def _day(self, phrase: str, clock: time) -> datetime | None:
        today = self._local_now.date()
        if not phrase:
            return self._first_ahead(
                datetime.combine(today + timedelta(days=n), clock) for n in (0, 1)
            )
        if match := _RELATIVE.fullmatch(phrase):
            day = today + timedelta(days=RELATIVE_DAYS[match["rel"]])
            return self._exactly(datetime.combine(day, clock))
        if match := _WEEKDAY.fullmatch(phrase):
            if match["mod"] and match["after"]:
                return None
            weekday = _WEEKDAYS[match["wd"]]
            if match["mod"] in _NEXT_WEEK or match["after"]:
                monday = today + timedelta(days=7 - today.weekday())
                return self._exactly(datetime.combine(monday + timedelta(days=weekday), clock))
            first = today + timedelta(days=(weekday - today.weekday()) % 7)
            return self._first_ahead(
                datetime.combine(first + timedelta(days=7 * n), clock) for n in (0, 1)
            )
        for pattern in _DATES:
            if match := pattern.fullmatch(phrase):
                return self._date(match, clock)
        return None

    def _date(self, match: re.Match[str], clock: time) -> datetime:
        groups = match.groupdict()
        month = _MONTHS[groups["mon"]] if groups.get("mon") else int(groups["m"])
        day = int(groups["d"])
        if groups.get("y"):
            found = _date(int(groups["y"]), month, day)
            if found is None:
                raise DeadlineError(DeadlineProblem.NO_SUCH_DATE, self.text)
            moment = self._exactly(datetime.combine(found, clock))
        else:
            # The next occurrence still ahead; 29 February may be years away.
            this_year = self._local_now.year
            found_days = (_date(year, month, day) for year in range(this_year, this_year + 9))
            days = [d for d in found_days if d is not None]
            if not days:
                raise DeadlineError(DeadlineProblem.NO_SUCH_DATE, self.text)
            moment = self._first_ahead(datetime.combine(d, clock) for d in days)
        if groups["wd"] and moment.astimezone(self.zone).weekday() != _WEEKDAYS[groups["wd"]]:
            raise DeadlineError(DeadlineProblem.WEEKDAY_MISMATCH, self.text, moment)
        return moment

    def _first_ahead(self, candidates: Iterable[datetime]) -> datetime:
        """The first local wall time that is still ahead, checked against MAX_AHEAD."""
        for naive in candidates:
            if naive > self._local_now + MAX_AHEAD + timedelta(days=2):
                raise DeadlineError(DeadlineProblem.TOO_FAR, self.text)
            moment = _localize(naive, self.zone)
            if moment is None:
                # Skipped by the clocks: an honest refusal if it was still to come.
                if naive > self._local_now:
                    raise DeadlineError(DeadlineProblem.NONEXISTENT, self.text)
                continue
            if moment > self.now:
                return self._near_enough(moment)
        # Callers always offer a candidate a week or a year on; this is only a safety net.
        raise DeadlineError(DeadlineProblem.IN_PAST, self.text)

    def _exactly(self, naive: datetime) -> datetime:
        """This local wall time, refused if skipped, past or too far."""
        # Compare wall times first: year 1 or 9999 cannot be converted to UTC safely.
        if naive < self._local_now - timedelta(days=2):
            raise DeadlineError(DeadlineProblem.IN_PAST, self.text)
        if naive > self._local_now + MAX_AHEAD + timedelta(days=2):
            raise DeadlineError(DeadlineProblem.TOO_FAR, self.text)
        moment = _localize(naive, self.zone)
        if moment is None:
            raise DeadlineError(DeadlineProblem.NONEXISTENT, self.text)
        if moment <= self.now:
            raise DeadlineError(DeadlineProblem.IN_PAST, self.text, moment)
        return self._near_enough(moment)

    def _near_enough(self, moment: datetime) -> datetime:
        if moment - self.now > MAX_AHEAD:
            raise DeadlineError(DeadlineProblem.TOO_FAR, self.text, moment)
        return moment


def _clock(phrase: str) -> time | None:
    """``17:00``, ``17.30``, ``17u``, ``17u30``, ``17 uur``, ``5pm``, ``9:30 a.m.``; else None."""
    match = _CLOCK.fullmatch(phrase)
    if match is None:
        return None
    if match["ap"] and match["unit"]:
        return None  # "5u pm"
    if not (match["m"] or match["unit"] or match["ap"]):
        return None  # a bare number is no time of day
    hour = int(match["h"])
    minute = int(match["m"] or match["m2"] or 0)
    if match["ap"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["ap"].startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)
