"""The server permissions cocreate asks for when it is invited, and why each is needed.

``cocreate invite-url`` puts :data:`BOT_PERMISSIONS` in the invite link. The list is the
whole story: no Administrator, no Mention Everyone, no Manage Server, no Manage Messages
(that one only for private steps, see :data:`PRIVATE_WRITING_REASONS`).
Replies to slash commands, buttons and private nudges (DMs) need no server permission.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import discord

# discord.Permissions flag -> why the bot needs it, in the order it uses them in a session.
PERMISSION_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "view_channel": "see the channel a session starts in and the session's thread",
        "send_messages": "post the session card that the session thread starts from",
        "create_public_threads": "open the session's public thread from that card",
        "send_messages_in_threads": "post the welcome, prompts, summaries, votes and recaps",
        "read_message_history": "catch up on notes written while it was offline; read pins",
        "add_reactions": "confirm each note with 📝 and each comment with 💬",
        "attach_files": "post board pictures with step summaries and recaps",
        # Split from Manage Messages by Discord (2025; required since 23 February 2026).
        "pin_messages": "pin the prompt of a step that runs for days, unpin the previous one",
    }
)

BOT_PERMISSIONS: Final[discord.Permissions] = discord.Permissions(
    **dict.fromkeys(PERMISSION_REASONS, True)
)

# Asked for only by servers that run private steps (silent writing): a message typed in
# the thread must disappear before others read it, and only Manage Messages allows the bot
# to remove someone else's message. Left out of the default invite on purpose.
PRIVATE_WRITING_REASONS: Final[Mapping[str, str]] = MappingProxyType(
    {"manage_messages": "remove messages typed in the thread during a private step"}
)

PRIVATE_WRITING_PERMISSIONS: Final[discord.Permissions] = discord.Permissions(
    **dict.fromkeys({**PERMISSION_REASONS, **PRIVATE_WRITING_REASONS}, True)
)

SCOPES: Final[tuple[str, ...]] = ("bot", "applications.commands")


def invite_url(application_id: int, *, private_writing: bool = False) -> str:
    """The OAuth2 link that adds the bot, its slash commands and exactly these permissions:
    ``https://discord.com/oauth2/authorize?client_id=…&scope=bot+applications.commands&permissions=N``
    (with Manage Messages too for ``private_writing``).
    """
    wanted = PRIVATE_WRITING_PERMISSIONS if private_writing else BOT_PERMISSIONS
    return discord.utils.oauth_url(application_id, permissions=wanted, scopes=SCOPES)
