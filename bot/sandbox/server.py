"""``DiscordSandbox``: the public face of the sandbox.

It owns the aiohttp server (REST under ``/api/v10``, the gateway at ``/gateway``,
uploaded files under ``/attachments``), the world, and the test-facing API to shape
the world, inject user actions and inspect what the bot did.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import secrets
import socket
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from . import payloads
from .config import SandboxConfig
from .engine import SandboxEngine
from .gateway import GatewayHub
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    InteractionHandle,
    InteractionService,
)
from .permissions import ADMINISTRATOR
from .ratelimits import RateLimitStats
from .recorder import CallPredicate, CallRecorder, RecordedCall
from .rest import FaultRule, RestFrontend, Services
from .routes import build_router
from .state import (
    GUILD_CATEGORY,
    GUILD_TEXT,
    GUILD_VOICE,
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


def make_bot_token(bot_id: int) -> str:
    """A token shaped like Discord's: base64(user id) . base64(timestamp) . hmac."""
    first = base64.urlsafe_b64encode(str(bot_id).encode()).decode().rstrip("=")
    stamp = base64.urlsafe_b64encode(int(time.time()).to_bytes(6, "big")).decode().rstrip("=")
    return f"{first}.{stamp}.{secrets.token_urlsafe(27)}"


class DiscordSandbox:
    """A loopback stand-in for Discord's REST API v10 and gateway.

    >>> async with DiscordSandbox() as sb:
    ...     guild = sb.add_guild("Bibliotheek Noord", locale="nl")
    ...     point_discord_at(sb.api_base_url, sb.gateway_url)
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_name: str = "cocreate",
        config: SandboxConfig | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.config = config or SandboxConfig()
        self.world = World()
        self.world.bot_user.username = bot_name
        self.world.application.name = bot_name
        self.token: str = make_bot_token(self.world.bot_user.id)
        self.recorder = CallRecorder()
        self.hub = GatewayHub(
            self.world, self.config, token=self.token, gateway_url=lambda: self.gateway_url
        )
        self.engine = SandboxEngine(self.world, self.hub, http_base=lambda: self.http_base)
        self.interactions = InteractionService(self.world, self.engine, self.config)
        services = Services(
            world=self.world,
            engine=self.engine,
            interactions=self.interactions,
            hub=self.hub,
            gateway_url=lambda: self.gateway_url,
        )
        self.rest = RestFrontend(
            build_router(services), self.recorder, self.token, config=self.config
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind ``host`` (a free port unless one was given) and serve."""
        if self._runner is not None:
            raise RuntimeError("sandbox already started")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest.handle)
        app.router.add_get("/gateway", self.hub.handle)
        app.router.add_get("/gateway/", self.hub.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._port = int(sock.getsockname()[1])
        site = web.SockSite(runner, sock)
        await site.start()
        self._runner = runner

    async def stop(self) -> None:
        """Close every gateway socket (1001) and the server. Close clients first."""
        runner, self._runner = self._runner, None
        if runner is None:
            return
        await self.hub.close_all()
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("sandbox not started")
        return self._port

    @property
    def http_base(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base_url(self) -> str:
        """What ``discord.http.Route.BASE`` should be: ``http://127.0.0.1:PORT/api/v10``."""
        return f"{self.http_base}/api/v10"

    @property
    def gateway_url(self) -> str:
        """``ws://127.0.0.1:PORT/gateway`` (also sent as ``resume_gateway_url``)."""
        return f"ws://{self.host}:{self.port}/gateway"

    # -- identity --------------------------------------------------------------------------

    @property
    def bot_user(self) -> JSON:
        """The bot's user object (``id`` is a string, as in Discord JSON)."""
        return payloads.user(self.world.bot_user)

    @property
    def bot_id(self) -> int:
        return self.world.bot_user.id

    @property
    def application_id(self) -> int:
        return self.world.application.id

    @property
    def require_message_content_intent(self) -> bool:
        """When True every IDENTIFY is closed with 4014 (see ``SandboxConfig``)."""
        return self.config.require_message_content_intent

    @require_message_content_intent.setter
    def require_message_content_intent(self, value: bool) -> None:
        self.config.require_message_content_intent = value

    # -- shaping the world -------------------------------------------------------------------

    def add_guild(
        self,
        name: str,
        *,
        locale: str = "en-US",
        owner_id: int | None = None,
        description: str | None = None,
    ) -> Guild:
        """A guild with @everyone (id == guild id), the bot's managed role and the bot as
        member. Connected clients get GUILD_CREATE."""
        guild = self.world.add_guild(
            name, locale=locale, owner_id=owner_id, description=description
        )
        self.engine.announce_guild(guild)
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
        role = self.world.add_role(
            guild_id,
            name,
            permissions=permissions,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.engine.announce_role(role)
        return role

    def set_role_permissions(self, guild_id: int, role_id: int, permissions: int) -> None:
        """Change a role's permissions (the @everyone role has the guild's id)."""
        role = self.world.guild(guild_id).roles[role_id]
        role.permissions = permissions
        self.engine.announce_role(role, created=False)

    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type_: int = GUILD_TEXT,
        topic: str | None = None,
        category_id: int | None = None,
        position: int | None = None,
    ) -> Channel:
        """Any guild channel (text 0, voice 2, category 4, announcement 5, forum 15)."""
        channel = self.world.add_channel(
            guild_id, name, type_=type_, topic=topic, parent_id=category_id, position=position
        )
        self.engine.apply_bot_overwrite(self.world.guild(guild_id), channel)
        self.engine.announce_channel(channel)
        return channel

    def add_text_channel(
        self,
        guild_id: int,
        name: str,
        *,
        topic: str | None = None,
        category_id: int | None = None,
        position: int | None = None,
    ) -> Channel:
        return self.add_channel(
            guild_id, name, topic=topic, category_id=category_id, position=position
        )

    def add_category(self, guild_id: int, name: str) -> Channel:
        return self.add_channel(guild_id, name, type_=GUILD_CATEGORY)

    def add_voice_channel(self, guild_id: int, name: str) -> Channel:
        return self.add_channel(guild_id, name, type_=GUILD_VOICE)

    def add_thread(
        self,
        channel_id: int,
        name: str,
        *,
        owner_id: int | None = None,
        private: bool = False,
        archived: bool = False,
        locked: bool = False,
        bot_joined: bool = True,
        member_ids: Sequence[int] = (),
    ) -> Channel:
        """A thread that already exists (e.g. from before the bot started).

        The bot is a member unless ``bot_joined`` is False. Connected clients get
        THREAD_CREATE (not ``newly_created``), as when a thread becomes visible.
        """
        owner = owner_id if owner_id is not None else self.world.bot_user.id
        thread = self.world.add_thread(
            channel_id, name, owner_id=owner, type_=PRIVATE_THREAD if private else PUBLIC_THREAD
        )
        state = thread.thread
        if state is not None:
            state.archived = archived
            state.locked = locked
            now = state.create_timestamp
            for member_id in member_ids:
                state.members[member_id] = now
            if bot_joined:
                state.members[self.world.bot_user.id] = now
            elif owner != self.world.bot_user.id:
                state.members.pop(self.world.bot_user.id, None)
        if not archived:
            self.hub.dispatch("THREAD_CREATE", payloads.channel(thread, me_id=self.bot_id))
        return thread

    def dm_channel(self, user_id: int) -> Channel:
        """The bot's DM channel with a user (created on first use, as Discord does when
        the bot calls ``POST /users/@me/channels``). Inject DMs with
        ``user_message(sb.dm_channel(uid).id, uid, ...)``."""
        return self.world.dm_channel(user_id)

    def add_user(self, username: str, *, global_name: str | None = None, bot: bool = False) -> User:
        """A user who is in no guild (yet)."""
        return self.world.add_user(username, global_name=global_name, bot=bot)

    def add_member(
        self,
        guild_id: int,
        user: str | int | User,
        *,
        roles: Sequence[int] | None = None,
        nick: str | None = None,
        global_name: str | None = None,
        permissions_admin: bool = False,
        joined_at: dt.datetime | None = None,
    ) -> Member:
        """Add a member: ``user`` is a new username, or an existing user (id or object).

        ``permissions_admin`` gives them the guild's "Admin" role (Administrator),
        created on first use. Connected clients get GUILD_MEMBER_ADD.
        """
        world = self.world
        if isinstance(user, User):
            user_obj = user
        elif isinstance(user, int):
            user_obj = world.user(user)
        else:
            user_obj = world.add_user(user, global_name=global_name)
        role_ids = list(roles or [])
        if permissions_admin:
            role_ids.append(self._admin_role(guild_id).id)
        member = world.add_member(
            guild_id, user_obj, roles=role_ids, nick=nick, joined_at=joined_at
        )
        self.engine.announce_member(member)
        return member

    def _admin_role(self, guild_id: int) -> Role:
        guild = self.world.guild(guild_id)
        for role in guild.roles.values():
            if role.name == "Admin" and role.permissions & ADMINISTRATOR:
                return role
        return self.add_role(guild_id, "Admin", permissions=ADMINISTRATOR, hoist=True)

    def set_bot_permissions(self, guild_id: int, permissions: int) -> None:
        """Make the bot's effective permissions in every channel of the guild exactly
        ``permissions`` (its role plus a member overwrite per channel)."""
        self.engine.set_bot_permissions(guild_id, permissions)

    # -- user actions (injected events) ----------------------------------------------------

    def _user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        reply_to: int | None,
        attachments: Sequence[Mapping[str, Any]] | None,
        mentions_everyone: bool,
        embeds: list[JSON] | None,
        at: dt.datetime | None,
        dispatch: bool,
    ) -> JSON:
        world = self.world
        channel = world.channel(channel_id)
        author = world.user(author_id)
        if channel.guild_id is not None and author_id not in world.guild(channel.guild_id).members:
            raise ValueError(f"user {author_id} is not a member of guild {channel.guild_id}")
        reference = (
            {"message_id": str(reply_to), "channel_id": str(channel_id)} if reply_to else None
        )
        return self.engine.post_message(
            channel_id,
            author,
            content=content,
            embeds=embeds,
            attachments=[
                self.engine.user_attachment(channel_id, dict(a)) for a in attachments or []
            ],
            message_reference=reference,
            mention_everyone=mentions_everyone,
            message_id=None if at is None else world.snowflakes.at(at),
            dispatch=dispatch,
        )

    async def user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        attachments: Sequence[Mapping[str, Any]] | None = None,
        mentions_everyone: bool = False,
        embeds: list[JSON] | None = None,
    ) -> JSON:
        """A user posts (channel or thread): stored in history and sent as MESSAGE_CREATE.

        ``attachments``: dicts with ``filename`` and optionally ``content_type``,
        ``size``, ``data`` (bytes served at the attachment URL), ``width``/``height``.
        """
        message = self._user_message(
            channel_id,
            author_id,
            content,
            reply_to=reply_to,
            attachments=attachments,
            mentions_everyone=mentions_everyone,
            embeds=embeds,
            at=None,
            dispatch=True,
        )
        await asyncio.sleep(0)
        return message

    def store_user_message(
        self,
        channel_id: int,
        author_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        attachments: Sequence[Mapping[str, Any]] | None = None,
        at: dt.datetime | None = None,
    ) -> JSON:
        """Put a user message in history WITHOUT an event ("posted while the bot was
        down"). ``at`` back-dates it (its snowflake encodes that time)."""
        return self._user_message(
            channel_id,
            author_id,
            content,
            reply_to=reply_to,
            attachments=attachments,
            mentions_everyone=False,
            embeds=None,
            at=at,
            dispatch=False,
        )

    async def edit_user_message(self, channel_id: int, message_id: int, content: str) -> JSON:
        """The author edits a message: MESSAGE_UPDATE."""
        message = self.engine.edit_message(channel_id, message_id, {"content": content})
        await asyncio.sleep(0)
        return message

    async def delete_user_message(self, channel_id: int, message_id: int) -> None:
        """The message is deleted (by its author or a moderator): MESSAGE_DELETE."""
        self.engine.delete_message(channel_id, message_id)
        await asyncio.sleep(0)

    async def user_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: str, *, remove: bool = False
    ) -> None:
        """A user adds (or removes) a reaction: MESSAGE_REACTION_ADD/REMOVE."""
        self.engine.react(channel_id, message_id, emoji, user_id, add=not remove)
        await asyncio.sleep(0)

    # -- interactions ------------------------------------------------------------------------

    async def slash_command(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        *,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user runs ``/name [subcommand] options...`` (INTERACTION_CREATE type 2).

        ``subcommand`` may be ``"start"`` or ``"group start"``. Option types come from the
        command the bot synced (if any), else from the Python values (str -> string).
        User/channel/role options take ids and get ``resolved`` data.
        """
        since = len(self.recorder.calls)
        data = self.interactions.command_data(
            guild_id, channel_id, name, subcommand=subcommand, options=options
        )
        full_name = " ".join([name, *(subcommand.split() if subcommand else [])])
        stored = self.interactions.create(
            type_=APPLICATION_COMMAND,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            data=data,
            locale=locale,
            command_name=full_name,
        )
        await asyncio.sleep(0)
        return InteractionHandle(stored, self.recorder, since)

    async def autocomplete(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        name: str,
        *,
        focused: str,
        subcommand: str | None = None,
        options: Mapping[str, Any] | None = None,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user types in option ``focused`` (INTERACTION_CREATE type 4); the bot answers
        with callback type 8 whose ``data.choices`` the test can read."""
        since = len(self.recorder.calls)
        data = self.interactions.command_data(
            guild_id, channel_id, name, subcommand=subcommand, options=options, focused=focused
        )
        stored = self.interactions.create(
            type_=AUTOCOMPLETE,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            data=data,
            locale=locale,
            command_name=name,
        )
        await asyncio.sleep(0)
        return InteractionHandle(stored, self.recorder, since)

    async def button_click(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message_id: int,
        custom_id: str,
        *,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user clicks a button on a message (INTERACTION_CREATE type 3)."""
        return await self._component(
            guild_id,
            channel_id,
            user_id,
            message_id,
            {"custom_id": custom_id, "component_type": 2},
            locale,
        )

    async def select_option(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message_id: int,
        custom_id: str,
        values: Sequence[str],
        *,
        component_type: int = 3,
        locale: str = "en-US",
    ) -> InteractionHandle:
        """A user picks ``values`` in a select menu (string select is type 3)."""
        return await self._component(
            guild_id,
            channel_id,
            user_id,
            message_id,
            {"custom_id": custom_id, "component_type": component_type, "values": list(values)},
            locale,
        )

    async def _component(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        message_id: int,
        data: JSON,
        locale: str,
    ) -> InteractionHandle:
        since = len(self.recorder.calls)
        stored = self.interactions.create(
            type_=MESSAGE_COMPONENT,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            data=data,
            locale=locale,
            message_id=message_id,
        )
        await asyncio.sleep(0)
        return InteractionHandle(stored, self.recorder, since)

    async def modal_submit(
        self,
        guild_id: int,
        channel_id: int,
        user_id: int,
        custom_id: str,
        values: Mapping[str, str | list[str]],
        *,
        locale: str = "en-US",
        message_id: int | None = None,
        layout: str | None = None,
    ) -> InteractionHandle:
        """A user submits modal ``custom_id`` with ``{field custom_id: value}``
        (INTERACTION_CREATE type 5). List values are sent as select menu values.

        ``message_id`` defaults to the message whose button opened the modal, as Discord
        sends it. ``layout`` (default ``config.modal_layout``, "auto"): "rows" wraps each field in
        an action row (what ``ui.Modal`` with ``TextInput`` items sends), "labels" in a
        Label (type 18); "auto" copies the modal the bot opened, else rows.
        """
        since = len(self.recorder.calls)
        if message_id is None:
            # A modal opened from a button is submitted "on" that button's message.
            message_id = self.world.modal_origins.get(custom_id)
        stored = self.interactions.create(
            type_=MODAL_SUBMIT,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            data=self.interactions.modal_data(custom_id, values, layout),
            locale=locale,
            message_id=message_id,
        )
        await asyncio.sleep(0)
        return InteractionHandle(stored, self.recorder, since)

    # -- inspecting --------------------------------------------------------------------------

    @property
    def calls(self) -> list[RecordedCall]:
        """Every REST call so far, in arrival order (unknown routes too)."""
        return self.recorder.calls

    async def wait_for_call(
        self, predicate: CallPredicate, timeout: float = 5.0, *, since: int = 0
    ) -> RecordedCall:
        """The first call at index ``>= since`` matching ``predicate`` (waits for it)."""
        return await self.recorder.wait_for(predicate, timeout=timeout, since=since)

    def fail_next(
        self,
        method: str,
        route: str,
        status: int,
        body: Any = None,
        times: int = 1,
        *,
        headers: dict[str, str] | None = None,
        where: Mapping[str, int | str] | None = None,
    ) -> None:
        """Answer the next ``times`` calls to (method, route template) with ``status``.

        ``"*"`` matches any method/route; ``where`` narrows it to route parameters (e.g.
        ``{"channel_id": thread}``). ``body`` defaults to Discord's error body for the
        status (429 gets ``retry_after`` 0.05 s and a ``Via`` header). Note that
        discord.py retries 500/502/504 itself after 1 s, 3 s, ...
        """
        self.rest.faults.append(
            FaultRule(
                method.upper(),
                route,
                status,
                body,
                times,
                dict(headers or {}),
                {name: str(value) for name, value in (where or {}).items()},
            )
        )

    def clear_faults(self) -> None:
        """Forget every injected failure not yet used up."""
        self.rest.faults.clear()

    # -- rate limits -------------------------------------------------------------------------

    @property
    def rate_limits(self) -> bool:
        """Whether Discord-like rate limits are enforced (``config.rate_limits``)."""
        return self.config.rate_limits

    @rate_limits.setter
    def rate_limits(self, value: bool) -> None:
        self.config.rate_limits = value

    @property
    def stats(self) -> RateLimitStats:
        """Requests per route, answers per status, and 429s answered by the rate limiter
        per bucket (``stats.limited``, ``stats.limited_total``) since the start or the
        last :meth:`reset_stats`."""
        return self.rest.stats

    def reset_stats(self) -> RateLimitStats:
        """Start counting afresh; returns the counts so far (which stop changing)."""
        previous, self.rest.stats = self.rest.stats, RateLimitStats()
        return previous

    def reset_rate_limits(self) -> None:
        """Make every bucket full again (forget the open windows)."""
        self.rest.limiter.reset()

    def messages(self, channel_id: int) -> list[JSON]:
        """A channel's or thread's history as stored, oldest first (bot and user
        messages; ephemeral replies are not here). Bot messages keep the
        ``allowed_mentions`` they were sent with."""
        return self.world.history(channel_id)

    def message(self, message_id: int) -> JSON | None:
        """Any message by id, including ephemeral ones."""
        return self.world.find_message(message_id)

    def ephemeral_messages(self, channel_id: int | None = None) -> list[JSON]:
        """Ephemeral interaction replies (oldest first), optionally for one channel."""
        found = sorted(self.world.ephemeral_messages.values(), key=lambda m: int(m["id"]))
        if channel_id is None:
            return found
        return [m for m in found if int(m["channel_id"]) == channel_id]

    @property
    def threads(self) -> list[JSON]:
        """Every thread (active or archived) as a channel object."""
        return [
            payloads.channel(c, me_id=self.bot_id)
            for c in self.world.channels.values()
            if c.is_thread
        ]

    def channel(self, channel_id: int) -> JSON:
        """A channel or thread as a channel object."""
        return payloads.channel(self.world.channel(channel_id), me_id=self.bot_id, world=self.world)

    def commands(self, guild_id: int | None = None) -> list[JSON]:
        """The application commands the bot synced (global, or for one guild)."""
        if guild_id is None:
            return list(self.world.commands.global_commands)
        return list(self.world.commands.guild_commands.get(guild_id, []))

    # -- gateway control ---------------------------------------------------------------------

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait until a client has been sent READY (or RESUMED) on a live socket."""
        await self.hub.wait_until_connected(timeout)

    async def wait_for_resume(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``count`` RESUMEs in total have succeeded."""
        await self.hub.wait_for_count(resumes=count, timeout=timeout)

    @property
    def identify_count(self) -> int:
        return self.hub.identify_count

    @property
    def resume_count(self) -> int:
        return self.hub.resume_count

    async def drop_gateway_connections(self, code: int | None = None) -> int:
        """Break every gateway socket so clients reconnect and RESUME.

        Default: abort the TCP connection (no close frame); pass a close code (e.g.
        4000) to close with a frame instead. Events dispatched meanwhile are replayed
        on RESUME. Returns the number of sockets dropped.
        """
        return await self.hub.drop_connections(code)

    def send_reconnect(self) -> None:
        """Ask connected clients to reconnect (op 7), as Discord does before maintenance."""
        self.hub.send_reconnect()

    # -- static files ------------------------------------------------------------------------

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        try:
            attachment_id = int(request.match_info["attachment_id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        data = self.world.attachment_data.get(attachment_id)
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")
