"""The Announcer port on Discord: everything the bot posts in a session thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

import aiohttp
import discord

from bot.domain.canvas import Canvas
from bot.domain.private_writing import PrivateProgress
from bot.domain.recap import DailyRecap
from bot.domain.session import Session
from bot.domain.summary import RankedNote, SessionSummary, StepSummary, ThemeGroup
from bot.domain.voting import VoteRound
from bot.i18n import Catalog
from bot.permission_check import PermissionReport, check_channel, render_report
from bot.ports import DiscordUnavailableError, PostRefusedError, ThreadRef
from bot.render import private_text, text
from bot.ui.pictures import (
    board_groups,
    canvas_picture,
    file_slug,
    local_date,
    render_canvas_files,
    render_files,
)
from bot.ui.private_writing import DoneButton
from bot.ui.replies import NO_PINGS
from bot.ui.voting import TakeButton, VoteButton

log = logging.getLogger(__name__)

# Long enough for a session that spans a weekend; posting unarchives anyway.
THREAD_ARCHIVE_MINUTES: Literal[10080] = 10080

ViewFactory = Callable[[str], discord.ui.View]

# Seconds to gather votes before showing a new voter count on the vote post.
VOTER_EDIT_DELAY = 1.0
# Seconds to gather notes before showing new counts on a private step's counter post.
PROGRESS_EDIT_DELAY = 2.0


class DiscordAnnouncer:
    """Posts through the REST API only, so it works before the gateway is ready."""

    def __init__(
        self,
        client: discord.Client,
        sentences: Catalog,
        retention_days: int,
        add_note_view: ViewFactory,
        timezone: str = "Europe/Amsterdam",
        canvases: Mapping[str, Canvas] | None = None,
    ) -> None:
        self._client = client
        self._catalog = sentences
        self._retention_days = retention_days
        self._add_note_view = add_note_view
        self._timezone = timezone
        # The canvases by key (bot.canvas_files.load_canvases): canvas steps' prompts,
        # summaries and pictures.
        self._canvases: Mapping[str, Canvas] = canvases or {}
        # Latest voter count per round, and the pending debounced edit of its post.
        self._voters: dict[int, int] = {}
        self._voter_edits: dict[int, asyncio.Task[None]] = {}
        # Per (session, step): the private step's counter post, its latest counts, and the
        # pending debounced edit. A restart forgets the post; the next change posts anew.
        self._counters: dict[tuple[int, int], int] = {}
        self._progress: dict[tuple[int, int], PrivateProgress] = {}
        self._progress_edits: dict[tuple[int, int], asyncio.Task[None]] = {}

    async def _post(
        self,
        thread_id: int,
        parts: list[str],
        *,
        button_locale: str | None,
        view: discord.ui.View | None = None,
        files: list[discord.File] | None = None,
    ) -> discord.Message | None:
        """Send the parts in order; the last carries the view and the files."""
        channel = self._client.get_partial_messageable(thread_id)
        if view is None and button_locale is not None:
            view = self._add_note_view(button_locale)
        needed = (
            ("send_messages_in_threads", "attach_files") if files else ("send_messages_in_threads",)
        )
        sent: discord.Message | None = None
        with self._failures(thread_id, needed):
            for number, part in enumerate(parts, start=1):
                if number < len(parts):
                    await channel.send(part, allowed_mentions=NO_PINGS)
                    continue
                extras: dict[str, Any] = {}
                if view is not None:
                    extras["view"] = view
                if files:
                    extras["files"] = files
                sent = await channel.send(part, allowed_mentions=NO_PINGS, **extras)
        return sent

    @contextlib.contextmanager
    def _failures(self, channel_id: int, needed: tuple[str, ...]) -> Iterator[None]:
        """Say what a Discord failure means for the use cases: a refusal names the
        missing permissions; a failure that may pass is worth another try."""
        try:
            yield
        except discord.Forbidden as error:
            missing, where = self._missing(channel_id, needed)
            raise PostRefusedError(missing, where) from error
        except discord.DiscordServerError as error:
            raise DiscordUnavailableError(str(error)) from error
        except discord.HTTPException as error:
            if error.status == 429:  # discord.py gave up waiting out a rate-limit storm
                raise DiscordUnavailableError(str(error)) from error
            raise
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            raise DiscordUnavailableError(repr(error)) from error

    def _missing(self, channel_id: int, needed: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
        """The permissions the bot lacks where ``channel_id``'s settings are made (a
        thread's parent), as far as the cache knows; else what the refused action needs."""
        channel = self._client.get_channel(channel_id)
        parent = channel.parent if isinstance(channel, discord.Thread) else channel
        if isinstance(parent, discord.abc.GuildChannel) and parent.guild.me is not None:
            missing = check_channel(parent, parent.guild.me, needs_pins="pin_messages" in needed)
            return (missing or needed), parent.id
        return needed, channel_id

    async def post_refused(self, session: Session, error: PostRefusedError) -> None:
        """A private message to the facilitator: what was refused where, which permissions
        to grant, and that the bot tries again by itself."""
        loc = session.locale
        report = render_report(
            self._catalog, loc, PermissionReport(error.missing, None), f"<#{error.channel_id}>"
        )
        intro = self._catalog.t(loc, "errors.post_refused.intro", thread=f"<#{session.thread_id}>")
        retry = self._catalog.t(loc, "errors.post_refused.retry")
        user = self._client.get_user(session.facilitator_id) or await self._client.fetch_user(
            session.facilitator_id
        )
        await user.send(f"{intro}\n\n{report}\n\n{retry}", allowed_mentions=NO_PINGS)

    async def open_thread(
        self, channel_id: int, topic: str, locale: str, facilitator_id: int
    ) -> ThreadRef:
        """Post the session card in the channel and open a public thread from it."""
        channel = self._client.get_channel(channel_id) or await self._client.fetch_channel(
            channel_id
        )
        if not isinstance(channel, discord.TextChannel):
            raise TypeError(channel_id)  # the cog only starts sessions in text channels
        with self._failures(channel_id, ("send_messages",)):
            card = await channel.send(
                text.session_card(self._catalog, locale, topic, facilitator_id),
                allowed_mentions=NO_PINGS,
                view=self._add_note_view(locale),
            )
        try:
            with self._failures(channel_id, ("create_public_threads",)):
                # A thread started from a message is always public.
                thread = await card.create_thread(
                    name=text.thread_name(self._catalog, locale, topic),
                    auto_archive_duration=THREAD_ARCHIVE_MINUTES,
                )
        except Exception:
            # No session without its thread: leave no card that leads nowhere.
            with contextlib.suppress(discord.HTTPException):
                await card.delete()
            raise
        await thread.join()
        return ThreadRef(thread_id=thread.id, card_message_id=card.id)

    async def welcome(self, session: Session, retention_days: int) -> None:
        """What the session is, how to take part, what is stored and how long."""
        await self._post(
            session.thread_id,
            text.welcome(self._catalog, session, retention_days, self._canvases),
            button_locale=None,
        )

    async def step_started(self, session: Session, again: bool) -> None:
        """The step's prompt and deadline, with the Add note button; pinned when the step
        lasts days, so late joiners find what to do."""
        canvas = self._canvas(session.current_step.canvas)
        sent = await self._post(
            session.thread_id,
            text.step_prompt(self._catalog, session, again, canvas),
            button_locale=session.locale,
        )
        if sent is not None and session.step_is_async:
            await self._pin_alone(sent)

    async def _pin_alone(self, prompt: discord.Message) -> None:
        """Pin the prompt and unpin the bot's earlier ones (pinning needs Pin Messages;
        without it the prompt is still re-posted in every daily recap)."""
        me = self._client.user
        try:
            earlier = [
                old
                async for old in prompt.channel.pins(limit=50)
                if me is not None and old.author.id == me.id and old.id != prompt.id
            ]
            for old in earlier:
                await old.unpin()
            await prompt.pin()
        except discord.HTTPException as error:
            log.warning("could not pin the step prompt in %s: %s", prompt.channel.id, error)

    def _canvas(self, key: str | None) -> Canvas | None:
        """The canvas with this key, if the bot knows it."""
        return None if key is None else self._canvases.get(key)

    async def step_summary(self, session: Session, summary: StepSummary) -> None:
        """Counts and notes of the step that ended, with a board picture when it has
        themes or votes to show; a canvas step's notes lane by lane, with a picture of the
        canvas when it has notes."""
        files = None
        canvas = self._canvas(summary.canvas)
        if canvas is not None and summary.lanes:
            if summary.note_count:
                files = await self._picture(session, summary)
        elif summary.themes or any(item.votes for item in summary.ranking):
            files = await self._picture(session, summary)
        await self._post(
            session.thread_id,
            text.step_summary(self._catalog, session.locale, summary, canvas),
            button_locale=None,
            files=files,
        )

    async def _picture(self, session: Session, summary: StepSummary) -> list[discord.File]:
        """The board picture of a step; a canvas step's is the canvas."""
        canvas = self._canvas(summary.canvas)
        if canvas is not None and summary.lanes:
            return await self._canvas_picture(session, summary, canvas)
        loc = session.locale
        placed = {note.id for theme in summary.themes for note in theme.notes}
        everything = [note for group in summary.groups for note in group.notes]
        if summary.themes:
            rest = [note for note in everything if note.id not in placed]
            themes = summary.themes
        else:
            rest = []
            themes = (
                ThemeGroup(
                    text.step_name(self._catalog, loc, summary.step_kind), tuple(everything)
                ),
            )
        votes = {item.note.id: item.votes for item in summary.ranking}
        from bot.render.board_image import BoardPicture

        picture = BoardPicture(
            title=session.topic,
            subtitle=self._subtitle(session, text.step_name(self._catalog, loc, summary.step_kind)),
            groups=board_groups(themes, rest, self._catalog.t(loc, "common.board.other"), votes),
            empty_text=self._catalog.t(loc, "common.board.empty"),
            more_text=self._catalog.raw(loc, "common.board.more"),
        )
        name = self._catalog.t(loc, "common.board.file_step", number=summary.step_index + 1)
        return await render_files(picture, name)

    async def _canvas_picture(
        self, session: Session, summary: StepSummary, canvas: Canvas
    ) -> list[discord.File]:
        loc = session.locale
        votes = {item.note.id: item.votes for item in summary.ranking}
        picture = canvas_picture(
            self._catalog,
            loc,
            canvas,
            summary,
            session.topic,
            self._subtitle(session, canvas.name(loc)),
            votes,
        )
        name = self._catalog.t(
            loc,
            "canvas.picture.file",
            canvas=file_slug(canvas.name(loc)),
            number=summary.step_index + 1,
        )
        return await render_canvas_files(picture, name)

    def _board_title(self, locale: str, step_kind: str | None, theme: str) -> str:
        step = text.step_name(self._catalog, locale, step_kind) if step_kind else ""
        return " · ".join(part for part in (step, theme) if part)

    def _subtitle(self, session: Session, what: str) -> str:
        when = local_date(self._catalog, session.locale, session.created_at, session.zone)
        return f"{what} · {when}"

    async def reminder(self, session: Session) -> None:
        """Time is almost up."""
        await self._post(
            session.thread_id, [text.reminder(self._catalog, session)], button_locale=None
        )

    async def paused(self, session: Session) -> None:
        """The clock stopped."""
        await self._post(
            session.thread_id, [text.paused(self._catalog, session)], button_locale=None
        )

    async def resumed(self, session: Session) -> None:
        """The clock runs again."""
        await self._post(
            session.thread_id, [text.resumed(self._catalog, session)], button_locale=None
        )

    async def extended(self, session: Session, added: timedelta) -> None:
        """More time."""
        await self._post(
            session.thread_id,
            [text.extended(self._catalog, session, added)],
            button_locale=None,
        )

    async def session_summary(self, session: Session, summary: SessionSummary) -> None:
        """The end of the session, a picture of the board, and "I'll take this" buttons."""
        loc = session.locale
        view = None
        if summary.top_ideas:
            view = discord.ui.View(timeout=None)
            for number, _ in enumerate(summary.top_ideas, start=1):
                label = self._catalog.t(loc, "vote.take.button", number=number)
                view.add_item(TakeButton(summary.top_ideas[number - 1].note.id, label))
        await self._post(
            session.thread_id,
            text.session_summary(self._catalog, loc, summary, self._retention_days),
            button_locale=None,
            view=view,
            files=await self._session_picture(session, summary),
        )

    async def _session_picture(
        self, session: Session, summary: SessionSummary
    ) -> list[discord.File]:
        loc = session.locale
        votes = {item.note.id: item.votes for item in summary.top_ideas}
        from bot.render.board_image import BoardPicture

        picture = BoardPicture(
            title=session.topic,
            subtitle=self._subtitle(session, self._catalog.t(loc, "common.board.whole")),
            groups=board_groups(
                [
                    replace(group, name=self._board_title(loc, group.step_kind, group.name))
                    for group in summary.board
                ],
                (),
                "",
                votes,
            ),
            empty_text=self._catalog.t(loc, "common.board.empty"),
            more_text=self._catalog.raw(loc, "common.board.more"),
        )
        return await render_files(picture, self._catalog.t(loc, "common.board.file"))

    async def themes(
        self, session: Session, step_index: int, groups: Sequence[ThemeGroup], other: int
    ) -> None:
        """The themes found in a step, then how to write questions for them."""
        kind = session.steps[step_index].kind
        await self._post(
            session.thread_id,
            text.themes_post(self._catalog, session.locale, kind, groups, other),
            button_locale=session.locale,
        )

    async def vote_opened(self, session: Session, vote: VoteRound) -> int:
        """The vote post with its button; its id, so the voter count can be shown on it."""
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton(vote.id, self._catalog.t(session.locale, "vote.button")))
        sent = await self._post(
            session.thread_id,
            [text.vote_opened(self._catalog, session.locale, vote)],
            button_locale=None,
            view=view,
        )
        assert sent is not None
        return sent.id

    async def voters_changed(self, session: Session, vote: VoteRound, voters: int) -> None:
        """Update the vote post's count, at most once a second (edits are rate-limited)."""
        if vote.message_id is None:
            return
        self._voters[vote.id] = voters
        if vote.id in self._voter_edits:
            return

        async def edit_later() -> None:
            try:
                await asyncio.sleep(VOTER_EDIT_DELAY)
                count = self._voters.pop(vote.id, voters)
                assert vote.message_id is not None
                message = self._client.get_partial_messageable(
                    session.thread_id
                ).get_partial_message(vote.message_id)
                await message.edit(
                    content=text.voters(self._catalog, session.locale, vote, count),
                    allowed_mentions=NO_PINGS,
                )
            except discord.HTTPException:
                log.warning("could not update the voter count of round %s", vote.id)
            finally:
                self._voter_edits.pop(vote.id, None)

        self._voter_edits[vote.id] = asyncio.create_task(edit_later())

    async def vote_results(
        self, session: Session, vote: VoteRound, ranking: Sequence[RankedNote], voters: int
    ) -> None:
        """The reveal."""
        pending = self._voter_edits.pop(vote.id, None)
        if pending is not None:
            pending.cancel()
        await self._post(
            session.thread_id,
            text.vote_results(self._catalog, session.locale, vote, ranking, voters),
            button_locale=None,
        )

    async def daily_recap(
        self,
        session: Session,
        recap: DailyRecap,
        board: StepSummary | None,
        channel_id: int | None,
    ) -> None:
        """The recap or digest, in the thread or the configured recap channel, with the
        board picture when the board changed."""
        files = await self._picture(session, board) if board is not None and board.groups else None
        await self._post(
            channel_id or session.thread_id,
            text.daily_recap(self._catalog, session, recap, in_channel=channel_id is not None),
            button_locale=None,
            files=files,
        )

    async def private_progress(self, session: Session, progress: PrivateProgress) -> None:
        """Post the private step's counter the first time, then edit it at most every
        PROGRESS_EDIT_DELAY seconds with the latest counts."""
        key = (session.id, session.step_index)
        self._progress[key] = progress
        if key not in self._counters:
            sent = await self._post(
                session.thread_id,
                [private_text.private_counter(self._catalog, session.locale, progress)],
                button_locale=None,
                view=self._private_view(session),
            )
            if sent is not None:
                self._counters[key] = sent.id
            return
        if key in self._progress_edits:
            return

        async def edit_later() -> None:
            try:
                await asyncio.sleep(PROGRESS_EDIT_DELAY)
                latest = self._progress[key]
                message = self._client.get_partial_messageable(
                    session.thread_id
                ).get_partial_message(self._counters[key])
                await message.edit(
                    content=private_text.private_counter(self._catalog, session.locale, latest),
                    allowed_mentions=NO_PINGS,
                )
            except discord.HTTPException:
                log.warning("could not update the counter of session %s", session.id)
            finally:
                self._progress_edits.pop(key, None)

        self._progress_edits[key] = asyncio.create_task(edit_later())

    def _private_view(self, session: Session) -> discord.ui.View:
        """The buttons under a private step's counter: add a note (privately), and "I'm
        done"."""
        view = self._add_note_view(session.locale)
        label = self._catalog.t(session.locale, "private.done.button")
        view.add_item(DoneButton(session.id, session.step_index, label))
        return view

    async def coaching(self, session: Session, canvas: Canvas | None) -> None:
        """The facilitator's hint card, by DM (bot/ui/coaching.py)."""
        from bot.ui.coaching import send_hint_card

        await send_hint_card(self._client, self._catalog, session, canvas)

    async def nudge(self, session: Session, user_id: int) -> bool:
        """A direct message; people who closed their DMs are left alone."""
        try:
            user = self._client.get_user(user_id) or await self._client.fetch_user(user_id)
            await user.send(text.nudge(self._catalog, session), allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.info("no nudge for %s in session %s: %s", user_id, session.id, error)
            return False
        return True
