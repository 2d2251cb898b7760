"""``/settings …``: what a server (a library) sets for itself, privately, for its admins.

Each value is checked by :mod:`bot.domain.server_settings`; what needs the server is
checked here: its roles and channels, and the steps of its template.
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from functools import cache
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot.domain.durations import format_duration
from bot.domain.server_settings import (
    LANGUAGES,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    SettingError,
    SettingKey,
    SettingProblem,
    close_timezones,
    durations_fit,
    validate,
)
from bot.domain.templates import Template
from bot.facilitation import Facilitation, UnknownTemplateError
from bot.i18n import Catalog, catalog
from bot.permission_check import report_for
from bot.render import text
from bot.server_config import EffectiveSettings, ServerConfig
from bot.settings import Settings
from bot.template_files import load_templates
from bot.ui.replies import reply, user_locale
from bot.ui.translator import command_text as ct

AUTOCOMPLETE_LIMIT = 25
CHOICE_LIMIT = 100  # characters in an autocomplete choice's name and value
# Values that give a setting back to the deployment's config file.
RESET_WORDS = frozenset({"standaard", "default", "reset"})
RESET_VALUE = "default"
# Offered before anything is typed: the Netherlands, the neighbours, the Caribbean parts
# of the kingdom and Suriname.
COMMON_ZONES = (
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Berlin",
    "Europe/London",
    "America/Curacao",
    "America/Aruba",
    "America/Kralendijk",
    "America/Paramaribo",
    "UTC",
)

_KEY_CHOICES = [
    app_commands.Choice(name=ct("choices.settings.language"), value=SettingKey.LANGUAGE.value),
    app_commands.Choice(name=ct("choices.settings.timezone"), value=SettingKey.TIMEZONE.value),
    app_commands.Choice(
        name=ct("choices.settings.facilitator_role"), value=SettingKey.FACILITATOR_ROLE.value
    ),
    app_commands.Choice(name=ct("choices.settings.template"), value=SettingKey.TEMPLATE.value),
    app_commands.Choice(name=ct("choices.settings.durations"), value=SettingKey.DURATIONS.value),
    app_commands.Choice(name=ct("choices.settings.recap_time"), value=SettingKey.RECAP_TIME.value),
    app_commands.Choice(
        name=ct("choices.settings.recap_channel"), value=SettingKey.RECAP_CHANNEL.value
    ),
    app_commands.Choice(
        name=ct("choices.settings.retention_days"), value=SettingKey.RETENTION_DAYS.value
    ),
    app_commands.Choice(name=ct("choices.settings.nudges"), value=SettingKey.NUDGES.value),
    app_commands.Choice(name=ct("choices.settings.reminders"), value=SettingKey.REMINDERS.value),
]
# The same names, for /settings show and the replies.
_KEY_NAMES = {
    SettingKey.LANGUAGE: "commands.choices.settings.language",
    SettingKey.TIMEZONE: "commands.choices.settings.timezone",
    SettingKey.FACILITATOR_ROLE: "commands.choices.settings.facilitator_role",
    SettingKey.TEMPLATE: "commands.choices.settings.template",
    SettingKey.DURATIONS: "commands.choices.settings.durations",
    SettingKey.RECAP_TIME: "commands.choices.settings.recap_time",
    SettingKey.RECAP_CHANNEL: "commands.choices.settings.recap_channel",
    SettingKey.RETENTION_DAYS: "commands.choices.settings.retention_days",
    SettingKey.NUDGES: "commands.choices.settings.nudges",
    SettingKey.REMINDERS: "commands.choices.settings.reminders",
}
_PROBLEM_KEYS = {
    SettingProblem.UNKNOWN_LANGUAGE: "settings.refused.unknown_language",
    SettingProblem.UNKNOWN_TIMEZONE: "settings.refused.unknown_timezone",
    SettingProblem.UNKNOWN_TEMPLATE: "settings.refused.unknown_template",
    SettingProblem.BAD_DURATIONS: "settings.refused.bad_durations",
    SettingProblem.BAD_TIME: "settings.refused.bad_time",
    SettingProblem.BAD_RETENTION: "settings.refused.bad_retention",
    SettingProblem.BAD_SWITCH: "settings.refused.bad_switch",
    SettingProblem.BAD_REMINDERS: "settings.refused.bad_reminders",
    SettingProblem.BAD_ID: "settings.refused.bad_id",
}
_LANGUAGE_NAMES = {"nl": "commands.languages.nl", "en": "commands.languages.en"}
_SWITCH_NAMES = {True: "commands.choices.nudges.on", False: "commands.choices.nudges.off"}
# The option's name as Discord sends it (the English one), to read it while autocompleting.
_SETTING_OPTION = catalog().raw("en", "commands.settings.set.setting.name")
# Echoed user input is cut to this length in refusals.
ECHO_LIMIT = 50


class SettingsRefusedError(Exception):
    """A ``/settings`` request refused at the edge: ``key`` is its sentence in the
    catalogue, ``values`` fill it, ``suggestions`` are offered after it."""

    def __init__(self, key: str, *, suggestions: tuple[str, ...] = (), **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
        self.suggestions = suggestions


def settings_refusal(
    sentences: Catalog, locale: str, error: SettingError | SettingsRefusedError
) -> str:
    """The sentence for a refused setting, with close matches where there are some."""
    if isinstance(error, SettingsRefusedError):
        sentence = sentences.t(locale, error.key, **error.values)
        suggestions = error.suggestions
    else:
        sentence = sentences.t(
            locale,
            _PROBLEM_KEYS[error.problem],
            value=error.value[:ECHO_LIMIT],
            options=", ".join(f"`{s}`" for s in error.suggestions),
            low=MIN_RETENTION_DAYS,
            high=MAX_RETENTION_DAYS,
        )
        # Languages and templates list what there is in the sentence itself.
        suggestions = error.suggestions if error.problem is SettingProblem.UNKNOWN_TIMEZONE else ()
        if error.problem is SettingProblem.UNKNOWN_TIMEZONE and not suggestions:
            sentence += "\n" + sentences.t(locale, "settings.refused.timezone_hint")
    if suggestions:
        options = ", ".join(f"`{s}`" for s in suggestions)
        sentence += "\n" + sentences.t(locale, "settings.refused.did_you_mean", options=options)
    return sentence


def may_change_settings(interaction: discord.Interaction, admin_role: str) -> bool:
    """Members with Manage Server (or Administrator), or with the deployment's admin role
    (``[discord] admin_role``: a role name or id; empty means Manage Server only)."""
    member = interaction.user
    if not isinstance(member, discord.Member):
        return False
    if interaction.permissions.manage_guild or member.guild_permissions.manage_guild:
        return True
    wanted = admin_role.strip().casefold()
    return bool(wanted) and any(
        role.name.casefold() == wanted or str(role.id) == wanted for role in member.roles
    )


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def zone_suggestions(typed: str, limit: int = AUTOCOMPLETE_LIMIT) -> list[str]:
    """Timezone names for what was typed: cities starting with it first, then names
    containing it, then close spellings ("amsterdm"); common ones when nothing is typed."""
    wanted = typed.strip().casefold().replace(" ", "_")
    if not wanted:
        return [zone for zone in COMMON_ZONES if zone in _zones()][:limit]
    starts = [z for z in _zones() if z.rsplit("/", 1)[-1].casefold().startswith(wanted)]
    contains = [z for z in _zones() if wanted in z.casefold() and z not in starts]
    found = starts + contains or list(close_timezones(typed, limit=5))
    return found[:limit]


def find_role(guild: discord.Guild, wanted: str) -> discord.Role | None:
    """A role of the server by mention, id or name (case-insensitive)."""
    value = wanted.strip()
    if value.startswith("<@&") and value.endswith(">"):
        value = value[3:-1]
    if value.isdecimal():
        return guild.get_role(int(value))
    name = value.removeprefix("@").casefold()
    return next((role for role in guild.roles if role.name.casefold() == name), None)


def find_text_channel(guild: discord.Guild, wanted: str) -> discord.TextChannel | None:
    """A text channel of the server by name (with or without #, case-insensitive)."""
    name = wanted.strip().removeprefix("#").casefold()
    return next((c for c in guild.text_channels if c.name.casefold() == name), None)


def may_post(channel: discord.TextChannel) -> bool:
    """Whether the bot may see ``channel`` and send messages in it."""
    me = channel.guild.me
    if me is None:
        return False
    permissions = channel.permissions_for(me)
    return permissions.view_channel and permissions.send_messages


def short_duration(span: timedelta) -> str:
    """``15m``, ``1h``, ``2d``: as a duration list is typed."""
    seconds = round(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def durations_of(template: Template) -> str:
    """A template's own step times as a durations value (``15m,10m,10m,15m``)."""
    return ",".join(short_duration(span) for span in template.default_durations)


@app_commands.guild_only()
class SettingsCog(
    commands.GroupCog,
    group_name=ct("settings.name"),
    group_description=ct("settings.description"),
):
    """A server's own settings: shown and changed by its admins, always privately."""

    def __init__(
        self,
        server_config: ServerConfig,
        facilitation: Facilitation,
        sentences: Catalog,
        settings: Settings,
    ) -> None:
        self._config = server_config
        self._facilitation = facilitation
        self._catalog = sentences
        self._settings = settings
        self._template_keys = tuple(sorted(load_templates()))
        super().__init__()

    # -- who, where ------------------------------------------------------------------------

    def _may(self, interaction: discord.Interaction) -> bool:
        return may_change_settings(interaction, self._settings.discord.admin_role)

    def _guild(self, interaction: discord.Interaction) -> discord.Guild:
        """The server, refusing everyone who may not change its settings."""
        if not self._may(interaction):
            raise SettingsRefusedError("settings.refused.not_admin")
        guild = interaction.guild
        if guild is None:  # guild_only, and the bot has the guilds intent
            raise LookupError(f"server {interaction.guild_id} is not in the cache")
        return guild

    # -- commands --------------------------------------------------------------------------

    @app_commands.command(
        name=ct("settings.show.name"), description=ct("settings.show.description")
    )
    async def show(self, interaction: discord.Interaction) -> None:
        """Every setting with the value that applies, and whose it is."""
        guild = self._guild(interaction)
        current = await self._config.of(guild.id)
        locale = user_locale(self._catalog, interaction)
        lines = [self._catalog.t(locale, "settings.show.heading")]
        for key in SettingKey:
            origin = "settings.show.own" if current.is_own(key) else "settings.show.default"
            lines.append(
                self._catalog.t(
                    locale,
                    "settings.show.line",
                    name=self._catalog.t(locale, _KEY_NAMES[key]),
                    value=self.value_text(locale, guild, current, key),
                    origin=self._catalog.t(locale, origin),
                )
            )
        lines.append(self._catalog.t(locale, "settings.show.footer"))
        await reply(interaction, "\n".join(lines))

    @app_commands.command(
        name=ct("settings.check.name"), description=ct("settings.check.description")
    )
    async def check(self, interaction: discord.Interaction) -> None:
        """Whether the bot has every permission it needs in this channel (and the intent),
        naming exactly what is missing and how to fix it."""
        self._guild(interaction)
        locale = user_locale(self._catalog, interaction)
        _, text = await report_for(interaction, self._catalog, locale)
        await reply(interaction, text)

    @app_commands.command(name=ct("settings.set.name"), description=ct("settings.set.description"))
    @app_commands.rename(
        setting=ct("settings.set.setting.name"), value=ct("settings.set.value.name")
    )
    @app_commands.describe(
        setting=ct("settings.set.setting.description"),
        value=ct("settings.set.value.description"),
    )
    @app_commands.choices(setting=_KEY_CHOICES)
    async def set_value(
        self,
        interaction: discord.Interaction,
        setting: str,
        value: app_commands.Range[str, 1, 200],
    ) -> None:
        """Change one setting (``standaard``/``default``/``reset``: back to the config's)."""
        guild = self._guild(interaction)
        key = SettingKey(setting)
        locale = user_locale(self._catalog, interaction)
        current = await self._config.of(guild.id)
        checked = (
            None
            if value.strip().casefold() in RESET_WORDS
            else self.checked(locale, guild, key, value, current)
        )
        changed = await self._config.set(
            guild.id, key, checked, interaction.user.id, self._facilitation.now()
        )
        sentence = "settings.set.reset" if checked is None else "settings.set.done"
        await reply(
            interaction,
            self._catalog.t(
                locale,
                sentence,
                name=self._catalog.t(locale, _KEY_NAMES[key]),
                value=self.value_text(locale, guild, changed, key),
            ),
        )

    # -- checking a value against the server -------------------------------------------------

    def checked(
        self,
        locale: str,
        guild: discord.Guild,
        key: SettingKey,
        given: str,
        current: EffectiveSettings,
    ) -> object:
        """The value to store for ``given``, or SettingError / SettingsRefusedError."""
        match key:
            case SettingKey.LANGUAGE:
                return validate(key, self._language_code(given))
            case SettingKey.FACILITATOR_ROLE:
                return str(self._role(guild, str(validate(key, given))).id)
            case SettingKey.RECAP_CHANNEL:
                return self._channel(guild, given).id
            case SettingKey.TEMPLATE:
                chosen = str(validate(key, given, templates=self._template_keys))
                own = current.own.durations
                steps = len(self._facilitation.template(chosen).steps)
                if own and not durations_fit(own, steps):
                    raise SettingsRefusedError(
                        "settings.refused.durations_template",
                        durations=own,
                        steps=self._steps(locale, steps),
                    )
                return chosen
            case SettingKey.DURATIONS:
                durations = str(validate(key, given))
                template = self._facilitation.template(current.template)
                if not durations_fit(durations, len(template.steps)):
                    raise SettingsRefusedError(
                        "settings.refused.durations_count",
                        steps=self._steps(locale, len(template.steps)),
                        example=durations_of(template),
                    )
                return durations
        return validate(key, given)

    def _steps(self, locale: str, amount: int) -> str:
        key = "settings.count.step.one" if amount == 1 else "settings.count.step.other"
        return self._catalog.t(locale, key, n=amount)

    def _language_code(self, given: str) -> str:
        """``Nederlands`` or ``English`` as their codes; anything else as typed."""
        wanted = given.strip().casefold()
        for code in _LANGUAGE_NAMES:
            names = {self._catalog.raw(lang, _LANGUAGE_NAMES[code]) for lang in LANGUAGES}
            if wanted in {name.casefold() for name in names}:
                return code
        return given

    def _role(self, guild: discord.Guild, wanted: str) -> discord.Role:
        role = find_role(guild, wanted)
        if role is None:
            names = [r.name for r in guild.roles if not r.is_default()]
            close = difflib.get_close_matches(wanted.removeprefix("@"), names, n=3, cutoff=0.6)
            raise SettingsRefusedError(
                "settings.refused.no_such_role",
                value=wanted[:ECHO_LIMIT],
                suggestions=tuple(close),
            )
        if role.is_default():
            raise SettingsRefusedError("settings.refused.everyone_role")
        return role

    def _channel(self, guild: discord.Guild, given: str) -> discord.TextChannel:
        channel = find_text_channel(guild, given)
        if channel is None:
            channel_id = validate(SettingKey.RECAP_CHANNEL, given)
            found = guild.get_channel(channel_id) if isinstance(channel_id, int) else None
            if not isinstance(found, discord.TextChannel):
                raise SettingsRefusedError(
                    "settings.refused.no_such_channel", value=given.strip()[:ECHO_LIMIT]
                )
            channel = found
        if not may_post(channel):
            raise SettingsRefusedError("settings.refused.cannot_send", channel=channel.mention)
        return channel

    # -- showing a value ---------------------------------------------------------------------

    def value_text(
        self, locale: str, guild: discord.Guild, current: EffectiveSettings, key: SettingKey
    ) -> str:
        """The value that applies, as a member reads it (roles and channels as mentions)."""
        t = self._catalog.t
        match key:
            case SettingKey.LANGUAGE:
                if current.language not in _LANGUAGE_NAMES:
                    return current.language
                return t(locale, _LANGUAGE_NAMES[current.language])
            case SettingKey.TIMEZONE:
                return current.timezone
            case SettingKey.FACILITATOR_ROLE:
                role = find_role(guild, current.facilitator_role)
                if role is None:
                    return t(locale, "settings.show.role_missing", role=current.facilitator_role)
                return role.mention
            case SettingKey.TEMPLATE:
                return self._template_name(locale, current.template)
            case SettingKey.DURATIONS:
                if current.durations:
                    return current.durations
                template = self._template(current.template)
                if template is None:
                    return t(locale, "settings.show.durations_template")
                return t(
                    locale, "settings.show.durations_default", durations=durations_of(template)
                )
            case SettingKey.RECAP_TIME:
                return current.recap_time.strftime("%H:%M")
            case SettingKey.RECAP_CHANNEL:
                if current.recap_channel is None:
                    return t(locale, "settings.show.recap_in_threads")
                return f"<#{current.recap_channel}>"
            case SettingKey.RETENTION_DAYS:
                return text.count(self._catalog, locale, "day", current.retention_days)
            case SettingKey.NUDGES:
                return t(locale, _SWITCH_NAMES[current.nudges])
            case SettingKey.REMINDERS:
                if not current.reminders:
                    return t(locale, _SWITCH_NAMES[False])
                return ", ".join(format_duration(lead) for lead in current.reminders)
        raise AssertionError(key)

    def _template(self, key: str) -> Template | None:
        try:
            return self._facilitation.template(key)
        except UnknownTemplateError:
            return None

    def _template_name(self, locale: str, key: str) -> str:
        try:
            return self._catalog.t(locale, f"commands.templates.{key}")
        except KeyError:  # a template without a name in the catalogue
            return key

    # -- suggestions while typing a value ----------------------------------------------------

    @set_value.autocomplete("value")
    async def _value_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        guild = interaction.guild
        if guild is None or not self._may(interaction):
            return []
        try:
            key = SettingKey(str(getattr(interaction.namespace, _SETTING_OPTION, "")))
        except ValueError:
            return []
        locale = user_locale(self._catalog, interaction)
        settings = await self._config.of(guild.id)
        typed = current.strip().casefold()
        found = [
            (name, value)
            for name, value in self.suggestions(locale, guild, key, current, settings)
            if not typed
            or typed in name.casefold()
            or typed in value.casefold()
            or key is SettingKey.TIMEZONE  # already filtered, close spellings included
        ]
        if settings.is_own(key):
            reset = self._catalog.t(locale, "settings.choice.reset")
            if not typed or typed in reset.casefold() or typed in RESET_WORDS:
                found.append((reset, RESET_VALUE))
        return [
            app_commands.Choice(name=name[:CHOICE_LIMIT], value=value[:CHOICE_LIMIT])
            for name, value in found[:AUTOCOMPLETE_LIMIT]
        ]

    def suggestions(
        self,
        locale: str,
        guild: discord.Guild,
        key: SettingKey,
        typed: str,
        current: EffectiveSettings,
    ) -> list[tuple[str, str]]:
        """(name, value) pairs worth offering for ``key``; the caller filters by ``typed``."""
        t = self._catalog.t
        match key:
            case SettingKey.LANGUAGE:
                return [
                    (f"{t(locale, _LANGUAGE_NAMES[code])} ({code})", code) for code in LANGUAGES
                ]
            case SettingKey.TIMEZONE:
                return [(zone, zone) for zone in zone_suggestions(typed)]
            case SettingKey.TEMPLATE:
                return [(self._template_name(locale, k), k) for k in self._template_keys]
            case SettingKey.NUDGES:
                return [
                    (t(locale, _SWITCH_NAMES[True]), "on"),
                    (t(locale, _SWITCH_NAMES[False]), "off"),
                ]
            case SettingKey.FACILITATOR_ROLE:
                return [
                    (f"@{role.name}", str(role.id))
                    for role in reversed(guild.roles)
                    if not role.is_default() and not role.managed
                ]
            case SettingKey.RECAP_CHANNEL:
                return [(f"#{c.name}", str(c.id)) for c in guild.text_channels if may_post(c)]
            case SettingKey.DURATIONS:
                template = self._template(current.template)
                if template is None:
                    return []
                durations = durations_of(template)
                return [(durations, durations)]
            case SettingKey.RECAP_TIME:
                now = current.recap_time.strftime("%H:%M")
                return [(now, now)]
            case SettingKey.RETENTION_DAYS:
                return [(str(current.retention_days), str(current.retention_days))]
            case SettingKey.REMINDERS:
                now = ",".join(format_duration(lead) for lead in current.reminders) or "0"
                return [(now, now), ("24h,1h", "24h,1h"), ("12h,1h", "12h,1h")]
        return []
