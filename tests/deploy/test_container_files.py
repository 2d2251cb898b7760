"""The container files as an admin relies on them: Dockerfile, compose.yaml, .dockerignore
and .env.example.

The default run reads the files only (well under a second). Building the image is
``test_the_image_builds_and_runs``: it runs only with ``COCREATE_DOCKER_TESTS=1`` and a
working docker, and skips (saying why) when the base image cannot be pulled.

PyYAML is not a dependency of cocreate, so compose.yaml is read by a small parser of the
YAML it uses (block mappings and sequences, plain and quoted scalars, flow lists of
strings); anything else in the file is an error here, not a silent misreading. Where
``docker compose`` works, its own reading of the file is checked as well.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from bot.heartbeat import heartbeat_path
from bot.settings import TokenError, load_settings, read_token

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DOCKERIGNORE = ROOT / ".dockerignore"
ENV_EXAMPLE = ROOT / ".env.example"

DATABASE = "/data/cocreate.sqlite3"
CONFIG = "/config/config.toml"
RUN_COMMAND = ["cocreate", "run", "--config", CONFIG]

# The shape of a Discord bot token (as bot/settings.py checks it): three base64url parts.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}")

DOCKER_TESTS_VARIABLE = "COCREATE_DOCKER_TESTS"
BUILD_TIMEOUT = 1800
# What docker says when the base image cannot be fetched (no network, no registry).
NO_PULL = (
    "failed to resolve source metadata",
    "failed to do request",
    "pull access denied",
    "error pulling image",
    "dial tcp",
    "no such host",
    "i/o timeout",
    "tls handshake timeout",
    "network is unreachable",
    "connection refused",
    "temporary failure in name resolution",
    "could not resolve host",
    "toomanyrequests",
)


# -- a parser for the YAML compose.yaml uses -------------------------------------------------


class YamlSubsetError(ValueError):
    """compose.yaml uses YAML this parser does not read (or is malformed)."""


@dataclass
class _Line:
    number: int
    indent: int
    text: str


_KEY = re.compile(r"^([A-Za-z0-9_.\-]+):(?:\s+(.*))?$")
_STARTS_MAPPING = re.compile(r"^[A-Za-z0-9_.\-]+:(?:\s|$)")
_INTEGER = re.compile(r"^-?\d+$")


def _strip_comment(raw: str) -> str:
    quote: str | None = None
    index = 0
    while index < len(raw):
        char = raw[index]
        if quote is not None:
            if char == "\\" and quote == '"':
                index += 1  # an escaped character, \" included
            elif char == quote == "'" and raw[index + 1 : index + 2] == "'":
                index += 1  # '' is a quote inside single quotes
            elif char == quote:
                quote = None
        elif char in "\"'" and (index == 0 or raw[index - 1] in " \t[,"):
            quote = char
        elif char == "#" and (index == 0 or raw[index - 1] in " \t"):
            return raw[:index].rstrip()
        index += 1
    return raw.rstrip()


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _scalar(text: str, number: int) -> Any:
    if text[0] in "&*!|>%@`{":
        raise YamlSubsetError(f"line {number}: unsupported YAML: {text!r}")
    if text.startswith('"'):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise YamlSubsetError(f"line {number}: bad double-quoted text {text!r}") from error
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            raise YamlSubsetError(f"line {number}: bad single-quoted text {text!r}")
        return text[1:-1].replace("''", "'")
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise YamlSubsetError(
                f"line {number}: only flow lists of double-quoted strings are read: {text!r}"
            ) from error
        if not all(isinstance(value, str) for value in values):
            raise YamlSubsetError(f"line {number}: a flow list of strings only: {text!r}")
        return values
    if ": " in text:
        raise YamlSubsetError(f"line {number}: ambiguous plain text {text!r} (quote it)")
    if text in ("true", "false"):
        return text == "true"
    if text in ("null", "~"):
        return None
    if _INTEGER.match(text):
        return int(text)
    return text


def _block(lines: list[_Line], index: int, indent: int) -> tuple[Any, int]:
    if _is_item(lines[index].text):
        return _sequence(lines, index, indent)
    return _mapping(lines, index, indent)


def _mapping(lines: list[_Line], index: int, indent: int) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    while index < len(lines) and lines[index].indent == indent:
        line = lines[index]
        if _is_item(line.text):
            break
        match = _KEY.match(line.text)
        if match is None:
            raise YamlSubsetError(f"line {line.number}: expected `key: value`: {line.text!r}")
        key, value = match.group(1), match.group(2)
        if key in result:
            raise YamlSubsetError(f"line {line.number}: {key!r} appears twice")
        index += 1
        if value:
            result[key] = _scalar(value, line.number)
            continue
        following = lines[index] if index < len(lines) else None
        if following is not None and (
            following.indent > indent or (following.indent == indent and _is_item(following.text))
        ):
            result[key], index = _block(lines, index, following.indent)
        else:
            result[key] = None
    if index < len(lines) and lines[index].indent > indent:
        raise YamlSubsetError(f"line {lines[index].number}: unexpected indentation")
    return result, index


def _sequence(lines: list[_Line], index: int, indent: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    while index < len(lines) and lines[index].indent == indent and _is_item(lines[index].text):
        line = lines[index]
        rest = line.text[1:].strip()
        if not rest:
            index += 1
            if index < len(lines) and lines[index].indent > indent:
                item, index = _block(lines, index, lines[index].indent)
            else:
                item = None
        elif _STARTS_MAPPING.match(rest):
            # "- key: value" opens a mapping whose keys line up with "key".
            column = indent + len(line.text) - len(rest)
            lines[index] = _Line(line.number, column, rest)
            item, index = _mapping(lines, index, column)
        else:
            item = _scalar(rest, line.number)
            index += 1
        items.append(item)
    if index < len(lines) and lines[index].indent > indent:
        raise YamlSubsetError(f"line {lines[index].number}: unexpected indentation")
    return items, index


def parse_yaml_subset(text: str) -> Any:
    """Read the YAML subset described in the module docstring."""
    lines: list[_Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        content = _strip_comment(raw)
        if not content.strip():
            continue
        if content.strip() in ("---", "..."):
            raise YamlSubsetError(f"line {number}: one document only")
        stripped = content.lstrip(" ")
        if stripped.startswith("\t"):
            raise YamlSubsetError(f"line {number}: a tab in the indentation")
        lines.append(_Line(number, len(content) - len(stripped), stripped))
    if not lines:
        return None
    value, end = _block(lines, 0, lines[0].indent)
    if end != len(lines):
        raise YamlSubsetError(f"line {lines[end].number}: unexpected {lines[end].text!r}")
    return value


# -- a reader for the Dockerfile --------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def dockerfile_instructions(text: str) -> list[Instruction]:
    """Instructions with their continuation lines joined; comments (also those inside a
    continuation, as Docker allows) and blank lines dropped."""
    instructions: list[Instruction] = []
    current = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1].strip() + " "
            continue
        current += stripped
        keyword, _, arguments = current.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends in a continuation line"
    return instructions


def _expand(text: str, values: dict[str, str]) -> str:
    return re.sub(
        r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text
    )


def _stages(instructions: list[Instruction]) -> tuple[dict[str, str], list[list[Instruction]]]:
    """The ARG defaults before the first FROM, and the instructions of each stage (each
    list starts with its FROM)."""
    global_args: dict[str, str] = {}
    stages: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            stages.append([instruction])
        elif stages:
            stages[-1].append(instruction)
        elif instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            global_args[name.strip()] = default.strip().strip('"')
    return global_args, stages


def _exec_form(arguments: str) -> list[str]:
    value = json.loads(arguments)
    assert isinstance(value, list), arguments
    assert all(isinstance(part, str) for part in value), arguments
    return value


def _env(stage: list[Instruction]) -> dict[str, str]:
    found: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            for pair in shlex.split(instruction.arguments):
                name, sign, value = pair.partition("=")
                assert sign, f"ENV in the old `ENV name value` form: {instruction.arguments}"
                found[name] = value
    return found


def _index(stage: list[Instruction], keyword: str) -> int:
    positions = [i for i, instruction in enumerate(stage) if instruction.keyword == keyword]
    assert positions, f"no {keyword} in the final stage"
    return positions[-1]


@pytest.fixture(scope="module")
def dockerfile() -> list[Instruction]:
    return dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def final_stage(dockerfile: list[Instruction]) -> list[Instruction]:
    return _stages(dockerfile)[1][-1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    parsed = parse_yaml_subset(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(parsed, dict)
    return parsed


# -- the parser itself ------------------------------------------------------------------------


def test_the_yaml_subset_parser_reads_what_compose_files_use() -> None:
    text = """
