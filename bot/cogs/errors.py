"""Turn every refusal into one friendly sentence in the user's language."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.cogs.access import NotFacilitatorError
from bot.cogs.settings import SettingsRefusedError, settings_refusal
from bot.domain.deadlines import MAX_AHEAD, DeadlineError
from bot.domain.durations import DurationError, DurationListError
from bot.domain.server_settings import SettingError
from bot.domain.session import SessionRuleError
from bot.facilitation import (
    NoSessionError,
    TooFastError,
    UnknownLaneError,
    UnknownTemplateError,
    VoteRefusedError,
)
from bot.i18n import Catalog
from bot.permission_check import PermissionReport, render_report
from bot.ports import ChannelBusyError, DiscordUnavailableError, PostRefusedError
from bot.render.text import quote
from bot.storage.errors import StorageFullError, StorageReadOnlyError
from bot.ui.replies import reply, user_locale

log = logging.getLogger(__name__)


class WrongPlaceError(Exception):
    """A command used where it makes no sense (e.g. /session start inside a thread)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class LaneRefusedError(Exception):
    """A lane the step's canvas does not have, with the canvas's lanes named in the
    user's language (``names`` empty: the step has no canvas)."""

    def __init__(self, lane: str, names: list[str]) -> None:
        super().__init__(lane)
        self.lane = lane
        self.names = names


class TemplateBrokenError(Exception):
    """A template whose file failed to load: the facilitator gets the load error."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(key)
        self.key = key
        self.problem = problem


class UnknownColumnError(Exception):
    """A column the step's canvas does not have (its columns are fixed)."""

    def __init__(self, column: str, known: list[str]) -> None:
        super().__init__(column)
        self.column = column
        self.known = known


def _lane_refusal(sentences: Catalog, locale: str, lane: str, names: list[str]) -> str:
    if not names:
        return sentences.t(locale, "errors.no_canvas")
    return sentences.t(locale, "errors.unknown_lane", lane=quote(lane[:50]), lanes=", ".join(names))


def refusal_text(sentences: Catalog, locale: str, error: BaseException) -> str | None:
    """The sentence for a known refusal, or None for a real failure."""
    match error:
        case NotFacilitatorError():
            return sentences.t(locale, "errors.not_facilitator")
        case NoSessionError():
            return sentences.t(locale, "errors.no_session")
        case ChannelBusyError(session=session):
            return sentences.t(locale, "errors.channel_busy", thread=f"<#{session.thread_id}>")
        case SessionRuleError(refusal=refusal):
            return sentences.t(locale, f"errors.session.{refusal.value}")
        case DurationError(problem=problem, text=given):
            return sentences.t(locale, f"errors.duration.{problem.value}", text=given[:50]) + (
                "\n" + sentences.t(locale, "errors.duration.accepted")
            )
        case DeadlineError(problem=problem, text=given):
            sentence = sentences.t(
                locale, f"errors.deadline.{problem.value}", text=given[:50], days=MAX_AHEAD.days
            )
            return sentence + "\n" + sentences.t(locale, "errors.deadline.accepted")
        case DurationListError(expected=expected, given=given):
            return sentences.t(locale, "errors.duration_count", expected=expected, given=given)
        case LaneRefusedError(lane=lane, names=names):
            return _lane_refusal(sentences, locale, lane, names)
        case UnknownLaneError(lane=lane, known=known):
            return _lane_refusal(sentences, locale, lane, known)
        case UnknownColumnError(column=column, known=known):
            return sentences.t(
                locale, "errors.unknown_column", column=quote(column[:50]), columns=", ".join(known)
            )
        case TemplateBrokenError(key=key, problem=problem):
            shown = problem.replace("`", "'")[:1500]
            return sentences.t(locale, "errors.template_broken", template=key, problem=shown)
        case UnknownTemplateError(known=known):
            return sentences.t(locale, "errors.unknown_template", known=", ".join(known))
        case WrongPlaceError(key=key):
            return sentences.t(locale, f"errors.{key}")
        case VoteRefusedError(reason=reason):
            return sentences.t(locale, f"errors.vote.{reason}")
        case TooFastError(per_minute=per_minute):
            return sentences.t(locale, "errors.too_fast", n=per_minute)
        case SettingError() | SettingsRefusedError():
            return settings_refusal(sentences, locale, error)
        # Logged by the store already (once, with the cause); nothing was saved.
        case StorageFullError(notes=notes) if notes:
            return sentences.t(locale, "errors.storage.note_full")
        case StorageReadOnlyError(notes=notes) if notes:
            return sentences.t(locale, "errors.storage.note_read_only")
        case PostRefusedError(missing=missing, channel_id=channel_id):
            report = PermissionReport(missing, None)
            return (
                render_report(sentences, locale, report, f"<#{channel_id}>")
                + "\n\n"
                + sentences.t(locale, "errors.post_refused.refused_start")
            )
        case DiscordUnavailableError():
            return sentences.t(locale, "errors.discord_unavailable")
        case StorageFullError():
            return sentences.t(locale, "errors.storage.full")
        case StorageReadOnlyError():
            return sentences.t(locale, "errors.storage.read_only")
    return None


def install_error_handler(
    tree: app_commands.CommandTree[discord.Client], sentences: Catalog
) -> None:
    """Answer refusals kindly and unexpected failures honestly, never in silence."""

    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        original: BaseException = error
        if isinstance(error, app_commands.CommandInvokeError):
            original = error.original
        elif isinstance(error, app_commands.TransformerError) and error.__cause__:
            original = error.__cause__
        locale = user_locale(sentences, interaction)
        message = refusal_text(sentences, locale, original)
        if message is None:
            log.error("command failed", exc_info=original)
            message = sentences.t(locale, "errors.unexpected")
        try:
            await reply(interaction, message)
        except discord.HTTPException:
            log.warning("could not tell the user about an error", exc_info=True)

    tree.on_error = on_error  # type: ignore[method-assign]
