"""`cocreate invite-url`, `sync-commands` and `health` as an admin meets them."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.cli import application_id_from_token, main
from bot.heartbeat import STALE_AFTER_SECONDS, beat, heartbeat_path
from bot.permissions import BOT_PERMISSIONS
from bot.sandbox import DiscordSandbox
from tests.e2e.test_cli import cocreate_against

COMMANDS_ROUTE = "/applications/{application_id}/commands"
GUILD_COMMANDS_ROUTE = "/applications/{application_id}/guilds/{guild_id}/commands"


def clean_environment() -> dict[str, str]:
    """The test process's environment without anything cocreate reads."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("COCREATE_") and key != "DISCORD_TOKEN"
    }


@pytest.fixture
def admin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An English-speaking admin in an empty folder, with no token set."""
    for key in os.environ:
        if key.startswith("COCREATE_"):
            monkeypatch.delenv(key)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, strict_parsing=True)


# -- the application id in a token ---------------------------------------------------------


def test_the_application_id_is_read_from_a_token() -> None:
    sandbox = DiscordSandbox()  # not started: its token is shaped like Discord's
    assert application_id_from_token(sandbox.token) == sandbox.application_id
    assert application_id_from_token("Bot " + sandbox.token) == sandbox.application_id


@pytest.mark.parametrize("user_id", [1, 12, 123, 1234, 123456789012345678, 1234567890123456789])
def test_every_padding_length_is_read(user_id: int) -> None:
    first = base64.b64encode(str(user_id).encode()).decode().rstrip("=")
    assert application_id_from_token(f"{first}.GsXk2A.{'h' * 27}") == user_id


@pytest.mark.parametrize(
    "token", ["", "not-a-token", "aGVsbG8.GsXk2A.hmac", "%%%.x.y", "MA.x.y", "LTE.x.y"]
)
def test_a_token_without_an_id_gives_none(token: str) -> None:
    # "aGVsbG8" is "hello"; "MA" is "0"; "LTE" is "-1".
    assert application_id_from_token(token) is None


# -- invite-url ----------------------------------------------------------------------------


def test_invite_url_with_an_application_id(admin: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite-url", "--application-id", "123"]) == 0
    out = capsys.readouterr().out.splitlines()
    query = query_of(out[0])
    assert query["client_id"] == ["123"]
    assert query["scope"] == ["bot applications.commands"]
    assert query["permissions"] == [str(BOT_PERMISSIONS.value)]
    said = "\n".join(out[1:])
    assert "Message Content Intent" in said
    assert "Privileged Gateway Intents" in said
    assert "https://discord.com/developers/applications/123/bot" in said


def test_invite_url_for_private_writing_adds_manage_messages(
    admin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["invite-url", "--application-id", "123", "--private-writing"]) == 0
    query = query_of(capsys.readouterr().out.splitlines()[0])
    assert query["permissions"] == [str(BOT_PERMISSIONS.value | (1 << 13))]


def test_invite_url_takes_the_id_from_the_config(
    admin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = admin / "config.toml"
    config.write_text("[discord]\napplication_id = 456\n", encoding="utf-8")
    assert main(["invite-url", "--config", str(config)]) == 0
    assert query_of(capsys.readouterr().out.splitlines()[0])["client_id"] == ["456"]
    # The flag wins over the file.
    assert main(["invite-url", "--config", str(config), "--application-id", "789"]) == 0
    assert query_of(capsys.readouterr().out.splitlines()[0])["client_id"] == ["789"]


def test_invite_url_reads_the_id_from_the_token_in_a_dotenv(
    admin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = DiscordSandbox()
    (admin / ".env").write_text(f"DISCORD_TOKEN={sandbox.token}\n", encoding="utf-8")
    assert main(["invite-url"]) == 0
    out = capsys.readouterr().out
    assert query_of(out.splitlines()[0])["client_id"] == [str(sandbox.application_id)]
    assert sandbox.token not in out


@pytest.mark.parametrize(
    ("token", "expected"),
    [(None, "No application id"), ("not-a-token", "does not reveal the application id")],
)
def test_invite_url_without_an_id_says_where_to_find_it(
    admin: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str | None,
    expected: str,
) -> None:
    if token is not None:
        monkeypatch.setenv("DISCORD_TOKEN", token)
    assert main(["invite-url"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert expected in err
    assert "--application-id" in err
    assert len(err.splitlines()) == 1


def test_invite_url_speaks_dutch_by_default(
    admin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("COCREATE_LOCALE__DEFAULT")
    assert main(["invite-url"]) == 2
    assert "Geen applicatie-id" in capsys.readouterr().err
    assert main(["invite-url", "--application-id", "123"]) == 0
    assert "Zet daarna" in capsys.readouterr().out


def test_invite_url_refuses_an_id_that_is_not_a_number(admin: Path) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["invite-url", "--application-id", "abc"])
    assert stopped.value.code == 2


def test_invite_url_as_a_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "invite-url", "--application-id", "123"],
        env={**clean_environment(), "COCREATE_LOCALE__DEFAULT": "en"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    url = done.stdout.splitlines()[0]
    assert url == (
        "https://discord.com/oauth2/authorize?client_id=123"
        f"&scope=bot+applications.commands&permissions={BOT_PERMISSIONS.value}"
    )
    assert "Message Content Intent" in done.stdout
    assert done.stderr == ""


# -- sync-commands ---------------------------------------------------------------------------


async def sync_cli(
    tmp_path: Path, sb: DiscordSandbox, *arguments: str, token: str | None = None
) -> tuple[int, str, str]:
    return await cocreate_against(
        sb,
        tmp_path,
        "sync-commands",
        *arguments,
        token=token,
        environ=clean_environment(),
        config_text="",
    )


async def test_sync_commands_to_one_guild(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        guild = sb.add_guild("Bibliotheek Noord", locale="nl")
        code, out, err = await sync_cli(tmp_path, sb, "--guild", str(guild.id))
        commands = sb.commands(guild.id)
        calls = [(c.method, c.route) for c in sb.calls]
        identified = sb.hub.identify_count
    assert code == 0, err
    assert err == ""
    names = {c["name"] for c in commands}
    assert {"session", "note", "board"} <= names
    # Translated before syncing: Dutch names and descriptions come along.
    session = next(c for c in commands if c["name"] == "session")
    assert session.get("name_localizations", {}).get("nl")
    assert out.strip() == (
        f"Synced slash commands to server {guild.id}: {len(commands)}. "
        "They can be used there right away."
    )
    # Logged in over REST, synced, left: no gateway, no catch-up, no global sync.
    assert identified == 0
    assert calls == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", GUILD_COMMANDS_ROUTE),
    ]
    # The real database is not touched (not even created).
    assert not await asyncio.to_thread(lambda: list(tmp_path.glob("cli.sqlite3*")))


async def test_sync_commands_globally_and_to_the_configured_guild(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        guild = sb.add_guild("Bibliotheek Noord", locale="nl")
        code, out, err = await sync_cli(tmp_path, sb)
        global_commands = sb.commands()
        assert code == 0, err
        assert global_commands
        assert "for every server" in out
        assert not sb.commands(guild.id)

        (tmp_path / "config.toml").write_text(
            f"[discord]\nsync_guild_id = {guild.id}\n", encoding="utf-8"
        )
        code, out, err = await sync_cli(tmp_path, sb)
        assert code == 0, err
        assert f"server {guild.id}" in out
        assert len(sb.commands(guild.id)) == len(global_commands)


async def test_sync_commands_to_a_server_without_the_bot(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        sb.fail_next("PUT", GUILD_COMMANDS_ROUTE, 403)
        code, out, err = await sync_cli(tmp_path, sb, "--guild", "42")
    assert code == 3
    assert out == ""
    assert "server 42 (403)" in err
    assert "invite-url" in err
    assert len(err.strip().splitlines()) == 1


async def test_sync_commands_when_discord_fails(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        sb.fail_next("PUT", COMMANDS_ROUTE, 400)
        code, _, err = await sync_cli(tmp_path, sb)
    assert code == 3
    assert err.strip().startswith("Discord refused the request: ")
    assert "400" in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


async def test_sync_commands_with_a_refused_token(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        wrong = sb.token[:-4] + "abcd"
        code, _, err = await sync_cli(tmp_path, sb, token=wrong)
        synced = sb.commands()
    assert code == 3
    assert "401" in err
    assert wrong not in err
    assert "Traceback" not in err
    assert not synced


async def test_sync_commands_when_discord_is_unreachable(tmp_path: Path) -> None:
    sb = DiscordSandbox()
    await sb.start()
    await sb.stop()  # a port nobody listens on any more
    code, _, err = await sync_cli(tmp_path, sb)
    assert code == 3
    assert "Could not reach Discord" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("token", "expected"),
    [("", "No bot token"), ("not-a-token", "does not look like a Discord bot token")],
)
def test_sync_commands_without_a_token(
    admin: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
    expected: str,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", token)
    config = admin / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["sync-commands", "--config", str(config), "--guild", "42"]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err
    assert len(err.splitlines()) == 1


def test_sync_commands_with_a_broken_config(
    admin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = admin / "config.toml"
    config.write_text("[discord]\nsync_guild_id = 'many'\n", encoding="utf-8")
    assert main(["sync-commands", "--config", str(config)]) == 2
    assert "discord.sync_guild_id" in capsys.readouterr().err


# -- health ----------------------------------------------------------------------------------


@pytest.fixture
def heartbeat(admin: Path) -> Path:
    config = admin / "config.toml"
    config.write_text('[storage]\npath = "data/cocreate.sqlite3"\n', encoding="utf-8")
    return heartbeat_path(admin / "data" / "cocreate.sqlite3")


def test_health_fresh(heartbeat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    beat(heartbeat)
    assert main(["health"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith("Healthy")


def test_health_stale(heartbeat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    heartbeat.parent.mkdir(parents=True)
    heartbeat.write_text(f"{time.time() - STALE_AFTER_SECONDS - 180:.0f}\n", encoding="utf-8")
    assert main(["health", "--config", "config.toml"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Unhealthy: the bot last showed signs of life 5 minutes ago")
    assert len(err.splitlines()) == 1


def test_health_missing(heartbeat: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["health"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("Unhealthy: ")
    assert "was never written" in err
    assert str(Path("data") / "cocreate.sqlite3.heartbeat") in err
    assert len(err.splitlines()) == 1


def test_health_with_a_broken_config_is_unhealthy_not_2(
    heartbeat: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Docker reads exit code 2 as "reserved": every failure of the check is 1.
    Path("config.toml").write_text("[storage\n", encoding="utf-8")
    assert main(["health"]) == 1
    assert "not valid TOML" in capsys.readouterr().err


def test_health_as_a_command(tmp_path: Path) -> None:
    database = tmp_path / "cocreate.sqlite3"
    env = {
        **clean_environment(),
        "COCREATE_STORAGE__PATH": str(database),
        "COCREATE_LOCALE__DEFAULT": "en",
    }

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "health"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert check().returncode == 1
    beat(heartbeat_path(database))
    assert check().returncode == 0
