"""The REST front-end: routing ``/api/v10/...``, parsing bodies, authentication, fault
injection, recording every call, and building every response in one place.

Handlers are plain synchronous functions ``(RestRequest) -> RestResponse``: once a
request's body has been read, it is handled and recorded without yielding to the event
loop, so ``DiscordSandbox.calls`` is in arrival order and consistent with the world.
Rate limits (``bot/sandbox/ratelimits.py``, when ``SandboxConfig.rate_limits`` is on)
are applied in :meth:`RestFrontend._answer`, after fault injection; permission checks
belong there too (see the ``TODO`` hook).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from . import errors
from .config import SandboxConfig
from .engine import SandboxEngine
from .gateway import GatewayHub
from .interactions import InteractionService
from .ratelimits import RateLimiter, RateLimitStats
from .recorder import CallRecorder, RecordedCall
from .state import JSON, World

API_PREFIX = "/api/v10"


@dataclass(slots=True)
class UploadedFile:
    """A ``files[n]`` part of a multipart request."""

    index: int
    filename: str
    data: bytes
    content_type: str | None = None


@dataclass(slots=True)
class RestRequest:
    """A parsed REST request as handlers see it."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile]
    headers: dict[str, str]

    def snowflake(self, name: str) -> int:
        """A route placeholder as an id (a malformed id is a 404, as on Discord)."""
        try:
            return int(self.params[name])
        except (KeyError, ValueError):
            raise errors.DiscordHTTPError(404, 0, "404: Not Found") from None

    @property
    def body(self) -> JSON:
        """The JSON body if it is an object, else an empty dict."""
        return self.json if isinstance(self.json, dict) else {}

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``wait=true``, ``with_response=1``)."""
        return self.query.get(name, "").lower() in ("1", "true")

    def int_query(self, name: str, default: int | None = None) -> int | None:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise errors.bad_request(f"{name} must be an integer") from None


@dataclass(slots=True)
class RestResponse:
    """What a handler answers. ``body`` None means 204 No Content unless ``status`` says
    otherwise; anything else is sent as JSON."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def ok(body: Any) -> RestResponse:
    return RestResponse(200, body)


def no_content() -> RestResponse:
    return RestResponse(204, None)


Handler = Callable[[RestRequest], RestResponse]


@dataclass(slots=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]
    auth: bool


class Router:
    """Maps (method, path) to handlers via ``{placeholder}`` templates, first match wins."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, template: str, handler: Handler, *, auth: bool = True) -> None:
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[a-z_]+\})", template)
            if part
        )
        self.routes.append(Route(method, template, handler, re.compile(f"^{regex}$"), auth))

    def match(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            found = route.pattern.match(raw_path)
            if found is not None:
                return route, {k: unquote(v) for k, v in found.groupdict().items()}
        return None


@dataclass(slots=True)
class FaultRule:
    """Answer the next ``times`` calls matching (method, route) with ``status``/``body``."""

    method: str
    route: str
    status: int
    body: Any = None
    times: int = 1
    headers: dict[str, str] = field(default_factory=dict)
    # Route parameters that must match too, e.g. {"channel_id": "123"}.
    where: dict[str, str] = field(default_factory=dict)

    def matches(self, method: str, route: str, params: dict[str, str]) -> bool:
        return (
            self.method in ("*", method)
            and self.route in ("*", route)
            and all(params.get(name) == value for name, value in self.where.items())
        )


def default_error_body(status: int) -> JSON:
    """Discord's body for an injected error status."""
    if status == 429:
        return {"message": "You are being rate limited.", "retry_after": 0.05, "global": False}
    if status == 401:
        return {"message": "401: Unauthorized", "code": 0}
    if status == 403:
        return {"message": "Missing Permissions", "code": 50013}
    if status == 404:
        return {"message": "404: Not Found", "code": 0}
    if status >= 500:
        return {"message": f"{status}: Internal Server Error", "code": 0}
    return {"message": "Invalid Form Body", "code": 50035}


def response_headers(
    status: int, body: Any, headers: dict[str, str] | None = None
) -> dict[str, str]:
    """The headers a response is sent with.

    JSON bodies get ``Content-Type: application/json`` exactly (discord.py compares the
    header verbatim). A 429 always carries ``Via`` (without it discord.py assumes a
    Cloudflare ban) and ``Retry-After``.
    """
    out_headers = dict(headers or {})
    if status == 429:
        out_headers.setdefault("Via", "1.1 google")
        retry = body.get("retry_after", 0.05) if isinstance(body, dict) else 0.05
        out_headers.setdefault("Retry-After", str(retry))
        out_headers.setdefault("X-RateLimit-Scope", "user")
    if body is not None:
        out_headers["Content-Type"] = "application/json"
    return out_headers


