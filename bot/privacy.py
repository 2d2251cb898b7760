"""Privacy (AVG/GDPR): sessions removed after the server's retention period, and a
person's own data as a file in their language.

The retention job runs every night at 03:30 in the deployment's timezone, through the
``Timers`` port (one job id per local day, like the daily recaps), so a fake clock drives
it in tests. A session is removed once its end (``ended_at``) is longer ago than the
server's ``retention_days``; a session that never ended counts from its start, with
30 extra days. ``retention_days = 0`` keeps a server's sessions until the library
removes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from bot.domain.recap import local_day, next_moment
from bot.i18n import Catalog
from bot.ports import Clock, Timers
from bot.render.text import step_name
from bot.server_config import EffectiveSettings
from bot.settings import Settings
from bot.storage.privacy_repo import ForgetReport, PurgeReport, SessionAge

log = logging.getLogger(__name__)

# When the nightly purge runs (local time of the deployment).
RETENTION_AT = time(3, 30)
# A session nobody ended is kept this much longer than an ended one, counted from its start.
NEVER_ENDED_GRACE = timedelta(days=30)
# retention_days = 0: keep until the library removes the sessions itself.
KEEP_FOREVER = 0


def expired(age: SessionAge, retention_days: int, now: datetime) -> bool:
    """Whether a session is past its server's retention period at ``now``."""
    if retention_days == KEEP_FOREVER:
        return False
    period = timedelta(days=retention_days)
    if age.ended_at is not None:
        return age.ended_at < now - period
    return age.created_at < now - period - NEVER_ENDED_GRACE


class RetentionStore(Protocol):
    """What the retention job needs from storage."""

    async def session_ages(self) -> list[SessionAge]: ...

    async def purge_session(self, session_id: int) -> PurgeReport: ...


class RetentionConfig(Protocol):
    """Per-server settings (``ServerConfig``): retention per server, the deployment's zone."""

    @property
    def deployment(self) -> Settings: ...

    async def of(self, guild_id: int | None) -> EffectiveSettings: ...


class PersonalDataStore(Protocol):
    """What ``/privacy`` needs from storage."""

    async def forget_user(self, user_id: int) -> ForgetReport: ...

    async def user_data(self, user_id: int) -> dict[str, Any]: ...


class RetentionJob:
    """Every night: remove the sessions past their server's retention period."""

    def __init__(
        self,
        store: RetentionStore,
        timers: Timers,
        clock: Clock,
        config: RetentionConfig,
        *,
        at: time = RETENTION_AT,
        on_purged: Callable[[int], None] | None = None,
    ) -> None:
        """``on_purged(session_id)``: tell the use cases a session is gone (their caches)."""
        self._store = store
        self._on_purged = on_purged
        self._timers = timers
        self._clock = clock
        self._config = config
        self._at = at

    @property
    def zone(self) -> ZoneInfo:
        """The deployment's timezone, in which the job runs at 03:30."""
        return ZoneInfo(self._config.deployment.locale.timezone)

    def arm(self, after: datetime | None = None) -> datetime:
        """Schedule the next run (the first 03:30 after ``after``, default now); its time."""
        zone = self.zone
        moment = next_moment(after or self._clock.now(), self._at, zone)

        async def due() -> None:
            try:
                await self.run(self._clock.now())
            except Exception:
                log.exception("the retention job failed; it runs again tomorrow")
            finally:
                self.arm(after=moment)

        # One job id per local day: re-arming under the running job's own id could be
        # skipped by the scheduler while that job still runs (see BetweenDays._arm).
        self._timers.arm_call(f"daily:retention:{local_day(moment, zone)}", moment, due)
        return moment

    async def run(self, now: datetime) -> int:
        """Remove every session past its server's retention period; how many."""
        retention: dict[int, int] = {}
        purged = 0
        for age in await self._store.session_ages():
            if age.guild_id not in retention:
                retention[age.guild_id] = (await self._config.of(age.guild_id)).retention_days
            days = retention[age.guild_id]
            if not expired(age, days, now):
                continue
            try:
                report = await self._store.purge_session(age.session_id)
            except Exception:
                log.exception("retention: removing session %s failed", age.session_id)
                continue
            # A session nobody ended may still have alarms armed, and be cached as live.
            self._timers.disarm(age.session_id)
            if self._on_purged is not None:
                self._on_purged(age.session_id)
            purged += report.sessions
            log.info(
                "retention: removed session %s of server %s (%s, kept %s days): %s",
                age.session_id,
                age.guild_id,
                "ended " + age.ended_at.date().isoformat()
                if age.ended_at is not None
                else "never ended, started " + age.created_at.date().isoformat(),
                days,
                ", ".join(f"{name} {count}" for name, count in report.counts().items()),
            )
        return purged


# -- a person's data, in their language --------------------------------------------------------

# The words a data file's keys are made of: stored key -> catalogue key.
_KEYS = {
    "user": "privacy.data.keys.user",
    "names": "privacy.data.keys.names",
    "notes": "privacy.data.keys.notes",
    "comments": "privacy.data.keys.comments",
    "votes": "privacy.data.keys.votes",
    "takers": "privacy.data.keys.takers",
    "nudges": "privacy.data.keys.nudges",
    "no_nudges_since": "privacy.data.keys.no_nudges_since",
    "facilitated": "privacy.data.keys.facilitated",
    "settings": "privacy.data.keys.settings",
    "id": "privacy.data.keys.id",
    "session": "privacy.data.keys.session",
    "server": "privacy.data.keys.server",
    "topic": "privacy.data.keys.topic",
    "step": "privacy.data.keys.step",
    "step_name": "privacy.data.keys.step_name",
    "kind": "privacy.data.keys.kind",
    "name": "privacy.data.keys.name",
    "text": "privacy.data.keys.text",
    "attachments": "privacy.data.keys.attachments",
    "source": "privacy.data.keys.source",
    "time": "privacy.data.keys.time",
    "edited": "privacy.data.keys.edited",
    "note": "privacy.data.keys.note",
    "round": "privacy.data.keys.round",
    "dots": "privacy.data.keys.dots",
    "started": "privacy.data.keys.started",
    "ended": "privacy.data.keys.ended",
    "setting": "privacy.data.keys.setting",
}


def _step_name(catalog: Catalog, locale: str, kind: object) -> str | None:
    if not isinstance(kind, str):
        return None
    try:
        return step_name(catalog, locale, kind)
    except KeyError:
        return kind


def personal_data(
    catalog: Catalog, locale: str, data: dict[str, Any], made_at: datetime
) -> dict[str, Any]:
    """A person's stored data (``user_data``) with keys in their language, a word of
    explanation first, and step names instead of step kinds."""

    def key(name: str) -> str:
        return catalog.t(locale, _KEYS[name]) if name in _KEYS else name

    def item(entry: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in entry.items():
            if name == "step_kind":
                out[key("step_name")] = _step_name(catalog, locale, value)
            else:
                out[key(name)] = value
        return out

    result: dict[str, Any] = {
        catalog.t(locale, "privacy.data.keys.about"): catalog.t(locale, "privacy.data.about"),
        catalog.t(locale, "privacy.data.keys.made_at"): made_at.isoformat(),
    }
    for name, value in data.items():
        if isinstance(value, list):
            result[key(name)] = [item(v) if isinstance(v, dict) else v for v in value]
        else:
            result[key(name)] = value
    return result


def personal_data_file(
    catalog: Catalog, locale: str, data: dict[str, Any], made_at: datetime
) -> bytes:
    """The JSON file ``/privacy my-data`` attaches (UTF-8, readable indentation)."""
    document = personal_data(catalog, locale, data, made_at)
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
