"""Every REST call the client made, in order, with an event-driven way to wait for one."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RecordedCall:
    """One REST request the sandbox received and what it answered.

    ``path`` is relative to ``/api/v10`` and percent-decoded; ``route`` is the matched
    template (``/channels/{channel_id}/messages``) or, for routes the sandbox does not
    know, the path itself with ``known`` False. ``json`` is the parsed JSON body, or the
    ``payload_json`` part of a multipart body; ``files`` the uploaded files.
    """

    method: str
    path: str
    route: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]
    status: int
    at: float
    """``time.monotonic()`` when the request body had been read."""
    params: dict[str, str] = field(default_factory=dict)
    """Values of the route template's placeholders, e.g. ``{"channel_id": "123"}``."""
    response: Any = None
    """The JSON the sandbox answered with (None for 204)."""
    known: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    """The response headers (``X-RateLimit-*``, ``Retry-After``, ``Content-Type``...)."""


CallPredicate = Callable[[RecordedCall], bool]


class CallRecorder:
    """Keeps :class:`RecordedCall` objects and wakes waiters when a new one arrives."""

    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self._changed: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        # Created lazily so the recorder can be built outside a running loop.
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def record(self, call: RecordedCall) -> None:
        """Append ``call`` and wake everyone waiting in :meth:`wait_for`."""
        self.calls.append(call)
        cond = self._condition()
        async with cond:
            cond.notify_all()

    def find(self, predicate: CallPredicate, *, since: int = 0) -> RecordedCall | None:
        """The first recorded call at index ``>= since`` matching ``predicate``."""
        for call in self.calls[since:]:
            if predicate(call):
                return call
        return None

    async def wait_for(
        self, predicate: CallPredicate, *, timeout: float = 5.0, since: int = 0
    ) -> RecordedCall:
        """Wait for (or find) the first call at index ``>= since`` matching ``predicate``.

        Raises :class:`TimeoutError` listing the calls seen, to make failures readable.
        """
        cond = self._condition()
        checked = since

        def scan() -> RecordedCall | None:
            nonlocal checked
            for call in self.calls[checked:]:
                checked += 1
                if predicate(call):
                    return call
            return None

        try:
            async with asyncio.timeout(timeout):
                async with cond:
                    while (found := scan()) is None:
                        await cond.wait()
                    return found
        except TimeoutError:
            seen = ", ".join(f"{c.method} {c.route} -> {c.status}" for c in self.calls[since:])
            raise TimeoutError(
                f"no matching REST call within {timeout}s; calls since #{since}: [{seen}]"
            ) from None
