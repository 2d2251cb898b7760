"""Channels and threads: fetch/patch a channel, start threads, thread membership."""

from __future__ import annotations

from .. import errors, payloads
from ..rest import RestRequest, RestResponse, Router, Services, no_content, ok
from ..state import PUBLIC_THREAD, THREAD_TYPES


def register(router: Router, s: Services) -> None:
    world = s.world
    engine = s.engine
    bot_id = world.bot_user.id

    def get_channel(req: RestRequest) -> RestResponse:
        channel = world.channel(req.snowflake("channel_id"))
        return ok(payloads.channel(channel, me_id=bot_id, world=world))

    def patch_channel(req: RestRequest) -> RestResponse:
        channel = engine.update_channel(req.snowflake("channel_id"), req.body)
        return ok(payloads.channel(channel, me_id=bot_id, world=world))

    def thread_from_message(req: RestRequest) -> RestResponse:
        body = req.body
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise errors.bad_request("name: Must be between 1 and 100 in length.")
        thread = engine.create_thread(
            req.snowflake("channel_id"),
            name,
            world.bot_user,
            auto_archive_duration=body.get("auto_archive_duration"),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
            from_message_id=req.snowflake("message_id"),
        )
        return RestResponse(201, payloads.channel(thread, me_id=bot_id))

    def thread_without_message(req: RestRequest) -> RestResponse:
        body = req.body
        name = str(body.get("name") or "")
        if not 1 <= len(name) <= 100:
            raise errors.bad_request("name: Must be between 1 and 100 in length.")
        thread_type = body.get("type")
        if thread_type is not None and int(thread_type) not in THREAD_TYPES:
            raise errors.bad_request("type: Not a thread type")
        thread = engine.create_thread(
            req.snowflake("channel_id"),
            name,
            world.bot_user,
            type_=None if thread_type is None else int(thread_type),
            auto_archive_duration=body.get("auto_archive_duration"),
            invitable=bool(body.get("invitable", True)),
            rate_limit_per_user=int(body.get("rate_limit_per_user") or 0),
        )
        return RestResponse(201, payloads.channel(thread, me_id=bot_id))

    def _thread_member_id(req: RestRequest) -> int:
        return bot_id if req.params.get("user_id", "@me") == "@me" else req.snowflake("user_id")

    def join(req: RestRequest) -> RestResponse:
        engine.set_thread_member(req.snowflake("channel_id"), _thread_member_id(req), joined=True)
        return no_content()

    def leave(req: RestRequest) -> RestResponse:
        engine.set_thread_member(req.snowflake("channel_id"), _thread_member_id(req), joined=False)
        return no_content()

    def list_thread_members(req: RestRequest) -> RestResponse:
        thread = world.channel(req.snowflake("channel_id"))
        if thread.thread is None:
            raise errors.bad_request("Not a thread")
        return ok([payloads.thread_member(thread, uid) for uid in thread.thread.members])

    def get_thread_member(req: RestRequest) -> RestResponse:
        thread = world.channel(req.snowflake("channel_id"))
        user_id = req.snowflake("user_id")
        if thread.thread is None or user_id not in thread.thread.members:
            raise errors.unknown_member()
        return ok(payloads.thread_member(thread, user_id))

    def archived_public(req: RestRequest) -> RestResponse:
        parent_id = req.snowflake("channel_id")
        parent = world.channel(parent_id)
        if parent.guild_id is None:
            raise errors.bad_request("Not a guild channel")
        threads = [
            t
            for t in world.threads_of(parent.guild_id)
            if t.parent_id == parent_id
            and t.thread is not None
            and t.thread.archived
            and t.type == PUBLIC_THREAD
        ]
        return ok(
            {
                "threads": [payloads.channel(t, me_id=bot_id) for t in threads],
                "members": [
                    payloads.thread_member(t, bot_id)
                    for t in threads
                    if t.thread is not None and bot_id in t.thread.members
                ],
                "has_more": False,
            }
        )

    router.add("GET", "/channels/{channel_id}", get_channel)
    router.add("PATCH", "/channels/{channel_id}", patch_channel)
    router.add("POST", "/channels/{channel_id}/messages/{message_id}/threads", thread_from_message)
    router.add("POST", "/channels/{channel_id}/threads", thread_without_message)
    router.add("GET", "/channels/{channel_id}/threads/archived/public", archived_public)
    router.add("PUT", "/channels/{channel_id}/thread-members/@me", join)
    router.add("DELETE", "/channels/{channel_id}/thread-members/@me", leave)
    router.add("GET", "/channels/{channel_id}/thread-members", list_thread_members)
    router.add("PUT", "/channels/{channel_id}/thread-members/{user_id}", join)
    router.add("DELETE", "/channels/{channel_id}/thread-members/{user_id}", leave)
    router.add("GET", "/channels/{channel_id}/thread-members/{user_id}", get_thread_member)
