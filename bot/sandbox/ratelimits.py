"""Discord-like rate limits: per-route buckets, the global limit, headers and 429s.

Off unless ``SandboxConfig.rate_limits`` is True. The table of limits
(:class:`RateLimitTable`, ``SandboxConfig.rate_limit_table``) can be changed by a test at
any time; :meth:`RateLimitTable.scaled` shrinks every window so a test keeps Discord's
shape without sleeping for seconds.

How Discord counts, and so how the sandbox counts:

* A *bucket* covers one or more routes (``"PUT /channels/{channel_id}/..."``) and is
  counted separately per *major parameter*: ``channel_id``, ``guild_id`` or
  ``webhook_id`` + ``webhook_token`` (joined the way discord.py's ``Route`` does).
* A window opens with the first request and lasts ``per`` seconds; ``limit`` requests
  fit in it. Every answer on a bucketed route carries ``X-RateLimit-Limit``,
  ``-Remaining``, ``-Reset`` (epoch seconds), ``-Reset-After`` and ``-Bucket`` (a hash
  that is stable for the bucket's routes), so discord.py waits *before* exhausting it.
* Past the limit: 429 with ``{"message", "retry_after", "global": false}``,
  ``Retry-After`` (whole seconds, rounded up, as Discord), ``X-RateLimit-Scope: user``
  (or ``shared``) and ``Via`` (discord.py treats a 429 without it as a Cloudflare ban).
* The global limit (default 50 requests per second per bot) applies to every route
  except interaction callbacks and interaction webhooks; past it: 429 with
  ``"global": true``, ``X-RateLimit-Global: true`` and ``X-RateLimit-Scope: global``.
  Requests a bucket refuses still count against the global limit, as on Discord.

Reset times are rounded *up* to the millisecond so that a client that sleeps exactly
``Reset-After`` never arrives before the window has closed.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

Scope = Literal["user", "shared"]

REACTIONS = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
WEBHOOK = "/webhooks/{webhook_id}/{webhook_token}"

RATE_LIMITED_MESSAGE = "You are being rate limited."


@dataclass(slots=True)
class Bucket:
    """``limit`` requests per ``per`` seconds, per major parameter, over ``routes``.

    ``routes`` are ``"METHOD template"`` strings with the sandbox's (discord.py's)
    templates, e.g. ``"POST /channels/{channel_id}/messages"``.
    """

    name: str
    routes: tuple[str, ...]
    limit: int
    per: float
    scope: Scope = "user"

    @property
    def hash(self) -> str:
        """``X-RateLimit-Bucket``: stable for the set of routes this bucket covers."""
        digest = hashlib.sha256("\n".join(sorted(self.routes)).encode()).hexdigest()
        return digest[:32]


def _discord_buckets() -> list[Bucket]:
    return [
        Bucket(
            "reactions",
            (
                f"PUT {REACTIONS}/@me",
                f"DELETE {REACTIONS}/@me",
                f"DELETE {REACTIONS}/{{member_id}}",
            ),
            limit=1,
            per=0.25,
        ),
        Bucket("create_message", ("POST /channels/{channel_id}/messages",), limit=5, per=5.0),
        Bucket("edit_message", (f"PATCH {MESSAGE}",), limit=5, per=5.0),
        Bucket("delete_message", (f"DELETE {MESSAGE}",), limit=5, per=5.0),
        Bucket("webhook_followup", (f"POST {WEBHOOK}",), limit=5, per=2.0),
    ]


@dataclass(slots=True)
class RateLimitTable:
    """The limits the sandbox enforces when ``SandboxConfig.rate_limits`` is on.

    The defaults model Discord: reactions 1 per 0.25 s per channel; creating, editing,
    deleting messages 5 per 5 s per channel each; interaction followups 5 per 2 s per
    interaction token; callbacks unlimited; 50 requests per second globally. Routes in
    no bucket are not limited per route and carry no ``X-RateLimit-*`` headers.
    """

    buckets: list[Bucket] = field(default_factory=_discord_buckets)
    global_limit: int | None = 50
    """Requests per ``global_per`` seconds for the whole bot (None: no global limit)."""
    global_per: float = 1.0
    global_exempt: tuple[str, ...] = ("/interactions/", "/webhooks/")
    """Route template prefixes the global limit does not count (Discord: interaction
    endpoints are not bound to the global rate limit)."""

    def bucket(self, name: str) -> Bucket:
        """The bucket called ``name`` (to change its ``limit`` or ``per``)."""
        for bucket in self.buckets:
            if bucket.name == name:
                return bucket
        raise KeyError(name)

    def bucket_for(self, method: str, route: str) -> Bucket | None:
        """The bucket covering ``method route`` (the first one listed), if any."""
        key = f"{method} {route}"
        for bucket in self.buckets:
            if key in bucket.routes:
                return bucket
        return None

    def counts_globally(self, route: str) -> bool:
        return self.global_limit is not None and not route.startswith(self.global_exempt)

    def scaled(self, factor: float) -> RateLimitTable:
        """A copy with every window (``per``, ``global_per``) multiplied by ``factor``:
        ``scaled(0.08)`` turns 1 reaction per 0.25 s into 1 per 0.02 s."""
        return RateLimitTable(
            buckets=[replace(b, per=b.per * factor) for b in self.buckets],
            global_limit=self.global_limit,
            global_per=self.global_per * factor,
            global_exempt=self.global_exempt,
        )


def major_parameters(params: Mapping[str, str]) -> str:
    """What a bucket is counted per, joined like discord.py's ``Route.major_parameters``."""
    keys = ("channel_id", "guild_id", "webhook_id", "webhook_token")
    return "+".join(params[k] for k in keys if k in params)


