"""``/privacy …``: a member sees what the bot keeps about them, or has all of it removed.

Both work for the member themself only, over every server of this deployment (one
database). Forgetting asks first, with a button on the private answer; nothing is
removed before the click. Discord messages stay: they are the member's to delete.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.i18n import Catalog
from bot.ports import Clock
from bot.privacy import PersonalDataStore, personal_data_file
from bot.render.text import count
from bot.storage.privacy_repo import ForgetReport
from bot.ui.replies import NO_PINGS, reply, user_locale
from bot.ui.translator import command_text as ct

log = logging.getLogger(__name__)

# How long the "remove everything?" buttons answer (the private answer stays visible).
CONFIRM_SECONDS = 300.0


def forget_text(sentences: Catalog, locale: str, report: ForgetReport) -> str:
    """What was removed, what stays (and why), and that Discord messages are theirs."""
    t = sentences.t
    lines = [
        t(locale, "privacy.forget.done"),
        t(locale, "privacy.forget.notes", n=report.notes),
        t(locale, "privacy.forget.comments", n=report.comments),
        t(locale, "privacy.forget.votes", n=report.votes),
        t(locale, "privacy.forget.takers", n=report.takers),
        t(locale, "privacy.forget.nudges", n=report.nudges),
    ]
    extra = []
    if report.replies_on_notes or report.votes_on_notes or report.takers_on_notes:
        extra.append(
            t(
                locale,
                "privacy.forget.with_notes",
                comments=report.replies_on_notes,
                votes=report.votes_on_notes,
                takers=report.takers_on_notes,
            )
        )
    if report.nudge_optout:
        extra.append(t(locale, "privacy.forget.optout"))
    if report.sessions:
        extra.append(t(locale, "privacy.forget.sessions", n=report.sessions))
    if report.settings:
        extra.append(t(locale, "privacy.forget.settings", n=report.settings))
    if report.mentions:
        extra.append(t(locale, "privacy.forget.mentions", n=report.mentions))
    if extra:
        lines += ["", *extra]
    lines += ["", t(locale, "privacy.forget.discord"), t(locale, "privacy.forget.again")]
    return "\n".join(lines)


class ForgetConfirmation(discord.ui.View):
    """The buttons under the private question: remove everything, or cancel. Short-lived."""

    def __init__(
        self,
        sentences: Catalog,
        locale: str,
        user_id: int,
        forget: Callable[[int], Awaitable[ForgetReport]],
        question: discord.Interaction,
        timeout: float = CONFIRM_SECONDS,
    ) -> None:
        super().__init__(timeout=timeout)
        self._catalog = sentences
        self._locale = locale
        self._user_id = user_id
        self._forget = forget
        self._question = question
        confirm: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=sentences.t(locale, "privacy.forget.confirm"),
            style=discord.ButtonStyle.danger,
            emoji="🗑️",
        )
        confirm.callback = self._confirm  # type: ignore[method-assign]
        cancel: discord.ui.Button[ForgetConfirmation] = discord.ui.Button(
            label=sentences.t(locale, "privacy.forget.cancel"),
            style=discord.ButtonStyle.secondary,
        )
        cancel.callback = self._cancel  # type: ignore[method-assign]
        self.add_item(confirm)
        self.add_item(cancel)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Only the member who asked (the answer is private anyway)."""
        return interaction.user.id == self._user_id

    async def _confirm(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.defer()  # forgetting a lot may take a moment
        report = await self._forget(self._user_id)
        log.info("forgot a member on request: %s", report.counts())
        await interaction.edit_original_response(
            content=forget_text(self._catalog, self._locale, report),
            view=None,
            allowed_mentions=NO_PINGS,
        )

    async def _cancel(self, interaction: discord.Interaction) -> None:
        self.stop()
        await interaction.response.edit_message(
            content=self._catalog.t(self._locale, "privacy.forget.cancelled"),
            view=None,
            allowed_mentions=NO_PINGS,
        )

    async def on_timeout(self) -> None:
        """Say the question expired, so an old button is not mistaken for a live one."""
        try:
            await self._question.edit_original_response(
                content=self._catalog.t(self._locale, "privacy.forget.expired"),
                view=None,
                allowed_mentions=NO_PINGS,
            )
        except discord.HTTPException:
            log.debug("could not mark the forget-me question as expired", exc_info=True)

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        """A failure is said, never swallowed (nothing was removed: one transaction)."""
        log.error("forget-me failed", exc_info=error)
        try:
            await reply(interaction, self._catalog.t(self._locale, "errors.unexpected"))
        except discord.HTTPException:
            log.warning("could not tell the member that forget-me failed", exc_info=True)


@app_commands.guild_only()
class PrivacyCog(
    commands.GroupCog,
    group_name=ct("privacy.name"),
    group_description=ct("privacy.description"),
):
    """The member's own data: a copy on request, or all of it removed."""

    def __init__(
        self,
        store: PersonalDataStore,
        sentences: Catalog,
        clock: Clock,
        *,
        confirm_seconds: float = CONFIRM_SECONDS,
    ) -> None:
        self._store = store
        self._catalog = sentences
        self._clock = clock
        self._confirm_seconds = confirm_seconds
        super().__init__()

    @app_commands.command(
        name=ct("privacy.forget_me.name"), description=ct("privacy.forget_me.description")
    )
    async def forget_me(self, interaction: discord.Interaction) -> None:
        """Ask first; the button removes everything of the member, in every server."""
        locale = user_locale(self._catalog, interaction)
        view = ForgetConfirmation(
            self._catalog,
            locale,
            interaction.user.id,
            self._store.forget_user,
            interaction,
            timeout=self._confirm_seconds,
        )
        await interaction.response.send_message(
            self._catalog.t(locale, "privacy.forget.ask"),
            view=view,
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )

    @app_commands.command(
        name=ct("privacy.my_data.name"), description=ct("privacy.my_data.description")
    )
    async def my_data(self, interaction: discord.Interaction) -> None:
        """Everything stored about the member, as a JSON file only they see."""
        locale = user_locale(self._catalog, interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await self._store.user_data(interaction.user.id)
        content = personal_data_file(self._catalog, locale, data, self._clock.now())
        dots = sum(int(vote["dots"]) for vote in data["votes"])
        text = self._catalog.t(
            locale,
            "privacy.data.reply",
            notes=count(self._catalog, locale, "note", len(data["notes"])),
            comments=count(self._catalog, locale, "comment", len(data["comments"])),
            dots=count(self._catalog, locale, "dot", dots),
        )
        await interaction.followup.send(
            text,
            file=discord.File(
                io.BytesIO(content), filename=self._catalog.t(locale, "privacy.data.file_name")
            ),
            ephemeral=True,
            allowed_mentions=NO_PINGS,
        )
