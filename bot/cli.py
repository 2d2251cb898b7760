"""``cocreate run | check-config | invite-url | sync-commands | health | sessions | export |
backup | demo``.

* ``run``: connect to Discord and run sessions.
* ``check-config``: validate the configuration, templates and prompts offline.
* ``invite-url``: print the link that adds the bot to a server with exactly the
  permissions it needs (bot/permissions.py), and where to switch on Message Content.
* ``sync-commands``: register the slash commands with Discord (one server, or all) and exit.
* ``health``: exit 0 while the running bot's heartbeat file is fresh, else 1 (Docker's
  HEALTHCHECK).
* ``sessions`` / ``export``: list the sessions in the database, export a session's board.
* ``backup``: a consistent, checked copy of the database, also while the bot runs.
* ``demo``: a whole session offline, printed as it happens, its board written to a folder.

Every failure an admin can fix ends in one sentence on stderr and a non-zero exit code.
``invite-url``, ``health``, ``sessions``, ``export`` and ``backup`` need no connection to
Discord.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import logging
import os
import sqlite3
import sys
import tempfile
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import aiohttp
import discord
from dotenv import load_dotenv

from bot.canvas_files import load_canvases
from bot.domain.canvas import CanvasError
from bot.domain.templates import TemplateError
from bot.heartbeat import age, heartbeat_path, is_fresh
from bot.i18n import LOCALES, Catalog, PromptsError, catalog
from bot.permissions import invite_url
from bot.settings import (
    ConfigError,
    Settings,
    StorageSettings,
    ThemesSettings,
    TokenError,
    load_settings,
    read_token,
)
from bot.storage.db import backup, connect
from bot.storage.errors import (
    DatabaseCorruptError,
    DatabaseTooNewError,
    StorageError,
    StorageFullError,
    StorageReadOnlyError,
)
from bot.template_files import load_template_catalog

EXIT_CONFIG = 2
EXIT_DISCORD = 3
EXIT_NOT_FOUND = 4
# `cocreate health`: Docker reads 1 as unhealthy and reserves 2, so every failure is 1.
EXIT_UNHEALTHY = 1
EXIT_INTERRUPTED = 130

# Where an application's Bot page (with its privileged intents) is in the developer portal.
PORTAL_BOT_PAGE = "https://discord.com/developers/applications/{application_id}/bot"

if TYPE_CHECKING:  # the export code loads only for the commands that export
    from bot.export import ExportFormat, ExportOptions
    from bot.export.writer import TextSink
    from bot.storage.export_reader import ExportReader

# The values of bot.export.ExportFormat (a test holds them together).
EXPORT_FORMATS = ("markdown", "csv", "json", "html")

_ReaderWork = Callable[["ExportReader"], Awaitable[int]]

# The widest a topic is shown in `cocreate sessions` (the export has it whole).
TOPIC_WIDTH = 80


class _TokenFilter(logging.Filter):
    """Belt and braces: never let the token reach a log line."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self._token and self._token in message:
            record.msg = message.replace(self._token, "[token]")
            record.args = ()
        return True


def _cli_locale(sentences: Catalog, settings: Settings | None) -> str:
    if settings is not None:
        return settings.locale.default
    lang = os.environ.get("COCREATE_LANG") or os.environ.get("LANG", "")
    return "nl" if lang.lower().startswith("nl") else "en"


def _fail(sentences: Catalog, locale: str, key: str, code: int, **values: object) -> int:
    print(sentences.t(locale, f"cli.{key}", **values), file=sys.stderr)
    return code


