"""Reading the bot's SQLite file every so often while a child bot runs (the timers and
crash benchmarks watch its sessions table this way)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3


class Poller:
    """Calls :meth:`poll_once` every ``every`` seconds between :meth:`start` and
    :meth:`stop` (once more at the stop, so the last state is read)."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def poll_once(self) -> None:
        """Read the file once (subclasses)."""
        raise NotImplementedError

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(sqlite3.Error):  # a write in progress; next time
                await self.poll_once()
            await asyncio.sleep(self.every)

    def start(self) -> None:
        """Begin polling in the background."""
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop polling, after one last read."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.poll_once()
