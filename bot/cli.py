"""``cocreate run | check-config``: start the bot, or check its configuration offline.

Every failure an admin can fix ends in one sentence on stderr and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import aiohttp
import discord
from dotenv import load_dotenv

from bot.domain.templates import TemplateError
from bot.i18n import Catalog, PromptsError, catalog
from bot.settings import ConfigError, Settings, TokenError, load_settings, read_token
from bot.template_files import load_templates

EXIT_CONFIG = 2
EXIT_DISCORD = 3


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


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cocreate", description=__doc__)
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
    return parser


def _load(path: Path, sentences: Catalog) -> Settings | int:
    load_dotenv(path.parent / ".env")
    load_dotenv()
    try:
        settings = load_settings(path)
        load_templates()
    except (ConfigError, TemplateError) as error:
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


async def _run(settings: Settings, token: str, sync: bool) -> None:
    from bot.app import CocreateBot  # imported late: check-config needs no client

    bot = CocreateBot(settings, sync_commands=sync or None)
    async with bot:
        await bot.start(token)


def run(path: Path, sync: bool, sentences: Catalog) -> int:
    """Start the bot and keep it running until interrupted."""
    loaded = _load(path, sentences)
    if isinstance(loaded, int):
        return loaded
    settings = loaded
    locale = settings.locale.default
    try:
        token = read_token()
    except TokenError as error:
        key = "token_missing" if error.missing else "token_malformed"
        return _fail(sentences, locale, key, EXIT_CONFIG)
    logging.basicConfig(
        level=settings.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(_TokenFilter(token))
    try:
        asyncio.run(_run(settings, token, sync))
    except discord.LoginFailure:
        return _fail(sentences, locale, "login_failed", EXIT_DISCORD)
    except discord.PrivilegedIntentsRequired:
        return _fail(sentences, locale, "intent_missing", EXIT_DISCORD)
    except (aiohttp.ClientConnectionError, OSError) as error:
        where = settings.discord.api_base_url or "discord.com"
        return _fail(sentences, locale, "connect_failed", EXIT_DISCORD, where=where, problem=error)
    except KeyboardInterrupt:
        return 0
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cocreate`` command."""
    arguments = _parser().parse_args(argv)
    try:
        sentences = catalog()
    except PromptsError as error:
        print(f"prompts: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if arguments.command == "check-config":
        return check_config(arguments.config, sentences)
    return run(arguments.config, arguments.sync_commands, sentences)


if __name__ == "__main__":
    sys.exit(main())
