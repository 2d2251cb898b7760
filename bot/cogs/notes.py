"""Notes: thread messages, ``/note``, the Add note modal; edits, deletions, catch-up."""

from __future__ import annotations

import logging
import time

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.errors import refusal_text
from bot.domain.board import NOTE_MAX_CHARS, MessageKind, NoteSource, is_blank
from bot.facilitation import Facilitation
from bot.i18n import Catalog
from bot.render.text import quote
from bot.storage.errors import StorageUnavailableError
from bot.ui.acks import Acknowledger, AckPace
from bot.ui.replies import NO_PINGS, reply, user_locale
from bot.ui.translator import command_text as ct

log = logging.getLogger(__name__)

# Seconds between two notices of one kind ("slow down", "a sticker is not a note") to the
# same writer in a thread: one prankster cannot make the bot flood the thread.
SLOW_DOWN_EVERY = 60.0
# Past this many remembered notices, the ones older than SLOW_DOWN_EVERY are forgotten.
_TOLD_KEPT = 1000

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

    async def cog_unload(self) -> None:
        """Stop pending tallies (the notes are stored already)."""
        await self._acks.close()

    # -- /note and the modal --------------------------------------------------------------

    @app_commands.command(name=ct("note.name"), description=ct("note.description"))
    @app_commands.rename(note_text=ct("note.text.name"))
    @app_commands.describe(note_text=ct("note.text.description"))
    @app_commands.guild_only()
    async def note(
        self,
        interaction: discord.Interaction,
        note_text: app_commands.Range[str, 1, NOTE_MAX_CHARS],
    ) -> None:
        """Add a note without posting a message."""
        await self._add(interaction, note_text, NoteSource.COMMAND)

    async def submit_from_modal(self, interaction: discord.Interaction, value: str) -> None:
        """The Add note modal was sent."""
        try:
            await self._add(interaction, value, NoteSource.BUTTON)
        except Exception as error:
            locale = user_locale(self._catalog, interaction)
            message = refusal_text(self._catalog, locale, error)
            if message is None:
                log.exception("adding a note from the modal failed")
                message = self._catalog.t(locale, "errors.unexpected")
            await reply(interaction, message)

    async def _add(self, interaction: discord.Interaction, value: str, source: NoteSource) -> None:
        locale = user_locale(self._catalog, interaction)
        if is_blank(value):  # spaces, or zero-width characters only
            await reply(interaction, self._catalog.t(locale, "errors.note_empty"))
            return
        note = await self._facilitation.add_note(
            channel_id=interaction.channel_id or 0,
            author_id=interaction.user.id,
            author_name=interaction.user.display_name,
            text=value,
            source=source,
        )
        # Committed above; only now is it acknowledged.
        await reply(
            interaction, self._catalog.t(locale, "replies.note_added", text=quote(note.text[:100]))
        )

    # -- thread messages ------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        """Every human message in a session thread becomes a note or a comment (called by
        the bot's own ``on_message``)."""
        if message.author.bot or message.guild is None:
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
        if outcome.too_fast and outcome.session is not None:
            await self._tell(
                message,
                outcome.session.locale,
                "replies.too_fast",
                n=self._facilitation.notes_per_minute,
            )
            return
        if (
            acknowledge
            and outcome.kind is MessageKind.EMPTY
            and outcome.session is not None
            and message.stickers
        ):
            # A sticker alone carries no text to put on the board; silence would look like
            # the bot missed it. In the session's language: a thread message knows no other.
            await self._tell(message, outcome.session.locale, "replies.sticker_only")
            return
        if not (acknowledge and outcome.stored and outcome.session is not None):
            return
        emoji = ACK_COMMENT if outcome.kind is MessageKind.COMMENT else ACK_NOTE
        # Stored above; only now acknowledged (a reaction, or a tally in busy moments).
        await self._acks.note_stored(message, emoji, outcome.session.locale)

    async def _tell(
        self, message: discord.Message, locale: str, key: str, **values: object
    ) -> None:
        """Tell a writer something in the thread (``too_fast``, ``sticker_only``), at most
        once a minute per kind, naming them in a mention that does not ping (NO_PINGS)."""
        slot = (message.channel.id, message.author.id, key)
        now = time.monotonic()
        if now - self._told.get(slot, -SLOW_DOWN_EVERY) < SLOW_DOWN_EVERY:
            return
        if len(self._told) >= _TOLD_KEPT:
            self._told = {k: t for k, t in self._told.items() if now - t < SLOW_DOWN_EVERY}
        self._told[slot] = now
        text = self._catalog.t(locale, key, person=message.author.mention, **values)
        try:
            await message.channel.send(text, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not tell %s (%s)", message.author.id, key)

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
