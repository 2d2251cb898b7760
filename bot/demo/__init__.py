"""``cocreate demo``: a whole session through the real bot and the local Discord sandbox.

No token and no network: the sandbox (``bot.sandbox``) plays Discord on loopback, the
unmodified discord.py client connects to it, and a handful of scripted participants write
believable notes about a library challenge. The clock is jumped at each deadline, so the
four steps (with their themes and two dot votes) take seconds. The thread is printed as it
happens; the board's exports and pictures land in a folder named at the end. Nothing is
left running: the bot and the sandbox stop before ``run_demo`` returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.clock import ShiftedClock
from bot.demo.script import SCRIPTS, DemoScript
from bot.demo.terminal import ThreadPrinter
from bot.i18n import catalog
from bot.permissions import BOT_PERMISSIONS

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
# Pause between two scripted messages, so the thread reads like people typing.
TYPING_PAUSE = 0.12


class DemoError(RuntimeError):
    """The demo could not finish (the bot did not answer in time)."""


@dataclass
class _Printed:
    """How far the printer has read the sandbox's call log."""

    seen: int = 0
    pictures: list[tuple[str, bytes]] = field(default_factory=list)


class _Demo:
    """One run: the sandbox's world, the bot connected to it, and the script acted out."""

    def __init__(
        self,
        script: DemoScript,
        language: str,
        folder: Path,
        out: TextIO | None,
        colour: bool | None,
    ) -> None:
        from bot.sandbox import DiscordSandbox

        self.script = script
        self.language = language
        self.folder = folder
        self.sentences = catalog()
        self.sb = DiscordSandbox()
        self.clock = ShiftedClock()
        self.printer = ThreadPrinter(out, colour=colour, relative=self._relative)
        self.printed = _Printed()
        self.thread = 0

    def demo_text(self, key: str, **values: object) -> str:
        return self.sentences.t(self.language, f"demo.{key}", **values)

    def _relative(self, moment: datetime) -> str:
        minutes = round((moment - self.clock.now()).total_seconds() / 60)
        return (
            self.demo_text("soon", minutes=minutes)
            if minutes >= 0
            else self.demo_text("ago", minutes=-minutes)
        )

    def _bot_post_with(self, prefix: str) -> dict[str, Any] | None:
        """The bot's latest post in the thread with a component whose id starts so."""
        for message in reversed(self.sb.messages(self.thread)):
            for row in message.get("components") or []:
                for component in row.get("components") or []:
                    if str(component.get("custom_id", "")).startswith(prefix):
                        return {"message": message, "custom_id": component["custom_id"]}
        return None

    # -- the world ---------------------------------------------------------------------

    def build_world(self) -> None:
        sb, script = self.sb, self.script
        guild = sb.add_guild(script.guild, locale=self.language)
        self.guild = guild.id
        # Exactly what the invite link asks for (bot/permissions.py).
        sb.set_role_permissions(
            guild.id, sb.world.guild(guild.id).bot_role_id, BOT_PERMISSIONS.value
        )
        role = sb.add_role(guild.id, "Facilitator").id
        self.channel = sb.add_text_channel(guild.id, script.channel).id
        self.facilitator = sb.add_member(
            guild.id, script.facilitator.lower(), global_name=script.facilitator, roles=[role]
        ).id
        self.people = [
            sb.add_member(guild.id, name.lower(), global_name=name).id for name in script.people
        ]
        self.printer.names.update({self.facilitator: script.facilitator})
        self.printer.names.update(dict(zip(self.people, script.people, strict=True)))
        self.printer.channels[self.channel] = script.channel

    async def start_bot(self) -> None:
        from bot.app import CocreateBot
        from bot.settings import (
            DiscordSettings,
            LocaleSettings,
            Settings,
            StorageSettings,
            ThemesSettings,
        )
        from bot.ui.acks import AckPace

        settings = Settings(
            storage=StorageSettings(path=self.folder / "cocreate-demo.sqlite3"),
            locale=LocaleSettings(default="nl" if self.language == "nl" else "en"),
            themes=ThemesSettings(embedder="auto"),
            discord=DiscordSettings(
                api_base_url=self.sb.api_base_url, gateway_url=self.sb.gateway_url
            ),
        )
        self.bot = CocreateBot(
            settings,
            clock=self.clock,
            sync_commands=True,
            guild_ready_timeout=0.05,
            ack_pace=AckPace(reactions_per_second=50, burst=50, flush_delay=0.2),
        )
        await self.bot.login(self.sb.token)
        self._connection = asyncio.create_task(self.bot.connect(reconnect=False))
        await asyncio.wait_for(self.bot.caught_up.wait(), 20)

    async def stop(self) -> None:
        bot = getattr(self, "bot", None)
        if bot is not None:
            await asyncio.wait_for(bot.close(), 10)
        connection = getattr(self, "_connection", None)
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection, 10)
        await self.sb.stop()
        from bot.endpoints import reset_discord_endpoints

        reset_discord_endpoints()

    # -- printing what the bot posts -------------------------------------------------------

    def print_new_posts(self) -> None:
        calls = self.sb.calls
        for call in calls[self.printed.seen :]:
            if call.method != "POST" or call.route != MESSAGES_ROUTE or not call.json:
                continue
            content = str(call.json.get("content") or "")
            for name, data in call.files:
                self.printed.pictures.append((name, data))
            note = ""
            if call.files:
                note = "📎 " + ", ".join(name for name, _ in call.files)
            self.printer.message("cocreate", content, role="bot", note=note)
        self.printed.seen = len(calls)

    async def settle(self, until: Callable[[], bool] | None = None, timeout: float = 20) -> None:
        """Wait until the bot has been quiet a moment (and ``until`` holds), printing."""
        deadline = time.monotonic() + timeout
        quiet_since = time.monotonic()
        count = len(self.sb.calls)
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            self.print_new_posts()
            if len(self.sb.calls) != count:
                count = len(self.sb.calls)
                quiet_since = time.monotonic()
            if time.monotonic() - quiet_since > 0.3 and (until is None or until()):
                return
        raise DemoError("the bot did not finish in time")

    def _more_calls_than(self, count: int) -> Callable[[], bool]:
        return lambda: len(self.sb.calls) > count

    # -- acting ------------------------------------------------------------------------------

    async def command(self, user: int, name: str, sub: str | None, **options: Any) -> str:
        handle = await self.sb.slash_command(
            self.guild,
            options.pop("channel", self.channel),
            user,
            name,
            subcommand=sub,
            options=options,
            locale=self.language if self.language == "nl" else "en-US",
        )
        callback = await handle.response(timeout=20)
        payload = callback.json or {}
        if payload.get("type") == 4:
            return str(payload["data"].get("content", ""))
        hook = f"/webhooks/{self.sb.application_id}/{handle.token}"
        followup = await self.sb.wait_for_call(
            lambda c: c.method in ("POST", "PATCH") and c.path.startswith(hook), timeout=20
        )
        return str((followup.json or {}).get("content", ""))

    async def write(self, lines: tuple[tuple[int, str], ...]) -> None:
        for person, text in lines:
            self.printer.message(self.script.people[person], text)
            await self.sb.user_message(self.thread, self.people[person], text)
            await asyncio.sleep(TYPING_PAUSE)
            self.print_new_posts()

    async def jump_to_deadline(self) -> None:
        """Move the clock to the step's deadline, as if the time had passed."""
        session = (await self.bot.store.active_sessions())[0]
        assert session.due_at is not None
        left = session.due_at - self.clock.now() + timedelta(seconds=1)
        self.printer.aside(self.demo_text("later", minutes=round(left.total_seconds() / 60)))
        self.clock.jump(left)
        self.bot.timers.clock_moved()

    async def vote(
        self, choices: tuple[tuple[int, tuple[int, ...]], ...], texts: list[str]
    ) -> None:
        """Each person opens the ballot and picks their notes, as they would by clicking."""
        found = self._bot_post_with("cocreate:vote:")
        if found is None:
            return
        post, button = found["message"], found["custom_id"]
        for person, picks in choices:
            opened = await self.sb.button_click(
                self.guild, self.thread, self.people[person], int(post["id"]), button
            )
            ballot = await opened.response(timeout=20)
            data = (ballot.json or {}).get("data", {})
            if not data.get("components"):
                continue
            menu = data["components"][0]["components"][0]
            wanted = [texts[i][:30] for i in picks]
            values = [
                o["value"]
                for o in menu.get("options", [])
                if any(w in str(o.get("label", "")) for w in wanted)
            ]
            if not values or opened.original_message_id is None:
                continue
            picked = await self.sb.select_option(
                self.guild,
                self.thread,
                self.people[person],
                opened.original_message_id,
                menu["custom_id"],
                values[: menu.get("max_values", len(values))],
            )
            await picked.response(timeout=20)
            self.printer.aside(self.demo_text("voted", name=self.script.people[person]))

    async def take_top_idea(self, person: int) -> None:
        found = self._bot_post_with("cocreate:take:")
        if found is None:
            return
        post, button = found["message"], found["custom_id"]
        clicked = await self.sb.button_click(
            self.guild, self.thread, self.people[person], int(post["id"]), button
        )
        answer = await clicked.response(timeout=20)
        content = ((answer.json or {}).get("data") or {}).get("content", "")
        if content:
            name = self.script.people[person]
            self.printer.aside(f"{self.demo_text('private', name=name)} {content}")

    # -- the session -------------------------------------------------------------------------

    async def run(self) -> None:
        script = self.script
        self.printer.aside(self.demo_text("intro"))
        self.printer.heading(script.guild + " · #" + script.channel)
        mark = len(self.sb.calls)
        answer = await self.command(self.facilitator, "session", "start", topic=script.topic)
        threads = [t for t in self.sb.threads if str(t["parent_id"]) == str(self.channel)]
        self.thread = int(threads[-1]["id"])
        self.printer.channels[self.thread] = str(threads[-1]["name"])
        self.printer.message(
            script.facilitator, self.demo_text("start", topic=script.topic), role="facilitator"
        )
        self.printer.aside(f"{self.demo_text('private', name=script.facilitator)} {answer}")
        await self.settle(lambda: len(self.sb.calls) > mark + 4)

        await self.write(script.empathise)
        first = next(
            m for m in self.sb.messages(self.thread) if m.get("content") == script.empathise[0][1]
        )
        person, text = script.comment
        self.printer.message(script.people[person], text, note=self.demo_text("reply"))
        await self.sb.user_message(
            self.thread, self.people[person], text, reply_to=int(first["id"])
        )
        await self.settle()

        for lines, votes in (
            (script.define, script.question_votes),
            (script.ideate, script.idea_votes),
        ):
            mark = len(self.sb.calls)
            await self.jump_to_deadline()  # the step ends: summary, next prompt (and themes)
            await self.settle(self._more_calls_than(mark + 2))
            await self.write(lines)
            await self.settle()
            await self.jump_to_deadline()  # writing is over: the dot vote opens
            await self.settle()
            await self.vote(votes, [text for _, text in lines])
            await self.settle()
        mark = len(self.sb.calls)
        await self.jump_to_deadline()  # results, then the prototype step
        await self.settle(self._more_calls_than(mark + 2))
        await self.write(script.prototype)
        await self.settle()

        mark = len(self.sb.calls)
        answer = await self.command(self.facilitator, "session", "end", channel=self.thread)
        self.printer.message(script.facilitator, self.demo_text("end"), role="facilitator")
        await self.settle(lambda: any(c.files for c in self.sb.calls[mark:]))
        self.printer.aside(f"{self.demo_text('private', name=script.facilitator)} {answer}")
        await self.take_top_idea(len(script.people) - 1)
        await self.settle()

    # -- the archive -------------------------------------------------------------------------

    async def write_outputs(self) -> list[Path]:
        from bot.export import ExportFormat, ExportOptions, build_board, file_name, render_board
        from bot.storage.export_reader import open_reader

        written: list[Path] = []
        sentences = catalog()
        async with open_reader(self.folder / "cocreate-demo.sqlite3") as reader:
            session = (await reader.sessions())[0]
            record = await reader.session(session.id)
            assert record is not None
            board = await build_board(
                reader, record, sentences, ExportOptions(locale=self.language)
            )
        for export_format in ExportFormat:
            path = self.folder / file_name(board, export_format, sentences)
            data = render_board(board, export_format, sentences)
            await asyncio.to_thread(path.write_bytes, data)
            written.append(path)
        for name, data in self.printed.pictures:
            path = self.folder / name
            await asyncio.to_thread(path.write_bytes, data)
            written.append(path)
        return written


def default_folder(now: datetime | None = None) -> Path:
    """``cocreate-demo-YYYYmmdd-HHMMSS`` in the current directory."""
    moment = (now or datetime.now(UTC)).astimezone()
    return Path.cwd() / f"cocreate-demo-{moment:%Y%m%d-%H%M%S}"


async def run_demo(
    language: str = "nl",
    folder: Path | None = None,
    out: TextIO | None = None,
    colour: bool | None = None,
) -> tuple[Path, list[Path]]:
    """Run the demo session; return the output folder and the files written there."""
    script = SCRIPTS[language]
    target = folder or default_folder()
    await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
    started = time.monotonic()
    demo = _Demo(script, language, target, out, colour)
    # The bot's own log lines would interleave with the thread; warnings still show.
    logging.getLogger("bot").setLevel(logging.WARNING)
    logging.getLogger("discord").setLevel(logging.ERROR)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    await demo.sb.start()
    try:
        demo.build_world()
        await demo.start_bot()
        await demo.run()
    finally:
        await demo.stop()
    files = await demo.write_outputs()
    demo.printer.heading(
        demo.demo_text("done", seconds=round(time.monotonic() - started), folder=target)
    )
    for path in files:
        demo.printer.aside(path.name)
    return target, files
