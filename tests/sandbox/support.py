"""Helpers for the sandbox tests: the small test world and client plumbing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import discord

from bot.sandbox import Channel, Guild, Member, Role


@dataclass
class World:
    guild: Guild
    role: Role
    channel: Channel
    alice: Member
    bob: Member


def default_intents() -> discord.Intents:
    intents = discord.Intents.default()
    intents.message_content = True
    return intents


class Running:
    """A connected client and its ``connect()`` task."""

    def __init__(self, client: discord.Client, task: asyncio.Task[None]) -> None:
        self.client = client
        self.task = task

    async def close(self) -> None:
        if not self.client.is_closed():
            await asyncio.wait_for(self.client.close(), 5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.task, 5)


StartClient = Callable[..., Awaitable[discord.Client]]
