"""What happens in the sandbox world: messages, reactions, pins, threads, guild changes.

Both sides go through here: REST handlers (the bot acting) and the test-facing injection
API (users acting). Each operation updates :class:`~bot.sandbox.state.World` and then
dispatches the gateway events real Discord would send, so a change is visible to the
client exactly once and in order.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import re
from collections.abc import Callable
from typing import Any

from . import errors, payloads
from .gateway import GatewayHub
from .permissions import ALL, Overwrite
from .snowflakes import iso_timestamp, utcnow
from .state import (
    GUILD_ANNOUNCEMENT,
    GUILD_TEXT,
    JSON,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Member,
    Role,
    User,
    World,
)

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")

MESSAGE_DEFAULT = 0
MESSAGE_REPLY = 19
MESSAGE_CHAT_INPUT_COMMAND = 20

FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

THREAD_ARCHIVE_DURATIONS = (60, 1440, 4320, 10080)


class SandboxEngine:
    """Applies changes to the world and dispatches the matching gateway events."""

    def __init__(self, world: World, hub: GatewayHub, http_base: Callable[[], str]) -> None:
        self.world = world
        self.hub = hub
        self._http_base = http_base

    # -- guild structure -------------------------------------------------------------

    def announce_guild(self, guild: Guild) -> None:
        """GUILD_CREATE for a guild the bot just joined."""
        self.hub.dispatch(
            "GUILD_CREATE", payloads.guild_create(guild, self.world, unavailable_before=False)
        )

    def announce_role(self, role: Role, *, created: bool = True) -> None:
        event = "GUILD_ROLE_CREATE" if created else "GUILD_ROLE_UPDATE"
        self.hub.dispatch(event, {"guild_id": str(role.guild_id), "role": payloads.role(role)})

    def announce_channel(self, channel: Channel, *, created: bool = True) -> None:
        if channel.is_thread:
            self.hub.dispatch(
                "THREAD_UPDATE", payloads.channel(channel, me_id=self.world.bot_user.id)
            )
            return
        event = "CHANNEL_CREATE" if created else "CHANNEL_UPDATE"
        self.hub.dispatch(event, payloads.channel(channel))

    def announce_member(self, member: Member) -> None:
        self.hub.dispatch(
            "GUILD_MEMBER_ADD", payloads.member(member) | {"guild_id": str(member.guild_id)}
        )

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """Make the bot's permissions in every channel of the guild exactly ``permissions``.

        The bot's managed role gets ``permissions`` and each channel a member overwrite
        for the bot (allow = permissions, deny = the rest), so the client computes the
        same values as the sandbox. Channels added later get the overwrite too.
        """
        world = self.world
        guild = world.guild(guild_id)
        guild.bot_permissions = permissions
        bot_role = guild.roles[guild.bot_role_id]
        bot_role.permissions = permissions
        self.announce_role(bot_role, created=False)
        for channel_id in guild.channel_ids:
            channel = world.channels[channel_id]
            self.apply_bot_overwrite(guild, channel)
            self.announce_channel(channel, created=False)

    def apply_bot_overwrite(self, guild: Guild, channel: Channel) -> None:
        if guild.bot_permissions is None or channel.is_thread:
            return
        bot_id = self.world.bot_user.id
        channel.overwrites = [o for o in channel.overwrites if not (o.type == 1 and o.id == bot_id)]
        channel.overwrites.append(
            Overwrite(
                id=bot_id, type=1, allow=guild.bot_permissions, deny=ALL & ~guild.bot_permissions
            )
        )

    # -- attachments -----------------------------------------------------------------

    def attachment_url(self, channel_id: int, attachment_id: int, filename: str) -> str:
        return f"{self._http_base()}/attachments/{channel_id}/{attachment_id}/{filename}"

    def store_attachment(
        self,
        channel_id: int,
        filename: str,
        data: bytes,
        *,
        content_type: str | None = None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> JSON:
        """Keep an uploaded file's bytes and return its attachment object."""
        attachment_id = self.world.snowflakes.next()
        self.world.attachment_data[attachment_id] = data
        return payloads.attachment(
            attachment_id=attachment_id,
            filename=filename,
            size=len(data),
            url=self.attachment_url(channel_id, attachment_id, filename),
            content_type=content_type or _guess_content_type(filename),
            description=description,
            ephemeral=ephemeral,
        )

    def user_attachment(self, channel_id: int, spec: dict[str, Any]) -> JSON:
        """An attachment object for an injected user message.

        ``spec``: ``filename`` (required), ``content_type``, ``size``, ``data`` (bytes
        served at the attachment URL; zero bytes of ``size`` if absent), ``width``,
        ``height``, ``description``.
        """
        filename = str(spec["filename"])
        raw = spec.get("data")
        data = raw if isinstance(raw, bytes) else bytes(int(spec.get("size", 0)))
        attachment_id = self.world.snowflakes.next()
        self.world.attachment_data[attachment_id] = data
        return payloads.attachment(
            attachment_id=attachment_id,
            filename=filename,
            size=int(spec.get("size", len(data))),
            url=self.attachment_url(channel_id, attachment_id, filename),
            content_type=spec.get("content_type") or _guess_content_type(filename),
            description=spec.get("description"),
            width=spec.get("width"),
            height=spec.get("height"),
        )

    # -- messages --------------------------------------------------------------------

    def post_message(
        self,
        channel_id: int,
        author: User,
        *,
        content: str = "",
        embeds: list[JSON] | None = None,
        components: list[JSON] | None = None,
        attachments: list[JSON] | None = None,
        flags: int = 0,
        tts: bool = False,
        message_reference: JSON | None = None,
        allowed_mentions: JSON | None = None,
        mention_everyone: bool | None = None,
        nonce: str | int | None = None,
        message_type: int | None = None,
        webhook_id: int | None = None,
        application_id: int | None = None,
        interaction_metadata: JSON | None = None,
        interaction: JSON | None = None,
        message_id: int | None = None,
        dispatch: bool = True,
    ) -> JSON:
        """Create, store and (unless ``dispatch`` is False) announce a message.

        Messages with the ephemeral flag go to the ephemeral store and are never
        dispatched. Posting into an archived (unlocked) thread unarchives it.
        """
        world = self.world
        channel = world.channel(channel_id)
        self._ensure_writable(channel)
        member = None
        if channel.guild_id is not None:
            member = world.guild(channel.guild_id).members.get(author.id)

        reference, referenced = self._resolve_reference(channel, message_reference)
        replied_author = None
        if referenced is not None:
            replied_author = int(referenced["author"]["id"])
        mentions, roles, everyone = self._resolve_mentions(
            channel,
            content,
            allowed_mentions,
            replied_author=replied_author,
            everyone_override=mention_everyone,
        )
        if message_type is None:
            message_type = MESSAGE_REPLY if reference is not None else MESSAGE_DEFAULT
        ephemeral = bool(flags & FLAG_EPHEMERAL)
        message = payloads.message(
            message_id=message_id if message_id is not None else world.snowflakes.next(),
            channel=channel,
            author=author,
            author_member=member,
            content=content,
            message_type=message_type,
            flags=flags,
            tts=tts,
            mention_everyone=everyone,
            mentions=mentions,
            mention_roles=roles,
            attachments=attachments,
            embeds=embeds,
            components=components,
            message_reference=reference,
            referenced_message=referenced,
            nonce=nonce,
            webhook_id=webhook_id,
            application_id=application_id,
            interaction_metadata=interaction_metadata,
            interaction=interaction,
        )
        if allowed_mentions is not None:
            # Not part of Discord's message object: kept so tests can assert on it.
            message["allowed_mentions"] = allowed_mentions
        if ephemeral:
            world.ephemeral_messages[int(message["id"])] = message
            return message
        world.store_message(channel_id, message)
        if channel.thread is not None:
            channel.thread.message_count += 1
            channel.thread.total_message_sent += 1
        if dispatch:
            self.hub.dispatch("MESSAGE_CREATE", _public(message))
        return message

    def edit_message(
        self,
        channel_id: int,
        message_id: int,
        changes: JSON,
        *,
        new_attachments: list[JSON] | None = None,
        clear_flags: int = 0,
        dispatch: bool = True,
    ) -> JSON:
        """Apply an edit (``content``, ``embeds``, ``components``, ``flags``,
        ``attachments``, ``allowed_mentions``) and send MESSAGE_UPDATE."""
        world = self.world
        channel = world.channel(channel_id)
        message = world.message(channel_id, message_id)
        if channel.thread is not None and channel.thread.archived:
            raise errors.archived_thread()
        if "content" in changes:
            message["content"] = changes["content"] or ""
            mentions, roles, everyone = self._resolve_mentions(
                channel, message["content"], changes.get("allowed_mentions"), replied_author=None
            )
            message.update(mentions=mentions, mention_roles=roles, mention_everyone=everyone)
        if "embeds" in changes:
            message["embeds"] = [
                dict(e) | {"type": e.get("type", "rich")} for e in changes["embeds"] or []
            ]
        if "components" in changes:
            message["components"] = list(changes["components"] or [])
        if "flags" in changes and changes["flags"] is not None:
            keep = int(message.get("flags", 0)) & FLAG_EPHEMERAL
            message["flags"] = int(changes["flags"]) | keep
        if clear_flags:
            message["flags"] = int(message.get("flags", 0)) & ~clear_flags
        if "attachments" in changes or new_attachments:
            kept_ids = {
                str(a.get("id"))
                for a in changes.get("attachments") or []
                if isinstance(a, dict) and "filename" not in a
            }
            if "attachments" in changes:
                kept = [a for a in message["attachments"] if a["id"] in kept_ids]
            else:
                kept = list(message["attachments"])
            message["attachments"] = kept + list(new_attachments or [])
        if "allowed_mentions" in changes:
            message["allowed_mentions"] = changes["allowed_mentions"]
        if not clear_flags & FLAG_LOADING:
            # Filling in a deferred "thinking" message does not mark it as edited.
            message["edited_timestamp"] = iso_timestamp(utcnow())
        if dispatch and not int(message.get("flags", 0)) & FLAG_EPHEMERAL:
            self.hub.dispatch("MESSAGE_UPDATE", _public(message))
        return message

    def delete_message(self, channel_id: int, message_id: int) -> JSON:
        channel = self.world.channel(channel_id)
        message = self.world.remove_message(channel_id, message_id)
        if not int(message.get("flags", 0)) & FLAG_EPHEMERAL:
            data: JSON = {"id": str(message_id), "channel_id": str(channel_id)}
            if channel.guild_id is not None:
                data["guild_id"] = str(channel.guild_id)
            self.hub.dispatch("MESSAGE_DELETE", data)
        return message

    def bulk_delete(self, channel_id: int, message_ids: list[int]) -> None:
        channel = self.world.channel(channel_id)
        for message_id in message_ids:
            self.world.remove_message(channel_id, message_id)
        data: JSON = {"ids": [str(i) for i in message_ids], "channel_id": str(channel_id)}
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.hub.dispatch("MESSAGE_DELETE_BULK", data)

    def react(
        self, channel_id: int, message_id: int, emoji: str, user_id: int, *, add: bool
    ) -> None:
        """Add or remove ``user_id``'s reaction and send MESSAGE_REACTION_ADD/REMOVE."""
        world = self.world
        channel = world.channel(channel_id)
        if channel.thread is not None and channel.thread.archived:
            raise errors.archived_thread()
        message = world.message(channel_id, message_id)
        emoji_obj = _parse_emoji(emoji)
        users = world.reaction_users.setdefault((message_id, _emoji_key(emoji_obj)), [])
        uid = str(user_id)
        if add == (uid in users):
            return  # already reacted / nothing to remove
        if add:
            users.append(uid)
        else:
            users.remove(uid)
        _update_reaction_summary(message, emoji_obj, users, str(world.bot_user.id))
        data: JSON = {
            "user_id": uid,
            "channel_id": str(channel_id),
            "message_id": str(message_id),
            "emoji": emoji_obj,
            "burst": False,
            "type": 0,
        }
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
            member = world.guild(channel.guild_id).members.get(user_id)
            if add and member is not None:
                data["member"] = payloads.member(member)
        if add:
            data["message_author_id"] = message["author"]["id"]
            data["burst_colors"] = []
        self.hub.dispatch("MESSAGE_REACTION_ADD" if add else "MESSAGE_REACTION_REMOVE", data)

    def pin(self, channel_id: int, message_id: int, *, pinned: bool) -> None:
        world = self.world
        channel = world.channel(channel_id)
        message = world.message(channel_id, message_id)
        message["pinned"] = pinned
        now = utcnow()
        if pinned:
            world.pinned_at[message_id] = now
            channel.last_pin_timestamp = now
        else:
            world.pinned_at.pop(message_id, None)
        data: JSON = {
            "channel_id": str(channel_id),
            "last_pin_timestamp": iso_timestamp(channel.last_pin_timestamp)
            if channel.last_pin_timestamp
            else None,
        }
        if channel.guild_id is not None:
            data["guild_id"] = str(channel.guild_id)
        self.hub.dispatch("CHANNEL_PINS_UPDATE", data)
        self.hub.dispatch("MESSAGE_UPDATE", _public(message))

    def pins(self, channel_id: int) -> list[tuple[JSON, dt.datetime]]:
        """(message, pinned at) for pinned messages, most recently pinned first."""
        pinned_at = self.world.pinned_at
        pinned = [
            (m, pinned_at.get(int(m["id"]), utcnow()))
            for m in self.world.history(channel_id)
            if m.get("pinned")
        ]
        pinned.sort(key=lambda pair: pair[1], reverse=True)
        return pinned

    # -- threads and channels --------------------------------------------------------

    def create_thread(
        self,
        parent_id: int,
        name: str,
        owner: User,
        *,
        type_: int | None = None,
        auto_archive_duration: int | None = None,
        invitable: bool = True,
        rate_limit_per_user: int = 0,
        from_message_id: int | None = None,
    ) -> Channel:
        """Start a thread (from a message: the thread gets the message's id) and send
        THREAD_CREATE. Without a message the default type is private, as on Discord."""
        world = self.world
        parent = world.channel(parent_id)
        if parent.type not in (GUILD_TEXT, GUILD_ANNOUNCEMENT) or parent.guild_id is None:
            raise errors.bad_request("Cannot start a thread in this channel")
        duration = auto_archive_duration or 1440
        if duration not in THREAD_ARCHIVE_DURATIONS:
            raise errors.bad_request("auto_archive_duration must be 60, 1440, 4320 or 10080")
        starter: JSON | None = None
        if from_message_id is not None:
            starter = world.message(parent_id, from_message_id)
            if from_message_id in world.channels:
                raise errors.DiscordHTTPError(
                    400, 160004, "A thread has already been created for this message"
                )
            thread_type = 10 if parent.type == GUILD_ANNOUNCEMENT else PUBLIC_THREAD
        else:
            thread_type = type_ if type_ is not None else PRIVATE_THREAD
        thread = world.add_thread(
            parent_id,
            name,
            owner_id=owner.id,
            type_=thread_type,
            auto_archive_duration=duration,
            invitable=invitable,
            thread_id=from_message_id,
            rate_limit_per_user=rate_limit_per_user,
        )
        payload = payloads.channel(thread, me_id=self.world.bot_user.id)
        if starter is not None:
            starter["thread"] = payload
        self.hub.dispatch("THREAD_CREATE", payload | {"newly_created": True})
        return thread

    def set_thread_member(self, thread_id: int, user_id: int, *, joined: bool) -> None:
        """Add/remove a thread member; the bot gets THREAD_MEMBER_UPDATE on join."""
        world = self.world
        thread = world.channel(thread_id)
        if thread.thread is None or thread.guild_id is None:
            raise errors.bad_request("Not a thread")
        members = thread.thread.members
        bot_id = world.bot_user.id
        if joined:
            if user_id in members:
                return
            if thread.thread.archived:
                raise errors.archived_thread()
            members[user_id] = utcnow()
            if user_id == bot_id:
                self.hub.dispatch(
                    "THREAD_MEMBER_UPDATE",
                    payloads.thread_member(thread, user_id, guild_id=thread.guild_id),
                )
                return
            added = payloads.thread_member(thread, user_id)
            member = world.guild(thread.guild_id).members.get(user_id)
            if member is not None:
                added["member"] = payloads.member(member)
            update: JSON = {"added_members": [added]}
        else:
            if members.pop(user_id, None) is None:
                return
            update = {"removed_member_ids": [str(user_id)]}
        self.hub.dispatch(
            "THREAD_MEMBERS_UPDATE",
            {
                "id": str(thread.id),
                "guild_id": str(thread.guild_id),
                "member_count": min(len(members), 50),
                **update,
            },
        )

    def update_channel(self, channel_id: int, changes: JSON) -> Channel:
        """``PATCH /channels/{id}``: rename, archive/lock a thread, change a topic..."""
        channel = self.world.channel(channel_id)
        if changes.get("name"):
            channel.name = str(changes["name"])
        if "rate_limit_per_user" in changes and changes["rate_limit_per_user"] is not None:
            channel.rate_limit_per_user = int(changes["rate_limit_per_user"])
        if channel.thread is not None:
            t = channel.thread
            if "archived" in changes and changes["archived"] is not None:
                if bool(changes["archived"]) != t.archived:
                    t.archive_timestamp = utcnow()
                t.archived = bool(changes["archived"])
            if "locked" in changes and changes["locked"] is not None:
                t.locked = bool(changes["locked"])
            if changes.get("auto_archive_duration") is not None:
                t.auto_archive_duration = int(changes["auto_archive_duration"])
            if changes.get("invitable") is not None:
                t.invitable = bool(changes["invitable"])
        else:
            if "topic" in changes:
                channel.topic = changes["topic"]
            if changes.get("position") is not None:
                channel.position = int(changes["position"])
            if changes.get("nsfw") is not None:
                channel.nsfw = bool(changes["nsfw"])
            if "parent_id" in changes:
                parent = changes["parent_id"]
                channel.parent_id = None if parent is None else int(parent)
            if changes.get("permission_overwrites") is not None:
                channel.overwrites = [
                    Overwrite(
                        id=int(o["id"]),
                        type=int(o.get("type", 0)),
                        allow=int(o.get("allow", 0)),
                        deny=int(o.get("deny", 0)),
                    )
                    for o in changes["permission_overwrites"]
                ]
        self.announce_channel(channel, created=False)
        return channel

    def _ensure_writable(self, channel: Channel) -> None:
        t = channel.thread
        if t is None or not t.archived:
            return
        if t.locked:
            raise errors.archived_thread()
        t.archived = False
        t.archive_timestamp = utcnow()
        self.announce_channel(channel, created=False)

    # -- helpers ---------------------------------------------------------------------

    def _resolve_reference(
        self, channel: Channel, reference: JSON | None
    ) -> tuple[JSON | None, JSON | None]:
        if not reference or reference.get("message_id") is None:
            return None, None
        ref_channel_id = int(reference.get("channel_id") or channel.id)
        ref_id = int(reference["message_id"])
        try:
            target = self.world.message(ref_channel_id, ref_id)
        except errors.DiscordHTTPError:
            if reference.get("fail_if_not_exists", True):
                raise errors.bad_request("Unknown message in message_reference") from None
            return None, None
        out: JSON = {
            "type": int(reference.get("type", 0)),
            "message_id": str(ref_id),
            "channel_id": str(ref_channel_id),
        }
        if channel.guild_id is not None:
            out["guild_id"] = str(channel.guild_id)
        return out, payloads.referenced(_public(target))

    def _resolve_mentions(
        self,
        channel: Channel,
        content: str,
        allowed: JSON | None,
        *,
        replied_author: int | None,
        everyone_override: bool | None = None,
    ) -> tuple[list[JSON], list[int], bool]:
        """(mentions, mention_roles, mention_everyone) as Discord computes them:
        what the content mentions, filtered by ``allowed_mentions``."""
        if allowed is None:
            parse = {"users", "roles", "everyone"}
            allowed_users: set[int] = set()
            allowed_roles: set[int] = set()
            replied_ok = True
        else:
            parse = set(allowed.get("parse") or [])
            allowed_users = {int(u) for u in allowed.get("users") or []}
            allowed_roles = {int(r) for r in allowed.get("roles") or []}
            replied_ok = bool(allowed.get("replied_user", False))
        world = self.world
        guild = world.guilds.get(channel.guild_id) if channel.guild_id is not None else None

        user_ids: list[int] = []
        for raw in _USER_MENTION.findall(content or ""):
            uid = int(raw)
            if (
                uid in world.users
                and uid not in user_ids
                and ("users" in parse or uid in allowed_users)
            ):
                user_ids.append(uid)
        if replied_author is not None and replied_ok and replied_author not in user_ids:
            user_ids.append(replied_author)
        mentions: list[JSON] = []
        for uid in user_ids:
            entry = payloads.user(world.users[uid])
            if guild is not None and uid in guild.members:
                entry["member"] = payloads.member(guild.members[uid], with_user=False)
            mentions.append(entry)

        roles: list[int] = []
        if guild is not None:
            for raw in _ROLE_MENTION.findall(content or ""):
                rid = int(raw)
                if (
                    rid in guild.roles
                    and rid not in roles
                    and ("roles" in parse or rid in allowed_roles)
                ):
                    roles.append(rid)
        if everyone_override is not None:
            everyone = everyone_override
        else:
            text = content or ""
            everyone = "everyone" in parse and ("@everyone" in text or "@here" in text)
        return mentions, roles, everyone


