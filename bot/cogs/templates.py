"""``/template list`` and ``/template show``: the session templates described in the
user's language (name, what it is for, its steps with durations and canvases, which
steps vote or are written privately). Also the template autocomplete of
``/session start`` and how a typed template is read (a broken file's load error is told
to the facilitator who asks for it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.access import NotFacilitatorError, facilitator_role, require_facilitator
from bot.cogs.errors import TemplateBrokenError
from bot.domain.canvas import Canvas, fold
from bot.domain.templates import StepPlan, Template
from bot.domain.voting import VoteTarget
from bot.facilitation import UnknownTemplateError
from bot.i18n import Catalog
from bot.render.text import human_duration, split_message, step_name
from bot.server_config import ServerConfig
from bot.settings import Settings
from bot.ui.replies import reply, user_locale
from bot.ui.translator import command_text as ct

AUTOCOMPLETE_LIMIT = 25
CHOICE_MAX = 100


def _known(sentences: Catalog, locale: str, key: str) -> str | None:
    """A catalogue sentence if it exists (a library's own template may have none)."""
    resolved = sentences.resolve(locale)
    if key in sentences.keys(resolved) or key in sentences.keys(sentences.default):
        return sentences.raw(resolved, key)
    return None


def template_name(sentences: Catalog, locale: str, key: str) -> str:
    """The template's name in ``locale`` (its key when the catalogue has none)."""
    return _known(sentences, locale, "commands.templates." + key) or key


def template_about(sentences: Catalog, locale: str, key: str) -> str | None:
    """One line on what the template is for, if the catalogue has it."""
    return _known(sentences, locale, "commands.templates_about." + key)


def pick_template(
    sentences: Catalog,
    templates: Mapping[str, Template],
    broken: Mapping[str, str],
    typed: str,
) -> str:
    """The template key a facilitator means: a key, or a name in any language. A broken
    file's key raises TemplateBrokenError with its load error; anything else unknown is
    returned as typed (the use case names the known templates)."""
    wanted = typed.strip()
    if wanted in templates:
        return wanted
    if wanted in broken:
        raise TemplateBrokenError(wanted, broken[wanted])
    folded = fold(wanted)
    if not folded:
        return wanted
    names = {
        key: {fold(template_name(sentences, locale, key)) for locale in sentences.locales}
        for key in [*templates, *broken]
    }
    # A whole name in any language, else the one template whose name starts so.
    found = [key for key, known in names.items() if folded in known or folded == fold(key)]
    if not found:
        starting = {k for k, known in names.items() if any(n.startswith(folded) for n in known)}
        found = list(starting) if len(starting) == 1 else []
    if not found:
        return wanted
    key = found[0]
    if key in broken and key not in templates:
        raise TemplateBrokenError(key, broken[key])
    return key


def template_choices(
    sentences: Catalog,
    locale: str,
    templates: Mapping[str, Template],
    broken: Mapping[str, str],
    current: str,
) -> list[app_commands.Choice[str]]:
    """The templates whose name or key contains what was typed; broken files last,
    marked (picking one tells the facilitator what is wrong with it)."""
    wanted = fold(current)
    choices: list[app_commands.Choice[str]] = []
    for key in templates:
        name = template_name(sentences, locale, key)
        if not wanted or wanted in fold(name) or wanted in fold(key):
            choices.append(app_commands.Choice(name=name[:CHOICE_MAX], value=key[:CHOICE_MAX]))
    for key in broken:
        if key in templates:
            continue
        name = template_name(sentences, locale, key)
        if not wanted or wanted in fold(name) or wanted in fold(key):
            marked = sentences.t(locale, "replies.template.broken_choice", name=name)
            choices.append(app_commands.Choice(name=marked[:CHOICE_MAX], value=key[:CHOICE_MAX]))
    return choices[:AUTOCOMPLETE_LIMIT]


def _step_count(sentences: Catalog, locale: str, n: int) -> str:
    key = "replies.template.step_count.one" if n == 1 else "replies.template.step_count.other"
    return sentences.t(locale, key, n=n)


def _total(steps: tuple[StepPlan, ...]) -> timedelta:
    """Writing time plus voting time of all steps."""
    total = timedelta()
    for step in steps:
        total += step.duration
        if step.vote is not None:
            total += step.vote_duration
    return total


def step_line(
    sentences: Catalog,
    locale: str,
    number: int,
    step: StepPlan,
    canvases: Mapping[str, Canvas],
) -> str:
    """``1. **Inleven** — 15 minuten · Empathiekaart · 🗳️ … · 🤫 …``."""
    parts = [human_duration(sentences, locale, step.duration)]
    canvas = canvases.get(step.canvas) if step.canvas is not None else None
    if canvas is not None:
        parts.append(sentences.t(locale, "replies.template.canvas", canvas=canvas.name(locale)))
        if step.columns:
            parts.append(
                sentences.t(locale, "replies.template.columns", columns=", ".join(step.columns))
            )
    if step.themes:
        parts.append(sentences.t(locale, "replies.template.themes"))
    if step.vote is VoteTarget.NOTES:
        duration = human_duration(sentences, locale, step.vote_duration)
        parts.append(sentences.t(locale, "replies.template.vote_notes", duration=duration))
    elif step.vote is VoteTarget.QUESTIONS:
        duration = human_duration(sentences, locale, step.vote_duration)
        parts.append(sentences.t(locale, "replies.template.vote_questions", duration=duration))
    if step.private:
        parts.append(sentences.t(locale, "replies.template.private"))
    return sentences.t(
        locale,
        "replies.template.step",
        number=number,
        name=step_name(sentences, locale, step.kind),
        details=" · ".join(parts),
    )


def describe_template(
    sentences: Catalog, locale: str, template: Template, canvases: Mapping[str, Canvas]
) -> list[str]:
    """``/template show``: name, what it is for, its steps; as lines."""
    lines = [
        sentences.t(
            locale,
            "replies.template.heading",
            name=template_name(sentences, locale, template.key),
            template=template.key,
        )
    ]
    about = template_about(sentences, locale, template.key)
    if about:
        lines.append(about)
    lines.append(
        sentences.t(
            locale,
            "replies.template.steps",
            steps=_step_count(sentences, locale, len(template.steps)),
            total=human_duration(sentences, locale, _total(template.steps)),
        )
    )
    lines += [
        step_line(sentences, locale, number, step, canvases)
        for number, step in enumerate(template.steps, start=1)
    ]
    lines.append(sentences.t(locale, "replies.template.use", template=template.key))
    return lines


def list_templates(
    sentences: Catalog,
    locale: str,
    templates: Mapping[str, Template],
    broken: Mapping[str, str],
) -> list[str]:
    """``/template list``: one line per template; broken files (for facilitators) last."""
    lines = [sentences.t(locale, "replies.template.list_heading")]
    for key, template in templates.items():
        about = template_about(sentences, locale, key) or ""
        lines.append(
            sentences.t(
                locale,
                "replies.template.list_line",
                name=template_name(sentences, locale, key),
                template=key,
                steps=_step_count(sentences, locale, len(template.steps)),
                total=human_duration(sentences, locale, _total(template.steps)),
                about=about,
            ).rstrip()
        )
    shown = [key for key in broken if key not in templates]
    if shown:
        lines.append(sentences.t(locale, "replies.template.broken_heading"))
        for key in sorted(shown):
            lines.append(sentences.t(locale, "replies.template.broken_line", template=key))
    lines.append(sentences.t(locale, "replies.template.list_footer"))
    return lines


@app_commands.guild_only()
class TemplatesCog(
    commands.GroupCog,
    group_name=ct("template.name"),
    group_description=ct("template.description"),
):
    """What each session template does, for anyone; broken files' errors for facilitators."""

    def __init__(
        self,
        templates: Mapping[str, Template],
        canvases: Mapping[str, Canvas],
        sentences: Catalog,
        settings: Settings,
        *,
        broken: Mapping[str, str] | None = None,
        server_config: ServerConfig | None = None,
    ) -> None:
        self._templates = templates
        self._canvases = canvases
        self._catalog = sentences
        self._settings = settings
        self._broken: Mapping[str, str] = broken or {}
        self._config = server_config
        super().__init__()

    async def _is_facilitator(self, interaction: discord.Interaction) -> bool:
        role = await facilitator_role(self._config, self._settings, interaction.guild_id)
        try:
            require_facilitator(interaction, role)
        except NotFacilitatorError:
            return False
        return True

    async def _send(self, interaction: discord.Interaction, lines: list[str]) -> None:
        for part in split_message(lines):
            await reply(interaction, part)

    @app_commands.command(
        name=ct("template.list.name"), description=ct("template.list.description")
    )
    async def list_all(self, interaction: discord.Interaction) -> None:
        """Every template with what it is for."""
        locale = user_locale(self._catalog, interaction)
        broken = self._broken if await self._is_facilitator(interaction) else {}
        lines = list_templates(self._catalog, locale, self._templates, broken)
        await self._send(interaction, lines)

    @app_commands.command(
        name=ct("template.show.name"), description=ct("template.show.description")
    )
    @app_commands.rename(name=ct("template.show.template.name"))
    @app_commands.describe(name=ct("template.show.template.description"))
    async def show(
        self, interaction: discord.Interaction, name: app_commands.Range[str, 1, 100]
    ) -> None:
        """One template step by step."""
        locale = user_locale(self._catalog, interaction)
        broken = self._broken if await self._is_facilitator(interaction) else {}
        key = pick_template(self._catalog, self._templates, broken, name)
        template = self._templates.get(key)
        if template is None:
            raise UnknownTemplateError(key, sorted(self._templates))
        await self._send(
            interaction, describe_template(self._catalog, locale, template, self._canvases)
        )

    @show.autocomplete("name")
    async def _template_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        locale = user_locale(self._catalog, interaction)
        broken = self._broken if await self._is_facilitator(interaction) else {}
        return template_choices(self._catalog, locale, self._templates, broken, current)
