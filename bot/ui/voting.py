"""The vote button, the private ballot (paged past Discord's 25 options) and "I'll take this".

Every component is a DynamicItem whose custom_id carries what it needs (round, page,
note), so ballots and buttons posted before a restart keep working after it.
"""

from __future__ import annotations

import logging
import math
from typing import Any, Protocol

import discord

from bot.domain.session import Anonymity
from bot.domain.voting import BallotError, RoundStatus
from bot.facilitation import Ballot, Facilitation, NoSessionError, VoteRefusedError
from bot.i18n import Catalog
from bot.render import text
from bot.ui.replies import NO_PINGS, reply, user_locale

log = logging.getLogger(__name__)

PAGE_SIZE = 25  # Discord's limit for options in one select menu
LABEL_LIMIT = 100


class VotingServices(Protocol):
    """What the components need from the client (the bot provides it)."""

    facilitation: Facilitation
    catalog: Catalog


def _services(interaction: discord.Interaction) -> VotingServices:
    client: Any = interaction.client
    return client  # type: ignore[no-any-return]


def _short(value: str, limit: int = LABEL_LIMIT) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def ballot_content(sentences: Catalog, locale: str, ballot: Ballot, page: int) -> str:
    """The ballot's text: budget left, this voter's dots, the page, and any refusal."""
    vote = ballot.round
    pages = max(math.ceil(len(ballot.options) / PAGE_SIZE), 1)
    lines = [
        sentences.t(
            locale,
            "vote.ballot.header",
            remaining=text.count(sentences, locale, "dot", ballot.remaining),
            budget=vote.budget,
            cap=vote.per_note_cap,
        )
    ]
    mine = [(note, ballot.allocation.get(note.id, 0)) for note in ballot.options]
    placed = [f"“{text.quote(_short(note.text, 60))}” ×{votes}" for note, votes in mine if votes]
    if placed:
        lines.append(sentences.t(locale, "vote.ballot.mine", votes="; ".join(placed)))
    else:
        lines.append(sentences.t(locale, "vote.ballot.none"))
    if pages > 1:
        lines.append(sentences.t(locale, "vote.ballot.page", page=page + 1, pages=pages))
    if ballot.refused is not None:
        lines.append(
            sentences.t(
                locale, f"vote.ballot.refused.{ballot.refused.value}", cap=vote.per_note_cap
            )
        )
    return "\n".join(lines)


