"""Between workshop days: end-of-day recaps, morning digests and participation nudges.

Everything runs from the database. A recap is claimed (one row per session, kind and
local day) before it is posted and ticked off after, so a restart at 16:59 still recaps
at 17:00, a restart at 17:01 catches up, and nothing is posted twice for the same day.
A nudge is claimed per person per step the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.domain.private_writing import without_names
from bot.domain.recap import (
    DailyRecap,
    RecapKind,
    build_recap,
    latest_moment,
    local_day,
    next_moment,
    window_start,
)
from bot.domain.session import Anonymity, Session
from bot.domain.summary import (
    RankedNote,
    StepSummary,
    ThemeGroup,
    ranked_notes,
    theme_groups,
)
from bot.domain.voting import RoundStatus, rank
from bot.ports import Announcer, Clock, Store, Timers
from bot.storage.between_days_repo import Contributor, OwedRecap

log = logging.getLogger(__name__)

# How many of a closed round's top notes a recap names.
TOP_VOTES = 3


class BetweenDaysStore(Store, Protocol):
    """What recaps and nudges need beyond the core store."""

    async def contributors(self, session_id: int) -> list[Contributor]: ...

    async def comments_between(self, session_id: int, since: datetime, until: datetime) -> int: ...

    async def claim_recap(
        self, session_id: int, kind: str, day: str, since: datetime, until: datetime, at: datetime
    ) -> bool: ...

    async def recap_posted(self, session_id: int, kind: str, day: str, at: datetime) -> None: ...

    async def owed_recaps(self) -> list[OwedRecap]: ...

    async def last_recap_end(self, session_id: int, kind: str) -> datetime | None: ...

    async def claim_nudge(
        self, session_id: int, step_index: int, user_id: int, at: datetime
    ) -> bool: ...

    async def quiet_participants(self, session_id: int, step_index: int) -> list[int]: ...

    async def set_nudges_for_user(self, user_id: int, wanted: bool, at: datetime) -> None: ...


@dataclass(frozen=True)
class RecapSettings:
    """When and where recaps go (server-local times)."""

    zone: str = "Europe/Amsterdam"
    at: time = time(17, 0)
    channel_id: int | None = None
    digest: bool = False
    digest_at: time = time(9, 0)
    # A recap missed because the bot was down is still posted this long after its time.
    grace: timedelta = timedelta(hours=6)


class BetweenDays:
    """Daily recaps and digests for async sessions, and nudges at half-time."""

    def __init__(
        self,
        *,
        store: BetweenDaysStore,
        announcer: Announcer,
        timers: Timers,
        clock: Clock,
        settings: RecapSettings,
        board: Callable[[Session], Awaitable[StepSummary]],
        plan_for: Callable[[int], Awaitable[RecapSettings]] | None = None,
    ) -> None:
        """``settings``: the deployment's recap settings; ``plan_for(guild_id)``: a
        server's own (its recap time, timezone and channel), when servers set them;
        ``board(session)``: the current step's board as the thread may see it, for the
        recap's picture (``Facilitation.board_summary``)."""
        self._board = board
        self._store = store
        self._announcer = announcer
        self._timers = timers
        self._clock = clock
        self._settings = settings
        self._plan_for = plan_for

    # -- scheduling ------------------------------------------------------------------------

    async def _plan(self, guild_id: int) -> RecapSettings:
        """Where and when a server's recaps go (its own settings, else the deployment's)."""
        return self._settings if self._plan_for is None else await self._plan_for(guild_id)

    @staticmethod
    def _times(plan: RecapSettings) -> dict[RecapKind, time]:
        times = {RecapKind.RECAP: plan.at}
        if plan.digest:
            times[RecapKind.DIGEST] = plan.digest_at
        return times

    async def _guilds(self) -> list[int]:
        return sorted({session.guild_id for session in await self._store.active_sessions()})

    async def arm(self) -> None:
        """Schedule the next recap (and digest) of every server with active sessions."""
        for guild_id in await self._guilds():
            await self.arm_guild(guild_id)

    async def arm_guild(self, guild_id: int, after: datetime | None = None) -> None:
        """Schedule a server's next recap (and digest) moment after ``after`` (now); also
        after the server changed its recap time or timezone."""
        plan = await self._plan(guild_id)
        zone = ZoneInfo(plan.zone)
        start = after or self._clock.now()
        for kind, at in self._times(plan).items():
            self._arm(guild_id, kind, next_moment(start, at, zone), zone)

    def _arm(self, guild_id: int, kind: RecapKind, moment: datetime, zone: ZoneInfo) -> None:
        async def due() -> None:
            try:
                await self.run(kind, moment, guild_id)
            finally:
                await self.arm_guild(guild_id, after=moment)

        # One job id per server and day: re-arming under the running job's own id would be
        # skipped by the scheduler ("maximum number of running instances") when the next
        # day is due at once (a clock that jumps, a machine that slept).
        day = local_day(moment, zone)
        self._timers.arm_call(f"daily:{kind.value}:{guild_id}:{day}", moment, due)

    async def catch_up(self) -> int:
        """At start-up: post recaps claimed but not confirmed, and a recap whose moment
        passed while the bot was down (within the grace period); how many were posted."""
        posted = 0
        for owed in await self._store.owed_recaps():
            session = await self._store.get_session(owed.session_id)
            if session is not None:
                recap = await self._recap(session, RecapKind(owed.kind), owed.since, owed.until)
                channel = (await self._plan(session.guild_id)).channel_id
                posted += await self._post(session, recap, owed.day, channel)
        now = self._clock.now()
        for guild_id in await self._guilds():
            plan = await self._plan(guild_id)
            for kind, at in self._times(plan).items():
                moment = latest_moment(now, at, ZoneInfo(plan.zone))
                if now - moment <= plan.grace:
                    posted += await self.run(kind, moment, guild_id)
        return posted

    # -- recaps ----------------------------------------------------------------------------

    async def run(self, kind: RecapKind, moment: datetime, guild_id: int | None = None) -> int:
        """Recap every async session (of one server) with activity in its window, if
        ``moment`` is still that server's recap time; how many were posted."""
        posted = 0
        for session in await self._store.active_sessions():
            if guild_id is not None and session.guild_id != guild_id:
                continue
            if not session.step_is_async or session.created_at >= moment:
                continue
            plan = await self._plan(session.guild_id)
            zone = ZoneInfo(plan.zone)
            at = self._times(plan).get(kind)
            if at is None or latest_moment(moment, at, zone) != moment:
                continue  # the server changed its recap time since this was scheduled
            try:
                posted += await self._recap_session(
                    session, kind, moment, local_day(moment, zone), plan
                )
            except Exception:
                log.exception("%s for session %s failed", kind.value, session.id)
        return posted

    async def _recap_session(
        self, session: Session, kind: RecapKind, moment: datetime, day: str, plan: RecapSettings
    ) -> int:
        previous = await self._store.last_recap_end(session.id, kind.value)
        if kind is RecapKind.DIGEST:
            # The morning digest is for who was away since the evening recap.
            evening = await self._store.last_recap_end(session.id, RecapKind.RECAP.value)
            if evening is not None and (previous is None or evening > previous):
                previous = evening
        since = window_start(moment, previous, session.created_at, ZoneInfo(plan.zone))
        recap = await self._recap(session, kind, since, moment)
        if recap.quiet:
            return 0
        now = self._clock.now()
        if not await self._store.claim_recap(session.id, kind.value, day, since, moment, now):
            return 0  # posted before (a restart, or a second timer)
        return await self._post(session, recap, day, plan.channel_id)

    async def _post(
        self, session: Session, recap: DailyRecap, day: str, channel_id: int | None
    ) -> int:
        # Never a picture of notes still being written privately.
        changed = recap.board_changed and not session.hidden(session.step_index)
        board = await self._board(session) if changed else None
        await self._announcer.daily_recap(session, recap, board, channel_id)
        await self._store.recap_posted(session.id, recap.kind.value, day, self._clock.now())
        log.info("%s posted for session %s (%s)", recap.kind.value, session.id, day)
        return 1

    async def _recap(
        self, session: Session, kind: RecapKind, since: datetime, until: datetime
    ) -> DailyRecap:
        store = self._store
        index = session.step_index
        hidden = index if session.hidden(index) else None
        nameless = frozenset(i for i in range(len(session.steps)) if not session.shows_names(i))
        everything = await store.notes(session.id)
        themes: tuple[ThemeGroup, ...] = ()
        if hidden is None:
            # Theme names come from the notes' words: none while they are still private.
            step_notes = [note for note in everything if note.step_index == index]
            themes = theme_groups(await store.themes(session.id, index), step_notes)
        votes: tuple[RankedNote, ...] = ()
        voters = 0
        for vote in await store.rounds_of(session.id):
            if vote.status is RoundStatus.OPEN:
                voters = await store.voter_count(vote.id)  # results stay hidden until closing
            elif (
                vote.closed_at is not None
                and since <= vote.closed_at < until
                and vote.step_index != hidden
            ):
                in_step = [note for note in everything if note.step_index == vote.step_index]
                if vote.step_index in nameless:
                    in_step = [without_names(note) for note in in_step]
                ranking = ranked_notes(
                    rank(vote.options, await store.round_votes(vote.id)), in_step
                )
                votes = tuple(item for item in ranking if item.votes > 0)[:TOP_VOTES]
        contributors = await store.contributors(session.id)
        return build_recap(
            kind=kind,
            since=since,
            until=until,
            step_index=index,
            step_kinds=[step.kind for step in session.steps],
            notes=everything,
            comments=await store.comments_between(session.id, since, until),
            first_contributions=[(c.name, c.first_at) for c in contributors],
            themes=themes,
            votes=votes,
            voters=voters,
            due_at=session.due_at,
            hidden_step=hidden,
            nameless_steps=nameless,
            session_id=session.id,
            reveal_salt=session.reveal_salt,
            name_newcomers=session.anonymity is Anonymity.OFF,
        )

    # -- nudges ----------------------------------------------------------------------------

    async def nudge_due(self, session_id: int, step_index: int) -> int:
        """Half-time of an async step: one private nudge for each participant who has not
        written in it yet (once per step, never to people who opted out); how many."""
        session = await self._store.get_session(session_id)
        if session is None or session.step_index != step_index or session.nudge_at() is None:
            return 0
        sent = 0
        for user_id in await self._store.quiet_participants(session.id, step_index):
            # Claimed first: a DM that fails is not retried, so nobody gets two.
            now = self._clock.now()
            if await self._store.claim_nudge(
                session.id, step_index, user_id, now
            ) and await self._announcer.nudge(session, user_id):
                sent += 1
        return sent

    async def set_nudges_for_user(self, user_id: int, wanted: bool) -> None:
        """``/session nudges``: a person opts out of nudges for good, or back in."""
        await self._store.set_nudges_for_user(user_id, wanted, self._clock.now())
