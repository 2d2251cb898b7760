"""Small text tools the writers share: times, escaping, and the words of the export."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import Catalog

# Characters that mean something in (GitHub-flavoured / CommonMark) Markdown anywhere in
# a line: emphasis, code, links, HTML, tables, strike-through, math. A backslash before
# ASCII punctuation is always a valid escape; "(" and "!" are harmless once "[" is escaped.
_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~$])")
# "&amp;" and "&#38;" would show as "&": escape an ampersand that starts an entity.
_MD_ENTITY = re.compile(r"&(?=#?\w+;)")
# At the start of a line these open a list, quote, rule or setext underline...
_MD_LINE_MARK = re.compile(r"^(\s*)([-+=>#])")
# ... and so does a number with a dot or parenthesis ("1." / "1)").
_MD_LINE_NUMBER = re.compile(r"^(\s*\d+)([.)])")
# The cell starts a spreadsheet reads as a formula (OWASP CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Our own emphasis in prompts: **bold** and *italic*.
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])", re.DOTALL)


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or UTC when the name is unknown on this machine."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return ZoneInfo("UTC")


def utc_iso(moment: datetime) -> str:
    """ISO 8601 in UTC to the second: ``2025-03-14T09:30:00Z``."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def local_iso(moment: datetime, zone_name: str) -> str:
    """ISO 8601 in the zone, with its offset: ``2025-03-14T10:30:00+01:00``."""
    return moment.astimezone(zone(zone_name)).isoformat(timespec="seconds")


def local_time(moment: datetime, zone_name: str) -> str:
    """A readable local time: ``2025-03-14 10:30``."""
    return moment.astimezone(zone(zone_name)).strftime("%Y-%m-%d %H:%M")


def escape_markdown(text: str) -> str:
    """User text that Markdown shows literally (no links, emphasis, HTML or headings)."""
    lines = []
    for line in text.splitlines() or [""]:
        escaped = _MD_ENTITY.sub(r"\\&", _MD_INLINE.sub(r"\\\1", line))
        escaped = _MD_LINE_MARK.sub(r"\1\\\2", escaped)
        lines.append(_MD_LINE_NUMBER.sub(r"\1\\\2", escaped))
    return "\n".join(lines)


def csv_cell(value: object) -> str:
    """A cell a spreadsheet never runs as a formula: a leading = + - @ gets an apostrophe
    (a whole number stays a number: ``-3`` is no formula)."""
    if isinstance(value, int):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def prompt_markdown(prompt: str, topic: str) -> str:
    """A step's prompt in Markdown: our own emphasis stays, the users' topic is escaped."""
    return prompt.replace(topic, escape_markdown(topic)) if topic else prompt


def prompt_html(prompt: str, topic: str) -> str:
    """A step's prompt in HTML: our **bold** and *italic* become tags, the topic is escaped.

    The topic is swapped for a marker first, so emphasis around it (``**{topic}**``)
    still pairs up, and nothing the users wrote is ever read as markup.
    """
    marked = prompt.replace(topic, "\x00") if topic else prompt
    html = _ITALIC.sub(r"<em>\1</em>", _BOLD.sub(r"<strong>\1</strong>", escape(marked)))
    return html.replace("\x00", escape(topic))


class Words:
    """The export's sentences in one locale (``prompts/<locale>/export.toml``)."""

    def __init__(self, catalog: Catalog, locale: str) -> None:
        self.catalog = catalog
        self.locale = catalog.resolve(locale)

    def __call__(self, key: str, **values: object) -> str:
        """The sentence for ``key`` with its placeholders filled."""
        return self.catalog.t(self.locale, key, **values)

    def plural(self, key: str, n: int) -> str:
        """``1 notitie`` / ``3 notities`` from a table with ``one`` and ``other``."""
        return self.catalog.t(self.locale, key + (".one" if n == 1 else ".other"), n=n)

    def duration(self, seconds: float) -> str:
        """``1 uur 30 minuten``: days, hours and minutes (seconds only when that is all)."""
        total = max(round(seconds), 0)
        days, rest = divmod(total, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, secs = divmod(rest, 60)
        parts = []
        for amount, key in (
            (days, "common.count.day"),
            (hours, "common.count.hour"),
            (minutes, "common.count.minute"),
        ):
            if amount:
                parts.append(self.plural(key, amount))
        if not parts:
            parts.append(self.plural("common.count.second", secs))
        return " ".join(parts)
