"""Channel messages: send (JSON or multipart), history, fetch, edit, delete, bulk
delete, reactions and pins."""

from __future__ import annotations

from .. import errors, payloads
from ..engine import FLAG_EPHEMERAL, public_message
from ..rest import Handler, RestRequest, RestResponse, Router, Services, no_content, ok
from ..snowflakes import iso_timestamp
from .common import uploaded_attachments, validate_message_body

# Flags a bot may set on a channel message: SUPPRESS_EMBEDS, SUPPRESS_NOTIFICATIONS,
# IS_VOICE_MESSAGE, IS_COMPONENTS_V2.
_SETTABLE_FLAGS = (1 << 2) | (1 << 12) | (1 << 13) | (1 << 15)


def register(router: Router, s: Services) -> None:
    world = s.world
    engine = s.engine

    def create_message(req: RestRequest) -> RestResponse:
        channel_id = req.snowflake("channel_id")
        world.channel(channel_id)
        body = req.body
        validate_message_body(body, has_files=bool(req.files))
        attachments = uploaded_attachments(s, req, channel_id, body.get("attachments"))
        message = engine.post_message(
            channel_id,
            world.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds"),
            components=body.get("components"),
            attachments=attachments,
            flags=int(body.get("flags") or 0) & _SETTABLE_FLAGS,
            tts=bool(body.get("tts", False)),
            message_reference=body.get("message_reference"),
            allowed_mentions=body.get("allowed_mentions"),
            nonce=body.get("nonce"),
        )
        return ok(public_message(message))

    def list_messages(req: RestRequest) -> RestResponse:
        channel_id = req.snowflake("channel_id")
        limit = req.int_query("limit", 50) or 50
        if not 1 <= limit <= 100:
            raise errors.bad_request("limit: int value should be between 1 and 100")
        history = world.query_history(
            channel_id,
            limit=limit,
            before=req.int_query("before"),
            after=req.int_query("after"),
            around=req.int_query("around"),
        )
        return ok([public_message(m) for m in history])

    def get_message(req: RestRequest) -> RestResponse:
        message = world.message(req.snowflake("channel_id"), req.snowflake("message_id"))
        if int(message.get("flags", 0)) & FLAG_EPHEMERAL:
            raise errors.unknown_message()
        return ok(public_message(message))

    def edit_message(req: RestRequest) -> RestResponse:
        channel_id = req.snowflake("channel_id")
        message_id = req.snowflake("message_id")
        message = world.message(channel_id, message_id)
        body = dict(req.body)
        own = str(message["author"]["id"]) == str(world.bot_user.id)
        if not own and set(body) - {"flags"}:
            raise errors.not_author()
        validate_message_body(body, has_files=bool(req.files), require_something=False)
        attachments = uploaded_attachments(s, req, channel_id, body.get("attachments"))
        if "flags" in body and body["flags"] is not None:
            body["flags"] = int(body["flags"]) & _SETTABLE_FLAGS
        updated = engine.edit_message(channel_id, message_id, body, new_attachments=attachments)
        return ok(public_message(updated))

    def delete_message(req: RestRequest) -> RestResponse:
        engine.delete_message(req.snowflake("channel_id"), req.snowflake("message_id"))
        return no_content()

    def bulk_delete(req: RestRequest) -> RestResponse:
        channel_id = req.snowflake("channel_id")
        ids = [int(i) for i in req.body.get("messages") or []]
        if not 2 <= len(ids) <= 100:
            raise errors.bad_request("messages: must contain 2 to 100 ids")
        for message_id in ids:
            world.message(channel_id, message_id)
        engine.bulk_delete(channel_id, ids)
        return no_content()

    router.add("POST", "/channels/{channel_id}/messages", create_message)
    router.add("GET", "/channels/{channel_id}/messages", list_messages)
    router.add("POST", "/channels/{channel_id}/messages/bulk-delete", bulk_delete)

    # -- pins (registered before /messages/{message_id} so "pins" is not an id) ---------------

    def set_pin(pinned: bool) -> Handler:
        def handler(req: RestRequest) -> RestResponse:
            engine.pin(req.snowflake("channel_id"), req.snowflake("message_id"), pinned=pinned)
            return no_content()

        return handler

    def list_pins(req: RestRequest) -> RestResponse:
        pins = engine.pins(req.snowflake("channel_id"))
        limit = req.int_query("limit", 50) or 50
        before = req.query.get("before")
        items = [
            {"pinned_at": iso_timestamp(at), "message": public_message(m)}
            for m, at in pins
            if before is None or iso_timestamp(at) < before
        ]
        return ok({"items": items[:limit], "has_more": len(items) > limit})

    def list_pins_legacy(req: RestRequest) -> RestResponse:
        return ok([public_message(m) for m, _ in engine.pins(req.snowflake("channel_id"))])

    pin = set_pin(True)
    unpin = set_pin(False)
    for base in ("/channels/{channel_id}/messages/pins", "/channels/{channel_id}/pins"):
        router.add("PUT", f"{base}/{{message_id}}", pin)
        router.add("DELETE", f"{base}/{{message_id}}", unpin)
    router.add("GET", "/channels/{channel_id}/messages/pins", list_pins)
    router.add("GET", "/channels/{channel_id}/pins", list_pins_legacy)

    router.add("GET", "/channels/{channel_id}/messages/{message_id}", get_message)
    router.add("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message)
    router.add("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message)

    # -- reactions ---------------------------------------------------------------------------

    def _emoji(req: RestRequest) -> str:
        return req.params["emoji"]

    def add_own_reaction(req: RestRequest) -> RestResponse:
        engine.react(
            req.snowflake("channel_id"),
            req.snowflake("message_id"),
            _emoji(req),
            world.bot_user.id,
            add=True,
        )
        return no_content()

    def remove_own_reaction(req: RestRequest) -> RestResponse:
        engine.react(
            req.snowflake("channel_id"),
            req.snowflake("message_id"),
            _emoji(req),
            world.bot_user.id,
            add=False,
        )
        return no_content()

    def remove_user_reaction(req: RestRequest) -> RestResponse:
        engine.react(
            req.snowflake("channel_id"),
            req.snowflake("message_id"),
            _emoji(req),
            req.snowflake("member_id"),
            add=False,
        )
        return no_content()

    def list_reactors(req: RestRequest) -> RestResponse:
        channel_id = req.snowflake("channel_id")
        message_id = req.snowflake("message_id")
        world.message(channel_id, message_id)
        emoji = _emoji(req)
        key = emoji.rpartition(":")[2] if ":" in emoji else emoji
        users = world.reaction_users.get((message_id, key), [])
        return ok([payloads.user(world.users[int(u)]) for u in users if int(u) in world.users])

    reactions = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"
    router.add("PUT", f"{reactions}/@me", add_own_reaction)
    router.add("DELETE", f"{reactions}/@me", remove_own_reaction)
    router.add("DELETE", f"{reactions}/{{member_id}}", remove_user_reaction)
    router.add("GET", reactions, list_reactors)
