"""Interaction callbacks and the interaction webhook (followups, ``@original``).

These routes need no bot token, as on Discord: the interaction token authenticates.
"""

from __future__ import annotations

from .. import errors
from ..engine import public_message
from ..interactions import CHANNEL_MESSAGE, UPDATE_MESSAGE
from ..rest import RestRequest, RestResponse, Router, Services, no_content, ok
from ..state import StoredInteraction
from .common import uploaded_attachments, validate_message_body


def register(router: Router, s: Services) -> None:
    service = s.interactions

    def callback(req: RestRequest) -> RestResponse:
        stored = service.lookup(req.snowflake("webhook_id"), req.params["webhook_token"])
        body = req.body
        data = body.get("data") or {}
        cb_type = int(body.get("type", 0))
        if cb_type == CHANNEL_MESSAGE:
            validate_message_body(data, has_files=bool(req.files))
        elif cb_type == UPDATE_MESSAGE:
            validate_message_body(data, has_files=bool(req.files), require_something=False)
        attachments = uploaded_attachments(s, req, stored.channel_id, data.get("attachments"))
        result = service.callback(stored, body, attachments)
        return ok(result) if req.flag("with_response") else no_content()

    def _stored(req: RestRequest) -> StoredInteraction:
        return service.by_webhook(req.snowflake("webhook_id"), req.params["webhook_token"])

    def followup(req: RestRequest) -> RestResponse:
        stored = _stored(req)
        body = req.body
        validate_message_body(body, has_files=bool(req.files))
        attachments = uploaded_attachments(s, req, stored.channel_id, body.get("attachments"))
        message = service.followup(stored, body, attachments)
        return ok(public_message(message)) if req.flag("wait") else no_content()

    def _which(req: RestRequest) -> str:
        return req.params.get("message_id", "@original")

    def get_message(req: RestRequest) -> RestResponse:
        return ok(public_message(service.get_message(_stored(req), _which(req))))

    def edit_message(req: RestRequest) -> RestResponse:
        stored = _stored(req)
        body = req.body
        validate_message_body(body, has_files=bool(req.files), require_something=False)
        attachments = uploaded_attachments(s, req, stored.channel_id, body.get("attachments"))
        message = service.edit_message(stored, _which(req), body, attachments)
        return ok(public_message(message))

    def delete_message(req: RestRequest) -> RestResponse:
        service.delete_message(_stored(req), _which(req))
        return no_content()

    def get_webhook(req: RestRequest) -> RestResponse:
        stored = _stored(req)
        app = s.world.application
        return ok(
            {
                "id": str(app.id),
                "type": 3,
                "name": app.name,
                "avatar": None,
                "channel_id": str(stored.channel_id),
                "guild_id": None if stored.guild_id is None else str(stored.guild_id),
                "application_id": str(app.id),
                "token": stored.token,
            }
        )

    def not_allowed(req: RestRequest) -> RestResponse:
        raise errors.DiscordHTTPError(405, 0, "405: Method Not Allowed")

    router.add("POST", "/interactions/{webhook_id}/{webhook_token}/callback", callback, auth=False)
    hook = "/webhooks/{webhook_id}/{webhook_token}"
    router.add("POST", hook, followup, auth=False)
    router.add("GET", hook, get_webhook, auth=False)
    router.add("PATCH", hook, not_allowed, auth=False)
    for which in ("@original", "{message_id}"):
        router.add("GET", f"{hook}/messages/{which}", get_message, auth=False)
        router.add("PATCH", f"{hook}/messages/{which}", edit_message, auth=False)
        router.add("DELETE", f"{hook}/messages/{which}", delete_message, auth=False)
