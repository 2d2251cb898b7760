"""`cocreate run` / `check-config` as an admin meets them: one sentence, non-zero exit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox import DiscordSandbox


async def run_cli(tmp_path: Path, sb: DiscordSandbox, token: str) -> tuple[int, str]:
    env = {
        **os.environ,
        "DISCORD_TOKEN": token,
        "COCREATE_DISCORD__API_BASE_URL": sb.api_base_url,
        "COCREATE_DISCORD__GATEWAY_URL": sb.gateway_url,
        "COCREATE_STORAGE__PATH": str(tmp_path / "cli.sqlite3"),
        "COCREATE_LOCALE__DEFAULT": "en",
    }
    config = tmp_path / "config.toml"
    config.write_text('[logging]\nlevel = "WARNING"\n', encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--config",
        str(config),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_missing_message_content_intent_is_explained(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        sb.require_message_content_intent = True
        code, stderr = await run_cli(tmp_path, sb, sb.token)
    assert code == 3
    assert "Message Content Intent" in stderr
    assert "Traceback" not in stderr


async def test_a_refused_token_is_explained_and_never_printed(tmp_path: Path) -> None:
    async with DiscordSandbox() as sb:
        wrong = sb.token[:-4] + "abcd"
        code, stderr = await run_cli(tmp_path, sb, wrong)
    assert code == 3
    assert "401" in stderr
    assert wrong not in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize(
    ("token", "expected"),
    [("", "No bot token"), ("not-a-token", "does not look like a Discord bot token")],
)
def test_missing_or_malformed_token(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    token: str,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", token)
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err
    assert len(err.splitlines()) == 1


def test_bad_config_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text('[locale]\ntimezone = "Europe/Amsterdm"\n', encoding="utf-8")
    assert main(["check-config", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "locale.timezone" in err
    assert "Europe/Amsterdm" in err


def test_example_config_checks_out(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    assert main(["check-config", "--config", str(example)]) == 0
    assert "config.example.toml" in capsys.readouterr().out
