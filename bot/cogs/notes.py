"""Notes: thread messages, ``/note``, the Add note modal, direct messages during silent
writing; edits, deletions, catch-up.

During a private step (silent writing) nothing a person writes may show in the thread
before the reveal: a typed message is removed at once and confirmed by direct message, the
bot neither reacts to nor replies to it, and notices that would name the writer go by
direct message too.
"""

from __future__ import annotations

import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.errors import LaneRefusedError, refusal_text
from bot.cogs.lanes import column_choices, lane_choices
from bot.domain.board import NOTE_MAX_CHARS, MessageKind, Note, NoteSource, is_blank
from bot.domain.canvas import Canvas
from bot.domain.session import Anonymity, Session, TypedInPrivate
from bot.facilitation import Facilitation, MessageOutcome, NoSessionError, UnknownLaneError
from bot.i18n import Catalog
from bot.render.private_text import running_list
from bot.render.text import MESSAGE_LIMIT, lane_prefix, quote
from bot.storage.errors import StorageUnavailableError
from bot.ui.acks import Acknowledger, AckPace
from bot.ui.replies import NO_PINGS, reply, user_locale
from bot.ui.translator import command_text as ct
from bot.ui.views import LaneChoice, LanePicker

log = logging.getLogger(__name__)

# Seconds between two notices of one kind ("slow down", "a sticker is not a note") to the
# same writer in a thread: one prankster cannot make the bot flood the thread.
SLOW_DOWN_EVERY = 60.0
# Past this many remembered notices, the ones older than SLOW_DOWN_EVERY are forgotten.
_TOLD_KEPT = 1000
# Seconds between two notices to a facilitator that the bot cannot remove typed messages
# from a private step's thread (Manage Messages is missing): once an hour per session.
TELL_FACILITATOR_EVERY = 3600.0

ACK_NOTE = "📝"
ACK_COMMENT = "💬"

_NOT_THREADS = (
    discord.TextChannel,
    discord.VoiceChannel,
    discord.StageChannel,
    discord.ForumChannel,
    discord.CategoryChannel,
)
_PEOPLE_WRITING = (discord.MessageType.default, discord.MessageType.reply)


