"""Fixtures: a started sandbox with a small guild, and a factory for real discord.py
clients connected to it (closed at teardown)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import discord
import pytest

from bot.endpoints import point_discord_at, reset_discord_endpoints
from bot.sandbox import DiscordSandbox

from .support import Running, StartClient, World, default_intents


@pytest.fixture
async def sandbox() -> AsyncIterator[DiscordSandbox]:
    sb = DiscordSandbox()
    await sb.start()
    point_discord_at(sb.api_base_url, sb.gateway_url)
    try:
        yield sb
    finally:
        await sb.stop()
        reset_discord_endpoints()


@pytest.fixture
def world(sandbox: DiscordSandbox) -> World:
    guild = sandbox.add_guild("Bibliotheek Noord", locale="nl")
    role = sandbox.add_role(guild.id, "Facilitator", permissions=0)
    channel = sandbox.add_text_channel(guild.id, "algemeen")
    alice = sandbox.add_member(guild.id, "alice", roles=[role.id])
    bob = sandbox.add_member(guild.id, "bob")
    return World(guild, role, channel, alice, bob)


@pytest.fixture
async def start_client(sandbox: DiscordSandbox) -> AsyncIterator[StartClient]:
    """``await start_client(client)``: log in, connect, wait for ``on_ready``."""
    running: list[Running] = []

    async def start(
        client: discord.Client | None = None, *, wait_ready: bool = True
    ) -> discord.Client:
        client = client or discord.Client(intents=default_intents(), guild_ready_timeout=0.1)
        ready = asyncio.Event()
        # discord.Client dispatches to ``on_<event>`` attributes; wrap the test's on_ready.
        previous = getattr(client, "on_ready", None)

        async def on_ready() -> None:
            if previous is not None:
                await previous()
            ready.set()

        client.on_ready = on_ready  # type: ignore[attr-defined]
        await asyncio.wait_for(client.login(sandbox.token), 5)
        task = asyncio.create_task(client.connect())
        running.append(Running(client, task))
        if wait_ready:
            await asyncio.wait_for(ready.wait(), 5)
        return client

    yield start
    for item in reversed(running):
        await item.close()