def build_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """The single place REST responses are built (headers from :func:`response_headers`)."""
    out_headers = response_headers(status, body, headers)
    if body is None:
        return web.Response(status=status, headers=out_headers)
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return web.Response(status=status, body=raw, headers=out_headers)


@dataclass(slots=True)
class Services:
    """What route handlers work with."""

    world: World
    engine: SandboxEngine
    interactions: InteractionService
    hub: GatewayHub
    gateway_url: Callable[[], str]


class RestFrontend:
    """aiohttp handler for ``/api/v10/{tail}``: parse, authenticate, fault, rate-limit,
    dispatch, record, respond."""

    def __init__(
        self,
        router: Router,
        recorder: CallRecorder,
        token: str,
        config: SandboxConfig | None = None,
    ) -> None:
        self.router = router
        self.recorder = recorder
        self.token = token
        self.config = config or SandboxConfig()
        self.faults: list[FaultRule] = []
        self.limiter = RateLimiter()
        self.stats = RateLimitStats()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.split("?", 1)[0]
        raw_path = raw_path[len(API_PREFIX) :] if raw_path.startswith(API_PREFIX) else raw_path
        path = unquote(raw_path)
        query = dict(request.query.items())
        body, files = await _read_body(request)
        at = time.monotonic()
        method = request.method.upper()

        matched = self.router.match(method, raw_path)
        route_name = matched[0].template if matched else path
        params = matched[1] if matched else {}
        status, answer, headers = self._answer(request, method, path, query, body, files, matched)
        headers = response_headers(status, answer, headers)
        self.stats.requests[f"{method} {route_name}"] += 1
        self.stats.statuses[status] += 1
        call = RecordedCall(
            method=method,
            path=path,
            route=route_name,
            query=query,
            json=body,
            files=[(f.filename, f.data) for f in files],
            status=status,
            at=at,
            params=params,
            response=answer,
            known=matched is not None,
            headers=headers,
        )
        await self.recorder.record(call)
        return build_response(status, answer, headers)

    def _answer(
        self,
        request: web.Request,
        method: str,
        path: str,
        query: dict[str, str],
        body: Any,
        files: list[UploadedFile],
        matched: tuple[Route, dict[str, str]] | None,
    ) -> tuple[int, Any, dict[str, str]]:
        if matched is None:
            return 404, {"message": "404: Not Found", "code": 0}, {}
        route, params = matched
        if route.auth and request.headers.get("Authorization") != f"Bot {self.token}":
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        fault = self._take_fault(method, route.template, params)
        if fault is not None:
            answer = fault.body if fault.body is not None else default_error_body(fault.status)
            return fault.status, answer, dict(fault.headers)
        limit_headers: dict[str, str] = {}
        if self.config.rate_limits:
            verdict = self.limiter.check(
                self.config.rate_limit_table, method, route.template, params
            )
            if verdict.status is not None:
                self.stats.limited[verdict.bucket or "?"] += 1
                return verdict.status, verdict.body, verdict.headers
            limit_headers = verdict.headers
        # TODO(permissions): check the bot's channel permissions for the route here.
        rest_request = RestRequest(
            method=method,
            path=path,
            route=route.template,
            params=params,
            query=query,
            json=body,
            files=files,
            headers=dict(request.headers),
        )
        try:
            response = route.handler(rest_request)
        except errors.DiscordHTTPError as exc:
            return exc.status, exc.body(), limit_headers
        status = response.status
        if response.body is None and status == 200:
            status = 204
        return status, response.body, {**limit_headers, **response.headers}

    def _take_fault(self, method: str, route: str, params: dict[str, str]) -> FaultRule | None:
        for rule in self.faults:
            if rule.matches(method, route, params):
                rule.times -= 1
                if rule.times <= 0:
                    self.faults.remove(rule)
                return rule
        return None


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    """JSON body, or ``payload_json`` plus ``files[n]`` for multipart/form-data."""
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            data = await part.read(decode=False)
            if name == "payload_json":
                payload = json.loads(bytes(data).decode() or "null")
            else:
                index_match = re.fullmatch(r"files\[(\d+)\]", name)
                index = int(index_match.group(1)) if index_match else len(files)
                files.append(
                    UploadedFile(
                        index=index,
                        filename=part.filename or name,
                        data=bytes(data),
                        content_type=part.headers.get("Content-Type"),
                    )
                )
        files.sort(key=lambda f: f.index)
        return payload, files
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []
