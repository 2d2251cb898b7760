"""Build Discord API v10 JSON objects from the sandbox world.

Field lists follow Discord's documentation and what discord.py 2.7 reads (required keys
such as ``thread_metadata.archive_timestamp``, ``member.flags`` or an interaction's
``attachment_size_limit`` make its parsers raise when missing).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .permissions import Overwrite
from .snowflakes import iso_timestamp, snowflake_time
from .state import JSON, Application, Channel, Guild, Member, Role, User, World


def _ts(when: dt.datetime | None) -> str | None:
    return None if when is None else iso_timestamp(when)


def user(u: User) -> JSON:
    """A user object."""
    return {
        "id": str(u.id),
        "username": u.username,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": u.avatar,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "primary_guild": None,
        "collectibles": None,
    }


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> JSON:
    """A guild member object; ``permissions`` is added for interaction payloads."""
    data: JSON = {
        "roles": [str(r) for r in m.roles],
        "joined_at": iso_timestamp(m.joined_at),
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        data["user"] = user(m.user)
    if permissions is not None:
        data["permissions"] = str(permissions)
    return data


def role(r: Role) -> JSON:
    """A role object (``tags.bot_id`` marks a bot's managed role)."""
    data: JSON = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def overwrite(o: Overwrite) -> JSON:
    return {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}


def thread_member(thread: Channel, user_id: int, *, guild_id: int | None = None) -> JSON:
    """A thread member object (``guild_id`` is added for THREAD_MEMBER_UPDATE)."""
    if thread.thread is None:
        raise ValueError(f"channel {thread.id} is not a thread")
    joined = thread.thread.members.get(user_id, thread.thread.create_timestamp)
    data: JSON = {
        "id": str(thread.id),
        "user_id": str(user_id),
        "join_timestamp": iso_timestamp(joined),
        "flags": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def channel(c: Channel, *, me_id: int | None = None, world: World | None = None) -> JSON:
    """A channel or thread object. For threads, ``me_id`` adds ``member`` if joined.

    DM channels need ``world`` to fill in ``recipients``.
    """
    data: JSON = {
        "id": str(c.id),
        "type": c.type,
        "name": c.name,
        "last_message_id": None if c.last_message_id is None else str(c.last_message_id),
        "rate_limit_per_user": c.rate_limit_per_user,
        "flags": 0,
    }
    if c.guild_id is not None:
        data["guild_id"] = str(c.guild_id)
    if c.thread is not None:
        t = c.thread
        data.update(
            parent_id=str(c.parent_id),
            owner_id=str(t.owner_id),
            member_count=min(len(t.members), 50),
            message_count=t.message_count,
            total_message_sent=t.total_message_sent,
            thread_metadata={
                "archived": t.archived,
                "auto_archive_duration": t.auto_archive_duration,
                "archive_timestamp": iso_timestamp(t.archive_timestamp),
                "locked": t.locked,
                "invitable": t.invitable,
                "create_timestamp": iso_timestamp(t.create_timestamp),
            },
            applied_tags=[],
        )
        if me_id is not None and me_id in t.members:
            data["member"] = thread_member(c, me_id)
        return data
    if c.guild_id is None:
        recipients = [] if world is None else [user(world.users[u]) for u in c.recipients]
        data["recipients"] = recipients
        return data
    data.update(
        position=c.position,
        parent_id=None if c.parent_id is None else str(c.parent_id),
        permission_overwrites=[overwrite(o) for o in c.overwrites],
        nsfw=c.nsfw,
        topic=c.topic,
        last_pin_timestamp=_ts(c.last_pin_timestamp),
        default_auto_archive_duration=1440,
        default_thread_rate_limit_per_user=0,
    )
    if c.type == 2:  # voice
        data.update(bitrate=64000, user_limit=0, rtc_region=None, video_quality_mode=1)
    return data


def guild(g: Guild, *, with_counts: bool = False) -> JSON:
    """A guild object as ``GET /guilds/{id}`` returns it (no channels or members)."""
    data: JSON = {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": g.description,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.locale,
        "max_members": 500000,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "widget_enabled": False,
        "widget_channel_id": None,
        "incidents_data": None,
    }
    if with_counts:
        data["approximate_member_count"] = len(g.members)
        data["approximate_presence_count"] = 0
    return data


def guild_create(g: Guild, world: World, *, unavailable_before: bool) -> JSON:
    """The GUILD_CREATE payload: guild plus channels, active threads, roles, members.

    ``unavailable_before`` adds ``unavailable: false`` (the guild was announced as an
    unavailable stub in READY); a guild joined later has no ``unavailable`` key.
    """
    bot_id = world.bot_user.id
    data = guild(g)
    data.update(
        joined_at=iso_timestamp(g.joined_at),
        large=False,
        member_count=len(g.members),
        members=[member(m) for m in g.members.values()],
        channels=[channel(world.channels[c]) for c in g.channel_ids],
        threads=[channel(t, me_id=bot_id) for t in world.threads_of(g.id, active_only=True)],
        presences=[],
        voice_states=[],
        stage_instances=[],
        guild_scheduled_events=[],
        soundboard_sounds=[],
        lazy=True,
    )
    if unavailable_before:
        data["unavailable"] = False
    return data


def application(app: Application, bot: User) -> JSON:
    """``GET /oauth2/applications/@me``."""
    return {
        "id": str(app.id),
        "name": app.name,
        "icon": None,
        "description": app.description,
        "summary": "",
        "type": None,
        "rpc_origins": [],
        "bot_public": app.bot_public,
        "bot_require_code_grant": app.bot_require_code_grant,
        "bot": user(bot),
        "owner": user(app.owner),
        "team": None,
        "verify_key": app.verify_key,
        "flags": app.flags,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": 0,
        "integration_types_config": {"0": {}},
    }


def attachment(
    *,
    attachment_id: int,
    filename: str,
    size: int,
    url: str,
    content_type: str | None = None,
    description: str | None = None,
    width: int | None = None,
    height: int | None = None,
    ephemeral: bool = False,
) -> JSON:
    data: JSON = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "flags": 0,
    }
    if description is not None:
        data["description"] = description
    if width is not None and height is not None:
        data["width"] = width
        data["height"] = height
    if ephemeral:
        data["ephemeral"] = True
    return data


def message(
    *,
    message_id: int,
    channel: Channel,
    author: User,
    author_member: Member | None,
    content: str,
    message_type: int = 0,
    flags: int = 0,
    tts: bool = False,
    mention_everyone: bool = False,
    mentions: list[JSON] | None = None,
    mention_roles: list[int] | None = None,
    attachments: list[JSON] | None = None,
    embeds: list[JSON] | None = None,
    components: list[JSON] | None = None,
    message_reference: JSON | None = None,
    referenced_message: JSON | None = None,
    nonce: str | int | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: JSON | None = None,
    interaction: JSON | None = None,
    extra: dict[str, Any] | None = None,
) -> JSON:
    """A message object; ``member`` (without ``user``) is added for guild messages."""
    data: JSON = {
        "id": str(message_id),
        "channel_id": str(channel.id),
        "author": user(author),
        "content": content,
        "timestamp": iso_timestamp(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": tts,
        "mention_everyone": mention_everyone,
        "mentions": list(mentions or []),
        "mention_roles": [str(r) for r in mention_roles or []],
        "attachments": list(attachments or []),
        "embeds": [_normalise_embed(e) for e in embeds or []],
        "reactions": [],
        "pinned": False,
        "type": message_type,
        "flags": flags,
        "components": list(components or []),
    }
    if channel.guild_id is not None:
        data["guild_id"] = str(channel.guild_id)
        if author_member is not None:
            data["member"] = member(author_member, with_user=False)
    if nonce is not None:
        data["nonce"] = nonce
    if webhook_id is not None:
        data["webhook_id"] = str(webhook_id)
    if application_id is not None:
        data["application_id"] = str(application_id)
    if message_reference is not None:
        data["message_reference"] = message_reference
        data["referenced_message"] = referenced_message
    if interaction_metadata is not None:
        data["interaction_metadata"] = interaction_metadata
    if interaction is not None:
        data["interaction"] = interaction
    if channel.thread is not None:
        data["position"] = channel.thread.total_message_sent
    if extra:
        data.update(extra)
    return data


def _normalise_embed(embed: JSON) -> JSON:
    out = dict(embed)
    out.setdefault("type", "rich")
    return out


def referenced(message_payload: JSON) -> JSON:
    """A message as embedded in ``referenced_message`` (one level deep only)."""
    out = dict(message_payload)
    out.pop("referenced_message", None)
    return out
