"""The sandbox's in-memory Discord world: users, guilds, roles, members, channels,
threads, messages, application commands and pending interactions.

Everything here is plain data plus bookkeeping; nothing talks to the network. Messages
are stored as the Discord JSON objects the sandbox sent or received, so what a test
reads back (``DiscordSandbox.messages``) is exactly what a client would have seen.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .permissions import (
    DEFAULT_BOT,
    DEFAULT_EVERYONE,
    Overwrite,
    apply_overwrites,
    base_permissions,
)
from .snowflakes import SnowflakeGenerator, utcnow

JSON = dict[str, Any]

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})


@dataclass(slots=True)
class User:
    """A Discord user (human or bot)."""

    id: int
    username: str
    bot: bool = False
    global_name: str | None = None
    avatar: str | None = None


@dataclass(slots=True)
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None
    """Set on a bot's managed role (``tags.bot_id``)."""


@dataclass(slots=True)
class Member:
    """A user's membership of a guild."""

    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    joined_at: dt.datetime = field(default_factory=utcnow)
    nick: str | None = None

    @property
    def id(self) -> int:
        return self.user.id


@dataclass(slots=True)
class ThreadState:
    """Thread-only fields of a :class:`Channel`."""

    owner_id: int
    auto_archive_duration: int = 1440
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    create_timestamp: dt.datetime = field(default_factory=utcnow)
    archive_timestamp: dt.datetime = field(default_factory=utcnow)
    members: dict[int, dt.datetime] = field(default_factory=dict)
    """Thread members: user id -> join time."""
    message_count: int = 0
    total_message_sent: int = 0


@dataclass(slots=True)
class Channel:
    """A guild channel, a thread (``thread`` is set) or a DM (``recipients`` is set)."""

    id: int
    guild_id: int | None
    name: str
    type: int = GUILD_TEXT
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    rate_limit_per_user: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)
    last_message_id: int | None = None
    last_pin_timestamp: dt.datetime | None = None
    thread: ThreadState | None = None
    recipients: list[int] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.thread is not None


@dataclass(slots=True)
class Guild:
    """A guild (server) and the ids of what it holds."""

    id: int
    name: str
    locale: str
    owner_id: int
    joined_at: dt.datetime
    bot_role_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channel_ids: list[int] = field(default_factory=list)
    """Guild channels (not threads) in creation order."""
    thread_ids: list[int] = field(default_factory=list)
    description: str | None = None
    bot_permissions: int | None = None
    """Set by ``set_bot_permissions``: the bot's exact channel permissions."""


@dataclass(slots=True)
class Application:
    """The bot's application (``/oauth2/applications/@me``)."""

    id: int
    name: str
    owner: User
    description: str = ""
    flags: int = (1 << 19) | (1 << 23)  # GATEWAY_MESSAGE_CONTENT_LIMITED, APPLICATION_COMMAND_BADGE
    verify_key: str = "0" * 64
    bot_public: bool = False
    bot_require_code_grant: bool = False


@dataclass(slots=True)
class StoredInteraction:
    """An interaction the sandbox injected, and what the bot has done with it."""

    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    payload: JSON
    created_at: float
    """``time.monotonic()`` when it was dispatched."""
    message_id: int | None = None
    """For component interactions: the message the component is on."""
    command_name: str | None = None
    response_type: int | None = None
    original_message_id: int | None = None
    loading: bool = False
    """True after a type-5 defer until the first followup or edit fills the message in."""
    loading_flags: int = 0
    followup_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class CommandStore:
    """Application commands the bot synced, global and per guild."""

    global_commands: list[JSON] = field(default_factory=list)
    guild_commands: dict[int, list[JSON]] = field(default_factory=dict)
    ids: dict[tuple[int | None, str, int], int] = field(default_factory=dict)
    """(guild id or None, name, type) -> command id, stable across re-syncs."""

    def find(self, name: str, guild_id: int | None, type_: int = 1) -> JSON | None:
        """The synced command a client would run: guild command first, then global."""
        if guild_id is not None:
            for cmd in self.guild_commands.get(guild_id, []):
                if cmd["name"] == name and cmd.get("type", 1) == type_:
                    return cmd
        for cmd in self.global_commands:
            if cmd["name"] == name and cmd.get("type", 1) == type_:
                return cmd
        return None


