"""A file the running bot touches while it is connected, for health checks.

``cocreate health`` (Docker's HEALTHCHECK, a systemd watchdog script) says the bot is
healthy when the file is fresh: written by a bot that is connected to Discord and whose
event loop still runs, not merely a process that exists.
"""

from __future__ import annotations

import time
from pathlib import Path

# How often the bot touches the file, and how old it may get before the bot counts as
# unhealthy (a few missed beats: a reconnect may take a while).
BEAT_SECONDS = 30.0
STALE_AFTER_SECONDS = 120.0


def heartbeat_path(database: Path) -> Path:
    """The heartbeat file next to the database (the one volume a container has)."""
    return database.with_name(database.name + ".heartbeat")


def beat(path: Path) -> None:
    """Record that the bot is alive and connected now."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{time.time():.0f}\n", encoding="utf-8")


def age(path: Path, now: float | None = None) -> float | None:
    """Seconds since the last beat, or None if the bot never beat."""
    try:
        written = float(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return max((time.time() if now is None else now) - written, 0.0)


def is_fresh(path: Path, now: float | None = None) -> bool:
    """Whether the bot beat recently enough to count as healthy."""
    seconds = age(path, now)
    return seconds is not None and seconds <= STALE_AFTER_SECONDS
