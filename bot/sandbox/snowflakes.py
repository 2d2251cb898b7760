"""Discord snowflakes derived from the clock, and the timestamps that go with them.

A snowflake is ``(ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment``.
The sandbox hands out real, time-ordered snowflakes so that ``created_at``, message
ordering and ``history(after=...)`` behave as against Discord.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

DISCORD_EPOCH_MS = 1_420_070_400_000
"""Milliseconds from the Unix epoch to Discord's epoch (2015-01-01T00:00:00Z)."""

_WORKER_ID = 1
_BACKDATED_WORKER_ID = 2  # keeps back-dated snowflakes from colliding with "now" ones
_PROCESS_ID = 0


def snowflake_time(snowflake: int) -> dt.datetime:
    """The UTC creation time encoded in ``snowflake``."""
    ms = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def time_snowflake(when: dt.datetime, *, high: bool = False) -> int:
    """The lowest (or, with ``high``, highest) snowflake for ``when`` (naive = UTC)."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) + (2**22 - 1 if high else 0)


def iso_timestamp(when: dt.datetime) -> str:
    """Discord's ISO 8601 timestamp format, e.g. ``2024-05-01T12:00:00.123000+00:00``."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def utcnow() -> dt.datetime:
    """The current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


class SnowflakeGenerator:
    """Hands out unique snowflakes; those made for "now" are strictly increasing.

    Snowflakes for an explicit (back-dated) time are unique too, thanks to the shared
    12-bit increment, but only ordered among themselves by their timestamp.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0
        self._increment = 0
        self._backdated_increment = 0

    def next(self) -> int:
        """A fresh snowflake for the current time, greater than every earlier one."""
        with self._lock:
            ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
            if ms <= self._last_ms:
                ms = self._last_ms
                self._increment += 1
                if self._increment >= 4096:
                    ms += 1
                    self._increment = 0
            else:
                self._increment = 0
            self._last_ms = ms
            return self._compose(ms, _WORKER_ID, self._increment)

    def at(self, when: dt.datetime) -> int:
        """A unique snowflake whose timestamp is ``when`` (for back-dated objects)."""
        with self._lock:
            self._backdated_increment = (self._backdated_increment + 1) % 4096
            ms = time_snowflake(when) >> 22
            return self._compose(ms, _BACKDATED_WORKER_ID, self._backdated_increment)

    @staticmethod
    def _compose(ms: int, worker: int, increment: int) -> int:
        return (ms << 22) | (worker << 17) | (_PROCESS_ID << 12) | increment
