"""Discord-like rate limits in the sandbox: the limiter on its own (a fake clock), then
with the real discord.py client, which must read the headers, wait and retry by itself.

Windows are scaled down (1 reaction per 0.02 s instead of 0.25 s) so nothing sleeps for
seconds; lower bounds on elapsed time are exact (the sandbox refuses anything faster),
upper bounds are generous.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import aiohttp
import discord
import pytest

from bot.sandbox import DiscordSandbox, RateLimitTable
from bot.sandbox.ratelimits import RateLimiter

from .support import StartClient, World

REACTION = "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me"
MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{webhook_id}/{webhook_token}/callback"
FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"
LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "X-RateLimit-Reset-After",
    "X-RateLimit-Bucket",
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limiter() -> tuple[RateLimiter, FakeClock]:
    clock = FakeClock()
    return RateLimiter(clock=clock, wall=lambda: 1_700_000_000.0 + clock.now), clock


# -- the limiter on its own ------------------------------------------------------------------


def test_default_table_models_discord() -> None:
    table = RateLimitTable()
    reactions = table.bucket_for("PUT", REACTION)
    assert reactions is not None
    assert (reactions.limit, reactions.per) == (1, 0.25)
    assert table.bucket_for("DELETE", REACTION) is reactions  # one bucket for reactions
    for method, route in (("POST", MESSAGES), ("PATCH", MESSAGES + "/{message_id}")):
        bucket = table.bucket_for(method, route)
        assert bucket is not None
        assert (bucket.limit, bucket.per) == (5, 5.0)
    followups = table.bucket_for("POST", FOLLOWUP)
    assert followups is not None
    assert (followups.limit, followups.per) == (5, 2.0)
    assert table.bucket_for("POST", CALLBACK) is None
    assert (table.global_limit, table.global_per) == (50, 1.0)
    assert not table.counts_globally(CALLBACK)
    assert not table.counts_globally(FOLLOWUP)
    assert table.counts_globally(MESSAGES)
    fast = table.scaled(0.08)
    assert fast.bucket("reactions").per == pytest.approx(0.02)
    assert table.bucket("reactions").per == 0.25  # the original is untouched


def test_every_bucket_route_is_a_real_route(sandbox: DiscordSandbox) -> None:
    served = {f"{r.method} {r.template}" for r in sandbox.rest.router.routes}
    for bucket in sandbox.config.rate_limit_table.buckets:
        for route in bucket.routes:
            assert route in served, route


def test_bucket_window_headers_and_429() -> None:
    rl, clock = limiter()
    table = RateLimitTable()
    channel = {"channel_id": "1", "message_id": "5", "emoji": "x"}
    first = rl.check(table, "PUT", REACTION, channel)
    assert first.status is None
    assert first.headers["X-RateLimit-Limit"] == "1"
    assert first.headers["X-RateLimit-Remaining"] == "0"
    assert first.headers["X-RateLimit-Reset-After"] == "0.250"
    assert float(first.headers["X-RateLimit-Reset"]) == pytest.approx(1_700_000_100.25)
    bucket_hash = first.headers["X-RateLimit-Bucket"]
    assert len(bucket_hash) == 32

    clock.now += 0.1
    refused = rl.check(table, "DELETE", REACTION, {**channel, "message_id": "6"})
    assert refused.status == 429
    assert refused.bucket == "reactions"
    assert refused.body == {
        "message": "You are being rate limited.",
        "retry_after": 0.15,
        "global": False,
    }
    assert refused.headers["X-RateLimit-Scope"] == "user"
    assert refused.headers["Via"] == "1.1 google"
    assert refused.headers["Retry-After"] == "1"  # whole seconds, rounded up
    assert refused.headers["X-RateLimit-Bucket"] == bucket_hash  # PUT and DELETE share it
    assert "X-RateLimit-Global" not in refused.headers

    other_channel = rl.check(table, "PUT", REACTION, {**channel, "channel_id": "2"})
    assert other_channel.status is None  # counted per channel

    clock.now += 0.15
    assert rl.check(table, "PUT", REACTION, channel).status is None  # the window closed


def test_message_bucket_counts_down_and_followups_per_token() -> None:
    rl, _ = limiter()
    table = RateLimitTable()
    remaining = [
        rl.check(table, "POST", MESSAGES, {"channel_id": "1"}).headers["X-RateLimit-Remaining"]
        for _ in range(5)
    ]
    assert remaining == ["4", "3", "2", "1", "0"]
    assert rl.check(table, "POST", MESSAGES, {"channel_id": "1"}).status == 429
    hook = {"webhook_id": "9", "webhook_token": "a"}
    assert [rl.check(table, "POST", FOLLOWUP, hook).status for _ in range(6)] == [None] * 5 + [429]
    assert rl.check(table, "POST", FOLLOWUP, {**hook, "webhook_token": "b"}).status is None
    for _ in range(100):  # callbacks: neither a bucket nor the global limit
        verdict = rl.check(table, "POST", CALLBACK, hook)
        assert verdict.status is None
        assert verdict.headers == {}


def test_global_limit() -> None:
    rl, clock = limiter()
    table = RateLimitTable(global_limit=3, global_per=1.0)
    table.bucket("reactions").scope = "shared"
    for channel in ("1", "2", "3"):
        assert rl.check(table, "POST", MESSAGES, {"channel_id": channel}).status is None
    refused = rl.check(table, "POST", MESSAGES, {"channel_id": "4"})
    assert refused.status == 429
    assert refused.bucket == "global"
    assert refused.body is not None
    assert refused.body["global"] is True
    assert refused.headers["X-RateLimit-Global"] == "true"
    assert refused.headers["X-RateLimit-Scope"] == "global"
    assert rl.check(table, "GET", "/users/@me", {}).status == 429  # unbucketed routes too
    clock.now += 1.0
    assert rl.check(table, "POST", MESSAGES, {"channel_id": "4"}).status is None
    # A bucket's own scope is reported on its 429s.
    reaction = {"channel_id": "7", "message_id": "1", "emoji": "x"}
    assert rl.check(table, "PUT", REACTION, reaction).status is None
    assert rl.check(table, "PUT", REACTION, reaction).headers["X-RateLimit-Scope"] == "shared"


# -- with discord.py -------------------------------------------------------------------------


async def test_limits_off_by_default(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    assert sandbox.config.rate_limits is False
    client = await start_client()
    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    await asyncio.gather(*(channel.send(f"bericht {n}") for n in range(8)))
    sent = [c for c in sandbox.calls if c.route == MESSAGES and c.method == "POST"]
    assert [c.status for c in sent] == [200] * 8
    assert not any(h in c.headers for c in sent for h in LIMIT_HEADERS)
    assert sandbox.stats.limited_total == 0
    assert sandbox.stats.requests_for("POST", MESSAGES) == 8


async def test_rapid_reactions_wait_for_the_bucket(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    notes = [
        sandbox.store_user_message(world.channel.id, world.bob.id, f"notitie {n}")
        for n in range(20)
    ]
    channel = client.get_partial_messageable(world.channel.id)
    sandbox.config.rate_limit_table = RateLimitTable().scaled(0.08)  # 1 per 0.02 s
    sandbox.rate_limits = True
    sandbox.reset_stats()
    since = len(sandbox.calls)
    started = time.monotonic()
    await asyncio.gather(
        *(channel.get_partial_message(int(note["id"])).add_reaction("📝") for note in notes)
    )
    elapsed = time.monotonic() - started

    for note in notes:
        stored = sandbox.message(int(note["id"]))
        assert stored is not None
        assert stored["reactions"][0]["emoji"]["name"] == "📝"
    done = [c for c in sandbox.calls[since:] if c.route == REACTION and c.status == 204]
    assert len(done) == 20
    for call in done:
        assert all(h in call.headers for h in LIMIT_HEADERS), call.headers
        assert call.headers["X-RateLimit-Limit"] == "1"
    gaps = [b.at - a.at for a, b in itertools.pairwise(done)]
    assert min(gaps) >= 0.02 - 1e-3
    # 20 reactions at 50/s: at least 19 windows; discord.py keeps close to that pace.
    assert 19 * 0.02 <= elapsed < 19 * 0.02 * 3 + 1.0
    # discord.py read Remaining: 0 and waited before asking again.
    assert sandbox.stats.limited_total == 0
    assert sandbox.stats.requests_for("PUT", REACTION) == 20


async def test_burst_of_sends_takes_the_window(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sandbox.config.rate_limit_table = RateLimitTable().scaled(0.04)  # 5 per 0.2 s
    sandbox.rate_limits = True
    since = len(sandbox.calls)
    started = time.monotonic()
    await asyncio.gather(*(channel.send(f"bericht {n}") for n in range(12)))
    elapsed = time.monotonic() - started
    assert len(sandbox.messages(world.channel.id)) == 12
    sent = [c for c in sandbox.calls[since:] if c.route == MESSAGES and c.status == 200]
    assert len(sent) == 12
    # Three windows of 5: the 11th send cannot start before two windows have passed.
    assert sent[10].at - sent[0].at >= 2 * 0.2 - 1e-3
    assert 0.4 <= elapsed < 0.4 * 3 + 1.0
    assert [c.headers["X-RateLimit-Remaining"] for c in sent[:5]] == ["4", "3", "2", "1", "0"]


async def test_429_is_honoured_by_discord_py(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    note = sandbox.store_user_message(world.channel.id, world.bob.id, "notitie")
    sandbox.config.rate_limit_table.bucket("reactions").per = 0.2
    sandbox.rate_limits = True
    since = len(sandbox.calls)
    # Someone else (another process of the same bot) takes the channel's reaction slot.
    url = f"{sandbox.api_base_url}/channels/{world.channel.id}/messages/{note['id']}"
    async with (
        aiohttp.ClientSession() as http,
        http.put(
            f"{url}/reactions/%F0%9F%91%8D/@me", headers={"Authorization": f"Bot {sandbox.token}"}
        ) as resp,
    ):
        assert resp.status == 204
        assert resp.headers["X-RateLimit-Remaining"] == "0"
    started = time.monotonic()
    message = client.get_partial_messageable(world.channel.id).get_partial_message(int(note["id"]))
    await message.add_reaction("📝")  # 429 first; discord.py waits retry_after and retries
    elapsed = time.monotonic() - started

    calls = [c for c in sandbox.calls[since:] if c.route == REACTION]
    assert [c.status for c in calls] == [204, 429, 204]
    refused = calls[1]
    assert refused.response == {
        "message": "You are being rate limited.",
        "retry_after": pytest.approx(0.2, abs=0.1),
        "global": False,
    }
    assert refused.headers["Via"] == "1.1 google"
    assert refused.headers["X-RateLimit-Scope"] == "user"
    assert "Retry-After" in refused.headers
    assert all(h in refused.headers for h in LIMIT_HEADERS)
    assert elapsed >= 0.15
    assert sandbox.stats.limited["reactions"] == 1
    assert sandbox.stats.too_many_requests == 1


async def test_global_limit_with_discord_py(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    channels = [sandbox.add_text_channel(world.guild.id, f"kanaal-{n}") for n in range(6)]
    client = await start_client()
    sandbox.config.rate_limit_table = RateLimitTable(global_limit=3, global_per=0.2)
    sandbox.rate_limits = True
    before = sandbox.reset_stats()
    assert before.total_requests > 0
    since = len(sandbox.calls)
    targets = [client.get_partial_messageable(c.id) for c in channels]
    await asyncio.gather(*(target.send("hallo") for target in targets))
    for channel in channels:
        assert len(sandbox.messages(channel.id)) == 1
    refused = [c for c in sandbox.calls[since:] if c.status == 429]
    assert refused
    for call in refused:
        assert call.response["global"] is True
        assert call.headers["X-RateLimit-Global"] == "true"
        assert call.headers["X-RateLimit-Scope"] == "global"
    assert sandbox.stats.limited["global"] == len(refused)
    assert sandbox.stats.requests_for("POST", MESSAGES) == 6 + len(refused)
