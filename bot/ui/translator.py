"""Slash command names and descriptions from ``prompts/<locale>/commands.toml``."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.i18n import Catalog, catalog

# Discord locales we translate into; English is the source text in the code's locale_str.
_LOCALES = {discord.Locale.dutch: "nl"}


def command_text(key: str) -> app_commands.locale_str:
    """A name or description for a decorator: English text, with its catalogue key."""
    full_key = f"commands.{key}"
    return app_commands.locale_str(catalog().raw("en", full_key), key=full_key)


class PromptsTranslator(app_commands.Translator):
    """Looks every command string up by the key ``command_text`` put in its extras."""

    def __init__(self, sentences: Catalog) -> None:
        self._catalog = sentences

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        """The Dutch text for a Dutch client; None lets Discord show the English."""
        key = string.extras.get("key")
        target = _LOCALES.get(locale)
        if not isinstance(key, str) or target is None:
            return None
        return self._catalog.raw(target, key)