def _discord_id(text: str) -> int:
    """An argparse type: a Discord id (a positive whole number)."""
    if not text.strip().isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a Discord id (a number)")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cocreate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="connect to Discord and run sessions")
    run.add_argument("--config", type=Path, default=Path("config.toml"))
    run.add_argument(
        "--sync-commands",
        action="store_true",
        help="register the slash commands now (to [discord] sync_guild_id if set)",
    )
    check = commands.add_parser("check-config", help="validate the configuration offline")
    check.add_argument("--config", type=Path, default=Path("config.toml"))
    invite = commands.add_parser(
        "invite-url", help="print the link that adds the bot to a server (no connection)"
    )
    invite.add_argument("--config", type=Path, default=None, help="default: ./config.toml")
    invite.add_argument(
        "--application-id",
        type=_discord_id,
        default=None,
        help="default: [discord] application_id, else read from DISCORD_TOKEN",
    )
    invite.add_argument(
        "--private-writing",
        action="store_true",
        help="also ask for Manage Messages, which private steps (silent writing) need",
    )
    sync = commands.add_parser(
        "sync-commands", help="register the slash commands with Discord, then exit"
    )
    sync.add_argument("--config", type=Path, default=Path("config.toml"))
    sync.add_argument(
        "--guild",
        type=_discord_id,
        default=None,
        help="one server's id (instant); default: [discord] sync_guild_id, else all servers",
    )
    health_check = commands.add_parser(
        "health", help="exit 0 if the running bot is connected, else 1 (for HEALTHCHECK)"
    )
    health_check.add_argument("--config", type=Path, default=None, help="default: ./config.toml")
    listing = commands.add_parser("sessions", help="list the sessions in the database")
    listing.add_argument("--config", type=Path, default=None, help="default: ./config.toml")
    export = commands.add_parser(
        "export", help="write a session's whole board to a file (reads the database only)"
    )
    export.add_argument("--session", type=int, required=True, help="the id `sessions` shows")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True, dest="file_format")
    export.add_argument(
        "--output", type=Path, required=True, help="the file to write, - for stdout"
    )
    export.add_argument(
        "--pseudonyms", action="store_true", help="Participant 1, 2, … instead of names"
    )
    export.add_argument(
        "--language", choices=LOCALES, default=None, help="default: the session's language"
    )
    export.add_argument("--config", type=Path, default=None, help="default: ./config.toml")
    copy = commands.add_parser(
        "backup", help="copy the database safely (also while the bot runs), checked"
    )
    copy.add_argument("--output", type=Path, required=True, help="the backup file to write")
    copy.add_argument("--force", action="store_true", help="replace the file if it exists")
    copy.add_argument("--config", type=Path, default=None, help="default: ./config.toml")
    demo = commands.add_parser(
        "demo", help="show a whole session offline: the real bot against a stand-in Discord"
    )
    demo.add_argument("--language", choices=LOCALES, default="nl")
    demo.add_argument(
        "--output", type=Path, default=None, help="default: ./cocreate-demo-<date-time>"
    )
    return parser


def demo(language: str, output: Path | None, sentences: Catalog) -> int:
    """Run ``cocreate demo``; 0 when it finished and wrote its files."""
    from bot.demo import DemoError, run_demo

    try:
        asyncio.run(run_demo(language, output))
    except DemoError:
        print(sentences.t(language, "demo.failed"), file=sys.stderr)
        return 1
    return 0


def _load(path: Path, sentences: Catalog) -> Settings | int:
    load_dotenv(path.parent / ".env")
    load_dotenv()
    try:
        settings = load_settings(path)
        # The shipped templates and canvases must load; a library's own broken template
        # is only warned about (the bot skips it too).
        load_template_catalog(settings.templates.folder, canvases=load_canvases())
    except (ConfigError, TemplateError, CanvasError) as error:
        return _fail(
            sentences, _cli_locale(sentences, None), "config_invalid", EXIT_CONFIG, problem=error
        )
    return settings


