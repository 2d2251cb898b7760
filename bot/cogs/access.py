"""Who may do what, decided at the edge; the use cases receive the decision."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.server_config import ServerConfig
    from bot.settings import Settings


class NotFacilitatorError(PermissionError):
    """The user may not start or steer sessions."""


def is_facilitator(interaction: discord.Interaction, facilitator_role: str) -> bool:
    """A member with the configured role (by name or id) or with Manage Threads."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_threads or member.guild_permissions.manage_threads:
        return True
    wanted = facilitator_role.strip().casefold()
    return any(role.name.casefold() == wanted or str(role.id) == wanted for role in member.roles)


def require_facilitator(interaction: discord.Interaction, facilitator_role: str) -> None:
    """Raise NotFacilitatorError unless the user is a facilitator."""
    if not is_facilitator(interaction, facilitator_role):
        raise NotFacilitatorError


async def facilitator_role(
    config: ServerConfig | None, settings: Settings, guild_id: int | None
) -> str:
    """The facilitator role that applies in a server (its own setting, else the config's)."""
    if config is None:
        return settings.facilitation.facilitator_role
    return (await config.of(guild_id)).facilitator_role
