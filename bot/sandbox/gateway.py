"""The sandbox gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME, dispatch.

Each IDENTIFY opens a :class:`GatewaySession` with its own sequence numbers and a buffer
of recent dispatches, so a client whose socket drops can RESUME and get what it missed.
Events are queued per connection and written by one task, which keeps them in sequence
order and lets synchronous code dispatch. ``compress=zlib-stream`` is honoured with one
zlib context per connection and ``Z_SYNC_FLUSH`` after each payload, as Discord does;
any other ``compress`` value (``zstd-stream``) gets uncompressed text frames, which
discord.py reads as well.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from . import payloads
from .config import (
    INTENT_DIRECT_MESSAGE_REACTIONS,
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGE_REACTIONS,
    INTENT_GUILD_MESSAGE_TYPING,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    SandboxConfig,
)
from .state import JSON, World

_log = logging.getLogger(__name__)

# Opcodes
DISPATCH = 0
HEARTBEAT = 1
IDENTIFY = 2
PRESENCE_UPDATE = 3
VOICE_STATE_UPDATE = 4
RESUME = 6
RECONNECT = 7
REQUEST_GUILD_MEMBERS = 8
INVALID_SESSION = 9
HELLO = 10
HEARTBEAT_ACK = 11

# Close codes
CLOSE_ALREADY_AUTHENTICATED = 4005
CLOSE_AUTHENTICATION_FAILED = 4004
CLOSE_NOT_AUTHENTICATED = 4003
CLOSE_DISALLOWED_INTENTS = 4014

_GUILD_EVENTS = frozenset(
    {
        "GUILD_CREATE",
        "GUILD_UPDATE",
        "GUILD_DELETE",
        "GUILD_ROLE_CREATE",
        "GUILD_ROLE_UPDATE",
        "GUILD_ROLE_DELETE",
        "CHANNEL_CREATE",
        "CHANNEL_UPDATE",
        "CHANNEL_DELETE",
        "CHANNEL_PINS_UPDATE",
        "THREAD_CREATE",
        "THREAD_UPDATE",
        "THREAD_DELETE",
        "THREAD_LIST_SYNC",
        "THREAD_MEMBER_UPDATE",
    }
)
_MEMBER_EVENTS = frozenset(
    {"GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE", "THREAD_MEMBERS_UPDATE"}
)
_MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)
_REACTION_EVENTS = frozenset(
    {
        "MESSAGE_REACTION_ADD",
        "MESSAGE_REACTION_REMOVE",
        "MESSAGE_REACTION_REMOVE_ALL",
        "MESSAGE_REACTION_REMOVE_EMOJI",
    }
)


def required_intent(event: str, data: JSON) -> int | None:
    """The gateway intent a session needs to receive ``event`` (None: always sent)."""
    in_guild = "guild_id" in data
    if event in _GUILD_EVENTS:
        return INTENT_GUILDS
    if event in _MEMBER_EVENTS:
        return INTENT_GUILD_MEMBERS
    if event in _MESSAGE_EVENTS:
        return INTENT_GUILD_MESSAGES if in_guild else INTENT_DIRECT_MESSAGES
    if event in _REACTION_EVENTS:
        return INTENT_GUILD_MESSAGE_REACTIONS if in_guild else INTENT_DIRECT_MESSAGE_REACTIONS
    if event == "TYPING_START":
        return INTENT_GUILD_MESSAGE_TYPING
    return None


def without_content(data: JSON, bot_id: int) -> JSON:
    """What a session without the Message Content intent gets for a guild message.

    Discord blanks content, embeds, attachments, components and polls, except for the
    bot's own messages and messages that mention it.
    """
    if "guild_id" not in data:
        return data
    author = data.get("author") or {}
    if str(author.get("id")) == str(bot_id):
        return data
    if any(str(m.get("id")) == str(bot_id) for m in data.get("mentions", [])):
        return data
    out = dict(data)
    if "content" in out:
        out["content"] = ""
    for key in ("embeds", "attachments", "components"):
        if key in out:
            out[key] = []
    out.pop("poll", None)
    return out


@dataclass(slots=True)
class GatewaySession:
    """An identified gateway session (survives its socket, for RESUME)."""

    session_id: str
    intents: int | None
    seq: int = 0
    buffer: deque[tuple[int, JSON]] = field(default_factory=deque)
    connection: GatewayConnection | None = None

    def wants(self, event: str, data: JSON) -> bool:
        if self.intents is None:
            return True
        needed = required_intent(event, data)
        return needed is None or bool(self.intents & needed)

    @property
    def has_message_content(self) -> bool:
        return self.intents is None or bool(self.intents & INTENT_MESSAGE_CONTENT)


_CLOSE = object()


class GatewayConnection:
    """One websocket. Frames go through a queue to a single writer task."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request, compress: bool) -> None:
        self.ws = ws
        self.request = request
        self.compress = compress
        self._zlib = zlib.compressobj() if compress else None
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self.session: GatewaySession | None = None
        self.ready = False
        """READY or RESUMED has been queued on this connection."""
        self.closing = False
        """A close frame has been queued."""

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop(), name="sandbox-gateway-writer")

    def send(self, frame: JSON) -> None:
        self._queue.put_nowait(frame)

    def close(self, code: int, reason: str = "") -> None:
        """Close after everything queued so far has been written."""
        self.closing = True
        self._queue.put_nowait((_CLOSE, code, reason))

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a network failure)."""
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def wait_written(self, timeout: float) -> None:
        """Give the writer up to ``timeout`` seconds to finish (after a queued close)."""
        writer = self._writer
        if writer is not None and not writer.done():
            with contextlib.suppress(Exception):
                async with asyncio.timeout(timeout):
                    await asyncio.shield(writer)

    async def stop(self) -> None:
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer

    def _encode(self, frame: JSON) -> bytes:
        raw = json.dumps(frame, separators=(",", ":"), ensure_ascii=False).encode()
        if self._zlib is None:
            return raw
        return self._zlib.compress(raw) + self._zlib.flush(zlib.Z_SYNC_FLUSH)

    async def _write_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, tuple) and item and item[0] is _CLOSE:
                    _, code, reason = item
                    await self.ws.close(code=code, message=reason.encode())
                    return
                data = self._encode(item)
                if self._zlib is None:
                    await self.ws.send_str(data.decode())
                else:
                    await self.ws.send_bytes(data)
        except (ConnectionError, RuntimeError) as exc:
            _log.debug("gateway writer stopped: %s", exc)
            self.abort()


class GatewayHub:
    """Accepts gateway websockets and dispatches events to every live session."""

    def __init__(
        self,
        world: World,
        config: SandboxConfig,
        *,
        token: str,
        gateway_url: Callable[[], str],
    ) -> None:
        self.world = world
        self.config = config
        self.token = token
        self._gateway_url = gateway_url
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()
        self._changed: asyncio.Condition | None = None
        self.identify_count = 0
        self.resume_count = 0

    # -- public --------------------------------------------------------------------

    def dispatch(self, event: str, data: JSON, *, only: GatewaySession | None = None) -> None:
        """Send ``event`` to every identified session (or ``only`` one) that wants it.

        Sessions whose socket is down buffer the event for RESUME.
        """
        targets = [only] if only is not None else list(self.sessions.values())
        bot_id = self.world.bot_user.id
        for session in targets:
            if not session.wants(event, data):
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.has_message_content:
                payload = without_content(data, bot_id)
            self._send_dispatch(session, event, payload)

    @property
    def ready_connections(self) -> int:
        """Sockets whose session is identified or resumed."""
        return sum(1 for c in self.connections if c.ready)

    async def wait_until_connected(self, timeout: float = 5.0) -> None:
        """Wait until at least one socket has been sent READY or RESUMED."""
        cond = self._condition()
        async with asyncio.timeout(timeout), cond:
            await cond.wait_for(lambda: self.ready_connections > 0)

    async def wait_for_count(
        self, *, identifies: int = 0, resumes: int = 0, timeout: float
    ) -> None:
        """Wait until at least this many IDENTIFYs and RESUMEs were completed in total."""
        cond = self._condition()
        async with asyncio.timeout(timeout), cond:
            await cond.wait_for(
                lambda: self.identify_count >= identifies and self.resume_count >= resumes
            )

    async def drop_connections(self, code: int | None = None) -> int:
        """Break every socket; sessions stay resumable. Returns how many were dropped.

        ``code=None`` aborts the TCP connection (no close frame); a code (e.g. 4000,
        4009) sends a close frame with it first.
        """
        dropped = list(self.connections)
        for conn in dropped:
            if code is None:
                await conn.stop()
                conn.abort()
            else:
                conn.close(code, "sandbox dropped the connection")
            self._detach(conn)
        await self._notify()
        return len(dropped)

    def send_reconnect(self) -> None:
        """Send op 7 RECONNECT to every socket (the client should resume)."""
        for conn in list(self.connections):
            conn.send({"op": RECONNECT, "d": None, "s": None, "t": None})

    async def close_all(self) -> None:
        """Close every socket with 1001 (going away) and forget all sessions."""
        for conn in list(self.connections):
            conn.close(1001, "sandbox stopping")
        for conn in list(self.connections):
            await conn.wait_written(1.0)
            await conn.stop()
            conn.abort()
        self.connections.clear()
        self.sessions.clear()

    # -- websocket handler -----------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        conn = GatewayConnection(ws, request, compress)
        self.connections.add(conn)
        conn.start()
        conn.send(
            {
                "op": HELLO,
                "d": {
                    "heartbeat_interval": self.config.heartbeat_interval_ms,
                    "_trace": ["sandbox-gateway"],
                },
                "s": None,
                "t": None,
            }
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await self._on_frame(conn, msg.data.decode())
                elif msg.type is WSMsgType.ERROR:
                    break
        finally:
            client_code = ws.close_code
            self._detach(conn, client_close_code=client_code)
            if conn.closing:
                await conn.wait_written(0.5)
            await conn.stop()
            await self._notify()
        return ws

    # -- internals -------------------------------------------------------------------

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()

    def _detach(self, conn: GatewayConnection, *, client_close_code: int | None = None) -> None:
        self.connections.discard(conn)
        conn.ready = False
        session = conn.session
        if session is None:
            return
        conn.session = None
        if session.connection is conn:
            session.connection = None
        # A client closing with 1000/1001 ends its session (Discord invalidates it).
        if client_close_code in (1000, 1001):
            self.sessions.pop(session.session_id, None)

    def _send_dispatch(self, session: GatewaySession, event: str, data: JSON) -> None:
        session.seq += 1
        frame: JSON = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.buffer.append((session.seq, frame))
        while len(session.buffer) > self.config.event_buffer_size:
            session.buffer.popleft()
        if session.connection is not None:
            session.connection.send(frame)

    async def _on_frame(self, conn: GatewayConnection, raw: str) -> None:
        try:
            frame = json.loads(raw)
            op = frame.get("op")
            data = frame.get("d")
        except (ValueError, AttributeError):
            conn.close(4002, "Error while decoding payload.")
            return
        if op == HEARTBEAT:
            conn.send({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            self._identify(conn, data or {})
        elif op == RESUME:
            self._resume(conn, data or {})
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(conn, data or {})
        elif op in (PRESENCE_UPDATE, VOICE_STATE_UPDATE):
            pass
        else:
            _log.debug("sandbox gateway ignores op %s", op)
        await self._notify()

    def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        if conn.session is not None:
            conn.close(CLOSE_ALREADY_AUTHENTICATED, "Already authenticated.")
            return
        if data.get("token") != self.token:
            conn.close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
            return
        intents = data.get("intents")
        if isinstance(intents, int):
            disallowed = intents & PRIVILEGED_INTENTS & ~self.config.privileged_intents_enabled
        else:
            disallowed = 0
        if self.config.require_message_content_intent or disallowed:
            conn.close(CLOSE_DISALLOWED_INTENTS, "Disallowed intent(s).")
            return

        session = GatewaySession(
            session_id=secrets.token_hex(16),
            intents=intents if isinstance(intents, int) else None,
            connection=conn,
        )
        conn.session = session
        self.sessions[session.session_id] = session
        world = self.world
        ready = {
            "v": 10,
            "user": payloads.user(world.bot_user) | {"verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g), "unavailable": True} for g in world.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._gateway_url(),
            "application": {"id": str(world.application.id), "flags": world.application.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "_trace": ["sandbox-gateway"],
        }
        shard = data.get("shard")
        if shard is not None:
            ready["shard"] = shard
        self._send_dispatch(session, "READY", ready)
        for guild in world.guilds.values():
            payload = payloads.guild_create(guild, world, unavailable_before=True)
            if session.wants("GUILD_CREATE", payload):
                self._send_dispatch(session, "GUILD_CREATE", payload)
        conn.ready = True
        self.identify_count += 1

    def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        last = seq if isinstance(seq, int) else 0
        resumable = (
            self.config.resume_enabled
            and session is not None
            and data.get("token") == self.token
            and (not session.buffer or session.buffer[0][0] <= last + 1)
        )
        if not resumable or session is None:
            conn.send({"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        old = session.connection
        if old is not None and old is not conn:
            old.session = None
            old.close(4000, "session resumed elsewhere")
        session.connection = conn
        conn.session = session
        for frame_seq, frame in session.buffer:
            if frame_seq > last:
                conn.send(frame)
        self._send_dispatch(session, "RESUMED", {"_trace": ["sandbox-gateway"]})
        conn.ready = True
        self.resume_count += 1

    def _request_members(self, conn: GatewayConnection, data: JSON) -> None:
        if conn.session is None:
            conn.close(CLOSE_NOT_AUTHENTICATED, "Not authenticated.")
            return
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        members = list(guild.members.values())
        user_ids = data.get("user_ids")
        query = data.get("query")
        if user_ids:
            wanted = {int(u) for u in user_ids}
            members = [m for m in members if m.id in wanted]
        elif query:
            members = [m for m in members if m.user.username.lower().startswith(query.lower())]
        limit = data.get("limit") or 0
        if limit:
            members = members[:limit]
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": [payloads.member(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        if data.get("presences"):
            chunk["presences"] = []
        self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)
