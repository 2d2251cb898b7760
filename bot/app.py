"""The composition root: settings -> database -> store -> timers -> use cases -> client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

import aiosqlite
import discord
from discord.ext import commands

from bot.between_days import BetweenDays, RecapSettings
from bot.canvas_files import load_canvases
from bot.clock import SystemClock
from bot.cogs.access import facilitator_role
from bot.cogs.board import BoardCog
from bot.cogs.errors import install_error_handler
from bot.cogs.help import HelpCog
from bot.cogs.notes import NotesCog
from bot.cogs.onboarding import OnboardingCog
from bot.cogs.privacy import PrivacyCog
from bot.cogs.session import SessionCog
from bot.cogs.settings import SettingsCog
from bot.cogs.templates import TemplatesCog
from bot.domain.server_settings import SettingKey
from bot.domain.session import Session
from bot.endpoints import point_discord_at
from bot.facilitation import Facilitation, SessionDefaults
from bot.heap import freeze_long_lived
from bot.heartbeat import BEAT_SECONDS, beat, heartbeat_path
from bot.i18n import Catalog, catalog
from bot.ports import Clock, ThemeFinder
from bot.privacy import RetentionJob
from bot.server_config import ServerConfig
from bot.settings import Settings
from bot.start_budget import (
    WINDOW,
    SessionStarts,
    backoff,
    backoff_enabled,
    budget_wait,
    read_starts,
    record_start,
    start_log_path,
)
from bot.storage.db import connect
from bot.storage.sqlite_store import SqliteStore
from bot.template_files import load_template_catalog
from bot.themes_service import ThemeService
from bot.timers import SchedulerTimers
from bot.ui.acks import AckPace
from bot.ui.announcer import DiscordAnnouncer
from bot.ui.private_writing import DoneButton
from bot.ui.translator import PromptsTranslator
from bot.ui.views import AddNoteView, LanePicker
from bot.ui.voting import DYNAMIC_ITEMS

if TYPE_CHECKING:
    from bot.themes import Embedder

log = logging.getLogger(__name__)

# Sessions recovered side by side after a restart.
RECOVERY_CONCURRENCY = 10


def intents() -> discord.Intents:
    """Guilds, guild and direct messages, plus the privileged Message Content intent."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    # During silent writing a direct message to the bot is a note (bot/cogs/notes.py).
    wanted.dm_messages = True
    wanted.message_content = True
    return wanted


