"""What must hold after any input: no pings, no failed Discord calls, no errors logged,
and every answer a sentence of the catalogue in the user's language."""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from bot.i18n import LOCALES, catalog
from bot.sandbox import DiscordSandbox, RecordedCall

# Discord's mention syntax that can ping: users, roles, @everyone and @here.
PING_SYNTAX = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>")
CALLBACK_ROUTE = "/interactions/{webhook_id}/{webhook_token}/callback"
# Callback types that carry a message: 4 (reply) and 7 (update the component's message).
MESSAGE_CALLBACKS = (4, 7)


def _message_body(call: RecordedCall) -> dict[str, Any] | None:
    """The part of a request that becomes a message, if it is one."""
    if call.method not in ("POST", "PATCH") or not isinstance(call.json, dict):
        return None
    if call.route == CALLBACK_ROUTE:
        if call.json.get("type") not in MESSAGE_CALLBACKS:
            return None
        data = call.json.get("data")
        return data if isinstance(data, dict) else None
    if "content" in call.json or "embeds" in call.json:
        return call.json
    return None


def safe_mentions(allowed: object) -> bool:
    """``allowed_mentions`` that pings nobody: parse nothing, list nobody, no reply ping."""
    if not isinstance(allowed, dict):
        return False
    return (
        allowed.get("parse") == []
        and not allowed.get("users")
        and not allowed.get("roles")
        and not allowed.get("replied_user")
    )


def ping_problems(calls: Iterable[RecordedCall]) -> list[str]:
    """Every call carrying message text without a no-pings ``allowed_mentions``."""
    problems = []
    for call in calls:
        body = _message_body(call)
        if body is None:
            continue
        content = str(body.get("content") or "")
        embeds = str(body.get("embeds") or "")
        if not (content or PING_SYNTAX.search(embeds)):
            continue
        if not safe_mentions(body.get("allowed_mentions")):
            problems.append(
                f"{call.method} {call.route}: allowed_mentions="
                f"{body.get('allowed_mentions')!r} content={content[:120]!r}"
            )
    return problems


def pinged_by_bot(sb: DiscordSandbox) -> list[str]:
    """Bot messages the sandbox saw pinging someone (as Discord would have)."""
    world = sb.world
    bot_id = str(sb.bot_id)
    messages: list[dict[str, Any]] = list(world.ephemeral_messages.values())
    for channel_id in world.channels:
        messages += world.history(channel_id)
    return [
        f"message {m['id']}: {str(m.get('content'))[:120]!r}"
        for m in messages
        if str(m["author"]["id"]) == bot_id
        and (m.get("mentions") or m.get("mention_roles") or m.get("mention_everyone"))
    ]


def failed_calls(calls: Iterable[RecordedCall]) -> list[str]:
    """Discord refused a request (a message too long or empty, an unknown route...)."""
    return [
        f"{c.method} {c.route} -> {c.status} {c.response!r} body={str(c.json)[:200]}"
        for c in calls
        if c.status >= 400
    ]


def blank_messages(calls: Iterable[RecordedCall]) -> list[str]:
    """Messages whose text is only white space (Discord refuses them as empty)."""
    out = []
    for call in calls:
        body = _message_body(call)
        if body is None or "content" not in body or body.get("content") is None:
            continue
        content = str(body["content"])
        if content and not content.strip() and not body.get("components"):
            out.append(f"{call.method} {call.route}: {content!r}")
    return out


def errors_logged(records: Sequence[logging.LogRecord]) -> list[str]:
    """Anything logged at ERROR or above (an unhandled failure somewhere)."""
    return [
        f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.msg}"
        for r in records
        if r.levelno >= logging.ERROR
    ]


def assert_all_well(sb: DiscordSandbox, since: int, records: Sequence[logging.LogRecord]) -> None:
    """After an example: nobody pinged, nothing refused by Discord, nothing logged."""
    calls = sb.calls[since:]
    assert not (problems := ping_problems(calls)), problems
    assert not (problems := failed_calls(calls)), problems
    assert not (problems := blank_messages(calls)), problems
    assert not (problems := pinged_by_bot(sb)), problems
    assert not (problems := errors_logged(records)), problems


# -- the language of an answer ---------------------------------------------------------------


@dataclass(frozen=True)
class _Template:
    key: str
    literal: int  # how many characters of the sentence are its own (not filled in)
    longest: str  # its longest literal piece, for a quick first check
    pattern: re.Pattern[str]


def _template(key: str, sentence: str) -> _Template:
    pieces: list[str] = []
    regex = ""
    for literal, field, _, _ in string.Formatter().parse(sentence):
        pieces.append(literal)
        regex += re.escape(literal)
        if field is not None:
            regex += ".*?"
    longest = max(pieces, key=len)
    return _Template(key, sum(map(len, pieces)), longest, re.compile(regex, re.DOTALL))


@cache
def _templates(locale: str) -> tuple[_Template, ...]:
    """The sentences of a locale that say something in it (not shared with another)."""
    sentences = catalog()
    others = [other for other in LOCALES if other != locale]
    out = []
    for key in sorted(sentences.keys(locale)):
        sentence = sentences.raw(locale, key)
        shared = any(
            key in sentences.keys(other) and sentences.raw(other, key) == sentence
            for other in others
        )
        made = _template(key, sentence)
        if not shared and made.literal >= 8 and len(made.longest) >= 4:
            out.append(made)
    return tuple(out)


def best_sentence(answer: str, locale: str) -> tuple[str, int] | None:
    """The catalogue sentence of ``locale`` that explains most of ``answer``."""
    best: tuple[str, int] | None = None
    for made in _templates(locale):
        if made.longest not in answer or (best is not None and made.literal <= best[1]):
            continue
        if made.pattern.search(answer):
            best = (made.key, made.literal)
    return best


def expected_language(discord_locale: str, guild_locale: str = "nl") -> str:
    """The language cocreate answers in: the user's if it speaks it, else the server's."""
    sentences = catalog()
    for candidate in (discord_locale, guild_locale):
        resolved = sentences.resolve(candidate)
        if candidate.lower().startswith(resolved):
            return resolved
    return sentences.default


def assert_clear_answer(answer: str, discord_locale: str) -> str:
    """A non-empty answer, not the generic apology, in the user's language; its key."""
    sentences = catalog()
    assert answer.strip(), "an empty answer"
    unexpected = {sentences.t(locale, "errors.unexpected") for locale in LOCALES}
    assert not any(sorry in answer for sorry in unexpected), f"generic failure: {answer!r}"
    wanted = expected_language(discord_locale)
    found = best_sentence(answer, wanted)
    assert found is not None, f"not a {wanted} sentence of the catalogue: {answer[:300]!r}"
    for other in LOCALES:
        if other != wanted:
            rival = best_sentence(answer, other)
            assert rival is None or rival[1] < found[1], (
                f"answer reads as {other} ({rival[0]}) rather than {wanted} ({found[0]}): "
                f"{answer[:300]!r}"
            )
    return found[0]