name: demo   # a comment
services:
  web:
    image: "nginx:1.27"
    command: ["run", "--fast"]
    ports:
      - "8080:80"
      - 9090:90
    env_file:
      - path: .env
        required: true
    healthcheck:
      retries: 3
      disable: false
    labels:
    - 'it''s # not a comment'
volumes:
  data:
"""
    assert parse_yaml_subset(text) == {
        "name": "demo",
        "services": {
            "web": {
                "image": "nginx:1.27",
                "command": ["run", "--fast"],
                "ports": ["8080:80", "9090:90"],
                "env_file": [{"path": ".env", "required": True}],
                "healthcheck": {"retries": 3, "disable": False},
                "labels": ["it's # not a comment"],
            }
        },
        "volumes": {"data": None},
    }


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a key twice
        "a:\n    b: 1\n  c: 2\n",  # indentation that does not line up
        "a: &anchor 1\n",  # anchors are not read
        "a: |\n  text\n",  # nor block scalars
        "a: b: c\n",  # nor ambiguous plain text
        "a:\n\t- b\n",  # nor tabs
    ],
)
def test_the_yaml_subset_parser_refuses_what_it_does_not_read(text: str) -> None:
    with pytest.raises(YamlSubsetError):
        parse_yaml_subset(text)


def test_the_yaml_subset_parser_agrees_with_pyyaml_when_it_is_installed() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (not a dependency)")
    text = COMPOSE.read_text(encoding="utf-8")
    assert parse_yaml_subset(text) == yaml.safe_load(text)


def _docker(
    *arguments: str, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the docker client found on PATH; the caller checked there is one."""
    docker = shutil.which("docker")
    assert docker is not None
    return subprocess.run(  # noqa: S603 - the docker client, fixed arguments, no shell
        [docker, *arguments], capture_output=True, text=True, timeout=timeout, check=False, cwd=cwd
    )