def _public(message: JSON) -> JSON:
    """A stored message without the sandbox-only ``allowed_mentions`` record."""
    return {k: v for k, v in message.items() if k != "allowed_mentions"}


def public_message(message: JSON) -> JSON:
    """The Discord-facing form of a stored message (for REST answers)."""
    return _public(message)


def _update_reaction_summary(message: JSON, emoji: JSON, users: list[str], bot_id: str) -> None:
    """Keep ``message["reactions"]`` in line with who reacted with ``emoji``."""
    reactions: list[JSON] = message.setdefault("reactions", [])
    entry = next((r for r in reactions if r["emoji"] == emoji), None)
    if not users:
        if entry is not None:
            reactions.remove(entry)
        return
    if entry is None:
        entry = {"emoji": emoji, "me_burst": False, "burst_colors": []}
        reactions.append(entry)
    entry["count"] = len(users)
    entry["count_details"] = {"burst": 0, "normal": len(users)}
    entry["me"] = bot_id in users


def _parse_emoji(emoji: str) -> JSON:
    """``name:id`` (custom) or a unicode emoji, as in the reactions route."""
    if ":" in emoji:
        name, _, emoji_id = emoji.rpartition(":")
        return {"id": emoji_id, "name": name[2:] if name.startswith("a:") else name}
    return {"id": None, "name": emoji}


def _emoji_key(emoji: JSON) -> str:
    return str(emoji["id"] or emoji["name"])


def _guess_content_type(filename: str) -> str | None:
    return mimetypes.guess_type(filename)[0]
