"""Acknowledging notes without tripping Discord's rate limits.

A 📝 reaction tells a writer their note is stored. Reactions are a slow bucket (about 4 a
second per channel), so in a busy workshop (500 notes a minute) one reaction per note
would queue up and earn 429s. Each thread therefore gets a small token bucket: while it
has tokens, notes get their reaction at once; past it, notes are counted and a single
"📝 N notes stored" message per thread (posted once, then edited) acknowledges them all,
at most every few seconds. Cost: at most about one REST call per note, usually far fewer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import discord

from bot.i18n import Catalog
from bot.render.text import count
from bot.ui.replies import NO_PINGS

log = logging.getLogger(__name__)

REACTIONS_PER_SECOND = 3.0  # below Discord's ~4/s per channel
REACTION_BURST = 3.0
FLUSH_DELAY = 5.0  # seconds between tally updates in one thread
QUIET_AFTER = 30.0  # a burst is over after this long without overflow; next tally is new


@dataclass(frozen=True)
class AckPace:
    """How fast reactions may go out per thread, and how often the tally is updated."""

    reactions_per_second: float = REACTIONS_PER_SECOND
    burst: float = REACTION_BURST
    flush_delay: float = FLUSH_DELAY
    quiet_after: float = QUIET_AFTER


@dataclass
class _Thread:
    tokens: float
    refilled: float
    pending: int = 0
    writers: set[int] = field(default_factory=set)
    tally_id: int | None = None
    tally_total: int = 0
    last_overflow: float = float("-inf")
    flusher: asyncio.Task[None] | None = None
    locale: str = "nl"


class Acknowledger:
    """Reacts to notes while the reaction budget lasts; tallies the rest per thread."""

    def __init__(
        self,
        client: discord.Client,
        sentences: Catalog,
        pace: AckPace | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._catalog = sentences
        self._pace = pace or AckPace()
        self._clock = clock
        self._threads: dict[int, _Thread] = {}
        self.reactions = 0
        self.tallies = 0

    def _take_token(self, state: _Thread) -> bool:
        now = self._clock()
        pace = self._pace
        refill = (now - state.refilled) * pace.reactions_per_second
        state.tokens = min(pace.burst, state.tokens + refill)
        state.refilled = now
        if state.tokens >= 1:
            state.tokens -= 1
            return True
        return False

    async def note_stored(self, message: discord.Message, emoji: str, locale: str) -> None:
        """Acknowledge one stored note (never raises: the note is already safe)."""
        thread_id = message.channel.id
        state = self._threads.get(thread_id)
        if state is None:
            state = self._threads[thread_id] = _Thread(self._pace.burst, self._clock())
        state.locale = locale
        if self._take_token(state):
            self.reactions += 1
            try:
                await message.add_reaction(emoji)
            except discord.HTTPException:
                log.warning("could not acknowledge message %s", message.id)
            return
        now = self._clock()
        if now - state.last_overflow > self._pace.quiet_after:
            state.tally_id = None  # a new burst gets a new tally message
            state.tally_total = 0
            state.writers = set()
        state.last_overflow = now
        state.pending += 1
        state.writers.add(message.author.id)
        if state.flusher is None or state.flusher.done():
            state.flusher = asyncio.create_task(self._flush_later(thread_id))

    async def _flush_later(self, thread_id: int) -> None:
        await asyncio.sleep(self._pace.flush_delay)
        state = self._threads[thread_id]
        if not state.pending:
            return
        state.tally_total += state.pending
        state.pending = 0
        locale = state.locale
        content = self._catalog.t(
            locale,
            "replies.notes_stored",
            notes=count(self._catalog, locale, "note", state.tally_total),
            people=count(self._catalog, locale, "person", len(state.writers)),
        )
        channel = self._client.get_partial_messageable(thread_id)
        self.tallies += 1
        try:
            if state.tally_id is None:
                sent = await channel.send(content, allowed_mentions=NO_PINGS)
                state.tally_id = sent.id
            else:
                await channel.get_partial_message(state.tally_id).edit(
                    content=content, allowed_mentions=NO_PINGS
                )
        except discord.HTTPException:
            log.warning("could not post the note tally in %s", thread_id)
        if state.pending:
            state.flusher = asyncio.create_task(self._flush_later(thread_id))

    async def close(self) -> None:
        """Cancel pending tallies (the notes themselves are stored)."""
        for state in self._threads.values():
            if state.flusher is not None and not state.flusher.done():
                state.flusher.cancel()
