"""Behaviour switches of a sandbox (the knobs tests turn)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .ratelimits import RateLimitTable

INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_GUILD_MESSAGE_TYPING = 1 << 11
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_MESSAGE_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT


@dataclass(slots=True)
class SandboxConfig:
    """Mutable settings; :class:`~bot.sandbox.server.DiscordSandbox` exposes the common ones."""

    heartbeat_interval_ms: int = 41250
    require_message_content_intent: bool = False
    """Refuse every IDENTIFY with close code 4014 (Disallowed intents), as Discord does
    when the bot asks for Message Content but the portal toggle is off."""
    privileged_intents_enabled: int = PRIVILEGED_INTENTS
    """The developer-portal toggles: asking for a privileged intent not in here -> 4014."""
    resume_enabled: bool = True
    """When False, every RESUME is answered with op 9 (invalid session)."""
    event_buffer_size: int = 1000
    """Dispatches kept per session for replay on RESUME."""
    interaction_response_deadline: float | None = None
    """Seconds a bot has for the first interaction callback (Discord: 3.0). ``None``
    disables the check; a late callback is answered 404 Unknown interaction (10062)."""
    attachment_size_limit: int = 10 * 1024 * 1024
    modal_layout: str = "auto"
    """How injected modal submits wrap text inputs: ``"rows"`` (type 1 action rows),
    ``"labels"`` (type 18), or ``"auto"``: like the modal the bot opened, else rows."""
    session_starts_remaining: int | None = None
    """What ``GET /gateway/bot`` says is left of the daily IDENTIFY budget; ``None``:
    1000 minus the IDENTIFYs seen."""
    session_starts_reset_after_ms: int = 86_400_000
    rate_limits: bool = False
    """Enforce Discord-like rate limits (``X-RateLimit-*`` headers, 429s) from
    ``rate_limit_table``. Off by default so tests stay fast."""
    rate_limit_table: RateLimitTable = field(default_factory=RateLimitTable)
    """The limits enforced when ``rate_limits`` is on; change it (or a bucket of it) at
    any time, e.g. ``RateLimitTable().scaled(0.08)`` for fast tests."""
