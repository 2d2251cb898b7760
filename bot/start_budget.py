"""Back off before connecting when the bot keeps being restarted.

Every start of the bot is a new gateway session: an IDENTIFY, of which Discord allows
1000 a day per bot (``session_start_limit``). A crash loop under systemd's or Docker's
restart policy would burn through that in an hour or two, and then even a fixed bot
cannot connect until the day is over. So:

- the bot writes each start's time next to its database (``<database>.starts``);
- the first :data:`FREE_STARTS` starts within :data:`WINDOW` connect at once, each one
  after that waits twice as long as the one before, from :data:`FIRST_WAIT` up to
  :data:`MAX_WAIT` — a crash loop settles at about ten starts an hour (some 250 a
  day, a quarter of the budget), while a deploy or an admin's restart is not delayed;
- whatever the local log says, when Discord reports fewer than :data:`RESERVE` session
  starts left, the bot waits until Discord resets the budget.

Reconnects of a running bot are discord.py's business: it RESUMEs (no IDENTIFY) and
backs off by itself. ``COCREATE_START_BACKOFF=0`` switches the local back-off off (tests
that restart the bot on purpose); the ``session_start_limit`` guard always applies.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

WINDOW: Final = 3600.0
FREE_STARTS: Final = 5
FIRST_WAIT: Final = 10.0
MAX_WAIT: Final = 900.0
# Discord's budget resets daily; keep that much history, no more.
KEEP: Final = 86_400.0
RESERVE: Final = 20
ENV_SWITCH: Final = "COCREATE_START_BACKOFF"


def start_log_path(database: Path) -> Path:
    """The start log next to the database (the one volume a container keeps)."""
    return database.with_name(database.name + ".starts")


def read_starts(path: Path) -> list[float]:
    """Earlier start times (seconds since the epoch); an unreadable log counts as empty."""
    try:
        lines = path.read_text(encoding="utf-8").split()
    except OSError:
        return []
    starts: list[float] = []
    for line in lines:
        try:
            starts.append(float(line))
        except ValueError:
            continue  # a torn write after a crash: skip the line, keep the rest
    return starts


def record_start(path: Path, starts: Sequence[float], now: float) -> None:
    """Add ``now`` to the log, dropping what is older than a day."""
    kept = [t for t in starts if now - t < KEEP] + [now]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{t:.0f}\n" for t in kept), encoding="utf-8")


def backoff(starts: Sequence[float], now: float) -> float:
    """Seconds to wait before this start connects, given the earlier starts."""
    # A start "in the future" (rounding, a clock set back) counts: better wait than not.
    recent = sum(1 for t in starts if now - t < WINDOW)
    beyond = recent + 1 - FREE_STARTS
    if beyond <= 0:
        return 0.0
    wait: float = FIRST_WAIT * 2 ** min(beyond - 1, 20)
    return min(wait, MAX_WAIT)


def backoff_enabled(environ: dict[str, str] | None = None) -> bool:
    """Off only when ``COCREATE_START_BACKOFF`` says so (0, false, no, off)."""
    value = (environ if environ is not None else dict(os.environ)).get(ENV_SWITCH, "1")
    return value.strip().lower() not in ("0", "false", "no", "off")


@dataclass(frozen=True)
class SessionStarts:
    """Discord's ``session_start_limit``: how many IDENTIFYs are left, and when the
    budget resets (milliseconds from now)."""

    total: int
    remaining: int
    reset_after_ms: int


def budget_wait(limit: SessionStarts) -> float:
    """Seconds to wait for Discord to reset the budget; 0 while enough starts are left."""
    if limit.remaining >= min(RESERVE, max(limit.total // 10, 1)):
        return 0.0
    return max(limit.reset_after_ms / 1000, 0.0)
