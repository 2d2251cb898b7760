"""Point the unmodified discord.py client at other Discord endpoints.

Used for the local sandbox (tests, demo, benchmarks) and for proxies. discord.py keeps
its base URLs in class attributes, so redirecting is process-wide.
"""

from __future__ import annotations

import discord.asset
import discord.gateway
import discord.http
import yarl


def point_discord_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Redirect REST (incl. interactions and webhooks), gateway and CDN base URLs.

    ``api_base_url`` is the versioned REST root, e.g. ``http://127.0.0.1:8080/api/v10``.
    ``gateway_url`` is the websocket URL, e.g. ``ws://127.0.0.1:8080/gateway``.
    ``None`` leaves that endpoint alone (real Discord).
    """
    if api_base_url:
        base = api_base_url.rstrip("/")
        discord.http.Route.BASE = base
        # Asset URLs are only built, never fetched by the bot; keep them on the same host.
        discord.asset.Asset.BASE = str(yarl.URL(base).with_path("/cdn")).rstrip("/")
    if gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def reset_discord_endpoints() -> None:
    """Restore discord.py's real endpoints (tests that switch between sandboxes)."""
    discord.http.Route.BASE = f"https://discord.com/api/v{discord.http.INTERNAL_API_VERSION}"
    discord.asset.Asset.BASE = "https://cdn.discordapp.com"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")
