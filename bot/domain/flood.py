"""How fast one person may add notes to a step: a sliding window per person. Pure.

A member pasting fifty lines in ten seconds would drown a workshop's board (and the
bot's acknowledgements). Past the limit a note is refused with a friendly notice; every
note taken before stays.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

DEFAULT_NOTES_PER_MINUTE = 20


class FloodGuard:
    """At most ``limit`` notes per ``window`` for each (session, step, person)."""

    def __init__(self, limit: int, window: timedelta = timedelta(minutes=1)) -> None:
        self._limit = limit
        self._window = window
        self._seen: dict[tuple[int, int, int], deque[datetime]] = {}

    def allow(self, session_id: int, step_index: int, author_id: int, now: datetime) -> bool:
        """Count a note now if it fits; False (and nothing counted) when over the limit.

        A limit of 0 or less switches the guard off.
        """
        if self._limit <= 0:
            return True
        key = (session_id, step_index, author_id)
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] >= self._window:
            times.popleft()
        if len(times) >= self._limit:
            return False
        times.append(now)
        return True

    def forget_session(self, session_id: int) -> None:
        """Drop the counts of a session (it ended), so memory does not grow."""
        for key in [key for key in self._seen if key[0] == session_id]:
            del self._seen[key]
