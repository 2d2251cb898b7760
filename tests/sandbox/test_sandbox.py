"""The sandbox, proven with the real, unmodified discord.py client."""

from __future__ import annotations

import asyncio
import io
import json
import zlib
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from bot.sandbox import DiscordSandbox

from .support import StartClient, World, default_intents

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"


def expect(
    client: discord.Client,
    event: str,
    check: Callable[..., bool] | None = None,
    timeout: float = 5.0,
) -> asyncio.Task[Any]:
    """Start waiting for ``event`` now (before the action that causes it)."""
    return asyncio.create_task(client.wait_for(event, check=check, timeout=timeout))


# -- 1. login, READY, GUILD_CREATE -----------------------------------------------------------


async def test_login_ready_and_cache(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    intents = default_intents()
    intents.members = True
    client = await start_client(discord.Client(intents=intents, guild_ready_timeout=0.1))

    assert client.user is not None
    assert client.user.id == sandbox.bot_id
    assert client.user.bot
    assert client.application_id == sandbox.application_id
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    assert guild.name == "Bibliotheek Noord"
    assert guild.preferred_locale is discord.Locale.dutch
    assert guild.default_role.id == guild.id
    assert {r.name for r in guild.roles} >= {"@everyone", "Facilitator", "cocreate"}
    channel = guild.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    assert channel.name == "algemeen"
    alice = guild.get_member(world.alice.id)
    assert alice is not None
    assert alice.name == "alice"
    assert [r.name for r in alice.roles] == ["@everyone", "Facilitator"]
    me = guild.me
    assert me.id == sandbox.bot_id
    perms = channel.permissions_for(me)
    assert perms.send_messages
    assert perms.create_public_threads
    assert perms.manage_messages
    assert not perms.administrator
    routes = [(c.method, c.route) for c in sandbox.calls]
    assert routes[:2] == [("GET", "/users/@me"), ("GET", "/oauth2/applications/@me")]
    assert sandbox.identify_count == 1


async def test_guild_added_after_connect_is_announced(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    joined = expect(client, "guild_join")
    new = sandbox.add_guild("Bibliotheek Zuid", locale="nl")
    guild = await joined
    assert guild.id == new.id
    created = expect(client, "guild_channel_create")
    channel = sandbox.add_text_channel(new.id, "welkom")
    assert (await created).id == channel.id
    assert client.get_channel(channel.id) is not None


async def test_bot_permissions_can_be_restricted(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    sandbox.set_bot_permissions(
        world.guild.id, discord.Permissions(view_channel=True, read_message_history=True).value
    )
    client = await start_client()
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    channel = guild.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    perms = channel.permissions_for(guild.me)
    assert perms.view_channel
    assert perms.read_message_history
    assert not perms.send_messages


# -- 2. messages -----------------------------------------------------------------------------


async def test_user_message_and_bot_reply(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client(
        discord.Client(
            intents=default_intents(),
            guild_ready_timeout=0.1,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    )
    first = sandbox.store_user_message(world.channel.id, world.bob.id, "eerste")
    incoming = expect(client, "message", lambda m: m.author.id == world.alice.id)
    sent = await sandbox.user_message(
        world.channel.id,
        world.alice.id,
        "Wat vinden jullie hiervan?",
        reply_to=int(first["id"]),
        attachments=[{"filename": "foto.jpg", "content_type": "image/jpeg", "size": 1234}],
    )
    message: discord.Message = await incoming
    assert message.id == int(sent["id"])
    assert message.content == "Wat vinden jullie hiervan?"
    assert isinstance(message.author, discord.Member)
    assert message.author.id == world.alice.id
    assert message.type is discord.MessageType.reply
    assert message.reference is not None
    assert message.reference.message_id == int(first["id"])
    assert message.attachments[0].filename == "foto.jpg"
    assert message.attachments[0].size == 1234
    assert message.created_at.tzinfo is not None

    since = len(sandbox.calls)
    echo = expect(client, "message", lambda m: m.author.id == sandbox.bot_id)
    reply = await message.reply(f"Dank je <@{world.alice.id}>!")
    call = await sandbox.wait_for_call(
        lambda c: c.method == "POST" and c.route == MESSAGES_ROUTE, since=since
    )
    assert call.status == 200
    assert call.params == {"channel_id": str(world.channel.id)}
    assert call.json["allowed_mentions"] == {"parse": []}
    assert call.json["message_reference"]["message_id"] == message.id
    assert (await echo).id == reply.id
    stored = sandbox.messages(world.channel.id)
    assert [m["content"] for m in stored] == [
        "eerste",
        "Wat vinden jullie hiervan?",
        f"Dank je <@{world.alice.id}>!",
    ]
    assert stored[-1]["allowed_mentions"] == {"parse": []}
    assert stored[-1]["mentions"] == []  # nobody pinged: allowed_mentions is none()
    assert stored[-1]["type"] == 19


async def test_file_upload_is_recorded_and_served(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    data = b"\x89PNG\r\n fake image bytes"
    message = await channel.send(
        "kaart", file=discord.File(io.BytesIO(data), "kaart.png", description="De kaart")
    )
    call = sandbox.calls[-1]
    assert call.route == MESSAGES_ROUTE
    assert call.files == [("kaart.png", data)]
    assert call.json["content"] == "kaart"
    assert call.json["attachments"][0]["description"] == "De kaart"
    assert message.attachments[0].filename == "kaart.png"
    assert message.attachments[0].description == "De kaart"
    assert await message.attachments[0].read() == data
    assert sandbox.messages(world.channel.id)[-1]["attachments"][0]["size"] == len(data)


async def test_edit_delete_react_pin_by_bot(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("versie 1")
    edited = await message.edit(content="versie 2")
    assert edited.content == "versie 2"
    await message.add_reaction("👍")
    await message.pin()
    pins = [m async for m in channel.pins()]
    assert [m.id for m in pins] == [message.id]
    stored = sandbox.messages(world.channel.id)[-1]
    assert stored["content"] == "versie 2"
    assert stored["edited_timestamp"] is not None
    assert stored["reactions"][0]["emoji"]["name"] == "👍"
    assert stored["reactions"][0]["me"] is True
    assert stored["pinned"] is True
    routes = [(c.method, c.route, c.status) for c in sandbox.calls]
    assert (
        "PUT",
        "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        204,
    ) in routes
    assert ("PUT", "/channels/{channel_id}/messages/pins/{message_id}", 204) in routes
    await message.delete()
    assert sandbox.messages(world.channel.id) == []
    assert sandbox.calls[-1].route == "/channels/{channel_id}/messages/{message_id}"


async def test_without_message_content_intent_text_is_blank(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client(
        discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.1)
    )
    plain = expect(client, "message", lambda m: m.author.id == world.alice.id)
    await sandbox.user_message(world.channel.id, world.alice.id, "geheim")
    assert (await plain).content == ""
    mention = expect(client, "message", lambda m: m.author.id == world.alice.id)
    await sandbox.user_message(world.channel.id, world.alice.id, f"hoi <@{sandbox.bot_id}>")
    assert (await mention).content == f"hoi <@{sandbox.bot_id}>"


# -- 3. application commands -----------------------------------------------------------------


class CommandBot(discord.Client):
    """A client with a ``/session start`` group command and a ``/note`` command."""

    def __init__(self, guild_id: int | None = None) -> None:
        super().__init__(intents=default_intents(), guild_ready_timeout=0.1)
        self.tree = app_commands.CommandTree(self)
        self.sync_guild = discord.Object(guild_id) if guild_id else None
        self.seen: asyncio.Queue[tuple[str, discord.Interaction]] = asyncio.Queue()
        session = app_commands.Group(name="session", description="Sessies")

        @session.command(name="start", description="Start een sessie")
        async def start(interaction: discord.Interaction, topic: str, minutes: int = 5) -> None:
            await self.seen.put((f"start:{topic}:{minutes}", interaction))
            await interaction.response.send_message(f"Sessie over {topic}", ephemeral=True)

        @app_commands.command(name="note", description="Een notitie")
        async def note(interaction: discord.Interaction, text: str) -> None:
            await self.seen.put((f"note:{text}", interaction))
            await interaction.response.defer(thinking=True)
            await interaction.followup.send(f"Genoteerd: {text}")
            await interaction.edit_original_response(content=f"Genoteerd (bewerkt): {text}")

        self.tree.add_command(session)
        self.tree.add_command(note)

    async def setup_hook(self) -> None:
        if self.sync_guild is not None:
            self.tree.copy_global_to(guild=self.sync_guild)
            await self.tree.sync(guild=self.sync_guild)
        else:
            await self.tree.sync()


async def test_slash_commands_end_to_end(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    bot = CommandBot()
    await start_client(bot)
    sync = next(c for c in sandbox.calls if c.method == "PUT")
    assert sync.route == "/applications/{application_id}/commands"
    assert {c["name"] for c in sync.json} == {"session", "note"}
    assert {c["name"] for c in sandbox.commands()} == {"session", "note"}

    ih = await sandbox.slash_command(
        world.guild.id,
        world.channel.id,
        world.alice.id,
        "session",
        subcommand="start",
        options={"topic": "Leesclub", "minutes": "10"},
        locale="nl",
    )
    label, interaction = await asyncio.wait_for(bot.seen.get(), 5)
    assert label == "start:Leesclub:10"  # "minutes" typed as integer from the synced command
    assert interaction.locale is discord.Locale.dutch
    assert interaction.guild_locale is discord.Locale.dutch
    assert interaction.user.id == world.alice.id
    response = await ih.response()
    assert response.json["type"] == 4
    assert response.json["data"]["flags"] == 64
    assert response.status == 200
    assert response.response["resource"]["message"]["content"] == "Sessie over Leesclub"
    assert [m["content"] for m in sandbox.ephemeral_messages(world.channel.id)] == [
        "Sessie over Leesclub"
    ]
    assert sandbox.messages(world.channel.id) == []  # ephemeral: not in history

    ih2 = await sandbox.slash_command(
        world.guild.id, world.channel.id, world.bob.id, "note", options={"text": "meer boeken"}
    )
    label, _ = await asyncio.wait_for(bot.seen.get(), 5)
    assert label == "note:meer boeken"
    assert (await ih2.response()).json["type"] == 5
    edit = await sandbox.wait_for_call(
        lambda c: (
            c.method == "PATCH"
            and c.route == "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        ),
        since=len(sandbox.calls) - 3,
    )
    assert edit.status == 200
    methods = [(c.method, c.route) for c in ih2.calls()]
    assert methods == [
        ("POST", CALLBACK_ROUTE),
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
        ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"),
    ]
    history = sandbox.messages(world.channel.id)
    assert len(history) == 1  # the first followup filled in the "thinking" message
    assert history[0]["content"] == "Genoteerd (bewerkt): meer boeken"
    assert history[0]["flags"] & 128 == 0
    assert history[0]["interaction_metadata"]["user"]["id"] == str(world.bob.id)


async def test_guild_command_sync_and_unknown_route(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    bot = CommandBot(guild_id=world.guild.id)
    await start_client(bot)
    assert any(
        c.route == "/applications/{application_id}/guilds/{guild_id}/commands"
        for c in sandbox.calls
    )
    ih = await sandbox.slash_command(
        world.guild.id, world.channel.id, world.alice.id, "note", options={"text": "gilde"}
    )
    assert ih.payload["data"]["guild_id"] == str(world.guild.id)
    label, _ = await asyncio.wait_for(bot.seen.get(), 5)
    assert label == "note:gilde"
    await sandbox.wait_for_call(
        lambda c: c.method == "PATCH" and c.params.get("webhook_token") == ih.token
    )

    # Routes the sandbox does not know are recorded and answered 404 JSON.
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/stickers/{x}", x=1))
    last = sandbox.calls[-1]
    assert (last.known, last.status, last.path) == (False, 404, "/stickers/1")
    assert last.response == {"message": "404: Not Found", "code": 0}


# -- 4. views and modals ---------------------------------------------------------------------


class NoteModal(discord.ui.Modal, title="Nieuwe notitie"):
    text: discord.ui.TextInput[NoteModal] = discord.ui.TextInput(
        label="Idee", custom_id="note_text"
    )

    def __init__(self, results: asyncio.Queue[str]) -> None:
        super().__init__(custom_id="note_modal")
        self.results = results

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.results.put(self.text.value)
        await interaction.response.send_message(f"Ontvangen: {self.text.value}", ephemeral=True)


class LabelModal(discord.ui.Modal, title="Met label"):
    def __init__(self, results: asyncio.Queue[str]) -> None:
        super().__init__(custom_id="label_modal")
        self.results = results
        self.field: discord.ui.TextInput[LabelModal] = discord.ui.TextInput(custom_id="wish")
        self.add_item(discord.ui.Label(text="Wens", component=self.field))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await self.results.put(self.field.value)
        await interaction.response.defer()


class VoteView(discord.ui.View):
    def __init__(self, results: asyncio.Queue[str]) -> None:
        super().__init__(timeout=None)
        self.results = results

    @discord.ui.button(label="Stem", custom_id="vote:up", style=discord.ButtonStyle.primary)
    async def vote(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        await self.results.put(f"vote:{interaction.user.id}")
        await interaction.response.edit_message(content="Gestemd!")

    @discord.ui.button(label="Notitie", custom_id="note:open")
    async def open_note(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(NoteModal(self.results))

    @discord.ui.button(label="Wens", custom_id="wish:open")
    async def open_wish(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.send_modal(LabelModal(self.results))


class ViewBot(discord.Client):
    def __init__(self) -> None:
        super().__init__(intents=default_intents(), guild_ready_timeout=0.1)
        self.results: asyncio.Queue[str] = asyncio.Queue()

    async def setup_hook(self) -> None:
        self.add_view(VoteView(self.results))


async def test_persistent_view_button_and_modals(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    bot = ViewBot()
    await start_client(bot)
    channel = bot.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    posted = await channel.send("Stem hier", view=VoteView(bot.results))
    components = sandbox.messages(world.channel.id)[-1]["components"]
    assert components[0]["components"][0]["custom_id"] == "vote:up"

    ih = await sandbox.button_click(
        world.guild.id, world.channel.id, world.alice.id, posted.id, "vote:up"
    )
    assert await asyncio.wait_for(bot.results.get(), 5) == f"vote:{world.alice.id}"
    assert (await ih.response()).json["type"] == 7
    assert sandbox.messages(world.channel.id)[-1]["content"] == "Gestemd!"

    ih = await sandbox.button_click(
        world.guild.id, world.channel.id, world.bob.id, posted.id, "note:open"
    )
    opened = await ih.response()
    assert opened.json["type"] == 9
    assert opened.json["data"]["custom_id"] == "note_modal"
    submit = await sandbox.modal_submit(
        world.guild.id, world.channel.id, world.bob.id, "note_modal", {"note_text": "Mijn idee"}
    )
    assert submit.payload["data"]["components"][0]["type"] == 1
    assert await asyncio.wait_for(bot.results.get(), 5) == "Mijn idee"
    answer = await submit.response()
    assert answer.json["data"] == {"content": "Ontvangen: Mijn idee", "flags": 64, "tts": False}

    ih = await sandbox.button_click(
        world.guild.id, world.channel.id, world.bob.id, posted.id, "wish:open"
    )
    assert (await ih.response()).json["data"]["components"][0]["type"] == 18
    submit = await sandbox.modal_submit(
        world.guild.id, world.channel.id, world.bob.id, "label_modal", {"wish": "Stilte"}
    )
    assert submit.payload["data"]["components"][0]["type"] == 18  # mirrors the Label modal
    assert submit.payload["message"]["id"] == str(posted.id)  # opened from this message
    assert await asyncio.wait_for(bot.results.get(), 5) == "Stilte"
    assert (await submit.response()).json["type"] == 6


async def test_interaction_rules(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    """A second initial response is refused (40060); a late one is 10062."""
    bot = CommandBot()
    await start_client(bot)
    ih = await sandbox.slash_command(
        world.guild.id, world.channel.id, world.alice.id, "note", options={"text": "x"}
    )
    await ih.response()
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.api_base_url}/interactions/{ih.id}/{ih.token}/callback"
        async with http.post(url, json={"type": 4, "data": {"content": "nog een"}}) as resp:
            assert resp.status == 400
            assert (await resp.json())["code"] == 40060

    errors: asyncio.Queue[app_commands.AppCommandError] = asyncio.Queue()

    @bot.tree.error
    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await errors.put(error)

    sandbox.config.interaction_response_deadline = 0.0
    late = await sandbox.slash_command(
        world.guild.id,
        world.channel.id,
        world.alice.id,
        "session",
        subcommand="start",
        options={"topic": "te laat"},
    )
    answer = await late.response()
    assert answer.status == 404
    assert answer.response == {"message": "Unknown interaction", "code": 10062}
    error = await asyncio.wait_for(errors.get(), 5)
    assert isinstance(error.__cause__, discord.NotFound)
    assert error.__cause__.code == 10062


# -- 5. threads ------------------------------------------------------------------------------


async def test_threads(sandbox: DiscordSandbox, world: World, start_client: StartClient) -> None:
    client = await start_client()
    incoming = expect(client, "message", lambda m: m.author.id == world.alice.id)
    await sandbox.user_message(world.channel.id, world.alice.id, "Start een draad")
    message: discord.Message = await incoming

    created = expect(client, "thread_create")
    thread = await message.create_thread(name="Draad", auto_archive_duration=60)
    assert thread.id == message.id  # Discord reuses the starter message's id
    assert (await created).id == thread.id
    assert thread.type is discord.ChannelType.public_thread
    assert thread.parent_id == world.channel.id
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    assert guild.get_thread(thread.id) is not None
    assert thread.me is not None  # the creator is a member

    channel = guild.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    public = await channel.create_thread(name="Publiek", type=discord.ChannelType.public_thread)
    assert public.type is discord.ChannelType.public_thread
    private = await channel.create_thread(name="Privé")
    assert private.type is discord.ChannelType.private_thread
    assert {t["name"]: t["type"] for t in sandbox.threads} == {
        "Draad": 11,
        "Publiek": 11,
        "Privé": 12,
    }

    visible = expect(client, "thread_join")
    other = sandbox.add_thread(
        world.channel.id, "Bestaand", owner_id=world.alice.id, bot_joined=False
    )
    await visible
    existing = guild.get_thread(other.id)
    assert existing is not None
    assert existing.me is None
    await existing.join()
    assert sandbox.calls[-1].route == "/channels/{channel_id}/thread-members/@me"
    assert sandbox.calls[-1].status == 204

    in_thread = expect(client, "message", lambda m: m.channel.id == thread.id)
    await sandbox.user_message(thread.id, world.alice.id, "in de draad")
    got: discord.Message = await in_thread
    assert isinstance(got.channel, discord.Thread)
    await thread.send("antwoord in draad")
    assert [m["content"] for m in sandbox.messages(thread.id)] == [
        "in de draad",
        "antwoord in draad",
    ]
    assert sandbox.messages(world.channel.id)[0]["thread"]["id"] == str(thread.id)

    updated = expect(client, "thread_update")
    await thread.edit(archived=True, locked=True)
    _, after = await updated
    assert after.archived
    assert after.locked
    assert sandbox.channel(thread.id)["thread_metadata"]["archived"] is True
    with pytest.raises(discord.HTTPException) as failure:
        await thread.send("mag niet")
    assert failure.value.code == 50083


# -- 6. history ------------------------------------------------------------------------------


async def test_history_backfill_paginates_in_order(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    seen: list[discord.Message] = []
    client = discord.Client(intents=default_intents(), guild_ready_timeout=0.1)

    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    client.on_message = on_message  # type: ignore[attr-defined]
    await start_client(client)
    first = expect(client, "message")
    anchor = await sandbox.user_message(world.channel.id, world.alice.id, "laatst gezien")
    await first
    stored = [
        sandbox.store_user_message(world.channel.id, world.bob.id, f"bericht {i}")
        for i in range(150)
    ]
    await asyncio.sleep(0.05)
    assert [m.content for m in seen] == ["laatst gezien"]  # stored messages were not dispatched

    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    since = len(sandbox.calls)
    backfill = [
        m
        async for m in channel.history(
            after=discord.Object(int(anchor["id"])), oldest_first=True, limit=None
        )
    ]
    assert [m.content for m in backfill] == [f"bericht {i}" for i in range(150)]
    assert [m.id for m in backfill] == [int(m["id"]) for m in stored]
    pages = [c for c in sandbox.calls[since:] if c.route == MESSAGES_ROUTE]
    assert len(pages) == 2
    assert pages[0].query["after"] == anchor["id"]
    assert pages[0].query["limit"] == "100"

    newest = [m.content async for m in channel.history(limit=3)]
    assert newest == ["bericht 149", "bericht 148", "bericht 147"]
    before = [m.content async for m in channel.history(before=backfill[10], limit=2)]
    assert before == ["bericht 9", "bericht 8"]
    around = [m.content async for m in channel.history(around=backfill[50], limit=3)]
    assert around == ["bericht 51", "bericht 50", "bericht 49"]
    fetched = await channel.fetch_message(backfill[0].id)
    assert fetched.content == "bericht 0"


# -- 7. raw edit/delete ----------------------------------------------------------------------


async def test_injected_edit_and_delete_fire_raw_events(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    incoming = expect(client, "message")
    sent = await sandbox.user_message(world.channel.id, world.alice.id, "oud")
    await incoming
    edited = expect(client, "raw_message_edit")
    await sandbox.edit_user_message(world.channel.id, int(sent["id"]), "nieuw")
    payload: discord.RawMessageUpdateEvent = await edited
    assert payload.message_id == int(sent["id"])
    assert payload.data["content"] == "nieuw"
    assert payload.message.content == "nieuw"
    deleted = expect(client, "raw_message_delete")
    await sandbox.delete_user_message(world.channel.id, int(sent["id"]))
    raw: discord.RawMessageDeleteEvent = await deleted
    assert raw.message_id == int(sent["id"])
    assert raw.guild_id == world.guild.id
    assert sandbox.messages(world.channel.id) == []


# -- 8. gateway faults and start-up errors ---------------------------------------------------


@pytest.mark.parametrize("close_code", [None, 4000])
async def test_dropped_gateway_resumes_and_replays(
    sandbox: DiscordSandbox, world: World, start_client: StartClient, close_code: int | None
) -> None:
    client = await start_client()
    resumed = expect(client, "resumed")
    missed = expect(client, "message", lambda m: m.content == "terwijl je weg was")
    assert await sandbox.drop_gateway_connections(close_code) == 1
    await sandbox.user_message(world.channel.id, world.alice.id, "terwijl je weg was")
    await sandbox.wait_for_resume(timeout=5)
    await resumed
    assert (await missed).author.id == world.alice.id
    later = expect(client, "message", lambda m: m.content == "daarna")
    await sandbox.user_message(world.channel.id, world.alice.id, "daarna")
    await later
    assert sandbox.identify_count == 1


async def test_bad_token_is_login_failure(sandbox: DiscordSandbox) -> None:
    client = discord.Client(intents=default_intents())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("MTIz.bad.token")
        assert sandbox.calls[-1].status == 401
    finally:
        await client.close()


async def test_disallowed_message_content_intent(sandbox: DiscordSandbox, world: World) -> None:
    sandbox.require_message_content_intent = True
    client = discord.Client(intents=default_intents(), guild_ready_timeout=0.1)
    try:
        await client.login(sandbox.token)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.connect(), 5)
    finally:
        await client.close()


async def test_fault_injection(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    sandbox.fail_next("POST", MESSAGES_ROUTE, 403)
    with pytest.raises(discord.Forbidden) as failure:
        await channel.send("verboden")
    assert failure.value.code == 50013
    sandbox.fail_next("POST", MESSAGES_ROUTE, 429)
    since = len(sandbox.calls)
    await channel.send("na een 429")  # discord.py waits retry_after and retries
    statuses = [c.status for c in sandbox.calls[since:] if c.route == MESSAGES_ROUTE]
    assert statuses == [429, 200]
    assert [m["content"] for m in sandbox.messages(world.channel.id)] == ["na een 429"]


# -- raw protocol checks ---------------------------------------------------------------------


async def test_raw_rest_headers_and_auth(sandbox: DiscordSandbox) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{sandbox.api_base_url}/users/@me"
        async with http.get(url, headers={"Authorization": f"Bot {sandbox.token}"}) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "application/json"
            assert (await resp.json())["id"] == str(sandbox.bot_id)
        async with http.get(url) as resp:
            assert resp.status == 401
            assert await resp.json() == {"message": "401: Unauthorized", "code": 0}


async def test_raw_gateway_protocol(sandbox: DiscordSandbox, world: World) -> None:
    inflator = zlib.decompressobj()

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        msg = await asyncio.wait_for(ws.receive(), 5)
        assert msg.type is aiohttp.WSMsgType.BINARY
        frame: dict[str, Any] = json.loads(inflator.decompress(msg.data))
        return frame

    url = f"{sandbox.gateway_url}?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(url) as ws:
            hello = await receive(ws)
            assert hello["op"] == 10
            assert hello["d"]["heartbeat_interval"] == 41250
            await ws.send_json({"op": 1, "d": None})
            assert (await receive(ws))["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": sandbox.token, "intents": 513}})
            ready = await receive(ws)
            assert (ready["t"], ready["s"]) == ("READY", 1)
            assert ready["d"]["guilds"] == [{"id": str(world.guild.id), "unavailable": True}]
            assert ready["d"]["resume_gateway_url"] == sandbox.gateway_url
            guild = await receive(ws)
            assert (guild["t"], guild["s"]) == ("GUILD_CREATE", 2)
            assert {m["user"]["username"] for m in guild["d"]["members"]} == {
                "cocreate",
                "alice",
                "bob",
            }
        async with http.ws_connect(f"{sandbox.gateway_url}?v=10&encoding=json") as ws:
            assert (await ws.receive_json(timeout=5))["op"] == 10
            await ws.send_json(
                {"op": 6, "d": {"token": sandbox.token, "session_id": "x", "seq": 1}}
            )
            assert (await ws.receive_json(timeout=5)) == {"op": 9, "d": False, "s": None, "t": None}
        async with http.ws_connect(f"{sandbox.gateway_url}?v=10&encoding=json") as ws:
            assert (await ws.receive_json(timeout=5))["op"] == 10
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1}})
            closing = await ws.receive(timeout=5)
            assert closing.type is aiohttp.WSMsgType.CLOSE
            assert closing.data == 4004


async def test_wait_for_call_is_event_driven(sandbox: DiscordSandbox) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        async with aiohttp.ClientSession() as http:
            await http.get(f"{sandbox.api_base_url}/nope")

    task = asyncio.create_task(later())
    call = await sandbox.wait_for_call(lambda c: c.path == "/nope", timeout=2)
    await task
    assert (call.status, call.known) == (404, False)
    with pytest.raises(TimeoutError):
        await sandbox.wait_for_call(lambda c: c.path == "/nope", timeout=0.1, since=1)


async def test_direct_messages_both_ways(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    client = await start_client()
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    alice = await guild.fetch_member(world.alice.id)
    sent = await alice.send("Welkom!")
    dm = sandbox.dm_channel(world.alice.id)
    assert sent.channel.id == dm.id
    assert [m["content"] for m in sandbox.messages(dm.id)] == ["Welkom!"]
    incoming = expect(client, "message", lambda m: m.guild is None and not m.author.bot)
    await sandbox.user_message(dm.id, world.alice.id, "Dank je")
    reply: discord.Message = await incoming
    assert isinstance(reply.channel, discord.DMChannel)
    assert reply.content == "Dank je"


async def test_portal_intent_toggles(sandbox: DiscordSandbox, world: World) -> None:
    """Asking for a privileged intent the "portal" has not enabled -> 4014."""
    sandbox.config.privileged_intents_enabled = 0
    client = discord.Client(intents=default_intents(), guild_ready_timeout=0.1)
    try:
        await client.login(sandbox.token)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.connect(), 5)
    finally:
        await client.close()


async def test_autocomplete_select_and_user_reaction(
    sandbox: DiscordSandbox, world: World, start_client: StartClient
) -> None:
    picked: asyncio.Queue[list[str]] = asyncio.Queue()

    class PickView(discord.ui.View):
        def __init__(self) -> None:
            super().__init__(timeout=None)

        @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label=x) for x in "ab"])
        async def pick(
            self, interaction: discord.Interaction, select: discord.ui.Select[Any]
        ) -> None:
            await picked.put(select.values)
            await interaction.response.defer()

    class Bot(discord.Client):
        def __init__(self) -> None:
            super().__init__(intents=default_intents(), guild_ready_timeout=0.1)
            self.tree = app_commands.CommandTree(self)

            async def suggest(
                interaction: discord.Interaction, current: str
            ) -> list[app_commands.Choice[str]]:
                words = ["lezen", "leren", "luisteren"]
                return [
                    app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)
                ]

            @self.tree.command(name="topic", description="Onderwerp")
            @app_commands.autocomplete(word=suggest)
            async def topic(interaction: discord.Interaction, word: str) -> None:
                await interaction.response.send_message(word)

        async def setup_hook(self) -> None:
            await self.tree.sync()
            self.add_view(PickView())

    client = await start_client(Bot())
    ih = await sandbox.autocomplete(
        world.guild.id,
        world.channel.id,
        world.alice.id,
        "topic",
        focused="word",
        options={"word": "le"},
    )
    answer = await ih.response()
    assert answer.json["type"] == 8
    assert [c["value"] for c in answer.json["data"]["choices"]] == ["lezen", "leren"]

    channel = client.get_channel(world.channel.id)
    assert isinstance(channel, discord.TextChannel)
    posted = await channel.send("Kies", view=PickView())
    ih = await sandbox.select_option(
        world.guild.id, world.channel.id, world.bob.id, posted.id, "pick", ["b"]
    )
    assert await asyncio.wait_for(picked.get(), 5) == ["b"]
    assert (await ih.response()).json["type"] == 6

    reacted = expect(client, "raw_reaction_add")
    await sandbox.user_reaction(world.channel.id, posted.id, world.alice.id, "🎉")
    event: discord.RawReactionActionEvent = await reacted
    assert (event.user_id, str(event.emoji)) == (world.alice.id, "🎉")
    assert event.member is not None
    assert sandbox.messages(world.channel.id)[-1]["reactions"][0]["count"] == 1
