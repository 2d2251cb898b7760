"""Interactions: building INTERACTION_CREATE payloads and answering the bot's callbacks,
followups and ``@original`` edits the way Discord does.

Discord rules modelled here: one initial callback per interaction (a second gets 400
code 40060); after a type-5 defer the first followup (or an ``@original`` edit) fills in
the "thinking" message and keeps the ephemeral setting of the defer; for component
interactions answered with type 6 or 7, ``@original`` is the message the component is on;
ephemeral messages are never dispatched over the gateway.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import errors, payloads
from .config import SandboxConfig
from .engine import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    MESSAGE_CHAT_INPUT_COMMAND,
    MESSAGE_DEFAULT,
    SandboxEngine,
    public_message,
)
from .state import JSON, StoredInteraction, World

if TYPE_CHECKING:
    from .recorder import CallRecorder, RecordedCall

# Interaction types
PING = 1
APPLICATION_COMMAND = 2
MESSAGE_COMPONENT = 3
AUTOCOMPLETE = 4
MODAL_SUBMIT = 5

# Callback types
PONG = 1
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Application command option types
OPT_SUB_COMMAND = 1
OPT_SUB_COMMAND_GROUP = 2
OPT_STRING = 3
OPT_INTEGER = 4
OPT_BOOLEAN = 5
OPT_USER = 6
OPT_CHANNEL = 7
OPT_ROLE = 8
OPT_MENTIONABLE = 9
OPT_NUMBER = 10
OPT_ATTACHMENT = 11

CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
"""The callback route template (discord.py's own naming of the placeholders)."""


class InteractionHandle:
    """What an injection returns: the interaction's id and token, and ways to see
    how the bot answered it."""

    def __init__(self, stored: StoredInteraction, recorder: CallRecorder, since: int) -> None:
        self._stored = stored
        self._recorder = recorder
        self._since = since

    @property
    def id(self) -> int:
        return self._stored.id

    @property
    def token(self) -> str:
        return self._stored.token

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE payload that was dispatched."""
        return self._stored.payload

    @property
    def response_type(self) -> int | None:
        """The callback type the bot answered with (None: not yet)."""
        return self._stored.response_type

    @property
    def original_message_id(self) -> int | None:
        return self._stored.original_message_id

    @property
    def followup_ids(self) -> list[int]:
        return list(self._stored.followup_ids)

    async def response(self, timeout: float = 5.0) -> RecordedCall:
        """Wait for the bot's initial callback (``POST .../callback``).

        Its ``json`` holds the callback ``type`` (4, 5, 6, 7, 8 or 9) and ``data``.
        """
        stored = self._stored
        return await self._recorder.wait_for(
            lambda c: c.route == CALLBACK_ROUTE and c.params.get("webhook_id") == str(stored.id),
            timeout=timeout,
            since=self._since,
        )

    def calls(self) -> list[RecordedCall]:
        """Every REST call made with this interaction's token so far."""
        token = self._stored.token
        return [
            c for c in self._recorder.calls[self._since :] if c.params.get("webhook_token") == token
        ]


class InteractionService:
    """Creates interactions and handles the bot's answers to them."""

    def __init__(self, world: World, engine: SandboxEngine, config: SandboxConfig) -> None:
        self.world = world
        self.engine = engine
        self.config = config

    # -- creating interactions ---------------------------------------------------------

    def create(
        self,
        *,
        type_: int,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        data: JSON,
        locale: str = "en-US",
        message_id: int | None = None,
        command_name: str | None = None,
    ) -> StoredInteraction:
        """Store an interaction and dispatch INTERACTION_CREATE for it."""
        world = self.world
        channel = world.channel(channel_id)
        user = world.user(user_id)
        interaction_id = world.snowflakes.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        app_id = world.application.id
        payload: JSON = {
            "id": str(interaction_id),
            "application_id": str(app_id),
            "type": type_,
            "data": data,
            "channel_id": str(channel_id),
            "token": token,
            "version": 1,
            "locale": locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": self.config.attachment_size_limit,
        }
        if guild_id is not None:
            guild = world.guild(guild_id)
            member = world.member(guild_id, user_id)
            member_perms = world.permissions_for(guild_id, user_id, channel_id)
            bot_perms = world.permissions_for(guild_id, world.bot_user.id, channel_id)
            payload.update(
                guild_id=str(guild_id),
                guild={"id": str(guild_id), "locale": guild.locale, "features": []},
                guild_locale=guild.locale,
                channel=payloads.channel(channel, me_id=world.bot_user.id)
                | {"permissions": str(member_perms)},
                member=payloads.member(member, permissions=member_perms),
                app_permissions=str(bot_perms),
                authorizing_integration_owners={"0": str(guild_id)},
                context=0,
            )
        else:
            payload.update(
                channel=payloads.channel(channel, world=world),
                user=payloads.user(user),
                app_permissions="0",
                authorizing_integration_owners={"1": str(user_id)},
                context=1,
            )
        if message_id is not None:
            payload["message"] = public_message(world.message(channel_id, message_id))
        stored = StoredInteraction(
            id=interaction_id,
            token=token,
            type=type_,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            payload=payload,
            created_at=time.monotonic(),
            message_id=message_id,
            command_name=command_name,
        )
        world.interactions[interaction_id] = stored
        world.interactions_by_token[token] = stored
        self.engine.hub.dispatch("INTERACTION_CREATE", payload)
        return stored

    def command_data(
        self,
        guild_id: int | None,
        channel_id: int,
        name: str,
        *,
        subcommand: str | None,
        options: Mapping[str, Any] | None,
        focused: str | None = None,
        command_type: int = 1,
    ) -> JSON:
        """``data`` of an APPLICATION_COMMAND (or AUTOCOMPLETE) interaction.

        ``subcommand`` is ``"start"`` or ``"group start"``. Option types come from the
        synced command if there is one; otherwise from the Python value (str -> 3,
        bool -> 5, int -> 4, float -> 10).
        """
        world = self.world
        command = world.commands.find(name, guild_id, command_type)
        path = subcommand.split() if subcommand else []
        defs: list[JSON] | None = command.get("options", []) if command is not None else None
        wrappers: list[tuple[str, int]] = []
        for depth, part in enumerate(path):
            found = _find_option(defs, part)
            if found is not None:
                kind = int(found["type"])
                defs = found.get("options", [])
            else:
                kind = OPT_SUB_COMMAND_GROUP if depth < len(path) - 1 else OPT_SUB_COMMAND
                defs = None
            wrappers.append((part, kind))

        resolved: JSON = {}
        leaf: list[JSON] = []
        for opt_name, value in (options or {}).items():
            definition = _find_option(defs, opt_name)
            opt_type = int(definition["type"]) if definition else _infer_type(value)
            option: JSON = {"name": opt_name, "type": opt_type}
            if opt_name == focused:
                option["value"] = value if isinstance(value, str) else str(value)
                option["focused"] = True
            else:
                option["value"] = self._option_value(
                    opt_type, value, guild_id=guild_id, channel_id=channel_id, resolved=resolved
                )
            leaf.append(option)

        nested = leaf
        for part, kind in reversed(wrappers):
            nested = [{"name": part, "type": kind, "options": nested}]

        data: JSON = {
            "id": str(command["id"]) if command is not None else str(world.snowflakes.next()),
            "name": name,
            "type": command_type,
            "options": nested,
        }
        if command is not None and command.get("guild_id"):
            data["guild_id"] = str(command["guild_id"])
        if resolved:
            data["resolved"] = resolved
        return data

    def modal_data(
        self, custom_id: str, values: Mapping[str, str | list[str]], layout: str | None = None
    ) -> JSON:
        """``data`` of a MODAL_SUBMIT. ``layout``: ``"rows"`` (type 1 action rows around
        text inputs), ``"labels"`` (type 18 labels) or ``"auto"`` (like the modal the
        bot opened with this custom_id; rows if none)."""
        mode = layout or self.config.modal_layout
        if mode == "auto":
            mode = "rows"
            for modal in reversed(self.world.sent_modals):
                if modal.get("custom_id") == custom_id:
                    kinds = {c.get("type") for c in modal.get("components", [])}
                    mode = "labels" if 18 in kinds else "rows"
                    break
        components: list[JSON] = []
        for index, (field_id, value) in enumerate(values.items(), start=1):
            inner: JSON
            if isinstance(value, list):
                inner = {"type": 3, "id": index * 2, "custom_id": field_id, "values": value}
            else:
                inner = {"type": 4, "id": index * 2, "custom_id": field_id, "value": value}
            if mode == "labels":
                components.append({"type": 18, "id": index * 2 - 1, "component": inner})
            else:
                components.append({"type": 1, "id": index * 2 - 1, "components": [inner]})
        return {"custom_id": custom_id, "components": components}

    def _option_value(
        self, opt_type: int, value: Any, *, guild_id: int | None, channel_id: int, resolved: JSON
    ) -> Any:
        if opt_type == OPT_STRING:
            return value if isinstance(value, str) else str(value)
        if opt_type == OPT_INTEGER:
            return int(value)
        if opt_type == OPT_NUMBER:
            return float(value)
        if opt_type == OPT_BOOLEAN:
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)
        if opt_type == OPT_ATTACHMENT:
            spec = value if isinstance(value, dict) else {"filename": str(value)}
            attachment = self.engine.user_attachment(channel_id, spec)
            resolved.setdefault("attachments", {})[attachment["id"]] = attachment
            return attachment["id"]
        snowflake = int(getattr(value, "id", value))
        world = self.world
        guild = world.guilds.get(guild_id) if guild_id is not None else None
        if opt_type in (OPT_USER, OPT_MENTIONABLE) and snowflake in world.users:
            resolved.setdefault("users", {})[str(snowflake)] = payloads.user(world.users[snowflake])
            if guild is not None and snowflake in guild.members:
                perms = world.permissions_for(guild.id, snowflake)
                resolved.setdefault("members", {})[str(snowflake)] = payloads.member(
                    guild.members[snowflake], with_user=False, permissions=perms
                )
        elif opt_type in (OPT_ROLE, OPT_MENTIONABLE) and guild is not None:
            role = guild.roles.get(snowflake)
            if role is not None:
                resolved.setdefault("roles", {})[str(snowflake)] = payloads.role(role)
        elif opt_type == OPT_CHANNEL and snowflake in world.channels:
            channel = world.channels[snowflake]
            entry = payloads.channel(channel)
            if guild is not None:
                perms = world.permissions_for(guild.id, world.bot_user.id, snowflake)
                entry["permissions"] = str(perms)
            resolved.setdefault("channels", {})[str(snowflake)] = entry
        return str(snowflake)

    # -- the bot's answers ---------------------------------------------------------------

    def lookup(self, interaction_id: int, token: str) -> StoredInteraction:
        stored = self.world.interactions.get(interaction_id)
        if stored is None or stored.token != token:
            raise errors.unknown_interaction()
        return stored

    def by_webhook(self, application_id: int, token: str) -> StoredInteraction:
        stored = self.world.interactions_by_token.get(token)
        if stored is None or application_id != self.world.application.id:
            raise errors.unknown_webhook()
        return stored

    def callback(self, stored: StoredInteraction, body: JSON, attachments: list[JSON]) -> JSON:
        """Handle ``POST /interactions/{id}/{token}/callback``; returns the
        ``with_response`` body (interaction callback response object)."""
        deadline = self.config.interaction_response_deadline
        if deadline is not None and time.monotonic() - stored.created_at > deadline:
            raise errors.unknown_interaction()
        if stored.response_type is not None:
            raise errors.already_acknowledged()
        cb_type = int(body.get("type", 0))
        data: JSON = body.get("data") or {}
        resource: JSON = {"type": cb_type}
        message: JSON | None = None

        if cb_type == CHANNEL_MESSAGE:
            message = self._post_response(stored, data, attachments)
            stored.original_message_id = int(message["id"])
        elif cb_type == DEFERRED_CHANNEL_MESSAGE:
            flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
            message = self._post_response(stored, {"flags": flags | FLAG_LOADING}, [])
            stored.original_message_id = int(message["id"])
            stored.loading = True
            stored.loading_flags = flags
        elif cb_type == DEFERRED_UPDATE_MESSAGE:
            # Also how a modal submit without a message is acknowledged.
            stored.original_message_id = stored.message_id
        elif cb_type == UPDATE_MESSAGE:
            if stored.message_id is None:
                raise errors.DiscordHTTPError(400, 50035, "Interaction has no message to update")
            stored.original_message_id = stored.message_id
            message = self.engine.edit_message(
                stored.channel_id, stored.message_id, data, new_attachments=attachments
            )
        elif cb_type == MODAL:
            self.world.sent_modals.append(data)
            if stored.message_id is not None and data.get("custom_id"):
                self.world.modal_origins[str(data["custom_id"])] = stored.message_id
        elif cb_type not in (PONG, AUTOCOMPLETE_RESULT):
            raise errors.bad_request(f"Unsupported interaction callback type {cb_type}")
        stored.response_type = cb_type

        info: JSON = {"id": str(stored.id), "type": stored.type}
        if message is not None:
            flags = int(message.get("flags", 0))
            info.update(
                response_message_id=message["id"],
                response_message_loading=bool(flags & FLAG_LOADING),
                response_message_ephemeral=bool(flags & FLAG_EPHEMERAL),
            )
            resource["message"] = public_message(message)
        return {"interaction": info, "resource": resource}

    def followup(self, stored: StoredInteraction, body: JSON, attachments: list[JSON]) -> JSON:
        """``POST /webhooks/{app}/{token}``: a followup message (or, right after a
        type-5 defer, the filled-in "thinking" message)."""
        if stored.response_type is None:
            raise errors.unknown_webhook()
        if stored.loading and stored.original_message_id is not None:
            message = self._fill_loading(stored, body, attachments)
            stored.followup_ids.append(int(message["id"]))
            return message
        message = self._post_response(stored, body, attachments, followup=True)
        stored.followup_ids.append(int(message["id"]))
        return message

    def message_id_for(self, stored: StoredInteraction, which: str) -> int:
        """Resolve ``@original`` or a followup id for the webhook message routes."""
        if which == "@original":
            if stored.original_message_id is None:
                raise errors.unknown_message()
            return stored.original_message_id
        message_id = int(which)
        if message_id != stored.original_message_id and message_id not in stored.followup_ids:
            raise errors.unknown_message()
        return message_id

    def get_message(self, stored: StoredInteraction, which: str) -> JSON:
        return self.world.message(stored.channel_id, self.message_id_for(stored, which))

    def edit_message(
        self, stored: StoredInteraction, which: str, body: JSON, attachments: list[JSON]
    ) -> JSON:
        message_id = self.message_id_for(stored, which)
        if stored.loading and message_id == stored.original_message_id:
            return self._fill_loading(stored, body, attachments)
        return self.engine.edit_message(
            stored.channel_id, message_id, body, new_attachments=attachments
        )

    def delete_message(self, stored: StoredInteraction, which: str) -> None:
        message_id = self.message_id_for(stored, which)
        self.engine.delete_message(stored.channel_id, message_id)
        stored.loading = False

    def _fill_loading(self, stored: StoredInteraction, body: JSON, attachments: list[JSON]) -> JSON:
        if stored.original_message_id is None:
            raise errors.unknown_message()
        changes = dict(body)
        changes["flags"] = (int(body.get("flags") or 0) & ~FLAG_EPHEMERAL) | stored.loading_flags
        stored.loading = False
        return self.engine.edit_message(
            stored.channel_id,
            stored.original_message_id,
            changes,
            new_attachments=attachments,
            clear_flags=FLAG_LOADING,
        )

    def _post_response(
        self,
        stored: StoredInteraction,
        data: JSON,
        attachments: list[JSON],
        *,
        followup: bool = False,
    ) -> JSON:
        world = self.world
        bot = world.bot_user
        user = payloads.user(world.user(stored.user_id))
        metadata: JSON = {
            "id": str(stored.id),
            "type": stored.type,
            "user": user,
            "authorizing_integration_owners": stored.payload.get(
                "authorizing_integration_owners", {}
            ),
        }
        if stored.message_id is not None:
            metadata["interacted_message_id"] = str(stored.message_id)
        if followup and stored.original_message_id is not None:
            metadata["original_response_message_id"] = str(stored.original_message_id)
        legacy: JSON | None = None
        message_type = MESSAGE_DEFAULT
        if stored.type == APPLICATION_COMMAND and not followup:
            message_type = MESSAGE_CHAT_INPUT_COMMAND
            legacy = {
                "id": str(stored.id),
                "type": stored.type,
                "name": stored.command_name or "",
                "user": user,
            }
        return self.engine.post_message(
            stored.channel_id,
            bot,
            content=data.get("content") or "",
            embeds=data.get("embeds"),
            components=data.get("components"),
            attachments=attachments,
            flags=int(data.get("flags") or 0),
            tts=bool(data.get("tts", False)),
            allowed_mentions=data.get("allowed_mentions"),
            message_type=message_type,
            webhook_id=world.application.id,
            application_id=world.application.id,
            interaction_metadata=metadata,
            interaction=legacy,
        )


def _find_option(defs: list[JSON] | None, name: str) -> JSON | None:
    if not defs:
        return None
    return next((o for o in defs if o.get("name") == name), None)


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return OPT_BOOLEAN
    if isinstance(value, int):
        return OPT_INTEGER
    if isinstance(value, float):
        return OPT_NUMBER
    return OPT_STRING
