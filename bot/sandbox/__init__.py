"""A loopback stand-in for Discord (REST API v10 + gateway) for the unmodified
discord.py client: end-to-end tests, benchmarks and the offline demo.

See ``bot/sandbox/README.md``. Typical use::

    from bot.endpoints import point_discord_at
    from bot.sandbox import DiscordSandbox

    async with DiscordSandbox() as sb:
        guild = sb.add_guild("Bibliotheek Noord", locale="nl")
        point_discord_at(sb.api_base_url, sb.gateway_url)
        ...
"""

from __future__ import annotations

from .config import SandboxConfig
from .interactions import InteractionHandle
from .ratelimits import Bucket, RateLimitStats, RateLimitTable
from .recorder import RecordedCall
from .server import DiscordSandbox
from .state import Channel, Guild, Member, Role, User

__all__ = [
    "Bucket",
    "Channel",
    "DiscordSandbox",
    "Guild",
    "InteractionHandle",
    "Member",
    "RateLimitStats",
    "RateLimitTable",
    "RecordedCall",
    "Role",
    "SandboxConfig",
    "User",
]
