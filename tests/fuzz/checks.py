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
    """After an example: nobody pinged, nothing refused by Discord, nothing logged, and
    no bot post whose layout someone's text could change."""
    calls = sb.calls[since:]
    assert not (problems := ping_problems(calls)), problems
    assert not (problems := failed_calls(calls)), problems
    assert not (problems := blank_messages(calls)), problems
    assert not (problems := pinged_by_bot(sb)), problems
    assert not (problems := errors_logged(records)), problems
    assert not (problems := post_layout_problems(calls)), problems


# -- how Discord shows a post -----------------------------------------------------------------
#
# Bot posts quote what people wrote (notes, names, themes, the topic) between a bidi
# isolate (LRI/RLI/FSI ... PDI) with its markdown escaped. These checks read a post as
# Discord would: per line (a line is a bidi paragraph), links before markdown, a backslash
# escaping the punctuation after it.

ISOLATE_OPENERS = "\u2066\u2067\u2068"
PDI = "\u2069"
# Embeddings, overrides, their PDF, and the marks: outside an isolate each one changes
# the order in which the rest of the line is shown.
SCOPE_LEAKING = "\u202a\u202b\u202c\u202d\u202e\u200e\u200f\u061c"
DIRECTION_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# What Discord reads as a link (first, so markdown inside it is inert).
LINK = re.compile(r"<[^: >]+:/[^ >]+>|https?://[^\s<]+[^<.,:;\"')\]\s]")
# A link (kept as it is: Discord reads it first) or an escaped character.
LINK_OR_ESCAPE = re.compile(rf"(?P<link>{LINK.pattern})|\\(?P<char>[^0-9A-Za-z\s])")
INLINE_MARKDOWN = "*_~|`["  # emphasis, underline, strike, spoiler, code, masked link
# Quote, heading, subtext, lists: live at a line start when a space follows. Inside a
# quoted run any word may come to start a line (a long line is split at a space).
LINE_MARKDOWN = re.compile(r"(?:>>>|>|#{1,3}|-#|[-+*]|\d{1,9}[.)])\s")


def quoted_runs(*posts: str) -> list[str]:
    """The quoted runs of a post, or of the parts of one split post in order: the text
    between an isolate's opener and its PDI. A quote too long for one message runs on
    over the line or message break it was split at."""
    runs: list[str] = []
    depth = 0
    for post in posts:
        for line in post.split("\n"):
            start = 0
            for index, char in enumerate(line):
                if char in ISOLATE_OPENERS:
                    if depth == 0:
                        start = index + 1
                    depth += 1
                elif char == PDI and depth:
                    depth -= 1
                    if depth == 0:
                        runs.append(line[start:index])
            if depth:
                runs.append(line[start:])
    return runs


def direction_leaks(post: str) -> list[str]:
    """Direction controls outside any isolate: they would reorder the bot's own words or
    other people's on that line."""
    leaks = []
    for number, line in enumerate(post.split("\n")):
        depth = 0
        for char in line:
            if char in ISOLATE_OPENERS:
                depth += 1
            elif char == PDI:
                depth = max(depth - 1, 0)  # a PDI without its opener does nothing
            elif depth == 0 and char in SCOPE_LEAKING:
                leaks.append(f"line {number}: U+{ord(char):04X} outside a quote: {line[:120]!r}")
    return leaks


def live_markdown(run: str) -> list[str]:
    """Markdown Discord would act on inside a quoted run (it should all be escaped)."""
    text = LINK.sub(lambda link: "x" * len(link[0]), run)
    found = []
    index = 0
    while index < len(text):
        char = text[index]
        word_start = index == 0 or text[index - 1].isspace()
        if char == "\\":
            after = text[index + 1 : index + 2]
            if after and not after.isspace() and not (after.isascii() and after.isalnum()):
                index += 2
                continue
            found.append(f"a backslash that escapes nothing at {index}")
        elif char in INLINE_MARKDOWN:
            found.append(f"{char!r} at {index}")
        elif word_start and (marker := LINE_MARKDOWN.match(text, index)):
            found.append(f"a line marker {marker[0]!r} at {index}")
        index += 1
    return [f"{problem} in {run[:120]!r}" for problem in found]


def layout_problems(*posts: str) -> list[str]:
    """Ways the quoted text in a post (or the parts of one split post) could change how
    the rest of it looks."""
    problems = [leak for post in posts for leak in direction_leaks(post)]
    for run in quoted_runs(*posts):
        problems += live_markdown(run)
    return problems


def post_layout_problems(calls: Iterable[RecordedCall]) -> list[str]:
    """Layout problems in the bot's posts in channels and threads (private answers quote
    only what their reader typed)."""
    problems = []
    for call in calls:
        body = _message_body(call)
        if body is None or not call.route.startswith("/channels/"):
            continue
        problems += layout_problems(str(body.get("content") or ""))
    return problems


def as_typed(text: str) -> str:
    """What a reader should see of someone's text: all of it but direction controls."""
    return DIRECTION_CONTROLS.sub("", text)


def as_shown(post: str) -> str:
    """What Discord shows of a post's characters: escapes taken out, direction controls
    invisible."""
    return LINK_OR_ESCAPE.sub(
        lambda found: found["link"] or found["char"], DIRECTION_CONTROLS.sub("", post)
    )


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