class NotesCog(commands.Cog):
    """Everything that puts a note on the board or keeps one in step with its message."""

    def __init__(
        self,
        client: discord.Client,
        facilitation: Facilitation,
        sentences: Catalog,
        ack_pace: AckPace | None = None,
    ) -> None:
        self._client = client
        self._facilitation = facilitation
        self._catalog = sentences
        self._acks = Acknowledger(client, sentences, ack_pace)
        # When each writer was last told something, per thread and kind (once a minute).
        self._told: dict[tuple[int, int, str], float] = {}
        # When each session's facilitator was last told that typed messages stay visible.
        self._facilitator_told: dict[int, float] = {}

    async def cog_unload(self) -> None:
        """Stop pending tallies (the notes are stored already)."""
        await self._acks.close()

    # -- /note and the modal --------------------------------------------------------------

    @app_commands.command(name=ct("note.name"), description=ct("note.description"))
    @app_commands.rename(
        note_text=ct("note.text.name"),
        lane=ct("note.lane.name"),
        column=ct("note.column.name"),
    )
    @app_commands.describe(
        note_text=ct("note.text.description"),
        lane=ct("note.lane.description"),
        column=ct("note.column.description"),
    )
    @app_commands.guild_only()
    async def note(
        self,
        interaction: discord.Interaction,
        note_text: app_commands.Range[str, 1, NOTE_MAX_CHARS],
        lane: app_commands.Range[str, 1, 100] | None = None,
        column: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        """Add a note without posting a message; on a canvas step in a lane (and column)."""
        await self._add(interaction, note_text, NoteSource.COMMAND, lane, column)

    @note.autocomplete("lane")
    async def _lane_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The current step's lanes, named in the typer's language."""
        found = await self._canvas_here(interaction)
        if found is None:
            return []
        _, canvas = found
        return lane_choices(canvas, user_locale(self._catalog, interaction), current)

    @note.autocomplete("column")
    async def _column_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """The current step's columns (phases, personas); on an open canvas also the
        typed name as a new one."""
        found = await self._canvas_here(interaction)
        if found is None:
            return []
        session, canvas = found
        if canvas.columns is None:
            return []
        notes = await self._facilitation.notes_of(session.id)
        columns = self._facilitation.columns_of(
            session, [n for n in notes if n.step_index == session.step_index]
        )
        locale = user_locale(self._catalog, interaction)
        return column_choices(self._catalog, locale, columns, current, canvas.columns.open)

    async def _canvas_here(self, interaction: discord.Interaction) -> tuple[Session, Canvas] | None:
        """The session of this thread and its current step's canvas, if any."""
        try:
            session = await self._facilitation.find_session(interaction.channel_id or 0)
        except (LookupError, StorageUnavailableError):
            return None
        canvas = self._facilitation.canvas_of(session)
        return None if canvas is None else (session, canvas)

    async def lane_picker(self, interaction: discord.Interaction) -> LanePicker | None:
        """What the Add note modal offers on a canvas step (None: a plain text box)."""
        found = await self._canvas_here(interaction)
        if found is None:
            return None
        session, canvas = found
        locale = user_locale(self._catalog, interaction)
        columns: tuple[str, ...] = ()
        if canvas.columns is not None:
            notes = await self._facilitation.notes_of(session.id)
            columns = self._facilitation.columns_of(
                session, [n for n in notes if n.step_index == session.step_index]
            )
        return LanePicker(
            lanes=tuple(
                LaneChoice(
                    lane.key,
                    lane.name(locale),
                    lane.prompts.get(locale) or next(iter(lane.prompts.values()), ""),
                )
                for lane in canvas.lanes
            ),
            columns=columns,
            open_columns=canvas.columns is not None and canvas.columns.open,
            column_label=_capital(canvas.columns.label(locale)) if canvas.columns else "",
            has_columns=canvas.columns is not None,
        )

    async def submit_from_modal(
        self,
        interaction: discord.Interaction,
        value: str,
        lane: str | None = None,
        column: str | None = None,
    ) -> None:
        """The Add note modal was sent (with the lane and column picked, if any)."""
        try:
            await self._add(interaction, value, NoteSource.BUTTON, lane, column)
        except Exception as error:
            locale = user_locale(self._catalog, interaction)
            message = refusal_text(self._catalog, locale, error)
            if message is None:
                log.exception("adding a note from the modal failed")
                message = self._catalog.t(locale, "errors.unexpected")
            await reply(interaction, message)

    async def _add(
        self,
        interaction: discord.Interaction,
        value: str,
        source: NoteSource,
        lane: str | None = None,
        column: str | None = None,
    ) -> None:
        locale = user_locale(self._catalog, interaction)
        if is_blank(value):  # spaces, or zero-width characters only
            await reply(interaction, self._catalog.t(locale, "errors.note_empty"))
            return
        lane = None if lane is None or is_blank(lane) else lane.strip()
        column = None if column is None or is_blank(column) else column.strip()
        try:
            note = await self._facilitation.add_note(
                channel_id=interaction.channel_id or 0,
                author_id=interaction.user.id,
                author_name=interaction.user.display_name,
                text=value,
                source=source,
                lane=lane,
                column=column,
            )
        except UnknownLaneError as error:
            raise await self._lane_refusal(interaction, error) from error
        # Committed above; only now is it acknowledged.
        session = await self._writing_privately_for(note, interaction.channel_id or 0)
        if session is not None:
            # Silent writing: the writer sees their own running list, nobody else anything.
            mine = await self._facilitation.my_notes(session, interaction.user.id)
            await reply(
                interaction,
                self._catalog.t(
                    locale, "private.note.added", notes=running_list(self._catalog, locale, mine)
                ),
            )
            return
        await reply(interaction, await self._added_text(locale, note))

    async def _added_text(self, locale: str, note: Note) -> str:
        """The note is on the board; on a canvas step, in which lane (or unsorted)."""
        shown = quote(note.text[:100])
        session = await self._facilitation.store_session(note.session_id)
        canvas = (
            None
            if session is None or note.step_index >= len(session.steps)
            else self._facilitation.canvas_of(session, note.step_index)
        )
        if canvas is None:
            return self._catalog.t(locale, "replies.note_added", text=shown)
        lane = canvas.lane(note.lane)
        if lane is None:
            return self._catalog.t(
                locale,
                "replies.note_added_unsorted",
                text=shown,
                prefix=lane_prefix(canvas.lanes[0], locale),
            )
        where = lane.name(locale)
        if note.column:
            where = self._catalog.t(
                locale, "replies.lane_and_column", lane=where, column=quote(note.column)
            )
        return self._catalog.t(locale, "replies.note_added_lane", text=shown, lane=where)

    async def _lane_refusal(
        self, interaction: discord.Interaction, error: UnknownLaneError
    ) -> LaneRefusedError:
        """The refusal naming the lanes there are, in the user's language."""
        found = await self._canvas_here(interaction)
        locale = user_locale(self._catalog, interaction)
        names = [] if found is None else [lane.name(locale) for lane in found[1].lanes]
        return LaneRefusedError(error.lane, names)

    async def _writing_privately_for(self, note: Note, channel_id: int) -> Session | None:
        """The note's session when its step is still being written privately."""
        try:
            session = await self._facilitation.find_session(channel_id)
        except NoSessionError:
            return None
        if (
            session.id != note.session_id
            or session.step_index != note.step_index
            or not session.writing_privately
        ):
            return None
        return session

    # -- thread messages ------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Every human message in a session thread becomes a note or a comment; a direct
        message to the bot becomes a note during silent writing (called by the bot's own
        ``on_message``)."""
        if message.author.bot:
            return
        if message.guild is None:
            if isinstance(message.channel, discord.DMChannel):
                await self._from_dm(message)
            return
        # Not "is a Thread": an archived thread that is not cached arrives as a partial
        # channel, and its note must not be lost. Ordinary channels are skipped cheaply.
        if isinstance(message.channel, _NOT_THREADS):
            return
        try:
            await self.ingest(message, acknowledge=True)
        except StorageUnavailableError:
            # Not stored (the store logged why), so not acknowledged: no 📝 appears.
            return

    async def ingest(self, message: discord.Message, *, acknowledge: bool) -> None:
        """Store one thread message (live or from catch-up)."""
        if message.author.bot or message.type not in _PEOPLE_WRITING:
            # System messages (pins, thread starters, joins) are not anyone's note.
            return
        reference = message.reference.message_id if message.reference else None
        outcome = await self._facilitation.handle_message(
            thread_id=message.channel.id,
            message_id=message.id,
            author_id=message.author.id,
            author_name=message.author.display_name,
            text=message.content,
            attachments=tuple(attachment.url for attachment in message.attachments),
            reply_to=reference,
            created_at=message.created_at,
            live=acknowledge,
        )
        session = outcome.session
        if session is not None and (
            outcome.private or (outcome.too_fast and session.writing_privately)
        ):
            # Typed during silent writing: out of the thread, whether stored or not; no
            # reaction or reply that would point at the writer (also in catch-up).
            await self._keep_private(message, outcome, session)
            return
        if outcome.too_fast and session is not None:
            await self._tell(
                message, session, "replies.too_fast", n=self._facilitation.notes_per_minute
            )
            return
        if acknowledge and outcome.kind is MessageKind.EMPTY and session is not None:
            if message.stickers:
                # A sticker alone carries no text to put on the board; silence would look
                # like the bot missed it. In the session's language: a thread message
                # knows no other.
                await self._tell(message, session, "replies.sticker_only")
            return
        if not (acknowledge and outcome.stored and session is not None):
            return
        emoji = ACK_COMMENT if outcome.kind is MessageKind.COMMENT else ACK_NOTE
        # Stored above; only now acknowledged (a reaction, or a tally in busy moments).
        await self._acks.note_stored(message, emoji, session.locale)

    async def _tell(
        self, message: discord.Message, session: Session, key: str, **values: object
    ) -> None:
        """Tell a writer something (``too_fast``, ``sticker_only``), at most once a minute
        per kind: in the thread, naming them in a mention that does not ping (NO_PINGS); by
        direct message instead while the session writes silently or never shows names, so
        the thread learns nothing about who wrote what."""
        slot = (message.channel.id, message.author.id, key)
        now = time.monotonic()
        if now - self._told.get(slot, -SLOW_DOWN_EVERY) < SLOW_DOWN_EVERY:
            return
        if len(self._told) >= _TOLD_KEPT:
            self._told = {k: t for k, t in self._told.items() if now - t < SLOW_DOWN_EVERY}
        self._told[slot] = now
        if session.writing_privately or session.anonymity is Anonymity.ALWAYS:
            if key == "replies.too_fast":
                private_key = "private.notice.too_fast"
            elif session.writing_privately:
                private_key = "private.notice.sticker_private"
            else:
                private_key = "private.notice.sticker"
            thread = f"<#{session.thread_id}>"
            text = self._catalog.t(session.locale, private_key, thread=thread, **values)
            await self._dm(message.author, [text])
            return
        text = self._catalog.t(session.locale, key, person=message.author.mention, **values)
        try:
            await message.channel.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not tell %s (%s)", message.author.id, key)

    # -- silent writing -------------------------------------------------------------------

    async def _keep_private(
        self, message: discord.Message, outcome: MessageOutcome, session: Session
    ) -> None:
        """A message typed in the thread during silent writing: remove it from the thread
        at once, then confirm by direct message (a thread message cannot get a private
        answer) with the writer's running list, or hand the text back when it was not
        taken (the session refuses typed notes, or the writer went too fast)."""
        refused = (
            not outcome.stored
            and not outcome.too_fast
            and session.typed_in_private is TypedInPrivate.REFUSE
        )
        # Not stored now, yet neither refused nor too fast: stored before (a catch-up read
        # it again after a crash between storing and removing). Remove it, quietly.
        again = not outcome.stored and not outcome.too_fast and not refused
        kept = outcome.stored or again
        if kept:
            # Before deleting: the deletion must not take the note with it.
            self._facilitation.removed_by_us(message.id)
        removed = await self._remove(message, session)
        if again:
            return
        thread = f"<#{session.thread_id}>"
        locale = session.locale
        parts: list[str]
        if outcome.too_fast or refused:
            key = "private.typed.too_fast" if outcome.too_fast else "private.typed.refused"
            text = self._catalog.t(
                locale, key, thread=thread, n=self._facilitation.notes_per_minute
            )
            if not removed:
                text += "\n\n" + self._catalog.t(locale, "private.typed.still_visible")
            # Their words, exactly as typed, so nothing is lost (a message may be longer
            # than one of ours: Nitro allows 4000 characters).
            parts = [text, *_chunks(message.content)]
        else:
            mine = await self._facilitation.my_notes(session, message.author.id)
            text = self._catalog.t(
                locale,
                "private.typed.taken",
                thread=thread,
                notes=running_list(self._catalog, locale, mine),
            )
            if not removed:
                text += "\n\n" + self._catalog.t(locale, "private.typed.still_visible_kept")
            parts = [text]
        await self._dm(message.author, parts)

    async def _remove(self, message: discord.Message, session: Session) -> bool:
        """Delete a typed message from the thread; False when it is still there."""
        try:
            await message.delete()
        except discord.NotFound:
            return True  # gone already (its writer, or a second read of it)
        except discord.Forbidden:
            log.warning(
                "session %s: cannot remove a typed message from the thread (Manage Messages)",
                session.id,
            )
            await self._tell_facilitator(session)
            return False
        except discord.HTTPException as error:
            log.warning("session %s: removing a typed message failed: %s", session.id, error)
            return False
        return True

    async def _tell_facilitator(self, session: Session) -> None:
        """The facilitator hears, at most once an hour per session, that typed messages
        stay readable because the bot lacks Manage Messages."""
        now = time.monotonic()
        told = self._facilitator_told.get(session.id)
        if told is not None and now - told < TELL_FACILITATOR_EVERY:
            return
        self._facilitator_told[session.id] = now
        try:
            user = self._client.get_user(session.facilitator_id) or await self._client.fetch_user(
                session.facilitator_id
            )
        except discord.HTTPException:
            log.warning("session %s: the facilitator cannot be found", session.id)
            return
        text = self._catalog.t(
            session.locale, "private.typed.cannot_remove", thread=f"<#{session.thread_id}>"
        )
        await self._dm(user, [text])

    async def _dm(self, user: discord.User | discord.Member, parts: list[str]) -> bool:
        """Direct messages to one person; False when they cannot be reached (closed DMs)."""
        try:
            for part in parts:
                await user.send(part, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.info("could not send %s a direct message: %s", user.id, error)
            return False
        return True

    async def _from_dm(self, message: discord.Message) -> None:
        """A direct message to the bot. It becomes a note only for the one session whose
        silent writing goes on now in a server where the writer is a member who can see
        the session; otherwise a kind answer, and nothing is stored or touched."""
        if message.type not in _PEOPLE_WRITING:
            return
        found: list[tuple[Session, discord.Member]] = []
        for session in await self._facilitation.writing_privately():
            member = await self._member_for(session, message.author.id)
            if member is not None:
                found.append((session, member))
        if not found:
            # Nothing tells this person's language: the bot's default.
            none = self._catalog.t(self._catalog.default, "private.dm.none")
            await self._dm_answer(message, none)
            return
        if len(found) > 1:
            locales = {session.locale for session, _ in found}
            locale = locales.pop() if len(locales) == 1 else self._catalog.default
            threads = ", ".join(f"<#{session.thread_id}>" for session, _ in found)
            await self._dm_answer(
                message, self._catalog.t(locale, "private.dm.several", threads=threads)
            )
            return
        session, member = found[0]
        # A DM carries no locale: the session's language, which the writer reads there.
        locale = session.locale
        if is_blank(message.content):
            await self._dm_answer(message, self._catalog.t(locale, "private.dm.text_only"))
            return
        try:
            note = await self._facilitation.add_note(
                channel_id=session.thread_id,
                author_id=member.id,
                author_name=member.display_name,
                text=message.content,
                source=NoteSource.COMMAND,  # not a thread message: nothing there to follow
            )
        except Exception as error:
            answer = refusal_text(self._catalog, locale, error)
            if answer is None:
                log.exception("adding a note from a direct message failed")
                answer = self._catalog.t(locale, "errors.unexpected")
            await self._dm_answer(message, answer)
            return
        now = await self._writing_privately_for(note, session.thread_id)
        if now is None:
            # The reveal came first: the note went to the board as any other.
            await self._dm_answer(
                message,
                self._catalog.t(locale, "replies.note_added", text=quote(note.text[:100])),
            )
            return
        mine = await self._facilitation.my_notes(now, member.id)
        await self._dm_answer(
            message,
            self._catalog.t(
                locale,
                "private.dm.noted",
                thread=f"<#{session.thread_id}>",
                notes=running_list(self._catalog, locale, mine),
            ),
        )

    async def _dm_answer(self, message: discord.Message, text: str) -> None:
        """Answer a direct message where it was sent."""
        try:
            await message.channel.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException as error:
            log.info("could not answer a direct message of %s: %s", message.author.id, error)

    async def _member_for(self, session: Session, user_id: int) -> discord.Member | None:
        """The writer as a member of the session's server who can see its channel, or
        None (not a member, or the channel is hidden from them)."""
        guild = self._client.get_guild(session.guild_id)
        if guild is None:
            return None
        member = guild.get_member(user_id)
        if member is None:
            try:
                member = await guild.fetch_member(user_id)
            except discord.NotFound:
                return None
            except discord.HTTPException as error:
                log.warning("cannot look up %s in guild %s: %s", user_id, guild.id, error)
                return None
        channel = guild.get_channel(session.channel_id)
        if isinstance(channel, discord.abc.GuildChannel) and not (
            channel.permissions_for(member).view_channel
        ):
            return None
        return member

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edited message updates its note or comment; one edited down to nothing visible
        (and no attachment) takes it away, as deleting the message does."""
        message = payload.message
        if message.author.bot:
            return
        if is_blank(message.content) and not message.attachments:
            # An empty card must not stay on the board (the 📝 may stay on the message).
            await self._facilitation.messages_deleted([payload.message_id])
            return
        await self._facilitation.message_edited(payload.message_id, message.content)

    @commands.Cog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A deleted message removes its note or comment."""
        await self._facilitation.messages_deleted([payload.message_id])

    @commands.Cog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        """Bulk deletions too."""
        await self._facilitation.messages_deleted(sorted(payload.message_ids))

    # -- catch-up -------------------------------------------------------------------------

    async def catch_up(self, thread_id: int, after_id: int) -> int:
        """Store what was posted in a thread while the bot was away; how many messages."""
        thread = self._client.get_partial_messageable(thread_id)
        seen = 0
        async for message in thread.history(
            after=discord.Object(after_id), oldest_first=True, limit=None
        ):
            try:
                await self.ingest(message, acknowledge=False)
            except StorageUnavailableError:
                # Stop at the first message that could not be stored (the store logged
                # why): nothing after it is marked as read, so the next catch-up begins
                # again from this message.
                break
            seen += 1
        return seen


def _capital(label: str) -> str:
    """``persona`` → ``Persona`` (a label in the modal)."""
    return label[:1].upper() + label[1:]


def _chunks(text: str) -> list[str]:
    """Text in pieces that fit in one message each, unchanged otherwise."""
    return [text[start : start + MESSAGE_LIMIT] for start in range(0, len(text), MESSAGE_LIMIT)]