@dataclass(slots=True)
class RateLimitStats:
    """What the sandbox answered, for benchmarks and tests (``sb.stats``)."""

    requests: Counter[str] = field(default_factory=Counter)
    """REST requests per ``"METHOD route"`` (unknown routes by path), whatever the answer."""
    statuses: Counter[int] = field(default_factory=Counter)
    limited: Counter[str] = field(default_factory=Counter)
    """429s answered by the rate limiter, per bucket name; ``"global"`` for the global
    limit. Injected ``fail_next(..., 429)`` faults are not in here (see ``statuses``)."""

    @property
    def limited_total(self) -> int:
        """429s answered by the rate limiter (bucket and global)."""
        return sum(self.limited.values())

    @property
    def too_many_requests(self) -> int:
        """Every 429 answered, injected faults included."""
        return self.statuses[429]

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    def requests_for(self, method: str, route: str) -> int:
        return self.requests[f"{method} {route}"]


@dataclass(slots=True)
class _Window:
    """One fixed window: opened by its first request, closed ``per`` seconds later."""

    reset: float
    remaining: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The limiter's answer: a 429 (``status``/``body``) or let through; ``headers`` to
    add to whatever is answered."""

    headers: dict[str, str]
    status: int | None = None
    body: dict[str, object] | None = None
    bucket: str | None = None
    """Which limit refused the request: a bucket name or ``"global"``."""


def _round_up(seconds: float) -> float:
    """Up to whole milliseconds (ignoring float noise below a nanosecond)."""
    return math.ceil(max(seconds, 0.0) * 1000 - 1e-6) / 1000


class RateLimiter:
    """Counts requests against a :class:`RateLimitTable` and decides on 429s.

    ``clock`` is monotonic (windows), ``wall`` gives epoch seconds (``X-RateLimit-Reset``);
    both can be replaced in unit tests.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._windows: dict[tuple[str, str], _Window] = {}
        self._global: _Window | None = None

    def reset(self) -> None:
        """Forget every window (every bucket is full again)."""
        self._windows.clear()
        self._global = None

    def check(
        self, table: RateLimitTable, method: str, route: str, params: Mapping[str, str]
    ) -> Verdict:
        """Count one request to ``method route``; a 429 verdict if a limit is exceeded."""
        now = self._clock()
        bucket = table.bucket_for(method, route)
        slot: tuple[Bucket, _Window] | None = None
        key = ("", "")
        if bucket is not None:
            key = (bucket.name, major_parameters(params))
            window = self._windows.get(key)
            if window is None or now >= window.reset:
                # A window opens with the first request it counts.
                window = _Window(reset=now + bucket.per, remaining=bucket.limit)
            slot = (bucket, window)
        if table.global_limit is not None and table.counts_globally(route):
            if self._global is None or now >= self._global.reset:
                self._global = _Window(now + table.global_per, table.global_limit)
            if self._global.remaining <= 0:
                headers = self._headers(*slot, now) if slot else {}
                return self._too_many(
                    headers, self._global.reset - now, "global", is_global=True, scope="global"
                )
            self._global.remaining -= 1
        if slot is None:
            return Verdict(headers={})
        bucket, window = slot
        if window.remaining <= 0:
            headers = self._headers(bucket, window, now)
            return self._too_many(
                headers, window.reset - now, bucket.name, is_global=False, scope=bucket.scope
            )
        window.remaining -= 1
        self._windows[key] = window
        return Verdict(headers=self._headers(bucket, window, now))

    def _headers(self, bucket: Bucket, window: _Window, now: float) -> dict[str, str]:
        after = _round_up(window.reset - now)
        return {
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(max(window.remaining, 0)),
            "X-RateLimit-Reset": f"{_round_up(self._wall() + after):.3f}",
            "X-RateLimit-Reset-After": f"{after:.3f}",
            "X-RateLimit-Bucket": bucket.hash,
        }

    @staticmethod
    def _too_many(
        headers: dict[str, str], retry_after: float, name: str, *, is_global: bool, scope: str
    ) -> Verdict:
        retry = _round_up(retry_after)
        out = dict(headers)
        out["Retry-After"] = str(max(1, math.ceil(retry)))
        out["X-RateLimit-Scope"] = scope
        out["Via"] = "1.1 google"
        if is_global:
            out["X-RateLimit-Global"] = "true"
        body: dict[str, object] = {
            "message": RATE_LIMITED_MESSAGE,
            "retry_after": retry,
            "global": is_global,
        }
        return Verdict(headers=out, status=429, body=body, bucket=name)