class World:
    """All sandbox state. Mutations here never dispatch events; the engine does that."""

    def __init__(self, snowflakes: SnowflakeGenerator | None = None) -> None:
        self.snowflakes = snowflakes or SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.commands = CommandStore()
        self.interactions: dict[int, StoredInteraction] = {}
        self.interactions_by_token: dict[str, StoredInteraction] = {}
        self.sent_modals: list[JSON] = []
        """Modals the bot opened (callback type 9 ``data``), newest last."""
        self.modal_origins: dict[str, int] = {}
        """Modal custom_id -> the message whose component opened it (sent on submit)."""

        # Messages: per channel, id -> payload, plus the ids in ascending order.
        self._messages: dict[int, dict[int, JSON]] = {}
        self._message_order: dict[int, list[int]] = {}
        self._message_channel: dict[int, int] = {}
        self.ephemeral_messages: dict[int, JSON] = {}
        """Ephemeral interaction replies (flag 64): readable by tests, not in history."""
        self.deleted_messages: list[JSON] = []
        self.attachment_data: dict[int, bytes] = {}
        self.reaction_users: dict[tuple[int, str], list[str]] = {}
        """(message id, emoji id or name) -> ids (as strings) of users who reacted."""
        self.pinned_at: dict[int, dt.datetime] = {}

        owner = self.add_user("sandbox-owner")
        self.bot_user = self.add_user("cocreate", bot=True)
        self.application = Application(
            id=self.bot_user.id, name=self.bot_user.username, owner=owner
        )

    # -- users, guilds, roles, members, channels ---------------------------------

    def add_user(self, username: str, *, bot: bool = False, global_name: str | None = None) -> User:
        user = User(id=self.snowflakes.next(), username=username, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        locale: str = "en-US",
        owner_id: int | None = None,
        everyone_permissions: int = DEFAULT_EVERYONE,
        description: str | None = None,
    ) -> Guild:
        """A guild with its @everyone role, the bot's managed role and the bot as member."""
        guild_id = self.snowflakes.next()
        bot_role = Role(
            id=self.snowflakes.next(),
            guild_id=guild_id,
            name=self.bot_user.username,
            permissions=DEFAULT_BOT,
            position=1,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild = Guild(
            id=guild_id,
            name=name,
            locale=locale,
            owner_id=owner_id if owner_id is not None else self.application.owner.id,
            joined_at=utcnow(),
            bot_role_id=bot_role.id,
            description=description,
        )
        guild.roles[guild_id] = Role(
            id=guild_id, guild_id=guild_id, name="@everyone", permissions=everyone_permissions
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(
            user=self.bot_user, guild_id=guild_id, roles=[bot_role.id], joined_at=guild.joined_at
        )
        self.guilds[guild_id] = guild
        return guild

    def add_role(
        self,
        guild_id: int,
        name: str,
        *,
        permissions: int = 0,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        guild = self.guild(guild_id)
        role = Role(
            id=self.snowflakes.next(),
            guild_id=guild_id,
            name=name,
            permissions=permissions,
            position=len(guild.roles),
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        return role

    def add_member(
        self,
        guild_id: int,
        user: User,
        *,
        roles: list[int] | None = None,
        nick: str | None = None,
        joined_at: dt.datetime | None = None,
    ) -> Member:
        guild = self.guild(guild_id)
        for role_id in roles or []:
            if role_id not in guild.roles:
                raise ValueError(f"role {role_id} is not in guild {guild_id}")
        member = Member(
            user=user,
            guild_id=guild_id,
            roles=list(roles or []),
            joined_at=joined_at or utcnow(),
            nick=nick,
        )
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type_: int = GUILD_TEXT,
        topic: str | None = None,
        parent_id: int | None = None,
        position: int | None = None,
        overwrites: list[Overwrite] | None = None,
    ) -> Channel:
        guild = self.guild(guild_id)
        channel = Channel(
            id=self.snowflakes.next(),
            guild_id=guild_id,
            name=name,
            type=type_,
            topic=topic,
            parent_id=parent_id,
            position=len(guild.channel_ids) if position is None else position,
            overwrites=list(overwrites or []),
        )
        self._register_channel(channel)
        guild.channel_ids.append(channel.id)
        return channel

    def add_thread(
        self,
        parent_id: int,
        name: str,
        *,
        owner_id: int,
        type_: int = PUBLIC_THREAD,
        auto_archive_duration: int = 1440,
        invitable: bool = True,
        thread_id: int | None = None,
        rate_limit_per_user: int = 0,
    ) -> Channel:
        """A thread under ``parent_id``; its owner is its first member."""
        parent = self.channel(parent_id)
        if parent.guild_id is None or parent.is_thread:
            raise errors.bad_request("Threads need a guild text channel as parent")
        now = utcnow()
        thread = Channel(
            id=thread_id if thread_id is not None else self.snowflakes.next(),
            guild_id=parent.guild_id,
            name=name,
            type=type_,
            parent_id=parent_id,
            rate_limit_per_user=rate_limit_per_user,
            thread=ThreadState(
                owner_id=owner_id,
                auto_archive_duration=auto_archive_duration,
                invitable=invitable,
                create_timestamp=now,
                archive_timestamp=now,
                members={owner_id: now},
            ),
        )
        self._register_channel(thread)
        self.guild(parent.guild_id).thread_ids.append(thread.id)
        return thread

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with ``user_id`` (created on first use)."""
        for channel in self.channels.values():
            if channel.type == DM and channel.recipients == [user_id]:
                return channel
        if user_id not in self.users:
            raise errors.unknown_user()
        channel = Channel(
            id=self.snowflakes.next(), guild_id=None, name="", type=DM, recipients=[user_id]
        )
        self._register_channel(channel)
        return channel

    def _register_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel
        self._messages[channel.id] = {}
        self._message_order[channel.id] = []

    # -- lookups (raise DiscordHTTPError so REST handlers can let them through) ------

    def guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise errors.unknown_guild() from None

    def channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[channel_id]
        except KeyError:
            raise errors.unknown_channel() from None

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise errors.unknown_user() from None

    def member(self, guild_id: int, user_id: int) -> Member:
        try:
            return self.guild(guild_id).members[user_id]
        except KeyError:
            raise errors.unknown_member() from None

    def threads_of(self, guild_id: int, *, active_only: bool = False) -> list[Channel]:
        threads = [self.channels[t] for t in self.guild(guild_id).thread_ids]
        if active_only:
            threads = [t for t in threads if t.thread is not None and not t.thread.archived]
        return threads

    # -- permissions ---------------------------------------------------------------

    def permissions_for(self, guild_id: int, user_id: int, channel_id: int | None = None) -> int:
        """``user_id``'s effective permissions in the guild, or in a channel/thread."""
        guild = self.guild(guild_id)
        member = guild.members.get(user_id)
        roles = member.roles if member is not None else []
        role_perms = {r.id: r.permissions for r in guild.roles.values()}
        perms = base_permissions(
            guild_id=guild_id,
            owner_id=guild.owner_id,
            member_id=user_id,
            role_perms=role_perms,
            roles=roles,
        )
        if channel_id is None:
            return perms
        channel = self.channel(channel_id)
        if channel.is_thread and channel.parent_id is not None:
            channel = self.channel(channel.parent_id)
        return apply_overwrites(
            perms,
            guild_id=guild_id,
            member_id=user_id,
            roles=roles,
            overwrites=channel.overwrites,
        )

    # -- messages ------------------------------------------------------------------

    def store_message(self, channel_id: int, message: JSON) -> None:
        """Add a message payload to a channel's history (kept sorted by id)."""
        message_id = int(message["id"])
        order = self._message_order[channel_id]
        if not order or message_id > order[-1]:
            order.append(message_id)
        else:
            bisect.insort(order, message_id)
        self._messages[channel_id][message_id] = message
        self._message_channel[message_id] = channel_id
        channel = self.channels[channel_id]
        if channel.last_message_id is None or message_id > channel.last_message_id:
            channel.last_message_id = message_id

    def message(self, channel_id: int, message_id: int) -> JSON:
        """A stored message (channel history or ephemeral), else Unknown Message."""
        self.channel(channel_id)
        found = self._messages[channel_id].get(message_id)
        if found is None:
            eph = self.ephemeral_messages.get(message_id)
            if eph is not None and int(eph["channel_id"]) == channel_id:
                return eph
            raise errors.unknown_message()
        return found

    def find_message(self, message_id: int) -> JSON | None:
        """A message by id in any channel (or the ephemeral store)."""
        channel_id = self._message_channel.get(message_id)
        if channel_id is not None:
            return self._messages[channel_id].get(message_id)
        return self.ephemeral_messages.get(message_id)

    def remove_message(self, channel_id: int, message_id: int) -> JSON:
        message = self.message(channel_id, message_id)
        if self.ephemeral_messages.pop(message_id, None) is None:
            del self._messages[channel_id][message_id]
            self._message_order[channel_id].remove(message_id)
            self._message_channel.pop(message_id, None)
        self.deleted_messages.append(message)
        return message

    def history(self, channel_id: int) -> list[JSON]:
        """A channel's messages, oldest first."""
        self.channel(channel_id)
        store = self._messages[channel_id]
        return [store[i] for i in self._message_order[channel_id]]

    def query_history(
        self,
        channel_id: int,
        *,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[JSON]:
        """Discord's ``GET /channels/{id}/messages``: always newest first.

        ``after`` returns the ``limit`` messages right after the id; ``before`` (and the
        default) the ``limit`` messages right before it; ``around`` up to ``limit``
        messages centred on the id.
        """
        self.channel(channel_id)
        order = self._message_order[channel_id]
        store = self._messages[channel_id]
        if around is not None:
            idx = bisect.bisect_left(order, around)
            has_pivot = idx < len(order) and order[idx] == around
            older = order[max(0, idx - limit // 2) : idx]
            start = idx + 1 if has_pivot else idx
            newer_count = limit - len(older) - (1 if has_pivot else 0)
            newer = order[start : start + max(0, newer_count)]
            ids = older + ([around] if has_pivot else []) + newer
        elif after is not None:
            start = bisect.bisect_right(order, after)
            ids = order[start : start + limit]
        else:
            end = len(order) if before is None else bisect.bisect_left(order, before)
            ids = order[max(0, end - limit) : end]
        return [store[i] for i in reversed(ids)]
