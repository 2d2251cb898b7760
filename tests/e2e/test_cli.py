"""`cocreate run` / `check-config` as an admin meets them: one sentence, non-zero exit."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.sandbox import DiscordSandbox


async def cocreate_against(
    sb: DiscordSandbox,
    tmp_path: Path,
    *arguments: str,
    token: str | None = None,
    environ: dict[str, str] | None = None,
    config_text: str = '[logging]\nlevel = "WARNING"\n',
) -> tuple[int, str, str]:
    """``python -m bot <arguments> --config …`` against the sandbox, as a process:
    (exit code, stdout, stderr). A config file is written unless one is there already."""
    env = {
        **(os.environ if environ is None else environ),
        "DISCORD_TOKEN": sb.token if token is None else token,
        "COCREATE_DISCORD__API_BASE_URL": sb.api_base_url,
        "COCREATE_DISCORD__GATEWAY_URL": sb.gateway_url,
        "COCREATE_STORAGE__PATH": str(tmp_path / "cli.sqlite3"),
        "COCREATE_LOCALE__DEFAULT": "en",
    }
    config = tmp_path / "config.toml"
    if not config.exists():
        config.write_text(config_text, encoding="utf-8")
    command, *rest = arguments
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        "--config",
        str(config),
        *rest,
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


async def run_cli(tmp_path: Path, sb: DiscordSandbox, token: str) -> tuple[int, str]:
    code, _, stderr = await cocreate_against(sb, tmp_path, "run", token=token)
    return code, stderr


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
