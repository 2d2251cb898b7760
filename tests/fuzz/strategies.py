"""Hostile text: what people (and pranksters) type into a workshop thread or a command.

Every strategy here draws from a pool of fragments that have broken chat bots before —
mass mentions, markdown and (unclosed) code blocks, zero-width and right-to-left
characters, emoji sequences, format placeholders — mixed with arbitrary Unicode, and
sometimes repeated far past Discord's 2000- and 4000-character limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

# Characters people cannot see: zero-width, joiners, the byte order mark, fillers.
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u180e", "\u3164", "\u2800")
# Direction marks and the embedding/override/isolate controls ("\u202e" reverses text;
# a stray PDI, "\u2069", would close the isolate a bot post puts around a quote).
BIDI = (
    "\u200e",
    "\u200f",
    "\u061c",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
)
# What str.strip() removes besides the plain space.
SPACES = (" ", "\t", "\n", "\r", "\r\n", "\x0b", "\x0c", "\x85", "\xa0", "\u2028", "\u2029")
SPACES += ("\u2003", "\u202f", "\u3000")


@dataclass(frozen=True)
class Ids:
    """Snowflakes to build mentions from (real ones in the sandbox, so a ping would land)."""

    users: Sequence[int] = (111111111111111111, 222222222222222222)
    roles: Sequence[int] = (333333333333333333,)
    channels: Sequence[int] = (444444444444444444,)


def _mentions(ids: Ids) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(["@everyone", "@here", "@ everyone", "＠everyone", "@\u200beveryone"]),
        st.sampled_from(ids.users).map(lambda i: f"<@{i}>"),
        st.sampled_from(ids.users).map(lambda i: f"<@!{i}>"),
        st.sampled_from(ids.roles).map(lambda i: f"<@&{i}>"),
        st.sampled_from(ids.channels).map(lambda i: f"<#{i}>"),
        st.sampled_from(["</note:1>", "<t:0:R>", "<:blob:1>", "<a:dans:2>", "<@0>", "<@&0>"]),
    )


MARKDOWN = (
    "**vet**",
    "__onder__",
    "*schuin*",
    "~~weg~~",
    "||spoiler||",
    "> citaat\n",
    ">>> alles citaat\n",
    "# Kop\n",
    "-# klein\n",
    "- lijst\n",
    "1. genummerd\n",
    "`code`",
    "```py\nprint('hoi')\n```",
    "```",  # unclosed
    "```\nnooit gesloten",
    "\\*",
    "[tekst](https://example.com)",
    "[<@1>](https://example.com)",
    "<https://example.com>",
    # Opened and never closed, or a line marker after a space (a split makes it a line
    # start): what turns the rest of a bot post into code, a spoiler, a heading or a list.
    "||",
    "**",
    "__",
    "~~",
    "`",
    "\n> ",
    " # ",
    " -# ",
    " - ",
    " + ",
    " 1. ",
    " 2) ",
    ">>> ",
    "### ",
    "https://example.com/a_b*c*",
    "https://example.com/x)",
)
LINKS = (
    "https://example.com/pad?q=1&r=<@1>",
    "https://discord.gg/uitnodiging",
    "http://bibliotheek.nl",
    "www.example.com",
    "https://example.com/" + "a" * 300,
)
EMOJI = ("😀", "👨‍👩‍👧‍👦", "🇳🇱", "1️⃣", "🏳️‍🌈", "👍🏽", "❤️", "🫶", "🧑🏿‍🦽‍➡️")
WORDS = (
    "Hoe kunnen we",
    "HMW",
    "how might we",
    "heeft behoefte aan rust omdat",
    "needs a place because",
    "//",
    "// terzijde",
    "vrijdag 17:00",
    "10m",
    "bibliotheek",
    "مرحبا بالعالم",
    "שלום עולם",
    "العدد 3",  # right-to-left with a number: without an isolate it pulls the next words along
    "\u200fשלום",  # as a right-to-left keyboard types it
    "日本語のメモ",
    "Zoë café",
    "{text}",
    "{0}",
    "%s",
    "'; DROP TABLE notes; --",
    "\\",
    '"',
)


def fragments(ids: Ids = Ids()) -> st.SearchStrategy[str]:
    """One piece of hostile text."""
    return st.one_of(
        _mentions(ids),
        st.sampled_from(MARKDOWN),
        st.sampled_from(LINKS),
        st.sampled_from(EMOJI),
        st.sampled_from(WORDS),
        st.sampled_from(ZERO_WIDTH + BIDI + SPACES),
        st.text(max_size=12),
    )


def _blow_up(text: str, size: int) -> str:
    """``text`` repeated (space-joined now and then) to exactly ``size`` characters."""
    seed = text or "x"
    return (seed * (size // len(seed) + 1))[:size]


# Lengths around Discord's limits: 1000 (a note), 2000 (a message), 4000 (Nitro, a modal).
HUGE_SIZES = (1000, 1001, 1999, 2000, 2001, 3999, 4000, 4001, 6000)


def hostile_text(ids: Ids = Ids(), *, max_pieces: int = 10) -> st.SearchStrategy[str]:
    """Empty, blank, invisible, short and mixed, or huge text."""
    mixed = st.lists(fragments(ids), min_size=1, max_size=max_pieces).map("".join)
    blank = st.lists(st.sampled_from(SPACES + ZERO_WIDTH + BIDI), min_size=1, max_size=8)
    huge = st.builds(_blow_up, mixed, st.sampled_from(HUGE_SIZES))
    one_long_word = st.builds(lambda n: "w" * n, st.sampled_from(HUGE_SIZES))
    words = st.lists(st.sampled_from(WORDS + EMOJI), min_size=1, max_size=5).map(" ".join)
    long_sentences = st.builds(
        lambda w, n: _blow_up(w + " ", n), words, st.sampled_from(HUGE_SIZES)
    )
    return st.one_of(
        st.just(""),
        blank.map("".join),
        mixed,
        mixed,
        mixed,
        huge,
        one_long_word,
        long_sentences,
        st.text(min_size=1),  # anything at all (no lone surrogates: JSON cannot carry them)
    )


def fit(text: str, low: int, high: int) -> str:
    """``text`` cut or padded to what Discord accepts for an option with these lengths."""
    text = text[:high]
    if len(text) < low:
        text += "?" * (low - len(text))
    return text


def within(ids: Ids, low: int, high: int) -> st.SearchStrategy[str]:
    """Hostile text as Discord would let it through an option of ``low..high`` characters."""
    return hostile_text(ids).map(lambda text: fit(text, low, high))


# Things facilitators type as durations, deadlines and reminder lists, good and bad.
TIME_PIECES = (
    "10m",
    "1h30",
    "1u30",
    "90s",
    "2d",
    "14d",
    "15d",
    "0",
    "-5m",
    "0m",
    "5",
    "1,5u",
    "1.5h",
    "1h2h",
    "99999999999999999999d",
    "9" * 400,
    "٣m",
    "𝟏𝟎m",
    "vrijdag 17:00",
    "morgen 9:00",
    "31 februari",
    "2026-12-03 17:00",
    "volgende week vrijdag",
    "3/13",
    "25:61",
    "gisteren",
    "uit",
    "off",
    "24h, 1h",
    "soon",
    "",
    " ",
)


def time_text(ids: Ids = Ids()) -> st.SearchStrategy[str]:
    """A duration, deadline or list of them: sensible, nonsensical or hostile."""
    piece = st.one_of(st.sampled_from(TIME_PIECES), fragments(ids))
    listed = st.lists(piece, min_size=1, max_size=6).flatmap(
        lambda parts: st.sampled_from([",", ";", ", ", " "]).map(lambda sep: sep.join(parts))
    )
    return st.one_of(piece, listed, hostile_text(ids))


def duration_like() -> st.SearchStrategy[str]:
    """A number and a unit as typed (with decimals, both decimal marks, odd spacing)."""
    number = st.one_of(
        st.integers(min_value=0, max_value=10**6).map(str),
        st.tuples(st.integers(0, 99), st.integers(0, 999), st.sampled_from(".,")).map(
            lambda t: f"{t[0]}{t[2]}{t[1]:03d}".rstrip("0").rstrip(".,") or "0"
        ),
    )
    unit = st.sampled_from(["", "s", "sec", "m", "min", "u", "h", "uur", "d", "dagen", "x"])
    gap = st.sampled_from(["", " ", "  "])
    token = st.builds(lambda n, g, u: f"{n}{g}{u}", number, gap, unit)
    return st.lists(token, min_size=1, max_size=4).map(" ".join)
