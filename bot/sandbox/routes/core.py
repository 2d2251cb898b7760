"""Users, the application, the gateway address, application commands and guild reads."""

from __future__ import annotations

from typing import Any

from .. import errors, payloads
from ..rest import RestRequest, RestResponse, Router, Services, no_content, ok
from ..state import JSON


def register(router: Router, s: Services) -> None:
    world = s.world

    # -- users and application ---------------------------------------------------------

    def get_me(req: RestRequest) -> RestResponse:
        return ok(
            payloads.user(world.bot_user)
            | {"verified": True, "mfa_enabled": False, "email": None, "locale": "en-US"}
        )

    def get_user(req: RestRequest) -> RestResponse:
        return ok(payloads.user(world.user(req.snowflake("user_id"))))

    def get_application(req: RestRequest) -> RestResponse:
        return ok(payloads.application(world.application, world.bot_user))

    def my_guilds(req: RestRequest) -> RestResponse:
        return ok(
            [
                {
                    "id": str(g.id),
                    "name": g.name,
                    "icon": None,
                    "banner": None,
                    "owner": False,
                    "permissions": str(world.permissions_for(g.id, world.bot_user.id)),
                    "features": [],
                }
                for g in world.guilds.values()
            ]
        )

    def open_dm(req: RestRequest) -> RestResponse:
        recipient = req.body.get("recipient_id")
        if recipient is None:
            raise errors.bad_request("recipient_id is required")
        channel = world.dm_channel(int(recipient))
        return ok(payloads.channel(channel, world=world))

    router.add("GET", "/users/@me", get_me)
    router.add("GET", "/users/@me/guilds", my_guilds)
    router.add("POST", "/users/@me/channels", open_dm)
    router.add("GET", "/users/{user_id}", get_user)
    router.add("GET", "/oauth2/applications/@me", get_application)
    router.add("GET", "/applications/@me", get_application)

    # -- gateway -----------------------------------------------------------------------

    def get_gateway(req: RestRequest) -> RestResponse:
        return ok({"url": s.gateway_url()})

    def get_gateway_bot(req: RestRequest) -> RestResponse:
        return ok(
            {
                "url": s.gateway_url(),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": (
                        1000 - s.hub.identify_count
                        if s.hub.config.session_starts_remaining is None
                        else s.hub.config.session_starts_remaining
                    ),
                    "reset_after": s.hub.config.session_starts_reset_after_ms,
                    "max_concurrency": 1,
                },
            }
        )

    router.add("GET", "/gateway", get_gateway, auth=False)
    router.add("GET", "/gateway/bot", get_gateway_bot)

    # -- application commands ------------------------------------------------------------

    def _check_app(req: RestRequest) -> None:
        if req.snowflake("application_id") != world.application.id:
            raise errors.DiscordHTTPError(403, 50001, "Missing Access")

    def _guild_scope(req: RestRequest) -> int | None:
        if "guild_id" not in req.params:
            return None
        guild_id = req.snowflake("guild_id")
        world.guild(guild_id)
        return guild_id

    def _normalise(command: JSON, guild_id: int | None) -> JSON:
        out: JSON = dict(command)
        cmd_type = int(out.get("type", 1))
        key = (guild_id, str(out.get("name")), cmd_type)
        command_id = world.commands.ids.get(key)
        if command_id is None:
            command_id = world.snowflakes.next()
            world.commands.ids[key] = command_id
        out.update(
            id=str(command_id),
            application_id=str(world.application.id),
            version=str(world.snowflakes.next()),
            type=cmd_type,
        )
        out.setdefault("description", "")
        out.setdefault("default_member_permissions", None)
        out.setdefault("nsfw", False)
        out.setdefault("options", [])
        if guild_id is not None:
            out["guild_id"] = str(guild_id)
        else:
            out.setdefault("contexts", None)
            out.setdefault("integration_types", [0])
        return out

    def _store(guild_id: int | None) -> list[JSON]:
        if guild_id is None:
            return world.commands.global_commands
        return world.commands.guild_commands.setdefault(guild_id, [])

    def put_commands(req: RestRequest) -> RestResponse:
        _check_app(req)
        guild_id = _guild_scope(req)
        given: Any = req.json if isinstance(req.json, list) else []
        commands = [_normalise(c, guild_id) for c in given if isinstance(c, dict)]
        store = _store(guild_id)
        store[:] = commands
        return ok(commands)

    def get_commands(req: RestRequest) -> RestResponse:
        _check_app(req)
        return ok(list(_store(_guild_scope(req))))

    def post_command(req: RestRequest) -> RestResponse:
        _check_app(req)
        guild_id = _guild_scope(req)
        command = _normalise(req.body, guild_id)
        store = _store(guild_id)
        store[:] = [c for c in store if c["id"] != command["id"]] + [command]
        return RestResponse(201, command)

    def _find_command(req: RestRequest) -> tuple[list[JSON], JSON]:
        _check_app(req)
        store = _store(_guild_scope(req))
        wanted = req.params.get("command_id")
        for command in store:
            if command["id"] == wanted:
                return store, command
        raise errors.DiscordHTTPError(404, 10063, "Unknown application command")

    def get_command(req: RestRequest) -> RestResponse:
        return ok(_find_command(req)[1])

    def delete_command(req: RestRequest) -> RestResponse:
        store, command = _find_command(req)
        store.remove(command)
        return no_content()

    def command_permissions(req: RestRequest) -> RestResponse:
        _check_app(req)
        return ok([])

    for base in (
        "/applications/{application_id}",
        "/applications/{application_id}/guilds/{guild_id}",
    ):
        router.add("PUT", f"{base}/commands", put_commands)
        router.add("GET", f"{base}/commands", get_commands)
        router.add("POST", f"{base}/commands", post_command)
        router.add("GET", f"{base}/commands/permissions", command_permissions)
        router.add("GET", f"{base}/commands/{{command_id}}", get_command)
        router.add("DELETE", f"{base}/commands/{{command_id}}", delete_command)

    # -- guild reads -----------------------------------------------------------------------

    def get_guild(req: RestRequest) -> RestResponse:
        guild = world.guild(req.snowflake("guild_id"))
        return ok(payloads.guild(guild, with_counts=req.flag("with_counts")))

    def get_member(req: RestRequest) -> RestResponse:
        member = world.member(req.snowflake("guild_id"), req.snowflake("user_id"))
        return ok(payloads.member(member))

    def list_members(req: RestRequest) -> RestResponse:
        guild = world.guild(req.snowflake("guild_id"))
        limit = req.int_query("limit", 1) or 1
        after = req.int_query("after", 0) or 0
        members = sorted(guild.members.values(), key=lambda m: m.id)
        return ok([payloads.member(m) for m in members if m.id > after][:limit])

    def list_channels(req: RestRequest) -> RestResponse:
        guild = world.guild(req.snowflake("guild_id"))
        return ok([payloads.channel(world.channels[c]) for c in guild.channel_ids])

    def list_roles(req: RestRequest) -> RestResponse:
        guild = world.guild(req.snowflake("guild_id"))
        return ok([payloads.role(r) for r in guild.roles.values()])

    def active_threads(req: RestRequest) -> RestResponse:
        guild_id = req.snowflake("guild_id")
        threads = world.threads_of(guild_id, active_only=True)
        bot_id = world.bot_user.id
        members = [
            payloads.thread_member(t, bot_id)
            for t in threads
            if t.thread is not None and bot_id in t.thread.members
        ]
        return ok(
            {"threads": [payloads.channel(t, me_id=bot_id) for t in threads], "members": members}
        )

    router.add("GET", "/guilds/{guild_id}", get_guild)
    router.add("GET", "/guilds/{guild_id}/members", list_members)
    router.add("GET", "/guilds/{guild_id}/members/{user_id}", get_member)
    router.add("GET", "/guilds/{guild_id}/channels", list_channels)
    router.add("GET", "/guilds/{guild_id}/roles", list_roles)
    router.add("GET", "/guilds/{guild_id}/threads/active", active_threads)
