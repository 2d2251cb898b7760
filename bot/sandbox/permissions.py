"""Permission values and Discord's permission arithmetic (roles, then channel overwrites).

The values come from discord.py's :class:`discord.Permissions` so they cannot drift from
the client. :func:`channel_permissions` follows Discord's documented algorithm; the
sandbox uses it for interaction payloads (``member.permissions``, ``app_permissions``)
and it is the hook for enforcing permissions on REST routes later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import discord

ALL: int = discord.Permissions.all().value
ADMINISTRATOR: int = discord.Permissions(administrator=True).value
VIEW_CHANNEL: int = discord.Permissions(view_channel=True).value
SEND_MESSAGES: int = discord.Permissions(send_messages=True).value
SEND_MESSAGES_IN_THREADS: int = discord.Permissions(send_messages_in_threads=True).value

DEFAULT_EVERYONE: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    use_application_commands=True,
    change_nickname=True,
    create_instant_invite=True,
).value
"""What a fresh server's @everyone role may do (roughly Discord's defaults)."""

DEFAULT_BOT: int = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    manage_threads=True,
    manage_messages=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    read_message_history=True,
    mention_everyone=True,
    use_application_commands=True,
).value
"""The bot's managed role: broad messaging and thread rights, no administration."""


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0


def base_permissions(
    *,
    guild_id: int,
    owner_id: int,
    member_id: int,
    role_perms: dict[int, int],
    roles: Iterable[int],
) -> int:
    """Guild-level permissions: @everyone OR the member's roles; owner/admin get all."""
    if member_id == owner_id:
        return ALL
    perms = role_perms.get(guild_id, 0)
    for role_id in roles:
        perms |= role_perms.get(role_id, 0)
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def apply_overwrites(
    base: int,
    *,
    guild_id: int,
    member_id: int,
    roles: Iterable[int],
    overwrites: Iterable[Overwrite],
) -> int:
    """Apply channel overwrites in Discord's order: @everyone, roles (merged), member."""
    if base & ADMINISTRATOR:
        return ALL
    by_key = {(o.type, o.id): o for o in overwrites}
    perms = base
    everyone = by_key.get((0, guild_id))
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in roles:
        ow = by_key.get((0, role_id))
        if ow is not None:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    member = by_key.get((1, member_id))
    if member is not None:
        perms = (perms & ~member.deny) | member.allow
    if not perms & VIEW_CHANNEL:
        return 0
    return perms
