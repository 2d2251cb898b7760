"""What a server (a library) sets for itself; unset values fall back to the deployment's
config file. Pure: validation of each value lives here, the sentences at the edge.

One deployment serves many libraries' servers, and their admins never see the config
file; everything a server needs to differ in is one of these keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, fields, replace
from datetime import time
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.domain.durations import (
    DurationError,
    format_duration,
    parse_duration,
    parse_duration_list,
    parse_reminders,
)

LANGUAGES = ("nl", "en")
MIN_RETENTION_DAYS = 0  # 0: keep until the library removes the sessions itself
MAX_RETENTION_DAYS = 3650


class SettingKey(StrEnum):
    """The settings a server can change (the names admins type)."""

    LANGUAGE = "language"
    TIMEZONE = "timezone"
    FACILITATOR_ROLE = "facilitator_role"
    TEMPLATE = "template"
    DURATIONS = "durations"
    RECAP_TIME = "recap_time"
    RECAP_CHANNEL = "recap_channel"
    RETENTION_DAYS = "retention_days"
    NUDGES = "nudges"
    REMINDERS = "reminders"


class SettingProblem(StrEnum):
    """Why a value was refused; the edge turns it into a sentence."""

    UNKNOWN_LANGUAGE = "unknown_language"
    UNKNOWN_TIMEZONE = "unknown_timezone"
    UNKNOWN_TEMPLATE = "unknown_template"
    BAD_DURATIONS = "bad_durations"
    BAD_TIME = "bad_time"
    BAD_RETENTION = "bad_retention"
    BAD_SWITCH = "bad_switch"
    BAD_ID = "bad_id"
    BAD_REMINDERS = "bad_reminders"


class SettingError(ValueError):
    """A value a server may not use, with suggestions where there are close ones."""

    def __init__(
        self,
        key: SettingKey,
        problem: SettingProblem,
        value: str,
        suggestions: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{key.value}: {problem.value}: {value!r}")
        self.key = key
        self.problem = problem
        self.value = value
        self.suggestions = suggestions


@dataclass(frozen=True)
class ServerSettings:
    """A server's own values; None means "as the deployment's config says"."""

    language: str | None = None
    timezone: str | None = None
    facilitator_role: str | None = None  # a role id (as text) or a role name
    template: str | None = None
    durations: str | None = None  # step times for the default template, "15m,10m,…"
    recap_time: str | None = None  # "17:00"
    recap_channel: int | None = None
    retention_days: int | None = None
    nudges: bool | None = None
    reminders: str | None = None  # lead times for async steps, "24h,1h", or "uit"

    def with_value(self, key: SettingKey, value: object | None) -> ServerSettings:
        """A copy with one key set (None: back to the deployment's value)."""
        changes: dict[str, Any] = {key.value: value}
        return replace(self, **changes)

    def items(self) -> dict[SettingKey, object | None]:
        """Every key with its value (None where unset), in a stable order."""
        return {SettingKey(f.name): getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_stored(cls, stored: Mapping[str, str]) -> ServerSettings:
        """From the stored text values (unknown keys from newer versions are ignored)."""
        values: dict[str, object] = {}
        for key in SettingKey:
            if key.value in stored:
                values[key.value] = decode(key, stored[key.value])
        return cls(**values)  # type: ignore[arg-type]


def encode(key: SettingKey, value: object) -> str:
    """A validated value as stored text."""
    if key is SettingKey.NUDGES:
        return "1" if value else "0"
    return str(value)


def decode(key: SettingKey, text: str) -> object:
    """Stored text back to the value's type."""
    if key in (SettingKey.RECAP_CHANNEL, SettingKey.RETENTION_DAYS):
        return int(text)
    if key is SettingKey.NUDGES:
        return text == "1"
    return text


_SWITCH = {
    "on": True, "aan": True, "ja": True, "yes": True, "true": True, "1": True,
    "off": False, "uit": False, "nee": False, "no": False, "false": False, "0": False,
}  # fmt: skip


def close_timezones(text: str, limit: int = 3) -> tuple[str, ...]:
    """Known timezone names close to ``text`` ("amsterdam" -> Europe/Amsterdam)."""
    zones = sorted(available_timezones())
    by_city = {zone.rsplit("/", 1)[-1].casefold().replace("_", " "): zone for zone in zones}
    wanted = text.strip().casefold().replace("_", " ")
    if wanted in by_city:
        return (by_city[wanted],)
    close = difflib.get_close_matches(text.strip(), zones, n=limit, cutoff=0.6)
    cities = difflib.get_close_matches(wanted, list(by_city), n=limit, cutoff=0.7)
    found = list(dict.fromkeys([*close, *(by_city[c] for c in cities)]))
    return tuple(found[:limit])


def validate(key: SettingKey, text: str, *, templates: Collection[str] = ()) -> object:
    """The typed value for ``text``, or SettingError.

    ``templates``: the known template keys. Roles and channels are checked at the edge,
    where the server is known; durations against the template's step count there too.
    """
    value = text.strip()
    match key:
        case SettingKey.LANGUAGE:
            if value.casefold() not in LANGUAGES:
                raise SettingError(key, SettingProblem.UNKNOWN_LANGUAGE, value, LANGUAGES)
            return value.casefold()
        case SettingKey.TIMEZONE:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError, OSError):
                suggestions = close_timezones(value)
                raise SettingError(
                    key, SettingProblem.UNKNOWN_TIMEZONE, value, suggestions
                ) from None
            return value
        case SettingKey.TEMPLATE:
            known = sorted(templates)
            if value not in known:
                raise SettingError(key, SettingProblem.UNKNOWN_TEMPLATE, value, tuple(known))
            return value
        case SettingKey.DURATIONS:
            # Checked against the number of steps of the server's template at the edge;
            # here each entry must be a duration.
            try:
                for part in value.replace(";", ",").split(","):
                    if part.strip():
                        parse_duration(part)
            except DurationError:
                raise SettingError(key, SettingProblem.BAD_DURATIONS, value) from None
            return value
        case SettingKey.RECAP_TIME:
            try:
                parsed = time.fromisoformat(value.replace(".", ":"))
            except ValueError:
                raise SettingError(key, SettingProblem.BAD_TIME, value) from None
            return parsed.strftime("%H:%M")
        case SettingKey.RETENTION_DAYS:
            if not value.isdecimal() or not MIN_RETENTION_DAYS <= int(value) <= MAX_RETENTION_DAYS:
                raise SettingError(key, SettingProblem.BAD_RETENTION, value)
            return int(value)
        case SettingKey.NUDGES:
            if value.casefold() not in _SWITCH:
                raise SettingError(key, SettingProblem.BAD_SWITCH, value)
            return _SWITCH[value.casefold()]
        case SettingKey.RECAP_CHANNEL:
            digits = value.removeprefix("<#").removesuffix(">")
            if not digits.isdecimal():
                raise SettingError(key, SettingProblem.BAD_ID, value)
            return int(digits)
        case SettingKey.FACILITATOR_ROLE:
            return value.removeprefix("<@&").removesuffix(">")
        case SettingKey.REMINDERS:
            try:
                leads = parse_reminders(value)
            except DurationError:
                raise SettingError(key, SettingProblem.BAD_REMINDERS, value) from None
            return ",".join(format_duration(lead) for lead in leads) or "0"
    raise AssertionError(key)


def durations_fit(durations: str, step_count: int) -> bool:
    """Whether a durations list has one entry per step of a template."""
    try:
        parse_duration_list(durations, [parse_duration("1m")] * step_count)
    except (DurationError, ValueError):
        return False
    return True