# -- compose.yaml -----------------------------------------------------------------------------


def _the_service(compose: dict[str, Any]) -> dict[str, Any]:
    services = compose.get("services")
    assert isinstance(services, dict)
    assert list(services) == ["cocreate"], "one service, named cocreate"
    service = services["cocreate"]
    assert isinstance(service, dict)
    return service


def _data_volume(service: dict[str, Any]) -> str:
    """The named volume mounted at /data."""
    for mount in service.get("volumes") or []:
        if isinstance(mount, str):
            source, _, target = mount.partition(":")
            if target.split(":")[0] == "/data":
                return source
        elif isinstance(mount, dict) and mount.get("target") == "/data":
            return str(mount["source"])
    raise AssertionError("no volume at /data")


def _env_files(service: dict[str, Any]) -> list[str]:
    value = service.get("env_file")
    entries = value if isinstance(value, list) else [value]
    return [entry["path"] if isinstance(entry, dict) else entry for entry in entries if entry]


def test_compose_runs_one_service_from_this_dockerfile(compose: dict[str, Any]) -> None:
    service = _the_service(compose)
    build = service.get("build")
    context = build.get("context") if isinstance(build, dict) else build
    assert context == "."


def test_compose_keeps_the_database_in_a_named_volume(compose: dict[str, Any]) -> None:
    service = _the_service(compose)
    name = _data_volume(service)
    assert not name.startswith((".", "/")), "a named volume, not a folder on the host"
    volumes = compose.get("volumes")
    assert isinstance(volumes, dict)
    assert name in volumes


def test_compose_reads_the_token_from_dot_env(compose: dict[str, Any]) -> None:
    service = _the_service(compose)
    assert _env_files(service) == [".env"]
    # The token comes only from the env file, never from the compose file itself.
    assert "DISCORD_TOKEN" not in (service.get("environment") or {})
    assert not TOKEN_SHAPE.search(COMPOSE.read_text(encoding="utf-8"))


def test_compose_restarts_unless_stopped(compose: dict[str, Any]) -> None:
    assert _the_service(compose)["restart"] == "unless-stopped"


def test_compose_checks_health_with_cocreate_health(compose: dict[str, Any]) -> None:
    check = _the_service(compose)["healthcheck"]
    assert isinstance(check, dict)
    test = check["test"]
    words = test if isinstance(test, list) else ["CMD-SHELL", test]
    assert words[0] in ("CMD", "CMD-SHELL")
    assert " ".join(words[1:]).split()[:2] == ["cocreate", "health"]
    for setting in ("interval", "timeout", "start_period", "retries"):
        assert setting in check


