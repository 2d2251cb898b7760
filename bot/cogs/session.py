"""``/session …``: start a session and steer it. Thin: check, parse, call a use case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.between_days import BetweenDays
from bot.cogs.access import NotFacilitatorError, facilitator_role, require_facilitator
from bot.cogs.errors import WrongPlaceError
from bot.cogs.templates import pick_template, template_choices
from bot.domain.deadlines import parse_step_times
from bot.domain.durations import parse_duration, parse_reminders
from bot.domain.session import (
    ASYNC_FROM,
    MAX_STEPS,
    Anonymity,
    Refusal,
    Session,
    SessionRuleError,
    TypedInPrivate,
)
from bot.facilitation import Facilitation, PrivateChoice
from bot.i18n import Catalog
from bot.permission_check import report_for
from bot.render import private_text, text
from bot.render.text import split_message
from bot.server_config import EffectiveSettings, ServerConfig, effective
from bot.settings import Settings
from bot.ui.coaching import hint_card, not_yet_written, step_figures
from bot.ui.replies import reply, user_locale
from bot.ui.translator import command_text as ct

AUTOCOMPLETE_LIMIT = 25

_STATE_CHOICES = [
    app_commands.Choice(name=ct("choices.nudges.on"), value="on"),
    app_commands.Choice(name=ct("choices.nudges.off"), value="off"),
]
_SCOPE_CHOICES = [
    app_commands.Choice(name=ct("choices.nudges.me"), value="me"),
    app_commands.Choice(name=ct("choices.nudges.session"), value="session"),
]
_PRIVATE_CHOICES = [
    app_commands.Choice(name=ct("choices.private.template"), value=PrivateChoice.TEMPLATE),
    app_commands.Choice(name=ct("choices.private.all"), value=PrivateChoice.ALL),
    app_commands.Choice(name=ct("choices.private.none"), value=PrivateChoice.NONE),
]
_ANONYMITY_CHOICES = [
    app_commands.Choice(name=ct("choices.anonymous.off"), value=Anonymity.OFF.value),
    app_commands.Choice(
        name=ct("choices.anonymous.while_writing"), value=Anonymity.WHILE_WRITING.value
    ),
    app_commands.Choice(name=ct("choices.anonymous.always"), value=Anonymity.ALWAYS.value),
]
_TYPED_CHOICES = [
    app_commands.Choice(name=ct("choices.typed.take"), value=TypedInPrivate.TAKE.value),
    app_commands.Choice(name=ct("choices.typed.refuse"), value=TypedInPrivate.REFUSE.value),
]
_LANGUAGE_CHOICES = [
    app_commands.Choice(name=ct("languages.nl"), value="nl"),
    app_commands.Choice(name=ct("languages.en"), value="en"),
]


@app_commands.guild_only()
class SessionCog(
    commands.GroupCog,
    group_name=ct("session.name"),
    group_description=ct("session.description"),
):
    """Facilitator controls, and status for everyone."""

    def __init__(
        self,
        facilitation: Facilitation,
        sentences: Catalog,
        settings: Settings,
        between_days: BetweenDays | None = None,
        server_config: ServerConfig | None = None,
        broken: Mapping[str, str] | None = None,
    ) -> None:
        """``broken``: template key → why its file could not be loaded (a facilitator
        who asks for it hears that)."""
        self._facilitation = facilitation
        self._catalog = sentences
        self._settings = settings
        self._between_days = between_days
        self._config = server_config
        self._broken: Mapping[str, str] = broken or {}
        super().__init__()

    async def _require_facilitator(self, interaction: discord.Interaction) -> None:
        role = await facilitator_role(self._config, self._settings, interaction.guild_id)
        require_facilitator(interaction, role)

    async def _server(self, guild_id: int | None) -> EffectiveSettings:
        if self._config is not None:
            return await self._config.of(guild_id)
        from bot.domain.server_settings import ServerSettings

        return effective(ServerSettings(), self._settings)

    def _t(self, interaction: discord.Interaction, key: str, **values: object) -> str:
        return self._catalog.t(user_locale(self._catalog, interaction), key, **values)

    async def _steer(
        self,
        interaction: discord.Interaction,
        action: Callable[[Session], Awaitable[Session]],
        reply_key: str,
        **values: object,
    ) -> None:
        """Facilitator check, find the session, defer (posting may take a while), act."""
        await self._require_facilitator(interaction)
        session = await self._facilitation.find_session(interaction.channel_id or 0)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await action(session)
        await reply(interaction, self._t(interaction, reply_key, **values))

    @app_commands.command(
        name=ct("session.start.name"), description=ct("session.start.description")
    )
    @app_commands.rename(
        topic=ct("session.start.topic.name"),
        template=ct("session.start.template.name"),
        durations=ct("session.start.durations.name"),
        language=ct("session.start.language.name"),
        reminders=ct("session.start.reminders.name"),
        nudges=ct("session.start.nudges.name"),
        private=ct("session.start.private.name"),
        anonymous=ct("session.start.anonymous.name"),
        in_thread=ct("session.start.typed.name"),
        done_ends=ct("session.start.done_ends.name"),
    )
    @app_commands.describe(
        topic=ct("session.start.topic.description"),
        template=ct("session.start.template.description"),
        durations=ct("session.start.durations.description"),
        language=ct("session.start.language.description"),
        reminders=ct("session.start.reminders.description"),
        nudges=ct("session.start.nudges.description"),
        private=ct("session.start.private.description"),
        anonymous=ct("session.start.anonymous.description"),
        in_thread=ct("session.start.typed.description"),
        done_ends=ct("session.start.done_ends.description"),
    )
    @app_commands.choices(
        language=_LANGUAGE_CHOICES,
        private=_PRIVATE_CHOICES,
        anonymous=_ANONYMITY_CHOICES,
        in_thread=_TYPED_CHOICES,
    )
    async def start(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 3, 300],
        template: str | None = None,
        durations: str | None = None,
        language: str | None = None,
        reminders: str | None = None,
        nudges: bool | None = None,
        private: str = PrivateChoice.TEMPLATE,
        anonymous: str = Anonymity.OFF.value,
        in_thread: str = TypedInPrivate.TAKE.value,
        done_ends: bool = True,
    ) -> None:
        """Open a thread and run the first step."""
        await self._require_facilitator(interaction)
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel) or interaction.guild_id is None:
            raise WrongPlaceError("start_in_text_channel")
        server = await self._server(interaction.guild_id)
        chosen = self._facilitation.template(
            pick_template(
                self._catalog,
                self._facilitation.templates,
                self._broken,
                template or server.template,
            )
        )
        # The server's own step times apply to its own default template only.
        typed = durations or (server.durations if chosen.key == server.template else None)
        # Durations or local deadlines ("vrijdag 17:00"), in the server's timezone.
        planned = (
            parse_step_times(
                typed,
                now=self._facilitation.now(),
                zone=ZoneInfo(server.timezone),
                defaults=chosen.default_durations,
            )
            if typed and typed.strip()
            else None
        )
        # Before anything is posted: a missing permission would fail halfway.
        steps = chosen.with_times(planned) if planned else chosen.steps
        anonymity = Anonymity(anonymous)
        # Typed messages are removed from sight in private steps: that takes Manage Messages.
        writes_privately = (
            anonymity is Anonymity.ALWAYS
            or private == PrivateChoice.ALL
            or (private == PrivateChoice.TEMPLATE and any(step.private for step in steps))
        )
        locale = user_locale(self._catalog, interaction)
        report, problems = await report_for(
            interaction,
            self._catalog,
            locale,
            needs_pins=any(s.deadline is not None or s.duration >= ASYNC_FROM for s in steps),
            needs_manage=writes_privately,
        )
        if not report.ok:
            await reply(interaction, problems)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        session = await self._facilitation.start_session(
            guild_id=interaction.guild_id,
            channel_id=channel.id,
            facilitator_id=interaction.user.id,
            topic=" ".join(topic.split()),
            locale=language or server.language,
            template_key=chosen.key,
            times=planned,
            reminders=server.reminders if reminders is None else parse_reminders(reminders),
            nudges=server.nudges if nudges is None else nudges,
            zone=server.timezone,
            retention_days=server.retention_days,
            private=private,
            anonymity=anonymity,
            typed_in_private=TypedInPrivate(in_thread),
            end_when_all_done=done_ends,
        )
        if self._between_days is not None:
            await self._between_days.arm_guild(interaction.guild_id)
        await reply(
            interaction, self._t(interaction, "replies.started", thread=f"<#{session.thread_id}>")
        )

    @start.autocomplete("template")
    async def _template_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The templates, named in the typer's language; the value is the key."""
        locale = user_locale(self._catalog, interaction)
        return template_choices(
            self._catalog, locale, self._facilitation.templates, self._broken, current
        )

    @app_commands.command(
        name=ct("session.repeat.name"), description=ct("session.repeat.description")
    )
    @app_commands.rename(step=ct("session.repeat.step.name"))
    @app_commands.describe(step=ct("session.repeat.step.description"))
    async def repeat(
        self, interaction: discord.Interaction, step: app_commands.Range[int, 1, MAX_STEPS]
    ) -> None:
        """Run a step (its canvas too) once more, right after the current one."""
        await self._require_facilitator(interaction)
        session = await self._facilitation.find_session(interaction.channel_id or 0)
        if not 1 <= step <= len(session.steps):
            raise SessionRuleError(Refusal.NO_SUCH_STEP)
        locale = user_locale(self._catalog, interaction)
        name = self._step_label(locale, session, step - 1)
        await self._steer(
            interaction,
            lambda s: self._facilitation.repeat(s.id, step - 1),
            "replies.repeated",
            step=name,
        )

    def _step_label(self, locale: str, session: Session, index: int) -> str:
        """``3. Empathiekaart (Inleven)``: a step's number, name and canvas."""
        canvas = self._facilitation.canvas_of(session, index)
        name = text.canvas_step_name(self._catalog, locale, session.steps[index].kind, canvas)
        return self._catalog.t(locale, "replies.step_label", number=index + 1, name=name)

    @repeat.autocomplete("step")
    async def _step_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        """The session's steps: number, name and canvas; the current one marked."""
        try:
            session = await self._facilitation.find_session(interaction.channel_id or 0)
        except LookupError:
            return []
        locale = user_locale(self._catalog, interaction)
        wanted = current.strip().casefold()
        choices = []
        for index in range(len(session.steps)):
            label = self._step_label(locale, session, index)
            if index == session.step_index:
                label = self._catalog.t(locale, "replies.step_label_current", step=label)
            if wanted and wanted not in label.casefold():
                continue
            choices.append(app_commands.Choice(name=label[:100], value=index + 1))
        return choices[:AUTOCOMPLETE_LIMIT]

    @app_commands.command(name=ct("session.next.name"), description=ct("session.next.description"))
    async def next(self, interaction: discord.Interaction) -> None:
        """Close this step now and move on."""
        await self._steer(
            interaction, lambda s: self._facilitation.next_step(s.id, s.step_index), "replies.next"
        )

    @app_commands.command(name=ct("session.back.name"), description=ct("session.back.description"))
    async def back(self, interaction: discord.Interaction) -> None:
        """Return to the previous step."""
        await self._steer(interaction, lambda s: self._facilitation.go_back(s.id), "replies.back")

    @app_commands.command(
        name=ct("session.pause.name"), description=ct("session.pause.description")
    )
    async def pause(self, interaction: discord.Interaction) -> None:
        """Stop the clock."""
        await self._steer(interaction, lambda s: self._facilitation.pause(s.id), "replies.paused")

    @app_commands.command(
        name=ct("session.resume.name"), description=ct("session.resume.description")
    )
    async def resume(self, interaction: discord.Interaction) -> None:
        """Start the clock again."""
        await self._steer(interaction, lambda s: self._facilitation.resume(s.id), "replies.resumed")

    @app_commands.command(
        name=ct("session.extend.name"), description=ct("session.extend.description")
    )
    @app_commands.rename(duration=ct("session.extend.duration.name"))
    @app_commands.describe(duration=ct("session.extend.duration.description"))
    async def extend(self, interaction: discord.Interaction, duration: str) -> None:
        """More time for this step."""
        await self._require_facilitator(interaction)  # before the duration: refuse outsiders first
        added = parse_duration(duration)
        locale = user_locale(self._catalog, interaction)
        await self._steer(
            interaction,
            lambda s: self._facilitation.extend(s.id, added),
            "replies.extended",
            added=text.human_duration(self._catalog, locale, added),
        )

    @app_commands.command(name=ct("session.vote.name"), description=ct("session.vote.description"))
    @app_commands.rename(
        duration=ct("session.vote.duration.name"),
        budget=ct("session.vote.budget.name"),
        cap=ct("session.vote.cap.name"),
    )
    @app_commands.describe(
        duration=ct("session.vote.duration.description"),
        budget=ct("session.vote.budget.description"),
        cap=ct("session.vote.cap.description"),
    )
    async def vote(
        self,
        interaction: discord.Interaction,
        duration: str | None = None,
        budget: app_commands.Range[int, 1, 25] | None = None,
        cap: app_commands.Range[int, 1, 10] | None = None,
    ) -> None:
        """Let the group dot-vote on this step's notes now."""
        await self._require_facilitator(interaction)
        length = parse_duration(duration) if duration else None
        await self._steer(
            interaction,
            lambda s: self._facilitation.open_vote(
                s.id, duration=length, budget=budget, per_note_cap=cap
            ),
            "replies.vote_opened",
        )

    @app_commands.command(
        name=ct("session.reveal.name"), description=ct("session.reveal.description")
    )
    async def reveal(self, interaction: discord.Interaction) -> None:
        """End the private writing now: reveal the notes, then go on."""
        await self._steer(
            interaction, lambda s: self._facilitation.reveal(s.id), "replies.revealed"
        )

    @app_commands.command(name=ct("session.end.name"), description=ct("session.end.description"))
    async def end(self, interaction: discord.Interaction) -> None:
        """Close the session with its summary."""
        await self._steer(interaction, lambda s: self._facilitation.end(s.id), "replies.ended")

    @app_commands.command(
        name=ct("session.status.name"), description=ct("session.status.description")
    )
    async def status(self, interaction: discord.Interaction) -> None:
        """Where the session stands; anyone may ask. The facilitator also sees the step's
        hint card again with its live figures (notes per lane, who has not written yet)."""
        view = await self._facilitation.status(interaction.channel_id or 0)
        locale = user_locale(self._catalog, interaction)
        answer = text.status(
            self._catalog,
            locale,
            view.session,
            view.time_left,
            view.note_count,
            view.author_count,
        )
        facilitator = await self._is_facilitator(interaction)
        if view.progress is not None:
            answer += "\n\n" + private_text.private_counter(self._catalog, locale, view.progress)
            # Who wrote how much and who is done: for the facilitator, never the texts.
            if facilitator:
                answer += "\n" + private_text.writers(
                    self._catalog, locale, view.writers, view.done
                )
        if not facilitator or not view.session.active:
            await reply(interaction, answer)
            return
        session = view.session
        canvas = self._facilitation.canvas_of(session)
        notes = await self._facilitation.notes_of(session.id)
        step_notes = [n for n in notes if n.step_index == session.step_index]
        earlier = [n for n in notes if n.step_index < session.step_index]
        coaching = (
            hint_card(self._catalog, locale, session, canvas)
            + "\n\n"
            + step_figures(
                self._catalog, locale, canvas, step_notes, not_yet_written(step_notes, earlier)
            )
        )
        for part in split_message([answer, "", *coaching.split("\n")]):
            await reply(interaction, part)

    async def _is_facilitator(self, interaction: discord.Interaction) -> bool:
        try:
            await self._require_facilitator(interaction)
        except NotFacilitatorError:
            return False
        return True

    @app_commands.command(
        name=ct("session.nudges.name"), description=ct("session.nudges.description")
    )
    @app_commands.rename(
        state=ct("session.nudges.state.name"), scope=ct("session.nudges.scope.name")
    )
    @app_commands.describe(
        state=ct("session.nudges.state.description"), scope=ct("session.nudges.scope.description")
    )
    @app_commands.choices(state=_STATE_CHOICES, scope=_SCOPE_CHOICES)
    async def nudges(self, interaction: discord.Interaction, state: str, scope: str = "me") -> None:
        """Nudges on or off: for yourself, in every session for good; or, as facilitator,
        for the whole session of this thread."""
        wanted = state == "on"
        if scope == "session":
            await self._steer(
                interaction,
                lambda s: self._facilitation.set_nudges(s.id, wanted),
                "replies.nudges_session_on" if wanted else "replies.nudges_session_off",
            )
            return
        if self._between_days is None:
            raise WrongPlaceError("no_nudges_here")
        await self._between_days.set_nudges_for_user(interaction.user.id, wanted)
        key = "replies.nudges_me_on" if wanted else "replies.nudges_me_off"
        await reply(interaction, self._t(interaction, key))
