"""The Announcer port on Discord: everything the bot posts in a session thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Literal

import discord

from bot.domain.session import Session
from bot.domain.summary import SessionSummary, StepSummary
from bot.i18n import Catalog
from bot.ports import ThreadRef
from bot.render import text
from bot.ui.replies import NO_PINGS

log = logging.getLogger(__name__)

# Long enough for a session that spans a weekend; posting unarchives anyway.
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080

ViewFactory = Callable[[str], discord.ui.View]


class DiscordAnnouncer:
    """Posts through the REST API only, so it works before the gateway is ready."""

    def __init__(
        self,
        client: discord.Client,
        sentences: Catalog,
        retention_days: int,
        add_note_view: ViewFactory,
    ) -> None:
        self._client = client
        self._catalog = sentences
        self._retention_days = retention_days
        self._add_note_view = add_note_view

    async def _post(self, thread_id: int, parts: list[str], *, button_locale: str | None) -> None:
        channel = self._client.get_partial_messageable(thread_id)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            if last and button_locale is not None:
                view = self._add_note_view(button_locale)
                await channel.send(part, allowed_mentions=NO_PINGS, view=view)
            else:
                await channel.send(part, allowed_mentions=NO_PINGS)

    async def open_thread(
        self, channel_id: int, topic: str, locale: str, facilitator_id: int
    ) -> ThreadRef:
        """Post the session card in the channel and open a public thread from it."""
        channel = self._client.get_channel(channel_id) or await self._client.fetch_channel(
            channel_id
        )
        if not isinstance(channel, discord.TextChannel):
            raise TypeError(channel_id)  # the cog only starts sessions in text channels
        card = await channel.send(
            text.session_card(self._catalog, locale, topic, facilitator_id),
            allowed_mentions=NO_PINGS,
            view=self._add_note_view(locale),
        )
        # A thread started from a message is always public.
        thread = await card.create_thread(
            name=text.thread_name(self._catalog, locale, topic),
            auto_archive_duration=THREAD_ARCHIVE_MINUTES,
        )
        await thread.join()
        return ThreadRef(thread_id=thread.id, card_message_id=card.id)

    async def welcome(self, session: Session, retention_days: int) -> None:
        """What the session is, how to take part, what is stored and how long."""
        await self._post(
            session.thread_id,
            text.welcome(self._catalog, session, retention_days),
            button_locale=None,
        )

    async def step_started(self, session: Session, again: bool) -> None:
        """The step's prompt and deadline, with the Add note button."""
        await self._post(
            session.thread_id,
            text.step_prompt(self._catalog, session, again),
            button_locale=session.locale,
        )

    async def step_summary(self, session: Session, summary: StepSummary) -> None:
        """Counts and notes of the step that ended."""
        await self._post(
            session.thread_id,
            text.step_summary(self._catalog, session.locale, summary),
            button_locale=None,
        )

    async def reminder(self, session: Session) -> None:
        """Time is almost up."""
        await self._post(
            session.thread_id, [text.reminder(self._catalog, session)], button_locale=None
        )

    async def paused(self, session: Session) -> None:
        """The clock stopped."""
        await self._post(
            session.thread_id, [text.paused(self._catalog, session)], button_locale=None
        )

    async def resumed(self, session: Session) -> None:
        """The clock runs again."""
        await self._post(
            session.thread_id, [text.resumed(self._catalog, session)], button_locale=None
        )

    async def extended(self, session: Session, added: timedelta) -> None:
        """More time."""
        await self._post(
            session.thread_id,
            [text.extended(self._catalog, session, added)],
            button_locale=None,
        )

    async def session_summary(self, session: Session, summary: SessionSummary) -> None:
        """The end of the session."""
        await self._post(
            session.thread_id,
            text.session_summary(self._catalog, session.locale, summary, self._retention_days),
            button_locale=None,
        )
