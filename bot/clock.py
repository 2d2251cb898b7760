"""The real clock; tests pass a fake one with the same ``now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class SystemClock:
    """UTC wall-clock time."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class ShiftedClock:
    """Wall-clock time plus an offset that only grows: time flows as usual and can be
    jumped forward (the demo skips to each deadline instead of waiting for it)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The current time plus the jumps so far, timezone-aware, in UTC."""
        return datetime.now(UTC) + self._offset

    def jump(self, delta: timedelta) -> None:
        """Move forward by ``delta`` (never back)."""
        if delta < timedelta(0):
            raise ValueError("a clock does not go backwards")
        self._offset += delta
