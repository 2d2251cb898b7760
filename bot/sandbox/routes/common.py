"""Helpers shared by route handlers: message-body validation and uploaded attachments."""

from __future__ import annotations

from .. import errors
from ..rest import RestRequest, Services
from ..state import JSON

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000


def validate_message_body(body: JSON, *, has_files: bool, require_something: bool = True) -> None:
    """Discord's size limits (400 code 50035) and the empty-message rule (50006)."""
    content = body.get("content") or ""
    embeds = body.get("embeds") or []
    if len(content) > MAX_CONTENT:
        raise errors.bad_request("content: Must be 2000 or fewer in length.")
    if len(embeds) > MAX_EMBEDS:
        raise errors.bad_request("embeds: Must be 10 or fewer in length.")
    if sum(_embed_size(e) for e in embeds) > MAX_EMBED_TOTAL:
        raise errors.bad_request("embeds: Embed size exceeds maximum size of 6000")
    if require_something and not (
        content
        or embeds
        or has_files
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
    ):
        raise errors.DiscordHTTPError(400, 50006, "Cannot send an empty message")


def _embed_size(embed: JSON) -> int:
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for fld in embed.get("fields") or []:
        total += len(fld.get("name") or "") + len(fld.get("value") or "")
    return total


def uploaded_attachments(
    services: Services, req: RestRequest, channel_id: int, attachments_meta: list[JSON] | None
) -> list[JSON]:
    """Attachment objects for the request's ``files[n]``, using the matching entries of
    the body's ``attachments`` (``{"id": n, "filename": ..., "description": ...}``)."""
    meta_by_index: dict[int, JSON] = {}
    for entry in attachments_meta or []:
        if isinstance(entry, dict) and "filename" in entry:
            try:
                meta_by_index[int(entry["id"])] = entry
            except (KeyError, TypeError, ValueError):
                continue
    out: list[JSON] = []
    for upload in req.files:
        meta = meta_by_index.get(upload.index, {})
        out.append(
            services.engine.store_attachment(
                channel_id,
                str(meta.get("filename") or upload.filename),
                upload.data,
                description=meta.get("description"),
            )
        )
    return out