def ballot_view(sentences: Catalog, locale: str, ballot: Ballot, page: int) -> discord.ui.View:
    """A select menu for this page's options, paging buttons, and "clear my dots"."""
    vote = ballot.round
    pages = max(math.ceil(len(ballot.options) / PAGE_SIZE), 1)
    page = min(max(page, 0), pages - 1)
    shown = ballot.options[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    view = discord.ui.View(timeout=None)
    select = BallotSelect(vote.id, page)
    menu = select.item
    menu.placeholder = sentences.t(locale, "vote.ballot.placeholder")
    for number, note in enumerate(shown, start=page * PAGE_SIZE + 1):
        votes = ballot.allocation.get(note.id, 0)
        menu.add_option(
            label=_short(f"{number}. {note.text}"),
            value=str(note.id),
            description=(
                _short(sentences.t(locale, "vote.ballot.option_votes", votes="●" * votes))
                if votes
                else None
            ),
        )
    menu.max_values = max(min(ballot.remaining, len(shown)), 1)
    menu.disabled = ballot.remaining == 0 or not shown
    view.add_item(select)
    if page > 0:
        view.add_item(BallotPage(vote.id, page - 1, sentences.t(locale, "vote.ballot.previous")))
    if page < pages - 1:
        view.add_item(BallotPage(vote.id, page + 1, sentences.t(locale, "vote.ballot.next")))
    view.add_item(BallotClear(vote.id, sentences.t(locale, "vote.ballot.clear")))
    return view


async def _show(interaction: discord.Interaction, round_id: int, page: int, *, fresh: bool) -> None:
    services = _services(interaction)
    sentences = services.catalog
    locale = user_locale(sentences, interaction)
    ballot = await _ballot_here(interaction, round_id)
    if ballot is not None:
        await _respond(interaction, sentences, locale, ballot, page, fresh=fresh)


async def _ballot_here(interaction: discord.Interaction, round_id: int) -> Ballot | None:
    """This voter's ballot for an open round of the session of this thread; None after
    telling them why not. A round belongs to one session: its components used anywhere
    else (another channel, another server, a DM: a copied or forged custom_id) are
    refused as gone, before anything is shown or counted."""
    services = _services(interaction)
    sentences = services.catalog
    locale = user_locale(sentences, interaction)
    try:
        ballot = await services.facilitation.ballot(round_id, interaction.user.id)
    except VoteRefusedError:
        await reply(interaction, sentences.t(locale, "vote.ballot.gone"))
        return None
    if ballot.round.status is not RoundStatus.OPEN:
        await reply(interaction, sentences.t(locale, "vote.ballot.closed"))
        return None
    try:
        here = await services.facilitation.find_session(interaction.channel_id or 0)
    except LookupError:
        here = None
    if here is None or here.id != ballot.round.session_id:
        await reply(interaction, sentences.t(locale, "vote.ballot.gone"))
        return None
    return ballot


async def _respond(
    interaction: discord.Interaction,
    sentences: Catalog,
    locale: str,
    ballot: Ballot,
    page: int,
    *,
    fresh: bool,
) -> None:
    content = ballot_content(sentences, locale, ballot, page)
    view = ballot_view(sentences, locale, ballot, page)
    if fresh:
        await interaction.response.send_message(
            content, view=view, ephemeral=True, allowed_mentions=NO_PINGS
        )
    else:
        await interaction.response.edit_message(
            content=content, view=view, allowed_mentions=NO_PINGS
        )


class VoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cocreate:vote:(?P<round>\d+)"
):
    """On the thread post: opens the clicker's private ballot."""

    def __init__(self, round_id: int, label: str = "🗳️") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🗳️",
                style=discord.ButtonStyle.success,
                custom_id=f"cocreate:vote:{round_id}",
            )
        )
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> VoteButton:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["round"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Send a fresh private ballot."""
        await _show(interaction, self.round_id, 0, fresh=True)


class BallotSelect(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"cocreate:ballot:(?P<round>\d+):(?P<page>\d+)",
):
    """Each chosen option gets one dot."""

    def __init__(self, round_id: int, page: int) -> None:
        super().__init__(
            discord.ui.Select(custom_id=f"cocreate:ballot:{round_id}:{page}", min_values=1)
        )
        self.round_id = round_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> BallotSelect:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["round"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Cast the votes, then redraw the ballot in place."""
        services = _services(interaction)
        sentences = services.catalog
        locale = user_locale(sentences, interaction)
        data: Any = interaction.data or {}
        chosen = [int(value) for value in data.get("values", []) if str(value).isdigit()]
        if await _ballot_here(interaction, self.round_id) is None:
            return
        try:
            ballot = await services.facilitation.cast_votes(
                self.round_id, interaction.user.id, chosen
            )
        except VoteRefusedError:
            await reply(interaction, sentences.t(locale, "vote.ballot.gone"))
            return
        except BallotError:  # cast_votes raises only for a round that closed meanwhile
            await reply(interaction, sentences.t(locale, "vote.ballot.closed"))
            return
        await _respond(interaction, sentences, locale, ballot, self.page, fresh=False)


class BallotPage(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cocreate:ballot-page:(?P<round>\d+):(?P<page>\d+)",
):
    """Show another page of options."""

    def __init__(self, round_id: int, page: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cocreate:ballot-page:{round_id}:{page}",
            )
        )
        self.round_id = round_id
        self.page = page

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> BallotPage:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["round"]), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Redraw the ballot at that page."""
        await _show(interaction, self.round_id, self.page, fresh=False)


class BallotClear(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cocreate:ballot-clear:(?P<round>\d+)",
):
    """Take back all of this voter's dots."""

    def __init__(self, round_id: int, label: str = "…") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.danger,
                custom_id=f"cocreate:ballot-clear:{round_id}",
            )
        )
        self.round_id = round_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> BallotClear:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["round"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Clear, then redraw."""
        services = _services(interaction)
        sentences = services.catalog
        locale = user_locale(sentences, interaction)
        if await _ballot_here(interaction, self.round_id) is None:
            return
        ballot = await services.facilitation.clear_votes(self.round_id, interaction.user.id)
        await _respond(interaction, sentences, locale, ballot, 0, fresh=False)


class TakeButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"cocreate:take:(?P<note>\d+)"
):
    """Under the session summary: "I'll take this one" for a top idea."""

    def __init__(self, note_id: int, label: str = "🙌") -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="🙌",
                style=discord.ButtonStyle.primary,
                custom_id=f"cocreate:take:{note_id}",
            )
        )
        self.note_id = note_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: Any, /
    ) -> TakeButton:
        """Rebuild from the custom_id (also after a restart)."""
        return cls(int(match["note"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Record the taker, tell them privately, and tell the thread."""
        services = _services(interaction)
        sentences = services.catalog
        locale = user_locale(sentences, interaction)
        name = interaction.user.display_name
        try:
            taken = await services.facilitation.take_idea(
                self.note_id, interaction.user.id, name, thread_id=interaction.channel_id or 0
            )
        except NoSessionError:
            await reply(interaction, sentences.t(locale, "errors.no_session"))
            return
        if taken is None:
            await reply(interaction, sentences.t(locale, "vote.take.again"))
            return
        note, session = taken
        # Cut first, then quoted: a cut must not split an escape from what it escapes.
        idea = text.quote(_short(note.text, 200))
        await reply(interaction, sentences.t(locale, "vote.take.done", text=idea))
        if session.anonymity is Anonymity.ALWAYS:
            # A session that never shows names does not name who takes an idea on either.
            told = sentences.t(session.locale, "private.take.thread", text=idea)
        else:
            told = sentences.t(session.locale, "vote.take.thread", name=text.quote(name), text=idea)
        thread = interaction.client.get_partial_messageable(session.thread_id)
        try:
            await thread.send(told, allowed_mentions=NO_PINGS)
        except discord.HTTPException:
            log.warning("could not announce a taker in %s", session.thread_id)


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    VoteButton,
    BallotSelect,
    BallotPage,
    BallotClear,
    TakeButton,
)
