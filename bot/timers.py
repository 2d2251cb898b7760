"""Step deadlines and reminders on APScheduler 3's AsyncIOScheduler.

APScheduler is only an alarm clock: the deadlines live in SQLite and are re-armed at
start-up (see Facilitation.rearm). Job ids are ``session:{id}:step:{n}``,
``session:{id}:reminder:{n}`` and ``session:{id}:nudge:{n}``, so arming again replaces
instead of duplicating; ``arm_call`` jobs (daily recaps) carry their own ids.

Deadlines are given on the injected clock; the scheduler runs on the wall clock. The
difference between the two is translated when arming, so a fake clock in tests and the
real one in production go through exactly the same code.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.ports import Clock, DueHandler

log = logging.getLogger(__name__)

_Handler = Callable[..., Awaitable[None]]


async def _unbound(session_id: int, step_index: int) -> None:
    raise RuntimeError("timers fired before Facilitation bound its handlers")


class SchedulerTimers:
    """The Timers port on an AsyncIOScheduler that shares the bot's event loop."""

    def __init__(self, clock: Clock, scheduler: AsyncIOScheduler | None = None) -> None:
        self._clock = clock
        self._scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        self._on_step_due: DueHandler = _unbound
        self._on_reminder_due: DueHandler = _unbound
        self._on_nudge_due: DueHandler = _unbound
        # What is armed, in clock time, so a clock that jumps can be followed.
        self._armed: dict[str, tuple[datetime, _Handler, tuple[int, ...]]] = {}

    def bind(
        self,
        on_step_due: DueHandler,
        on_reminder_due: DueHandler,
        on_nudge_due: DueHandler | None = None,
    ) -> None:
        """Say what to call when a step, a reminder or a nudge is due."""
        self._on_step_due = on_step_due
        self._on_reminder_due = on_reminder_due
        if on_nudge_due is not None:
            self._on_nudge_due = on_nudge_due

    def start(self) -> None:
        """Start the scheduler; call from inside the running event loop (setup_hook)."""
        if not self._scheduler.running:
            self._scheduler.start()

    def shutdown(self) -> None:
        """Stop firing; pending deadlines stay in the database."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def _wall_time(self, at: datetime) -> datetime:
        return datetime.now(UTC) + (at - self._clock.now())

    def _add(self, job_id: str, at: datetime, handler: _Handler, *args: int) -> None:
        self._armed[job_id] = (at, handler, args)
        self._scheduler.add_job(
            self._fire,
            trigger="date",
            run_date=self._wall_time(at),
            args=(job_id, handler, *args),
            id=job_id,
            replace_existing=True,
            # Never drop a deadline because the loop was busy; run it late instead.
            misfire_grace_time=None,
            coalesce=True,
        )
        log.debug("armed %s at %s", job_id, at.isoformat())

    def arm_step(self, session_id: int, step_index: int, at: datetime) -> None:
        """Call the step handler at ``at`` (at once if that has passed)."""
        self._add(
            f"session:{session_id}:step:{step_index}",
            at,
            self._fire_step,
            session_id,
            step_index,
        )

    def arm_reminder(self, session_id: int, step_index: int, at: datetime) -> None:
        """Call the reminder handler at ``at``."""
        self._add(
            f"session:{session_id}:reminder:{step_index}",
            at,
            self._fire_reminder,
            session_id,
            step_index,
        )

    def arm_nudge(self, session_id: int, step_index: int, at: datetime) -> None:
        """Call the nudge handler at ``at``."""
        self._add(
            f"session:{session_id}:nudge:{step_index}",
            at,
            self._fire_nudge,
            session_id,
            step_index,
        )

    def arm_call(self, job_id: str, at: datetime, callback: Callable[[], Awaitable[None]]) -> None:
        """Call ``callback`` at ``at``; a job with the same id is replaced."""
        self._add(job_id, at, callback)

    def disarm(self, session_id: int) -> None:
        """Cancel every pending job of a session."""
        prefix = f"session:{session_id}:"
        for job_id in [job_id for job_id in self._armed if job_id.startswith(prefix)]:
            del self._armed[job_id]
        for job in self._scheduler.get_jobs():
            if job.id.startswith(prefix):
                job.remove()

    def clock_moved(self) -> None:
        """Re-translate every armed deadline after the injected clock jumped.

        The system clock never needs this; a fake clock in tests and the demo does, so
        that moving it forward fires what became due.
        """
        for job_id, (at, handler, args) in list(self._armed.items()):
            self._add(job_id, at, handler, *args)

    async def _fire(self, job_id: str, handler: _Handler, *args: int) -> None:
        self._armed.pop(job_id, None)
        await handler(*args)

    def pending(self) -> dict[str, datetime]:
        """Armed job ids with their deadlines on the injected clock."""
        return {job_id: at for job_id, (at, _, _) in self._armed.items()}

    # Indirection so that bind() after arming still reaches the right handler.
    async def _fire_step(self, session_id: int, step_index: int) -> None:
        await self._on_step_due(session_id, step_index)

    async def _fire_reminder(self, session_id: int, step_index: int) -> None:
        await self._on_reminder_due(session_id, step_index)

    async def _fire_nudge(self, session_id: int, step_index: int) -> None:
        await self._on_nudge_due(session_id, step_index)