def test_compose_stops_like_the_image(
    compose: dict[str, Any], final_stage: list[Instruction]
) -> None:
    stop = [i.arguments for i in final_stage if i.keyword == "STOPSIGNAL"]
    assert _the_service(compose).get("stop_signal", stop[-1]) == stop[-1] == "SIGINT"


def test_compose_shows_how_to_mount_a_config(compose: dict[str, Any]) -> None:
    # Optional, so commented out; but it must be there and point at the right file.
    text = COMPOSE.read_text(encoding="utf-8")
    assert re.search(r"#\s*- \./config\.toml:" + re.escape(CONFIG) + r":ro", text)


def test_docker_compose_reads_the_file_the_same_way(tmp_path: Path) -> None:
    if shutil.which("docker") is None:
        pytest.skip("no docker command here: compose.yaml was checked by the parser above")
    if _docker("compose", "version", timeout=30).returncode != 0:
        pytest.skip("`docker compose` is not installed here: checked by the parser above")
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text("DISCORD_TOKEN=\n", encoding="utf-8")
    done = _docker(
        "compose", "-f", str(tmp_path / "compose.yaml"), "config", "--format", "json", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    service = config["services"]["cocreate"]
    assert service["restart"] == "unless-stopped"
    assert service["healthcheck"]["test"][1:3] == ["cocreate", "health"]
    assert any(mount.get("target") == "/data" for mount in service["volumes"])
    assert "data" in config["volumes"]


# -- Dockerfile ---------------------------------------------------------------------------------


def test_the_dockerfile_has_a_build_stage_and_a_slim_python_runtime(
    dockerfile: list[Instruction],
) -> None:
    global_args, stages = _stages(dockerfile)
    assert len(stages) == 2, "two stages: builder and runtime"
    bases = [_expand(stage[0].arguments, global_args).split() for stage in stages]
    assert bases[0][1:] == ["AS", "builder"] or bases[0][1:] == ["as", "builder"]
    # Same Python in both: the environment's bin/python links to the base image's.
    assert bases[0][0] == bases[1][0] == "python:3.11-slim"
    copies = [i.arguments for i in stages[1] if i.keyword == "COPY"]
    assert any(c.startswith("--from=builder ") for c in copies)
    assert not any(not c.startswith("--from=") for c in copies), "runtime copies only the venv"


def test_the_python_of_the_image_is_one_pyproject_allows() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'requires-python = ">=3.11"' in text


def test_the_runtime_runs_as_a_user_that_is_not_root_before_it_starts(
    final_stage: list[Instruction],
) -> None:
    user_at = _index(final_stage, "USER")
    user = final_stage[user_at].arguments.split(":")[0]
    assert user not in ("", "root", "0")
    assert user_at < _index(final_stage, "ENTRYPOINT")
    assert user_at < _index(final_stage, "CMD")


def test_the_image_runs_the_bot_with_the_optional_config(final_stage: list[Instruction]) -> None:
    entrypoint = _exec_form(final_stage[_index(final_stage, "ENTRYPOINT")].arguments)
    command = _exec_form(final_stage[_index(final_stage, "CMD")].arguments)
    assert entrypoint + command == RUN_COMMAND
    # The config is optional: without a mounted one, the image's own (empty) file is used,
    # so `run` starts on the defaults and the COCREATE_* environment.
    runs = " ".join(i.arguments for i in final_stage if i.keyword == "RUN")
    assert f"> {CONFIG}" in runs
    assert f"cocreate check-config --config {CONFIG}" in runs


def test_the_database_and_its_heartbeat_live_in_the_data_volume(
    final_stage: list[Instruction], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = _env(final_stage)
    assert env["COCREATE_STORAGE__PATH"] == DATABASE
    volumes = [i.arguments for i in final_stage if i.keyword == "VOLUME"]
    assert any("/data" in (json.loads(v) if v.startswith("[") else v.split()) for v in volumes)
    # The environment wins over any mounted config.toml, so the bot and `cocreate health`
    # agree on where the heartbeat is.
    monkeypatch.setenv("COCREATE_STORAGE__PATH", env["COCREATE_STORAGE__PATH"])
    settings = load_settings(None)
    beat_file = heartbeat_path(Path(settings.storage.path))
    assert PurePosixPath(beat_file.as_posix()) == PurePosixPath("/data/cocreate.sqlite3.heartbeat")


def test_the_image_checks_its_health_with_cocreate_health(final_stage: list[Instruction]) -> None:
    check = final_stage[_index(final_stage, "HEALTHCHECK")].arguments
    options, _, command = check.partition("CMD ")
    assert "--start-period=" in options
    assert _exec_form(command.strip())[:2] == ["cocreate", "health"]


def test_the_image_stops_the_bot_with_ctrl_c(final_stage: list[Instruction]) -> None:
    # Python as process 1 ignores SIGTERM; SIGINT lets the bot close its database.
    assert final_stage[_index(final_stage, "STOPSIGNAL")].arguments == "SIGINT"


def test_the_runtime_has_fonts_for_board_pictures(final_stage: list[Instruction]) -> None:
    runs = " ".join(i.arguments for i in final_stage if i.keyword == "RUN")
    assert "fonts-dejavu-core" in runs
    assert "--no-install-recommends" in runs


def test_the_build_stage_installs_from_pyproject_and_carries_the_prompts(
    dockerfile: list[Instruction],
) -> None:
    builder = _stages(dockerfile)[1][0]
    copied = [i.arguments.split()[0] for i in builder if i.keyword == "COPY"]
    for needed in ("pyproject.toml", "bot", "prompts", "README.md"):
        assert needed in copied
        assert (ROOT / needed).exists()
    runs = " ".join(i.arguments for i in builder if i.keyword == "RUN")
    assert "pip install" in runs


def test_the_wheel_carries_every_prompt_and_template(tmp_path: Path) -> None:
    """bot/i18n.py reads bot/prompts (a link to prompts/ in the repository): an installed
    wheel must hold the texts, or the bot starts without words."""
    built = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    shipped = {name.removeprefix("bot/") for name in names if name.startswith("bot/prompts/")}
    expected = {str(path.relative_to(ROOT)) for path in (ROOT / "prompts").rglob("*.toml")}
    assert expected and expected <= shipped


def test_the_labels_name_the_image_and_its_licence(final_stage: list[Instruction]) -> None:
    labels = " ".join(i.arguments for i in final_stage if i.keyword == "LABEL")
    assert 'org.opencontainers.image.title="cocreate"' in labels
    assert 'org.opencontainers.image.licenses="EUPL-1.2"' in labels


# -- .dockerignore ----------------------------------------------------------------------------


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rules, as far as these patterns use them: the last match wins, `**/` is
    any number of folders, and a folder that is ignored takes its contents along."""
    ignored = False
    parts = PurePosixPath(path).parts
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.removeprefix("!").strip("/")
        candidates = {"/".join(parts[: i + 1]) for i in range(len(parts))}
        if pattern.startswith("**/"):
            rest = pattern[3:]
            hit = any(
                fnmatch.fnmatchcase("/".join(parts[j : i + 1]), rest)
                for i in range(len(parts))
                for j in range(i + 1)
            )
        else:
            hit = any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates)
        if hit:
            ignored = not negate
    return ignored


@pytest.fixture(scope="module")
def ignore_patterns() -> list[str]:
    lines = DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.local",
        "config.toml",
        "cocreate.sqlite3",
        "data/cocreate.sqlite3",
        "cocreate.sqlite3-wal",
        "cocreate.sqlite3.heartbeat",
        ".venv/bin/python",
        ".git/config",
        "bot/__pycache__/cli.cpython-311.pyc",
    ],
)
def test_secrets_data_and_local_clutter_stay_out_of_the_build(
    path: str, ignore_patterns: list[str]
) -> None:
    assert _ignored(path, ignore_patterns)


@pytest.mark.parametrize(
    "path", ["pyproject.toml", "README.md", "bot/cli.py", "prompts/nl/session.toml"]
)
def test_what_the_image_needs_goes_into_the_build(path: str, ignore_patterns: list[str]) -> None:
    assert not _ignored(path, ignore_patterns)


# -- .env.example -----------------------------------------------------------------------------


def _assignments(text: str) -> list[tuple[str, str]]:
    """`NAME=value` lines, commented-out examples included."""
    found = []
    for line in text.splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$", line.strip())
        if match:
            found.append((match.group(1), match.group(2).strip()))
    return found


def test_env_example_names_the_token_without_one() -> None:
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"^DISCORD_TOKEN=\s*$", text, re.MULTILINE), "an empty DISCORD_TOKEN= line"
    assert not TOKEN_SHAPE.search(text), "something that looks like a real token"
    for name, value in _assignments(text):
        if name == "DISCORD_TOKEN":
            with pytest.raises(TokenError):
                read_token({"DISCORD_TOKEN": value})


def test_env_example_settings_are_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = [
        (name, value)
        for name, value in _assignments(ENV_EXAMPLE.read_text(encoding="utf-8"))
        if name.startswith("COCREATE_")
    ]
    assert examples
    for key in list(os.environ):
        if key.startswith("COCREATE_"):
            monkeypatch.delenv(key)
    for name, value in examples:
        assert "__" in name, f"{name}: COCREATE_<SECTION>__<NAME>"
        monkeypatch.setenv(name, value)
    load_settings(None)  # raises ConfigError naming any example that is not a setting


def test_a_filled_in_env_file_is_never_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored


# -- building the image (opt-in) ------------------------------------------------------------


def _docker_unusable() -> str | None:
    """Why the image cannot be built here, or None."""
    if os.environ.get(DOCKER_TESTS_VARIABLE) != "1":
        return (
            f"builds the image only with {DOCKER_TESTS_VARIABLE}=1 and a working docker "
            "(slow; pulls python:3.11-slim)"
        )
    if shutil.which("docker") is None:
        return f"{DOCKER_TESTS_VARIABLE}=1, but there is no docker command here"
    try:
        info = _docker("info", "--format", "{{.ServerVersion}}", timeout=20)
    except subprocess.TimeoutExpired:
        return f"{DOCKER_TESTS_VARIABLE}=1, but `docker info` did not answer within 20 s"
    if info.returncode != 0:
        said = [line for line in (info.stderr + info.stdout).splitlines() if line.strip()]
        why = said[-1].strip() if said else f"exit code {info.returncode}"
        return f"{DOCKER_TESTS_VARIABLE}=1, but docker is not usable here: {why}"
    return None


@pytest.mark.docker
def test_the_image_builds_and_runs() -> None:
    reason = _docker_unusable()
    if reason is not None:
        pytest.skip(reason)
    tag = f"cocreate-test:{uuid.uuid4().hex[:12]}"
    try:
        build = _docker("build", "--tag", tag, str(ROOT), timeout=BUILD_TIMEOUT)
        if build.returncode != 0:
            output = build.stdout + build.stderr
            if any(sign in output.lower() for sign in NO_PULL):
                lines = [line for line in output.splitlines() if line.strip()]
                pytest.skip(f"the base image cannot be pulled here: {lines[-1].strip()}")
            pytest.fail(f"docker build failed:\n{output[-4000:]}")

        inspected = _docker("image", "inspect", tag)
        assert inspected.returncode == 0, inspected.stderr
        config = json.loads(inspected.stdout)[0]["Config"]
        assert config["User"].split(":")[0] not in ("", "root", "0")
        assert config["Healthcheck"]["Test"][1:3] == ["cocreate", "health"]
        assert "/data" in config["Volumes"]
        assert f"COCREATE_STORAGE__PATH={DATABASE}" in config["Env"]
        assert config["StopSignal"] == "SIGINT"
        assert config["Entrypoint"] + config["Cmd"] == RUN_COMMAND

        def run(*arguments: str) -> subprocess.CompletedProcess[str]:
            return _docker(
                "run", "--rm", "--network", "none", "-e", "COCREATE_LOCALE__DEFAULT=en", *arguments
            )

        whoami = run("--entrypoint", "id", tag, "-u")
        assert whoami.returncode == 0 and whoami.stdout.strip() != "0", whoami.stderr

        checked = run(tag, "check-config", "--config", CONFIG)
        assert checked.returncode == 0, checked.stderr
        assert DATABASE in checked.stdout

        # Without a token the bot says so in one sentence and exits 2 (no traceback).
        started = run(tag)
        assert started.returncode == 2, started.stderr
        assert "No bot token" in started.stderr and "Traceback" not in started.stderr

        # The health check: unhealthy without a heartbeat, healthy with a fresh one.
        assert run(tag, "health").returncode == 1
        beat = (
            "from pathlib import Path; from bot.heartbeat import beat, heartbeat_path; "
            f"beat(heartbeat_path(Path('{DATABASE}')))"
        )
        healthy = run("--entrypoint", "sh", tag, "-c", f'python -c "{beat}" && cocreate health')
        assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    finally:
        _docker("image", "rm", "--force", tag)