class CocreateBot(commands.Bot):
    """discord.py's client with cocreate's pieces wired in ``setup_hook``."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        sentences: Catalog | None = None,
        sync_commands: bool | None = None,
        guild_ready_timeout: float = 2.0,
        theme_finder: ThemeFinder | None = None,
        ack_pace: AckPace | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        point_discord_at(settings.discord.api_base_url, settings.discord.gateway_url)
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.catalog = sentences or catalog()
        self._sync = settings.discord.sync_commands if sync_commands is None else sync_commands
        self._database: aiosqlite.Connection | None = None
        self.timers = SchedulerTimers(self.clock)
        self._recovery: asyncio.Task[None] | None = None
        # Set once the first catch-up and re-arm after connecting are done.
        self.caught_up = asyncio.Event()
        self._facilitation: Facilitation | None = None
        self._store: SqliteStore | None = None
        self.theme_finder = theme_finder
        self._ack_pace = ack_pace
        self._themes: ThemeService | None = None
        self._notes: NotesCog | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        # How the start-up back-off waits (tests record it instead of waiting).
        self._sleep = sleep

    @property
    def facilitation(self) -> Facilitation:
        """The use cases (available once ``setup_hook`` ran)."""
        assert self._facilitation is not None, "setup_hook has not run"
        return self._facilitation

    @property
    def store(self) -> SqliteStore:
        """The store (available once ``setup_hook`` ran)."""
        assert self._store is not None, "setup_hook has not run"
        return self._store

    async def setup_hook(self) -> None:
        """Runs once after login: open the database, wire the use cases, start timers."""
        path = Path(self.settings.storage.path)
        self._database = await connect(path)
        self._store = SqliteStore(self._database)
        # A library's broken template file is skipped; its facilitators hear why.
        canvases = load_canvases()
        template_catalog = load_template_catalog(self.settings.templates.folder, canvases=canvases)
        self.server_config = ServerConfig(self._store, self.settings)
        self._themes = ThemeService(
            self._store,
            self._embedder,
            background=self.settings.themes.embedder != "lexical",
        )
        retention = self.settings.facilitation.retention_days

        async def submit(
            interaction: discord.Interaction, value: str, lane: str | None, column: str | None
        ) -> None:
            await notes.submit_from_modal(interaction, value, lane, column)

        async def lane_picker(interaction: discord.Interaction) -> LanePicker | None:
            return await notes.lane_picker(interaction)

        def add_note_view(locale: str) -> discord.ui.View:
            return AddNoteView(self.catalog, locale, submit, lane_picker)

        announcer = DiscordAnnouncer(
            self,
            self.catalog,
            retention,
            add_note_view,
            self.settings.locale.timezone,
            canvases=canvases,
        )
        facilitation = self.settings.facilitation
        recaps = self.settings.recaps
        config = self.server_config

        async def recap_plan(guild_id: int) -> RecapSettings:
            server = await config.of(guild_id)
            return RecapSettings(
                zone=server.timezone,
                at=server.recap_time,
                channel_id=server.recap_channel,
                digest=recaps.digest,
                digest_at=recaps.digest_at,
            )

        self.between_days = BetweenDays(
            store=self._store,
            announcer=announcer,
            timers=self.timers,
            clock=self.clock,
            settings=RecapSettings(
                zone=self.settings.locale.timezone,
                at=recaps.at,
                channel_id=recaps.channel_id,
                digest=recaps.digest,
                digest_at=recaps.digest_at,
            ),
            board=lambda session: self.facilitation.board_summary(session),
            plan_for=recap_plan,
        )

        async def settings_changed(guild_id: int, key: SettingKey) -> None:
            if key in (SettingKey.RECAP_TIME, SettingKey.TIMEZONE):
                await self.between_days.arm_guild(guild_id)  # takes effect without a restart

        config.on_change(settings_changed)

        async def nudge_due(session_id: int, step_index: int) -> None:
            await self.between_days.nudge_due(session_id, step_index)

        self._facilitation = Facilitation(
            store=self._store,
            timers=self.timers,
            announcer=announcer,
            clock=self.clock,
            templates=template_catalog.usable,
            defaults=SessionDefaults(
                reminder_before=facilitation.reminder_lead,
                retention_days=retention,
                async_reminders=facilitation.async_reminder_leads,
                zone=self.settings.locale.timezone,
                nudges=facilitation.nudges,
                notes_per_minute=facilitation.notes_per_minute,
            ),
            theme_finder=self.theme_finder or self._themes,
            on_nudge_due=nudge_due,
            canvases=canvases,
        )
        self._notes = notes = NotesCog(self, self._facilitation, self.catalog, self._ack_pace)
        await self.add_cog(notes)
        await self.add_cog(
            SessionCog(
                self._facilitation,
                self.catalog,
                self.settings,
                self.between_days,
                server_config=self.server_config,
                broken=template_catalog.broken,
            )
        )
        await self.add_cog(
            TemplatesCog(
                self._facilitation.templates,
                self._facilitation.canvases,
                self.catalog,
                self.settings,
                broken=template_catalog.broken,
                server_config=self.server_config,
            )
        )
        await self.add_cog(
            BoardCog(
                self._facilitation,
                self.catalog,
                self.settings,
                server_config=self.server_config,
            )
        )
        await self.add_cog(SettingsCog(config, self._facilitation, self.catalog, self.settings))

        async def role_for(guild_id: int | None) -> str:
            return await facilitator_role(config, self.settings, guild_id)

        await self.add_cog(HelpCog(self.catalog, self.settings, role_for))
        await self.add_cog(OnboardingCog(self.catalog))
        await self.add_cog(PrivacyCog(self._store, self.catalog, self.clock))
        self.add_view(add_note_view(self.catalog.default))
        self.add_dynamic_items(*DYNAMIC_ITEMS, DoneButton)
        install_error_handler(self.tree, self.catalog)
        await self.tree.set_translator(PromptsTranslator(self.catalog))
        self.timers.start()
        if self._sync:
            await self.sync_commands()
        freeze_long_lived(collect_first=True)
        # Privacy: every night, remove sessions past their server's retention period.
        self.retention = RetentionJob(
            self._store,
            self.timers,
            self.clock,
            config,
            on_purged=self._facilitation.forget_session,
        )
        self.retention.arm()
        self._recovery = asyncio.create_task(self._recover())
        log.info("cocreate is set up (database %s)", path)

    def _embedder(self) -> Embedder:
        from bot.themes import best_embedder

        themes = self.settings.themes
        return best_embedder(themes.embedder, themes.model_path)

    async def sync_commands(self) -> int:
        """Register the slash commands: to one guild (instant) if configured, else globally."""
        guild_id = self.settings.discord.sync_guild_id
        if guild_id is not None:
            guild = discord.Object(guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info("synced %s commands%s", len(synced), f" to guild {guild_id}" if guild_id else "")
        return len(synced)

    async def _recover(self) -> None:
        """After a (re)start: per session, read what was missed, then arm or advance it.

        Runs from setup_hook over REST, so overdue steps move on without waiting for the
        gateway, and sessions recover side by side (bounded, to stay far below Discord's
        50 requests a second). Catch-up comes first within a session, so an overdue step's
        summary includes what was written while the bot was away.
        """
        gate = asyncio.Semaphore(RECOVERY_CONCURRENCY)
        try:
            # First what is past its retention (a bot that is down every night at 03:30
            # would otherwise never purge), so nothing expired is recovered.
            await self.retention.run(self.clock.now())
        except Exception:
            log.exception("the retention run at start-up failed")

        async def recover(session: Session) -> None:
            async with gate:
                await self._catch_up(session)
                try:
                    await self.facilitation.rearm_session(session)
                except Exception:
                    log.exception("re-arming session %s failed", session.id)

        sessions = await self.store.active_sessions()
        active = {session.id for session in sessions}
        # A session that ended just before a crash is no longer active but may still owe
        # its summary.
        sessions += [s for s in await self.store.sessions_owed() if s.id not in active]
        await asyncio.gather(*(recover(session) for session in sessions))
        if sessions:
            log.info("recovered %s active sessions", len(sessions))
        # After the catch-up, so a recap missed while the bot was down counts every note.
        try:
            await self.between_days.arm()
            await self.between_days.catch_up()
        except Exception:
            log.exception("catching up on daily recaps failed")

    async def _catch_up(self, session: Session) -> None:
        notes = self._notes
        assert notes is not None, "setup_hook has not run"
        try:
            count = await notes.catch_up(
                session.thread_id, session.last_message_id or session.thread_id
            )
        except discord.HTTPException:
            log.exception("catch-up failed for session %s", session.id)
            return
        if count:
            log.info("session %s: caught up on %s messages", session.id, count)

    async def on_message(self, message: discord.Message) -> None:
        """Thread messages go straight to the notes cog: no prefix commands here, so
        commands.Bot's per-message parsing is skipped, and a cog listener would cost a
        second task per message (bench/ingest.py)."""
        if self._notes is not None:
            await self._notes.on_message(message)

    async def on_ready(self) -> None:
        """Read what arrived between the start-up catch-up and the gateway (again, safely:
        storing is idempotent); the first time, also wait for the start-up recovery."""
        log.info("connected as %s", self.user)
        if self._recovery is not None:
            await self._recovery
            self._recovery = None
        for session in await self.store.active_sessions():
            await self._catch_up(session)
        self.caught_up.set()
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat())

    async def _beat(self) -> None:
        """Touch the heartbeat file while connected (``cocreate health`` reads it)."""
        path = heartbeat_path(Path(self.settings.storage.path))
        while not self.is_closed():
            if self.is_ready() and not self.ws_closed():
                try:
                    await asyncio.to_thread(beat, path)
                except OSError as error:
                    log.warning("cannot write the heartbeat file %s: %s", path, error)
            await asyncio.sleep(BEAT_SECONDS)

    async def connect(self, *, reconnect: bool = True) -> None:
        """Connect to the gateway; a bot restarted over and over first backs off, and
        none identifies while Discord's daily session budget is nearly spent."""
        await self._wait_for_start_budget()
        await super().connect(reconnect=reconnect)

    async def _wait_for_start_budget(self) -> None:
        path = start_log_path(Path(self.settings.storage.path))
        now = time.time()
        starts = await asyncio.to_thread(read_starts, path)
        wait = backoff(starts, now) if backoff_enabled() else 0.0
        try:
            await asyncio.to_thread(record_start, path, starts, now)
        except OSError as error:
            log.warning("cannot write the start log %s: %s", path, error)
        if wait:
            log.warning(
                "started %s times within the hour: waiting %.0f s before connecting, so a"
                " crash loop cannot use up Discord's daily budget of gateway sessions",
                len([t for t in starts if now - t < WINDOW]) + 1,
                wait,
            )
            await self._sleep(wait)
        try:
            _, _, limit = await self.http.get_bot_gateway()
        except discord.GatewayNotFound:
            return  # connect() will say what is wrong with the gateway
        budget = SessionStarts(
            int(limit["total"]), int(limit["remaining"]), int(limit["reset_after"])
        )
        wait = budget_wait(budget)
        if wait:
            log.error(
                "Discord allows only %s more gateway sessions today: waiting %.0f s until"
                " it resets the budget (the bot was restarted very often)",
                budget.remaining,
                wait,
            )
            await self._sleep(wait)

    def ws_closed(self) -> bool:
        """Whether the gateway connection is down (reconnecting)."""
        return self.ws is None or not self.ws.open

    async def close(self) -> None:
        """Stop timers and close the database after the gateway."""
        self.timers.shutdown()
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self._recovery is not None and not self._recovery.done():
            self._recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._recovery
        if self._themes is not None:
            await self._themes.close()
        await super().close()
        if self._database is not None:
            await self._database.close()
            self._database = None
