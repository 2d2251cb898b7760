"""Settings: defaults, the example file, environment overrides, clear errors, the token."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.settings import ConfigError, Settings, TokenError, load_settings, read_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
GOOD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz_-0123"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No COCREATE_* or token from the machine running the tests."""
    import os

    for name in list(os.environ):
        if name.startswith("COCREATE_") or name == "DISCORD_TOKEN":
            monkeypatch.delenv(name)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_defaults_without_a_file() -> None:
    settings = load_settings(None)
    assert settings.storage.path == Path("cocreate.sqlite3")
    assert settings.locale.default == "nl"
    assert settings.locale.timezone == "Europe/Amsterdam"
    assert settings.facilitation.template == "classic"
    assert settings.facilitation.facilitator_role == "Facilitator"
    assert settings.facilitation.reminder_lead == timedelta(minutes=2)
    assert settings.facilitation.retention_days == 180
    assert settings.discord.sync_commands is False
    assert settings.discord.api_base_url is None
    assert settings.logging.level == "INFO"


def test_the_example_file_loads_and_matches_the_defaults() -> None:
    assert EXAMPLE.is_file()
    assert load_settings(EXAMPLE) == load_settings(None)


def test_a_full_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[storage]
path = "/var/lib/cocreate/db.sqlite3"
[locale]
default = "en"
timezone = "America/New_York"
[facilitation]
facilitator_role = "123456789"
template = "classic"
reminder_before = "90s"
retention_days = 30
[discord]
sync_commands = true
sync_guild_id = 42
api_base_url = "http://127.0.0.1:8080/api/v10"
gateway_url = "ws://127.0.0.1:8080/gateway"
[logging]
level = "DEBUG"
""",
    )
    settings = load_settings(path)
    assert settings.storage.path == Path("/var/lib/cocreate/db.sqlite3")
    assert settings.locale.default == "en"
    assert settings.locale.timezone == "America/New_York"
    assert settings.facilitation.reminder_lead == timedelta(seconds=90)
    assert settings.facilitation.retention_days == 30
    assert settings.discord.sync_guild_id == 42
    assert settings.discord.api_base_url == "http://127.0.0.1:8080/api/v10"
    assert settings.logging.level == "DEBUG"


@pytest.mark.parametrize("off", ["0", "off", "uit", " 0 "])
def test_reminders_can_be_switched_off(tmp_path: Path, off: str) -> None:
    path = write(tmp_path, f'[facilitation]\nreminder_before = "{off}"\n')
    assert load_settings(path).facilitation.reminder_lead == timedelta(0)


def test_the_environment_wins_over_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wanted = tmp_path / "from-env.sqlite3"
    monkeypatch.setenv("COCREATE_STORAGE__PATH", str(wanted))
    monkeypatch.setenv("COCREATE_LOCALE__DEFAULT", "en")
    settings = load_settings(EXAMPLE)
    assert settings.storage.path == wanted
    assert settings.locale.default == "en"
    # The rest of the file still counts.
    assert settings.locale.timezone == "Europe/Amsterdam"
    assert settings.facilitation.template == "classic"


def test_the_environment_works_without_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCREATE_FACILITATION__RETENTION_DAYS", "7")
    assert load_settings(None).facilitation.retention_days == 7


def test_a_bad_environment_value_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCREATE_LOCALE__TIMEZONE", "Mars/Olympus")
    with pytest.raises(ConfigError, match=r"locale\.timezone"):
        load_settings(None)


@pytest.mark.parametrize(
    ("body", "setting"),
    [
        ("[storage]\nfile = 'x'\n", "storage.file"),
        ("[nonsense]\nx = 1\n", "nonsense"),
        ("colour = 'blue'\n", "colour"),
        ("[locale]\ntimezone = 'Mars/Olympus'\n", "locale.timezone"),
        ("[locale]\ntimezone = 'Europe'\n", "locale.timezone"),  # a folder of zones
        ("[locale]\ntimezone = ''\n", "locale.timezone"),
        ("[locale]\ndefault = 'fr'\n", "locale.default"),
        ("[facilitation]\nreminder_before = 'soon'\n", "facilitation.reminder_before"),
        ("[facilitation]\nreminder_before = '-2m'\n", "facilitation.reminder_before"),
        ("[facilitation]\nretention_days = -1\n", "facilitation.retention_days"),
        ("[discord]\napi_base_url = 'ftp://x'\n", "discord.api_base_url"),
        ("[discord]\ngateway_url = 'http://x'\n", "discord.gateway_url"),
        ("[logging]\nlevel = 'LOUD'\n", "logging.level"),
    ],
)
def test_mistakes_name_the_setting(tmp_path: Path, body: str, setting: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert setting in message
    assert str(path) in message
    assert "Traceback" not in message


def test_an_unknown_key_says_it_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"storage\.file: is not a known setting"):
        load_settings(write(tmp_path, "[storage]\nfile = 'x'\n"))


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot find"):
        load_settings(tmp_path / "nope.toml")


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "[storage\npath = 1\n"))


def test_settings_can_be_built_directly() -> None:
    assert Settings().storage.path == Path("cocreate.sqlite3")


# -- the token ------------------------------------------------------------------------------


@pytest.mark.parametrize("environ", [{}, {"DISCORD_TOKEN": ""}, {"DISCORD_TOKEN": "   "}])
def test_a_missing_token(environ: dict[str, str]) -> None:
    with pytest.raises(TokenError) as caught:
        read_token(environ)
    assert caught.value.missing


@pytest.mark.parametrize(
    "token",
    ["hunter2", "a.b.c", GOOD_TOKEN.replace(".", ""), GOOD_TOKEN + ".extra", "Bot ", "x y.z w.q"],
)
def test_a_malformed_token(token: str) -> None:
    with pytest.raises(TokenError) as caught:
        read_token({"DISCORD_TOKEN": token})
    assert not caught.value.missing


@pytest.mark.parametrize("written", [GOOD_TOKEN, f"  {GOOD_TOKEN}\n", f"Bot {GOOD_TOKEN}"])
def test_a_good_token(written: str) -> None:
    assert read_token({"DISCORD_TOKEN": written}) == GOOD_TOKEN


def test_the_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    assert read_token() == GOOD_TOKEN


def test_the_token_error_does_not_repeat_the_token() -> None:
    with pytest.raises(TokenError) as caught:
        read_token({"DISCORD_TOKEN": "secret-but-wrong"})
    assert "secret-but-wrong" not in str(caught.value)


def test_lists_and_switches_come_from_the_environment_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COCREATE_FACILITATION__ASYNC_REMINDERS", '["12h", "1h"]')
    monkeypatch.setenv("COCREATE_RECAPS__DIGEST", "true")
    monkeypatch.setenv("COCREATE_RECAPS__TIME", "18:30")
    settings = load_settings(EXAMPLE)
    assert settings.facilitation.async_reminder_leads == (timedelta(hours=12), timedelta(hours=1))
    assert settings.recaps.digest is True
    assert settings.recaps.at == time(18, 30)
    # The rest of the section still comes from the file.
    assert settings.facilitation.template == "classic"


def test_a_bad_recap_time_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCREATE_RECAPS__TIME", "vijf uur")
    with pytest.raises(ConfigError, match=r"recaps\.time"):
        load_settings(None)