def check_config(path: Path, sentences: Catalog) -> int:
    """Validate the file, the templates and the prompts, without connecting."""
    loaded = _load(path, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    print(
        sentences.t(
            settings.locale.default,
            "cli.config_ok",
            path=path,
            database=settings.storage.path,
            language=settings.locale.default,
            timezone=settings.locale.timezone,
            role=settings.facilitation.facilitator_role,
            template=settings.facilitation.template,
        )
    )
    return 0


def _settings_and_token(path: Path, sentences: Catalog) -> tuple[Settings, str] | int:
    """The settings and the token for talking to Discord, or the exit code after saying
    what is wrong with them."""
    loaded = _load(path, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    try:
        token = read_token()
    except TokenError as error:
        key = "token_missing" if error.missing else "token_malformed"
        return _fail(sentences, settings.locale.default, key, EXIT_CONFIG)
    return settings, token


def _log_to_stderr(level: str, token: str) -> None:
    # cocreate never joins a voice channel: the missing voice libraries are no news.
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(_TokenFilter(token))


def _with_discord(settings: Settings, sentences: Catalog, work: Coroutine[Any, Any, int]) -> int:
    """Run ``work``; what Discord refuses or a network failure is one sentence."""
    locale = settings.locale.default
    try:
        return asyncio.run(work)
    except discord.LoginFailure:
        return _fail(sentences, locale, "login_failed", EXIT_DISCORD)
    except discord.PrivilegedIntentsRequired:
        return _fail(sentences, locale, "intent_missing", EXIT_DISCORD)
    except discord.HTTPException as error:
        return _fail(sentences, locale, "discord_failed", EXIT_DISCORD, problem=error)
    except (aiohttp.ClientConnectionError, OSError) as error:
        where = settings.discord.api_base_url or "discord.com"
        return _fail(sentences, locale, "connect_failed", EXIT_DISCORD, where=where, problem=error)


async def _run(settings: Settings, token: str, sync: bool) -> int:
    from bot.app import CocreateBot  # imported late: check-config needs no client

    bot = CocreateBot(settings, sync_commands=sync or None)
    async with bot:
        await bot.start(token)
    return 0


def run(path: Path, sync: bool, sentences: Catalog) -> int:
    """Start the bot and keep it running until interrupted."""
    loaded = _settings_and_token(path, sentences)
    if isinstance(loaded, int):
        return loaded
    settings, token = loaded
    _log_to_stderr(settings.logging.level, token)
    locale = settings.locale.default
    database = Path(settings.storage.path)
    try:
        # Before Discord: a damaged, too new, read-only or full database is said in one
        # sentence (exit 2, so systemd does not restart into the same wall).
        asyncio.run(_open_database(database))
        return _with_discord(settings, sentences, _run(settings, token, sync))
    except StorageError as error:  # also if it happens when the bot opens it again
        return _database_refused(sentences, locale, database, error)
    except KeyboardInterrupt:
        return 0


async def _open_database(path: Path) -> None:
    """Open (check, migrate) the database once and close it again."""
    connection = await connect(path)
    await connection.close()


def _database_refused(sentences: Catalog, locale: str, path: Path, error: StorageError) -> int:
    """One sentence for a database the bot cannot use as it is; nothing was changed."""
    match error:
        case DatabaseCorruptError(detail=detail):
            return _fail(
                sentences, locale, "database_corrupt", EXIT_CONFIG, path=path, detail=detail
            )
        case DatabaseTooNewError(found=found, known=known):
            return _fail(
                sentences,
                locale,
                "database_too_new",
                EXIT_CONFIG,
                path=path,
                found=found,
                known=known,
            )
        case StorageFullError(cause=cause):
            return _fail(sentences, locale, "database_full", EXIT_CONFIG, path=path, problem=cause)
        case StorageReadOnlyError(cause=cause):
            return _fail(
                sentences, locale, "database_read_only", EXIT_CONFIG, path=path, problem=cause
            )
    raise error


# -- setting up: the invite link, the slash commands, the health check ---------------------


def application_id_from_token(token: str) -> int | None:
    """The application id a bot token starts with, or None if it does not.

    A token's first dot-separated part is the bot user's id in base64 (padding left off);
    for a bot application, that id is the application's id too.
    """
    first = token.strip().removeprefix("Bot ").strip().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if not (decoded.isascii() and decoded.isdigit()) or int(decoded) <= 0:
        return None
    return int(decoded)


def print_invite(
    config: Path | None,
    application_id: int | None,
    sentences: Catalog,
    out: TextIO | None = None,
    *,
    private_writing: bool = False,
) -> int:
    """Print the invite link and where to switch on the Message Content intent. The id:
    ``application_id``, else ``[discord] application_id``, else read from DISCORD_TOKEN.
    ``private_writing`` adds Manage Messages (private steps remove typed messages)."""
    loaded = _data_settings(config, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    locale = settings.locale.default
    found = application_id or settings.discord.application_id
    if found is None:
        try:
            found = application_id_from_token(read_token())
        except TokenError as error:
            if error.missing:
                return _fail(sentences, locale, "invite_no_application", EXIT_CONFIG)
        if found is None:
            return _fail(sentences, locale, "invite_token_unreadable", EXIT_CONFIG)
    stream = out or sys.stdout
    print(invite_url(found, private_writing=private_writing), file=stream)
    print(sentences.t(locale, "cli.invite_open"), file=stream)
    portal = PORTAL_BOT_PAGE.format(application_id=found)
    print(sentences.t(locale, "cli.invite_intent", portal=portal), file=stream)
    return 0


async def _sync(settings: Settings, token: str, sentences: Catalog) -> int:
    from bot.app import CocreateBot  # imported late: the other commands need no client

    class CommandsOnly(CocreateBot):
        """The bot as far as logging in builds it (its command tree, translated), without
        the gateway: no sessions are recovered and no timers run."""

        async def setup_hook(self) -> None:
            await super().setup_hook()
            # Cancelled before it ever ran: the recovery task has not had a turn yet.
            if self._recovery is not None:
                self._recovery.cancel()
            self.timers.shutdown()

    locale = settings.locale.default
    guild_id = settings.discord.sync_guild_id
    # setup_hook wires the whole bot, database included; a scratch one keeps the real
    # database (and a bot that may be running on it) out of this.
    with tempfile.TemporaryDirectory(prefix="cocreate-sync-") as scratch:
        scratch_settings = settings.model_copy(
            update={
                "storage": StorageSettings(path=Path(scratch) / "scratch.sqlite3"),
                "themes": ThemesSettings(embedder="lexical"),
            }
        )
        bot = CommandsOnly(scratch_settings, sentences=sentences, sync_commands=False)
        async with bot:
            await bot.login(token)
            try:
                count = await bot.sync_commands()
            except discord.Forbidden:
                if guild_id is None:
                    raise
                return _fail(sentences, locale, "sync_forbidden", EXIT_DISCORD, guild=guild_id)
    if guild_id is None:
        print(sentences.t(locale, "cli.synced_global", count=count))
    else:
        print(sentences.t(locale, "cli.synced_guild", count=count, guild=guild_id))
    return 0


def sync_commands(path: Path, guild_id: int | None, sentences: Catalog) -> int:
    """Log in, register the slash commands (to ``guild_id``, else to ``[discord]
    sync_guild_id``, else globally), say how many and where, and exit."""
    loaded = _settings_and_token(path, sentences)
    if isinstance(loaded, int):
        return loaded
    settings, token = loaded
    if guild_id is not None:
        discord_settings = settings.discord.model_copy(update={"sync_guild_id": guild_id})
        settings = settings.model_copy(update={"discord": discord_settings})
    # The one line printed at the end says it all; discord.py's INFO lines would not help.
    level = settings.logging.level
    _log_to_stderr("WARNING" if level == "INFO" else level, token)
    try:
        return _with_discord(settings, sentences, _sync(settings, token, sentences))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def health(config: Path | None, sentences: Catalog, now: float | None = None) -> int:
    """0 while the running bot's heartbeat file is fresh; else one sentence and 1."""
    from bot.export.text import Words

    loaded = _data_settings(config, sentences)
    if isinstance(loaded, int):
        return EXIT_UNHEALTHY
    settings = loaded
    locale = settings.locale.default
    path = heartbeat_path(Path(settings.storage.path))
    seconds = age(path, now)
    if seconds is None:
        return _fail(sentences, locale, "health_never", EXIT_UNHEALTHY, path=path)
    words = Words(sentences, locale)
    if not is_fresh(path, now):
        return _fail(
            sentences,
            locale,
            "health_stale",
            EXIT_UNHEALTHY,
            age=words.duration(seconds),
            path=path,
        )
    print(sentences.t(locale, "cli.health_ok", age=words.duration(seconds)))
    return 0


# -- sessions and exports -----------------------------------------------------------------


def _data_settings(path: Path | None, sentences: Catalog) -> Settings | int:
    """Settings for the commands that do not connect: the given file, else ./config.toml
    if there is one, else the defaults and the environment."""
    if path is None and Path("config.toml").is_file():
        path = Path("config.toml")
    # The same environment as `run` sees (COCREATE_STORAGE__PATH may live in a .env).
    load_dotenv((path.parent if path else Path()) / ".env")
    load_dotenv()
    try:
        return load_settings(path)
    except ConfigError as error:
        return _fail(
            sentences, _cli_locale(sentences, None), "config_invalid", EXIT_CONFIG, problem=error
        )


async def _with_reader(settings: Settings, sentences: Catalog, work: _ReaderWork) -> int:
    """Open the database read-only and run ``work``; a missing, old or broken file is one
    sentence."""
    from bot.storage.export_reader import DatabaseTooOldError, open_reader

    locale = settings.locale.default
    database = settings.storage.path
    try:
        async with open_reader(database) as reader:
            return await work(reader)
    except FileNotFoundError:
        return _fail(sentences, locale, "database_missing", EXIT_CONFIG, path=database)
    except DatabaseTooOldError:
        return _fail(sentences, locale, "database_old", EXIT_CONFIG, path=database)
    except sqlite3.DatabaseError as error:
        return _fail(
            sentences, locale, "database_unreadable", EXIT_CONFIG, path=database, problem=error
        )


def list_sessions(config: Path | None, sentences: Catalog, out: TextIO | None = None) -> int:
    """Print every session in the database: id, server, topic, status, created, notes."""
    from bot.export.text import Words, local_time

    loaded = _data_settings(config, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    locale = settings.locale.default
    words = Words(sentences, locale)
    stream = out or sys.stdout

    async def work(reader: ExportReader) -> int:
        listing = await reader.sessions()
        if not listing:
            print(
                sentences.t(locale, "cli.sessions_none", database=settings.storage.path),
                file=stream,
            )
            return 0
        rows = [
            [
                sentences.t(locale, "cli.sessions_id"),
                sentences.t(locale, "cli.sessions_server"),
                sentences.t(locale, "cli.sessions_topic"),
                sentences.t(locale, "cli.sessions_status"),
                sentences.t(locale, "cli.sessions_created"),
                sentences.t(locale, "cli.sessions_notes"),
            ]
        ]
        for item in listing:
            topic = " ".join(item.topic.split())
            if len(topic) > TOPIC_WIDTH:
                topic = topic[: TOPIC_WIDTH - 1] + "…"
            status_key = _STATUS_KEYS.get(item.status)
            rows.append(
                [
                    str(item.id),
                    str(item.guild_id),
                    topic,
                    words(status_key) if status_key else item.status,
                    local_time(item.created_at, settings.locale.timezone),
                    str(item.notes),
                ]
            )
        widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
        numeric = {0, 1, 5}
        for row in rows:
            cells = [
                cell.rjust(width) if column in numeric else cell.ljust(width)
                for column, (cell, width) in enumerate(zip(row, widths, strict=True))
            ]
            print("  ".join(cells).rstrip(), file=stream)
        return 0

    return asyncio.run(_with_reader(settings, sentences, work))


_STATUS_KEYS = {
    "running": "export.status.running",
    "paused": "export.status.paused",
    "ended": "export.status.ended",
}


async def stream_export(
    reader: ExportReader,
    session_id: int,
    export_format: ExportFormat,
    out: TextSink,
    sentences: Catalog,
    options: ExportOptions,
    progress: Callable[[int], object] | None = None,
) -> int | None:
    """Write one session's board to ``out`` as it is read; the number of notes written,
    or None when there is no such session. ``progress(1)`` is called per note written.
    Memory does not grow with the board."""
    from bot.export import BoardNote, board_events, writer_for

    session = await reader.session(session_id)
    if session is None:
        return None
    writer = writer_for(export_format, out, sentences)
    written = 0
    async for event in board_events(reader, session, sentences, options):
        writer.feed(event)
        if isinstance(event, BoardNote):
            written += 1
            if progress is not None:
                progress(1)
    return written


def export_session(
    config: Path | None,
    session_id: int,
    export_format: ExportFormat,
    output: Path,
    sentences: Catalog,
    *,
    pseudonyms: bool = False,
    language: str | None = None,
) -> int:
    """Export a session's board to ``output`` (``-``: standard output), with a progress
    bar on a terminal. The file appears whole or not at all."""
    from bot.export import ExportOptions
    from bot.export.text import Words

    loaded = _data_settings(config, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    locale = settings.locale.default
    to_stdout = str(output) == "-"

    async def work(reader: ExportReader) -> int:
        session = await reader.session(session_id)
        if session is None:
            return _fail(
                sentences,
                locale,
                "session_missing",
                EXIT_NOT_FOUND,
                session=session_id,
                database=settings.storage.path,
            )
        options = ExportOptions(
            locale=sentences.resolve(language or session.locale),
            timezone=settings.locale.timezone,
            pseudonyms=pseudonyms,
        )
        total = await reader.note_count(session_id)
        from tqdm import tqdm  # only an export in a terminal draws a bar

        bar = tqdm(
            total=total,
            unit=" " + sentences.t(locale, "cli.export_progress_unit"),
            desc=sentences.t(locale, "cli.export_progress", session=session_id),
            file=sys.stderr,
            disable=not sys.stderr.isatty(),  # no bar in logs, pipes or CI
            leave=True,  # the final count stays on screen
        )
        try:
            if to_stdout:
                written = await stream_export(
                    reader, session_id, export_format, sys.stdout, sentences, options, bar.update
                )
            else:
                written = await _export_to_file(
                    reader, session_id, export_format, output, sentences, options, bar.update
                )
        except OSError as error:
            return _fail(
                sentences, locale, "output_failed", EXIT_CONFIG, path=output, problem=error
            )
        finally:
            bar.close()
        words = Words(sentences, locale)
        done = sentences.t(
            locale,
            "cli.export_done",
            path=output,
            notes=words.plural("common.count.note", written or 0),
            steps=words.plural("export.count.step", len(session.steps)),
            format=export_format.value,
        )
        print(done, file=sys.stderr if to_stdout else sys.stdout)
        return 0

    return asyncio.run(_with_reader(settings, sentences, work))


async def _export_to_file(
    reader: ExportReader,
    session_id: int,
    export_format: ExportFormat,
    output: Path,
    sentences: Catalog,
    options: ExportOptions,
    progress: Callable[[int], object],
) -> int | None:
    # Written next to the target and renamed at the end: a failed export leaves no
    # half file behind, and an old export stays until the new one is complete.
    partial = output.with_name(output.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            written = await stream_export(
                reader, session_id, export_format, handle, sentences, options, progress
            )
        partial.replace(output)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return written


# -- backups --------------------------------------------------------------------------------


def human_size(size: int, locale: str) -> str:
    """``size`` bytes as people read it: 812 B, 4.2 MB (a decimal comma in Dutch)."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            break
        value /= 1000
    text = str(size) if unit == "B" else f"{value:.1f}"
    return f"{text.replace('.', ',') if locale == 'nl' else text} {unit}"


def backup_database(
    config: Path | None,
    output: Path,
    sentences: Catalog,
    *,
    force: bool = False,
    out: TextIO | None = None,
) -> int:
    """Copy the database to ``output`` with SQLite's backup API (safe while the bot runs),
    check the copy, and say where it is and how big. An existing file is left alone unless
    ``force``."""
    loaded = _data_settings(config, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    locale = settings.locale.default
    database = Path(settings.storage.path)
    if not database.is_file():
        return _fail(sentences, locale, "database_missing", EXIT_CONFIG, path=database)
    if output.exists() and output.resolve() == database.resolve():
        return _fail(sentences, locale, "backup_same_file", EXIT_CONFIG, path=output)
    if output.exists() and not force:
        return _fail(sentences, locale, "backup_exists", EXIT_CONFIG, path=output)
    folder = output.parent
    try:
        size = backup(database, output)
    except FileNotFoundError:
        return _fail(sentences, locale, "database_missing", EXIT_CONFIG, path=database)
    except DatabaseCorruptError as error:
        return _fail(
            sentences, locale, "backup_damaged", EXIT_CONFIG, path=database, detail=error.detail
        )
    except StorageFullError:
        size_text = human_size(database.stat().st_size, locale)
        return _fail(
            sentences, locale, "backup_disk_full", EXIT_CONFIG, path=output, size=size_text
        )
    except StorageReadOnlyError:
        key = "backup_unwritable" if folder.is_dir() else "backup_no_folder"
        return _fail(sentences, locale, key, EXIT_CONFIG, path=output, folder=folder)
    except sqlite3.Error as error:
        return _fail(
            sentences, locale, "database_unreadable", EXIT_CONFIG, path=database, problem=error
        )
    except OSError as error:
        return _fail(sentences, locale, "output_failed", EXIT_CONFIG, path=output, problem=error)
    done = sentences.t(
        locale,
        "cli.backup_done",
        database=database,
        path=output,
        size=human_size(size, locale),
    )
    print(done, file=out or sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cocreate`` command."""
    arguments = _parser().parse_args(argv)
    try:
        sentences = catalog()
    except PromptsError as error:
        print(f"prompts: {error}", file=sys.stderr)
        return EXIT_UNHEALTHY if arguments.command == "health" else EXIT_CONFIG
    if arguments.command == "check-config":
        return check_config(arguments.config, sentences)
    if arguments.command == "invite-url":
        return print_invite(
            arguments.config,
            arguments.application_id,
            sentences,
            private_writing=arguments.private_writing,
        )
    if arguments.command == "sync-commands":
        return sync_commands(arguments.config, arguments.guild, sentences)
    if arguments.command == "health":
        return health(arguments.config, sentences)
    if arguments.command == "sessions":
        return list_sessions(arguments.config, sentences)
    if arguments.command == "demo":
        return demo(arguments.language, arguments.output, sentences)
    if arguments.command == "backup":
        return backup_database(arguments.config, arguments.output, sentences, force=arguments.force)
    if arguments.command == "export":
        from bot.export import ExportFormat

        return export_session(
            arguments.config,
            arguments.session,
            ExportFormat(arguments.file_format),
            arguments.output,
            sentences,
            pseudonyms=arguments.pseudonyms,
            language=arguments.language,
        )
    return run(arguments.config, arguments.sync_commands, sentences)


if __name__ == "__main__":
    sys.exit(main())
