"""A picture of the sticky-note wall: the board as one or more PNG pages for Discord.

``render_board`` draws a :class:`BoardPicture` (groups of notes) as a light "wall" with a
header (topic, subtitle, page marker ``2/3``), one tinted section per group with its title,
its note count and a colour of its own, and the notes as pastel cards with rounded corners,
a subtle shadow, wrapped text, the author (when names are shown) and a vote badge.

Pure CPU work without Discord or storage: callers run it in ``asyncio.to_thread``. The
output is deterministic for the same input on the same machine (renders are serialised by
a lock because FreeType faces are shared between threads).

Fonts
    A system sans-serif font from :data:`FONT_CANDIDATES` is used when one exists (Noto
    Sans, DejaVu Sans, Liberation Sans, Arial): these cover Dutch diacritics and most
    scripts. Otherwise Pillow's bundled font (``ImageFont.load_default``) is used; it only
    covers ASCII and a few symbols, so accented letters (ë, é, ï, ç, š, ...) are drawn as
    the base letter plus a drawn accent. Characters a font cannot draw are never drawn as
    boxes: they are replaced (``–`` -> ``-``, ``€`` -> ``EUR``, ...) or left out (emoji).

Size limits
    Every page is at most ``max_bytes`` bytes: a page that is too big is saved with a
    256-colour palette and, if still too big, scaled down (the page's ``width`` is then
    smaller than requested). ``ValueError`` is raised only when even a tiny version of the
    page does not fit, i.e. for absurd limits of a few hundred bytes.
"""

from __future__ import annotations

import io
import math
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = [
    "FONT_CANDIDATES",
    "BoardGroup",
    "BoardNote",
    "BoardPicture",
    "RenderedPage",
    "render_board",
]


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class BoardNote:
    text: str
    author: str | None = None  # None when names are hidden (anonymous sessions)
    votes: int = 0  # shown as a badge when > 0


@dataclass(frozen=True)
class BoardGroup:
    title: str  # a theme name, a step name, or a canvas lane
    notes: tuple[BoardNote, ...]


@dataclass(frozen=True)
class BoardPicture:
    title: str  # the session topic
    subtitle: str  # e.g. "Inleven · 24 november 2026", localised by the caller
    groups: tuple[BoardGroup, ...]
    empty_text: str = ""  # localised "no notes yet", shown when there are no notes
    more_text: str = "+{n}"  # localised; the last page shows it when notes were not drawn


@dataclass(frozen=True)
class RenderedPage:
    png: bytes
    width: int
    height: int
    note_count: int  # notes drawn on this page


MIN_WIDTH = 320
MAX_WIDTH = 4096

#: (regular, bold) font files tried in order; the first regular file that loads wins.
#: Empty (or none present): Pillow's bundled font with drawn accents.
FONT_CANDIDATES: tuple[tuple[str, str | None], ...] = (
    (
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
    ),
    ("/usr/share/fonts/noto/NotoSans-Regular.ttf", "/usr/share/fonts/noto/NotoSans-Bold.ttf"),
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    (
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
    ),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
)


def render_board(
    picture: BoardPicture,
    *,
    max_bytes: int = 8 * 1024 * 1024,
    width: int = 1600,
    max_notes_per_page: int = 60,
    max_pages: int = 10,
) -> list[RenderedPage]:
    """Draw ``picture`` as one or more PNG pages, each at most ``max_bytes`` bytes.

    Groups flow down the page as sections of note cards (five per row at any width; the
    design is made for ``width=1600`` and scales with it). A page holds at most
    ``max_notes_per_page`` notes and is at most about three times as high as it is wide; a
    group that does not fit continues on the next page under its own title (prefixed with
    ``…``) and every page of a multi-page board shows ``k/n``. After ``max_pages`` pages the
    last page says how many notes were left out with ``picture.more_text.format(n=...)``.
    A board without notes is one page with ``picture.empty_text``.

    Raises ``ValueError`` for a ``width`` outside ``MIN_WIDTH``..``MAX_WIDTH``, a limit
    below 1, or a ``max_bytes`` so small that even a scaled-down page does not fit.
    """
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"width must be between {MIN_WIDTH} and {MAX_WIDTH}, not {width}")
    if max_notes_per_page < 1 or max_pages < 1 or max_bytes < 1:
        raise ValueError("max_notes_per_page, max_pages and max_bytes must be at least 1")
    with _LOCK:
        geo = _Geometry.make(width)
        family = _pick_family(FONT_CANDIDATES)
        plan = _plan_pages(picture, geo, family, max_notes_per_page, max_pages)
        rendered = []
        for index, page in enumerate(plan.pages):
            image = _draw_page(picture, geo, family, plan, index)
            png, w, h = _encode(image, max_bytes)
            rendered.append(RenderedPage(png=png, width=w, height=h, note_count=page.note_count))
        return rendered


_LOCK = threading.Lock()

# --------------------------------------------------------------------------- colours

RGB = tuple[int, int, int]

BACKGROUND: RGB = (243, 240, 234)
INK: RGB = (27, 29, 33)
INK_MUTED: RGB = (58, 62, 69)
WHITE: RGB = (255, 255, 255)
SHADOW: RGB = (60, 45, 20)

#: Okabe & Ito's colour-blind-safe palette (without black); cycled for more groups.
OKABE_ITO: tuple[RGB, ...] = (
    (230, 159, 0),  # orange
    (86, 180, 233),  # sky blue
    (0, 158, 115),  # bluish green
    (240, 228, 66),  # yellow
    (0, 114, 178),  # blue
    (213, 94, 0),  # vermillion
    (204, 121, 167),  # reddish purple
)


def _mix(colour: RGB, other: RGB, amount: float) -> RGB:
    """``amount`` of ``other`` mixed into ``colour``."""
    r, g, b = (round(c + (o - c) * amount) for c, o in zip(colour, other, strict=True))
    return (r, g, b)


@dataclass(frozen=True)
class _Swatch:
    accent: RGB  # the group's colour: swatch and panel top border
    note: RGB  # pastel note card
    panel: RGB  # very light section background


def _swatch(index: int) -> _Swatch:
    accent = OKABE_ITO[index % len(OKABE_ITO)]
    return _Swatch(
        accent=accent,
        note=_mix(accent, WHITE, 0.62),
        panel=_mix(_mix(accent, WHITE, 0.86), BACKGROUND, 0.3),
    )


def _luminance(colour: RGB) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_ratio(a: RGB, b: RGB) -> float:
    """WCAG contrast ratio of two colours (1..21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# --------------------------------------------------------------------------- fonts

_BUNDLED = "<pillow>"
_NOT_A_CHAR = "\U0010ffff"


@dataclass(frozen=True)
class _Family:
    regular: str  # a font file, or _BUNDLED
    bold: str | None  # None: the regular font drawn with a thin stroke


@lru_cache(maxsize=8)
def _pick_family(candidates: tuple[tuple[str, str | None], ...]) -> _Family:
    for regular, bold in candidates:
        if not _loads(regular):
            continue
        return _Family(regular, bold if bold is not None and _loads(bold) else None)
    return _Family(_BUNDLED, None)


def _loads(path: str) -> bool:
    if not Path(path).is_file():
        return False
    try:
        ImageFont.truetype(path, 12)
    except OSError:
        return False
    return True


@lru_cache(maxsize=128)
def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    if path != _BUNDLED:
        return ImageFont.truetype(path, size)
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow w/o FreeType
        raise RuntimeError("Pillow was built without FreeType; the board picture needs it")
    return font


class _Coverage:
    """Which characters a font file can draw: a glyph differs from the missing-glyph box."""

    def __init__(self, path: str) -> None:
        self._font = _load(path, 32)
        self._missing = self._signature(_NOT_A_CHAR)
        self._known: dict[str, bool] = {}
        self._display: dict[str, str] = {}

    def _signature(self, char: str) -> tuple[tuple[int, int], bytes]:
        mask = self._font.getmask(char)
        return mask.size, bytes(mask)

    def has(self, char: str) -> bool:
        known = self._known.get(char)
        if known is None:
            known = self._known[char] = self._signature(char) != self._missing
        return known

    def display(self, cluster: str) -> str:
        shown = self._display.get(cluster)
        if shown is None:
            shown = self._display[cluster] = _display_cluster(cluster, self, depth=0)
        return shown


@lru_cache(maxsize=8)
def _coverage(path: str) -> _Coverage:
    return _Coverage(path)


class _Face:
    """A font file at one size, with measuring and drawing that handle drawn accents."""

    def __init__(self, path: str, size: int, stroke: float) -> None:
        self.font = _load(path, size)
        self.size = size
        self.stroke = stroke
        self.coverage = _coverage(path)
        self.ascent, self.descent = self.font.getmetrics()
        self.line_height = round(size * 1.26)
        self.x_height = -self.font.getbbox("x", anchor="ls")[1]
        self.ellipsis = "…" if self.coverage.has("…") else "..."
        self._widths: dict[str, float] = {}

    def display(self, text: str) -> str:
        """``text`` with only characters this font can draw (or that we draw ourselves)."""
        return "".join(self.coverage.display(c) for c in _clusters(text))

    def measure(self, text: str) -> float:
        width = self._widths.get(text)
        if width is None:
            if len(self._widths) > 50_000:
                self._widths.clear()
            base, _ = self._split_marks(text)
            width = self._widths[text] = self.font.getlength(base) + 2 * self.stroke
        return width

    def _split_marks(self, text: str) -> tuple[str, list[tuple[int, str]]]:
        """The text to draw, and the accents to draw ourselves (base index, mark)."""
        if text.isascii():
            return text, []
        base: list[str] = []
        marks: list[tuple[int, str]] = []
        for char in text:
            if char in _MARK_SHAPES and not self.coverage.has(char):
                if base:
                    marks.append((len(base) - 1, char))
                continue
            base.append(char)
        return "".join(base), marks

    def draw(
        self,
        draw: ImageDraw.ImageDraw,
        x: float,
        baseline: float,
        text: str,
        fill: RGB,
        background: RGB,
    ) -> None:
        base, marks = self._split_marks(text)
        draw.text(
            (x, baseline),
            base,
            font=self.font,
            fill=fill,
            anchor="ls",
            stroke_width=self.stroke,
            stroke_fill=fill,
        )
        for index, mark in marks:
            char = base[index]
            left = x + self.font.getlength(base[:index])
            x0, top, x1, _ = self.font.getbbox(char, anchor="ls")
            centre = left + (x0 + x1) / 2
            if mark in _BELOW_MARKS:
                anchor_y = baseline
                if mark == "\u0328":  # ogonek hangs at the right of the letter
                    centre = left + x1 - self.size * 0.08
            else:
                anchor_y = baseline + top
                if char in "ij":  # a dotless i/j: paint the dot over, accent at x-height
                    dot_bottom = baseline - self.x_height - max(1, round(self.size * 0.04))
                    draw.rectangle(
                        (left + x0 - 1, baseline + top - 1, left + x1 + 1, dot_bottom),
                        fill=background,
                    )
                    anchor_y = baseline - self.x_height
            sprite, dx, dy = _mark_sprite(mark, self.size, char.isupper())
            draw.bitmap((round(centre) + dx, round(anchor_y) + dy), sprite, fill=fill)


@lru_cache(maxsize=256)
def _face(path: str, size: int, stroke: float = 0) -> _Face:
    return _Face(path, size, stroke)


def _regular(family: _Family, size: int) -> _Face:
    return _face(family.regular, size)


def _bold(family: _Family, size: int) -> _Face:
    if family.bold is not None:
        return _face(family.bold, size)
    return _face(family.regular, size, max(0.4, round(size / 55, 2)))


# --------------------------------------------------------------------------- drawn accents

# Combining marks we can draw ourselves when a font has the base letter but not the accent.
_MARK_SHAPES = frozenset(
    "\u0300\u0301\u0302\u0303\u0304\u0306\u0307\u0308\u030a\u030b\u030c\u0327\u0328"
)
_BELOW_MARKS = frozenset("\u0327\u0328")
_SUPERSAMPLE = 4


@lru_cache(maxsize=256)
def _mark_sprite(mark: str, size: int, upper: bool) -> tuple[Image.Image, int, int]:
    """An anti-aliased accent as a mask and its offset from (centre, anchor y).

    Above marks sit on the top of the letter's ink, below marks hang from the baseline.
    """
    em = size * _SUPERSAMPLE
    half_w = math.ceil(em * 0.24)
    above = mark not in _BELOW_MARKS
    height = math.ceil(em * (0.34 if above else 0.26))
    image = Image.new("L", (2 * half_w, height), 0)
    pen = ImageDraw.Draw(image)
    thick = max(_SUPERSAMPLE, em * 0.078)
    gap = em * (0.05 if upper else 0.08)

    def at(x: float, y: float) -> tuple[float, float]:
        """Em units (y up, from the anchor) to sprite pixels."""
        return half_w + x * em, (height - gap + y * -em) if above else (y * em)

    def stroke(points: Sequence[tuple[float, float]]) -> None:
        pixels = [at(x, y) for x, y in points]
        pen.line(pixels, fill=255, width=round(thick), joint="curve")
        r = thick / 2
        for px, py in (pixels[0], pixels[-1]):
            pen.ellipse((px - r, py - r, px + r, py + r), fill=255)

    def dot(x: float, y: float, r: float) -> None:
        cx, cy = at(x, y)
        pen.ellipse((cx - r * em, cy - r * em, cx + r * em, cy + r * em), fill=255)

    if mark == "\u0301":  # acute
        stroke([(-0.05, 0.0), (0.07, 0.17)])
    elif mark == "\u0300":  # grave
        stroke([(0.05, 0.0), (-0.07, 0.17)])
    elif mark == "\u030b":  # double acute
        stroke([(-0.1, 0.0), (-0.01, 0.17)])
        stroke([(0.04, 0.0), (0.13, 0.17)])
    elif mark == "\u0302":  # circumflex
        stroke([(-0.12, 0.01), (0.0, 0.15), (0.12, 0.01)])
    elif mark == "\u030c":  # caron
        stroke([(-0.12, 0.15), (0.0, 0.01), (0.12, 0.15)])
    elif mark == "\u0308":  # diaeresis
        dot(-0.11, 0.065, 0.058)
        dot(0.11, 0.065, 0.058)
    elif mark == "\u0307":  # dot above
        dot(0.0, 0.065, 0.06)
    elif mark == "\u030a":  # ring
        cx, cy = at(0.0, 0.09)
        r = 0.085 * em
        pen.ellipse((cx - r, cy - r, cx + r, cy + r), outline=255, width=round(thick * 0.8))
    elif mark == "\u0303":  # tilde
        stroke(
            [(-0.13 + 0.26 * i / 12, 0.07 + 0.045 * math.sin(math.pi * i / 6)) for i in range(13)]
        )
    elif mark == "\u0304":  # macron
        stroke([(-0.13, 0.05), (0.13, 0.05)])
    elif mark == "\u0306":  # breve
        stroke(
            [
                (0.12 * math.cos(a), 0.15 - 0.12 * math.sin(a))
                for a in (math.pi * i / 10 for i in range(11))
            ]
        )
    elif mark == "\u0327":  # cedilla
        stroke([(0.0, 0.0), (0.0, 0.05), (0.07, 0.1), (0.03, 0.18), (-0.07, 0.19)])
    elif mark == "\u0328":  # ogonek
        stroke([(0.02, 0.0), (-0.06, 0.09), (-0.02, 0.18), (0.08, 0.18)])
    sprite = image.reduce(_SUPERSAMPLE)
    offset_y = -sprite.height if above else 0
    return sprite, -(half_w // _SUPERSAMPLE), offset_y


# --------------------------------------------------------------------------- text cleaning

_USER_MENTION = re.compile(r"<@[!&]?\d+>")
_CHANNEL_MENTION = re.compile(r"<#\d+>")
_SLASH_MENTION = re.compile(r"</([^<>:\n]{1,100}):\d+>")
_CUSTOM_EMOJI = re.compile(r"<a?:[A-Za-z0-9_~]{1,64}:\d+>")
_TIMESTAMP = re.compile(r"<t:(-?\d{1,20})(?::[tTdDfFRsS])?>")
_MASKED_LINK = re.compile(r"\[([^\]\n]{1,500})\]\(<?((?:https?|mailto):[^()\s]{1,2000})>?\)")
_BRACKETED_URL = re.compile(r"<((?:https?|mailto):[^<>\s]{1,2000})>")
_CODE_FENCE = re.compile(r"```[A-Za-z0-9_+.-]{0,20}\n?")
_ITALIC_STAR = re.compile(r"(?<![\w*\\])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDERSCORE = re.compile(r"(?<![\w\\])_(?=\S)([^_\n]+?)(?<=\S)_(?!\w)")
_LINE_PREFIX = re.compile(r"^[ \t]*(?:>>>|>|#{1,3}|-#)[ \t]+", re.MULTILINE)
_ESCAPE = re.compile(r"\\([\\*_`~|>#\-\[\]()<:@])")
_SPACES = re.compile(r"[ \t]+")
_MAX_NOTE_CHARS = 1200  # more can never be shown on a card


def _timestamp_text(match: re.Match[str]) -> str:
    try:
        moment = datetime.fromtimestamp(int(match.group(1)), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return ""
    return moment.strftime("%d-%m-%Y")


def _clean(text: str, *, multiline: bool) -> str:
    """Plain text from a Discord message: no markdown markers, readable mentions."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _USER_MENTION.sub("@…", text)
    text = _CHANNEL_MENTION.sub("#…", text)
    text = _SLASH_MENTION.sub(r"/\1", text)
    text = _CUSTOM_EMOJI.sub("", text)
    text = _TIMESTAMP.sub(_timestamp_text, text)
    text = _MASKED_LINK.sub(r"\1", text)
    text = _BRACKETED_URL.sub(r"\1", text)
    text = _CODE_FENCE.sub("", text)
    for marker in ("**", "__", "~~", "||", "`"):
        text = text.replace(marker, "")
    text = _ITALIC_STAR.sub(r"\1", text)
    text = _ITALIC_UNDERSCORE.sub(r"\1", text)
    text = _LINE_PREFIX.sub("", text)
    text = _ESCAPE.sub(r"\1", text)
    return _tidy(text, multiline=multiline)


def _tidy(text: str, *, multiline: bool) -> str:
    """One space between words; no blank lines (a note is small); one line if asked."""
    text = "".join(" " if unicodedata.category(c) == "Zs" or c == "\t" else c for c in text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    return ("\n" if multiline else " ").join(lines)


def _clusters(text: str) -> Iterator[str]:
    """A character with the combining marks that follow it."""
    current = ""
    for char in text:
        if current and unicodedata.category(char) in ("Mn", "Me"):
            current += char
            continue
        if current:
            yield current
        current = char
    if current:
        yield current


# Stand-ins for characters a font lacks, tried before leaving a character out.
_REPLACEMENTS: dict[str, str] = {
    "–": "-",
    "—": "-",
    "‒": "-",
    "―": "-",
    "−": "-",
    "‐": "-",
    "‑": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "″": '"',
    "«": '"',
    "»": '"',
    "‹": "'",
    "›": "'",
    "•": "·",
    "◦": "·",
    "‣": "·",
    "∙": "·",
    "●": "·",
    "·": ".",
    "…": "...",
    "€": "EUR",
    "£": "GBP",
    "→": "->",
    "←": "<-",
    "⇒": "=>",
    "×": "x",
    "÷": "/",
    "ß": "ss",
    "æ": "ae",
    "Æ": "AE",
    "œ": "oe",
    "Œ": "OE",
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "ð": "d",
    "þ": "th",
    "ı": "i",
    "✓": "v",
    "✔": "v",
    "°": "o",
}


def _display_cluster(cluster: str, coverage: _Coverage, *, depth: int) -> str:
    """What to draw for one character (with its marks): itself, a stand-in, or nothing."""
    first = cluster[0]
    if first == "\n":
        return "\n"
    category = unicodedata.category(first)
    if category in ("Zs", "Zl", "Zp"):
        return " "
    if category[0] in ("C", "M"):  # controls, format, private use, unassigned, lone marks
        return ""
    cluster = unicodedata.normalize("NFC", cluster)
    if all(coverage.has(c) for c in cluster):
        return cluster
    decomposed = unicodedata.normalize("NFD", cluster)
    base, marks = decomposed[0], decomposed[1:]
    if marks and coverage.has(base) and all(m in _MARK_SHAPES for m in marks):
        return decomposed  # base letter from the font, accents drawn by _Face.draw
    if depth < 2:
        for alternative in (_REPLACEMENTS.get(cluster), _REPLACEMENTS.get(base)):
            if alternative is not None:
                shown = "".join(
                    _display_cluster(c, coverage, depth=depth + 1) for c in _clusters(alternative)
                )
                if shown:
                    return shown
        compatible = unicodedata.normalize("NFKD", cluster)
        if compatible != decomposed:
            return "".join(
                _display_cluster(c, coverage, depth=depth + 1)
                for c in _clusters(unicodedata.normalize("NFC", compatible))
            )
    if marks and coverage.has(base):
        return base
    return ""


# --------------------------------------------------------------------------- wrapping


def _wrap(
    text: str, face: _Face, width: float, max_lines: int, *, break_words: bool = True
) -> tuple[list[str], bool]:
    """Greedy word wrap; words wider than a line are broken. Stops after ``max_lines``.

    Returns the lines and whether text was left over (then ``max_lines + 1`` lines). With
    ``break_words=False`` a word wider than a line counts as left-over text instead.
    """
    lines: list[str] = []

    def push(line: str) -> bool:
        lines.append(line)
        return len(lines) > max_lines

    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            if not word:
                continue
            candidate = f"{current} {word}" if current else word
            if face.measure(candidate) <= width:
                current = candidate
                continue
            if current and push(current):
                return lines, True
            current = ""
            if face.measure(word) <= width:
                current = word
                continue
            if not break_words:
                return lines, True
            pieces = _break_word(word, face, width)
            for piece in pieces[:-1]:
                if push(piece):
                    return lines, True
            current = pieces[-1]
        if current and push(current):
            return lines, True
    return lines, False


def _break_word(word: str, face: _Face, width: float) -> list[str]:
    """Pieces of a too-long word, each as long as fits, preferably broken at a syllable.

    A break between two letters gets a hyphen; a break looks back a few characters for a
    consonant that starts a syllable (``prikkelgevoelig-heid``) or a ``-``/``/``.
    """
    clusters = list(_clusters(word))
    count = len(clusters)
    pieces: list[list[str]] = []
    start = 0
    while start < count:
        end = start + 1
        while end < count:
            text = "".join(clusters[start : end + 1])
            if end + 1 < count and _letters(clusters[end], clusters[end + 1]):
                text += "-"
            if face.measure(text) > width:
                break
            end += 1
        if end < count:
            for candidate in range(end, max(start + 3, end - 6) - 1, -1):
                if _good_break(clusters, candidate):
                    end = candidate
                    break
        pieces.append(clusters[start:end])
        start = end
    if len(pieces) > 1 and len(pieces[-1]) < 3 and len(pieces[-2]) > 5:
        while len(pieces[-1]) < 3:
            pieces[-1].insert(0, pieces[-2].pop())
    return [
        "".join(piece)
        + ("-" if i + 1 < len(pieces) and _letters(piece[-1], pieces[i + 1][0]) else "")
        for i, piece in enumerate(pieces)
    ]


_VOWELS = frozenset("aeiouyAEIOUY")


def _vowel(cluster: str) -> bool:
    return unicodedata.normalize("NFD", cluster)[0] in _VOWELS


def _good_break(clusters: Sequence[str], index: int) -> bool:
    """Whether breaking before ``clusters[index]`` reads well (roughly Dutch syllables)."""
    if index < 2 or index > len(clusters) - 2:
        return False
    left, right, after = clusters[index - 1], clusters[index], clusters[index + 1]
    if left in ("-", "/", "_", ".", "&", "+"):
        return True
    if not (left[0].isalpha() and right[0].isalpha() and after[0].isalpha()):
        return False
    return (
        not _vowel(right)
        and _vowel(after)
        and any(_vowel(c) for c in clusters[:index])
        and not (left in "cC" and right in "hH")
    )


def _letters(left: str, right: str) -> bool:
    return bool(left) and bool(right) and left[0].isalpha() and right[0].isalpha()


def _ellipsize(line: str, face: _Face, width: float) -> str:
    """``line`` cut so that it ends in an ellipsis within ``width``."""
    clusters = list(_clusters(line))
    while clusters and face.measure("".join(clusters).rstrip() + face.ellipsis) > width:
        clusters.pop()
    return "".join(clusters).rstrip() + face.ellipsis


def _fit(text: str, face: _Face, width: float, max_lines: int) -> tuple[list[str], bool]:
    """At most ``max_lines`` lines; the last ends in an ellipsis when text was cut."""
    lines, overflow = _wrap(text, face, width, max_lines)
    if not overflow:
        return lines, False
    lines = lines[:max_lines]
    lines[-1] = _ellipsize(lines[-1], face, width)
    return lines, True


# --------------------------------------------------------------------------- geometry


@dataclass(frozen=True)
class _Geometry:
    """All sizes for one page width; the design is made for 1600 px and scales."""

    width: int
    scale: float
    margin: int
    content: int
    cols: int
    card: int
    card_gap: int
    card_pad: int
    card_radius: int
    card_max_height: int
    shadow_blur: int
    shadow_offset: int
    panel_pad: int
    panel_gap_x: int
    panel_gap_y: int
    panel_radius: int
    panel_border: int
    head_gap: int
    note_sizes: tuple[int, ...]
    author_size: int
    footer_height: int
    badge_size: int
    group_title_size: int
    chip_size: int
    title_sizes: tuple[int, ...]
    subtitle_size: int
    marker_size: int
    more_size: int
    empty_size: int
    max_content_height: int

    @staticmethod
    def make(width: int) -> _Geometry:
        s = width / 1600

        def px(value: float) -> int:
            return max(1, round(value * s))

        cols = 5
        margin = px(44)
        panel_pad = px(20)
        card_gap = px(18)
        card = (width - 2 * margin - 2 * panel_pad - (cols - 1) * card_gap) // cols
        content = cols * card + (cols - 1) * card_gap + 2 * panel_pad
        return _Geometry(
            width=width,
            scale=s,
            margin=(width - content) // 2,
            content=content,
            cols=cols,
            card=card,
            card_gap=card_gap,
            card_pad=px(18),
            card_radius=px(10),
            card_max_height=round(card * 1.5),
            shadow_blur=px(7),
            shadow_offset=px(4),
            panel_pad=panel_pad,
            panel_gap_x=px(20),
            panel_gap_y=px(26),
            panel_radius=px(18),
            panel_border=px(7),
            head_gap=px(14),
            note_sizes=(px(29), px(26), px(23)),
            author_size=px(20),
            footer_height=px(34),
            badge_size=px(21),
            group_title_size=px(27),
            chip_size=px(21),
            title_sizes=(px(48), px(40)),
            subtitle_size=px(28),
            marker_size=px(26),
            more_size=px(28),
            empty_size=px(34),
            max_content_height=round(width * 2.6),
        )

    def px(self, value: float) -> int:
        return max(1, round(value * self.scale))


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _NoteLayout:
    face: _Face
    lines: tuple[str, ...]
    height: int  # the card height this note needs (at least the square card)
    author: str | None
    votes: int
    placeholder: bool  # nothing drawable was left (emoji only, empty)


def _layout_note(note: BoardNote, geo: _Geometry, family: _Family) -> _NoteLayout:
    text_width = geo.card - 2 * geo.card_pad
    votes = max(0, note.votes)
    author = _clean(note.author, multiline=False) if note.author else ""
    footer = geo.footer_height + geo.px(10) if (author or votes) else 0
    chrome = 2 * geo.card_pad + footer
    raw = _clean(note.text[: _MAX_NOTE_CHARS * 2], multiline=True)[:_MAX_NOTE_CHARS]
    text = _tidy(_regular(family, geo.note_sizes[0]).display(raw), multiline=True)
    if not _has_word(text) and _has_word(raw):
        text = ""  # e.g. only the punctuation of a script the font lacks is left
    author_face = _regular(family, geo.author_size)
    shown_author = _tidy(author_face.display(author), multiline=False) if author else ""
    if shown_author:
        badge = _badge_width(votes, geo, family) + geo.px(10) if votes else 0
        room = text_width - badge
        if author_face.measure(shown_author) > room:
            shown_author = _ellipsize(shown_author, author_face, room)
    if not text:
        face = _regular(family, geo.note_sizes[0])
        return _NoteLayout(face, (face.ellipsis,), geo.card, shown_author or None, votes, True)

    def needed(face: _Face, count: int) -> int:
        return chrome + (count - 1) * face.line_height + face.ascent + face.descent

    def attempt(size: int, limit: int, break_words: bool) -> tuple[_Face, list[str], bool]:
        face = _regular(family, size)
        room = limit - chrome - face.ascent - face.descent
        max_lines = max(1, room // face.line_height + 1)
        lines, overflow = _wrap(text, face, text_width, max_lines, break_words=break_words)
        return face, lines, overflow

    # Shrink a step at a time on the square card, from the second size on also breaking
    # (hyphenating) words that are too long; then the smallest size on a taller card (the
    # whole row grows); an ellipsis only as the last resort.
    smallest = geo.note_sizes[-1]
    tries = [(geo.note_sizes[0], geo.card, False)]
    for size in geo.note_sizes[1:]:
        tries += [(size, geo.card, False), (size, geo.card, True)]
    tries += [(smallest, geo.card_max_height, False), (smallest, geo.card_max_height, True)]
    for size, limit, break_words in tries:
        face, lines, overflow = attempt(size, limit, break_words)
        if not overflow:
            height = max(geo.card, needed(face, len(lines)))
            return _NoteLayout(face, tuple(lines), height, shown_author or None, votes, False)
    face = _regular(family, smallest)
    room = geo.card_max_height - chrome - face.ascent - face.descent
    lines, _ = _fit(text, face, text_width, max(1, room // face.line_height + 1))
    height = max(geo.card, needed(face, len(lines)))
    return _NoteLayout(face, tuple(lines), height, shown_author or None, votes, False)


def _has_word(text: str) -> bool:
    return any(c.isalnum() for c in text)


def _badge_width(votes: int, geo: _Geometry, family: _Family) -> int:
    face = _bold(family, geo.badge_size)
    return round(face.measure(str(votes))) + geo.footer_height // 2 + geo.px(30)


@dataclass
class _Section:
    group_index: int
    title: str
    total: int  # notes in the whole group
    notes: list[_NoteLayout]
    continued: bool
    span: int  # card columns
    x: int = 0
    width: int = 0
    head: tuple[str, ...] = ()
    rows: list[list[_NoteLayout]] = field(default_factory=list)


@dataclass
class _Band:
    sections: list[_Section]
    head_height: int
    row_heights: list[int]
    height: int


@dataclass
class _Page:
    bands: list[_Band] = field(default_factory=list)
    note_count: int = 0
    height: int = 0  # content height


@dataclass
class _Plan:
    pages: list[_Page]  # one empty page for a board without notes
    not_drawn: int
    header: _Header
    empty: bool


@dataclass(frozen=True)
class _Header:
    title: tuple[str, ...]
    title_face: _Face
    subtitle: str
    subtitle_face: _Face
    height: int


def _section_width(span: int, geo: _Geometry) -> int:
    return span * geo.card + (span - 1) * geo.card_gap + 2 * geo.panel_pad


def _plan_pages(
    picture: BoardPicture,
    geo: _Geometry,
    family: _Family,
    max_notes_per_page: int,
    max_pages: int,
) -> _Plan:
    """Which notes go on which page, in which section and row."""
    groups = picture.groups
    total = sum(len(g.notes) for g in groups)
    totals = [len(g.notes) for g in groups]
    layouts: dict[tuple[int, int], _NoteLayout] = {}

    def note(gi: int, ni: int) -> _NoteLayout:
        key = (gi, ni)
        found = layouts.get(key)
        if found is None:
            found = layouts[key] = _layout_note(groups[gi].notes[ni], geo, family)
        return found

    def is_small(count: int) -> bool:
        return count < geo.cols and count <= max_notes_per_page

    pages: list[_Page] = []
    gi, offset = 0, 0
    max_height = geo.max_content_height
    while total and gi < len(groups) and len(pages) < max_pages:
        page = _Page()
        while gi < len(groups):
            room = max_notes_per_page - page.note_count
            remaining = totals[gi] - offset
            gap = geo.panel_gap_y if page.bands else 0
            if not is_small(remaining):
                if room == 0:
                    break
                section = _Section(gi, groups[gi].title, totals[gi], [], offset > 0, geo.cols)
                band = _make_band([section], geo, family)
                taken = 0
                rows: list[list[_NoteLayout]] = []
                heights: list[int] = []
                while taken < min(remaining, room):
                    count = min(geo.cols, remaining - taken, room - taken)
                    row = [note(gi, offset + taken + i) for i in range(count)]
                    row_height = max(n.height for n in row)
                    new_height = _band_height(band.head_height, [*heights, row_height], geo)
                    if page.height + gap + new_height > max_height and (rows or page.bands):
                        break
                    rows.append(row)
                    heights.append(row_height)
                    taken += count
                if not rows:
                    break
                section.rows = rows
                section.notes = [n for row in rows for n in row]
                _finish_band(band, heights, geo)
                page.bands.append(band)
                page.height += gap + band.height
                page.note_count += taken
                offset += taken
                if offset < totals[gi]:
                    break
                gi, offset = gi + 1, 0
                continue
            if remaining > room:
                break
            members = [(gi, offset, remaining)]
            used = _section_width(max(1, remaining), geo)
            notes_in_band = remaining
            nxt = gi + 1
            while nxt < len(groups) and is_small(totals[nxt]):
                width = _section_width(max(1, totals[nxt]), geo)
                if used + geo.panel_gap_x + width > geo.content:
                    break
                if notes_in_band + totals[nxt] > room:
                    break
                members.append((nxt, 0, totals[nxt]))
                used += geo.panel_gap_x + width
                notes_in_band += totals[nxt]
                nxt += 1
            sections = []
            for mgi, moff, count in members:
                row = [note(mgi, moff + i) for i in range(count)]
                section = _Section(
                    mgi, groups[mgi].title, totals[mgi], row, moff > 0, max(1, count)
                )
                section.rows = [row]
                sections.append(section)
            band = _make_band(sections, geo, family)
            row_height = max((n.height for n in _band_notes(sections)), default=geo.card)
            _finish_band(band, [row_height], geo)
            if page.height + gap + band.height > max_height and page.bands:
                break
            page.bands.append(band)
            page.height += gap + band.height
            page.note_count += notes_in_band
            gi, offset = nxt, 0
        if not page.bands:  # pragma: no cover - every fresh page takes at least one row
            break
        pages.append(page)
    drawn = sum(p.note_count for p in pages)
    if not pages:
        pages.append(_Page())
    header = _layout_header(picture, geo, family, len(pages))
    return _Plan(pages=pages, not_drawn=total - drawn, header=header, empty=total == 0)


def _band_notes(sections: list[_Section]) -> Iterator[_NoteLayout]:
    for section in sections:
        yield from section.notes


def _make_band(sections: list[_Section], geo: _Geometry, family: _Family) -> _Band:
    """Place sections side by side over the full width and lay out their titles."""
    widths = [_section_width(s.span, geo) for s in sections]
    spare = geo.content - sum(widths) - geo.panel_gap_x * (len(sections) - 1)
    x = geo.margin
    face = _bold(family, geo.group_title_size)
    chip_face = _bold(family, geo.chip_size)
    head_height = 0
    for i, section in enumerate(sections):
        extra = spare // len(sections) + (1 if i < spare % len(sections) else 0)
        section.x = x
        section.width = widths[i] + extra
        x += section.width + geo.panel_gap_x
        title = _clean(section.title, multiline=False)
        title = _tidy(face.display(title), multiline=False)
        if section.continued:
            title = f"{face.ellipsis} {title}" if title else face.ellipsis
        chip = _chip_width(section.total, geo, chip_face)
        swatch = geo.px(22) + geo.px(12)
        room = section.width - 2 * geo.panel_pad - chip - geo.px(12) - swatch
        lines, _ = _fit(title, face, room, 2) if title else ([], False)
        section.head = tuple(lines)
        lines_height = max(1, len(lines)) * face.line_height
        head_height = max(head_height, lines_height)
    return _Band(sections, head_height, [], 0)


def _finish_band(band: _Band, row_heights: list[int], geo: _Geometry) -> None:
    band.row_heights = row_heights
    band.height = _band_height(band.head_height, row_heights, geo)


def _band_height(head_height: int, row_heights: list[int], geo: _Geometry) -> int:
    rows = sum(row_heights) + geo.card_gap * (len(row_heights) - 1)
    return geo.panel_border + 2 * geo.panel_pad + head_height + geo.head_gap + rows


def _chip_width(total: int, geo: _Geometry, face: _Face) -> int:
    return round(face.measure(str(total))) + geo.px(24)


def _layout_header(picture: BoardPicture, geo: _Geometry, family: _Family, pages: int) -> _Header:
    marker = _marker_width(pages, pages, geo, family) + geo.px(24) if pages > 1 else 0
    room = geo.content - marker
    title = _clean(picture.title, multiline=False)
    lines: list[str] = []
    face = _bold(family, geo.title_sizes[0])
    for size in geo.title_sizes:
        face = _bold(family, size)
        shown = _tidy(face.display(title), multiline=False)
        lines, overflow = _fit(shown, face, room, 2)
        if not overflow:
            break
    sub_face = _regular(family, geo.subtitle_size)
    subtitle = _tidy(sub_face.display(_clean(picture.subtitle, multiline=False)), multiline=False)
    if subtitle and sub_face.measure(subtitle) > room:
        subtitle = _ellipsize(subtitle, sub_face, room)
    height = len(lines) * face.line_height + (sub_face.line_height if subtitle else 0)
    return _Header(tuple(lines), face, subtitle, sub_face, max(height, face.line_height))


def _marker_text(page: int, pages: int) -> str:
    return f"{page}/{pages}"


def _marker_width(page: int, pages: int, geo: _Geometry, family: _Family) -> int:
    face = _bold(family, geo.marker_size)
    return round(face.measure(_marker_text(page, pages))) + geo.px(36)


def _more_text(template: str, count: int) -> str:
    try:
        return template.format(n=count)
    except (KeyError, IndexError, ValueError, AttributeError):
        return f"+{count}"


# --------------------------------------------------------------------------- drawing


def _corner(radius: int) -> Image.Image:
    return _corner_cached(max(1, radius))


@lru_cache(maxsize=32)
def _corner_cached(radius: int) -> Image.Image:
    """An anti-aliased filled circle of ``radius``, for rounding corners."""
    big = Image.new("L", (2 * radius * _SUPERSAMPLE, 2 * radius * _SUPERSAMPLE), 0)
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), fill=255)
    return big.reduce(_SUPERSAMPLE)


def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    radius = max(1, min(radius, width // 2, height // 2))
    mask = Image.new("L", (width, height), 255)
    circle = _corner(radius)
    r = radius
    for box, at in (
        ((0, 0, r, r), (0, 0)),
        ((r, 0, 2 * r, r), (width - r, 0)),
        ((0, r, r, 2 * r), (0, height - r)),
        ((r, r, 2 * r, 2 * r), (width - r, height - r)),
    ):
        mask.paste(circle.crop(box), at)
    return mask


@lru_cache(maxsize=64)
def _card_mask(width: int, height: int, radius: int) -> Image.Image:
    return _rounded_mask(width, height, radius)


@lru_cache(maxsize=32)
def _card_sprite(
    width: int, height: int, radius: int, blur: int, offset: int, colour: RGB
) -> Image.Image:
    """A note card with its soft shadow, as RGBA with a margin of ``2 * blur``."""
    pad = 2 * blur
    size = (width + 2 * pad, height + 2 * pad)
    card = _card_mask(width, height, radius)
    shadow = Image.new("L", size, 0)
    shadow.paste(card.point(lambda v: v * 70 // 255), (pad, pad + offset))
    sprite = Image.new("RGBA", size, (*SHADOW, 0))
    sprite.putalpha(shadow.filter(ImageFilter.GaussianBlur(blur)))
    sprite.paste((*colour, 255), (pad, pad, pad + width, pad + height), card)
    return sprite


def _fill_rounded(
    image: Image.Image, box: tuple[int, int, int, int], radius: int, colour: RGB
) -> None:
    """A filled rectangle with anti-aliased round corners (masks only at the corners)."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height <= 0:
        return
    r = max(1, min(radius, width // 2, height // 2))
    draw = ImageDraw.Draw(image)
    if width > 2 * r:
        draw.rectangle((x0 + r, y0, x1 - r - 1, y1 - 1), fill=colour)
    if height > 2 * r:
        draw.rectangle((x0, y0 + r, x1 - 1, y1 - r - 1), fill=colour)
    circle = _corner(r)
    for crop, (cx, cy) in (
        ((0, 0, r, r), (x0, y0)),
        ((r, 0, 2 * r, r), (x1 - r, y0)),
        ((0, r, r, 2 * r), (x0, y1 - r)),
        ((r, r, 2 * r, 2 * r), (x1 - r, y1 - r)),
    ):
        image.paste(colour, (cx, cy, cx + r, cy + r), circle.crop(crop))


def _pill(image: Image.Image, box: tuple[int, int, int, int], colour: RGB) -> None:
    _fill_rounded(image, box, (box[3] - box[1]) // 2, colour)


def _draw_page(
    picture: BoardPicture, geo: _Geometry, family: _Family, plan: _Plan, index: int
) -> Image.Image:
    header = plan.header
    top = geo.px(40)
    header_bottom = top + header.height + geo.px(30)
    page = plan.pages[index]
    content_height = geo.px(360) if plan.empty else page.height
    last = index == len(plan.pages) - 1
    more = plan.not_drawn > 0 and last
    more_face = _regular(family, geo.more_size)
    footer = geo.px(30) + more_face.line_height + geo.px(28) if more else 0
    height = header_bottom + content_height + footer + geo.px(44)
    image = Image.new("RGB", (geo.width, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _draw_header(image, draw, geo, family, plan, index, top)
    draw.line(
        (
            geo.margin,
            header_bottom - geo.px(16),
            geo.margin + geo.content,
            header_bottom - geo.px(16),
        ),
        fill=_mix(BACKGROUND, INK, 0.14),
        width=geo.px(2),
    )
    if plan.empty:
        _draw_empty(image, draw, geo, family, picture.empty_text, header_bottom, content_height)
        return image
    y = header_bottom
    for band in page.bands:
        _draw_band(image, draw, geo, family, band, y)
        y += band.height + geo.panel_gap_y
    if more:
        text = _more_text(picture.more_text, plan.not_drawn)
        shown = _tidy(more_face.display(_clean(text, multiline=False)), multiline=False)
        shown = shown or f"+{plan.not_drawn}"
        room = geo.content - geo.px(60)
        if more_face.measure(shown) > room:
            shown = _ellipsize(shown, more_face, room)
        text_w = round(more_face.measure(shown))
        pill_h = more_face.line_height + geo.px(20)
        pill_w = text_w + geo.px(60)
        x0 = (geo.width - pill_w) // 2
        y0 = y - geo.panel_gap_y + geo.px(30)
        _pill(image, (x0, y0, x0 + pill_w, y0 + pill_h), INK)
        baseline = y0 + (pill_h + more_face.ascent - more_face.descent) // 2
        more_face.draw(draw, x0 + geo.px(30), baseline, shown, WHITE, INK)
    return image


def _draw_header(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    geo: _Geometry,
    family: _Family,
    plan: _Plan,
    index: int,
    top: int,
) -> None:
    header = plan.header
    face = header.title_face
    baseline = top + face.ascent
    for line in header.title:
        face.draw(draw, geo.margin, baseline, line, INK, BACKGROUND)
        baseline += face.line_height
    if header.subtitle:
        sub = header.subtitle_face
        baseline += sub.ascent - face.ascent + geo.px(4)
        sub.draw(draw, geo.margin, baseline, header.subtitle, INK_MUTED, BACKGROUND)
    pages = len(plan.pages)
    if pages > 1:
        marker_face = _bold(family, geo.marker_size)
        text = _marker_text(index + 1, pages)
        width = _marker_width(index + 1, pages, geo, family)
        pill_h = marker_face.line_height + geo.px(16)
        x1 = geo.margin + geo.content
        y0 = top + geo.px(4)
        _pill(image, (x1 - width, y0, x1, y0 + pill_h), INK)
        text_x = x1 - width + (width - marker_face.measure(text)) / 2
        text_base = y0 + (pill_h + marker_face.ascent - marker_face.descent) // 2
        marker_face.draw(draw, text_x, text_base, text, WHITE, INK)


def _draw_empty(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    geo: _Geometry,
    family: _Family,
    text: str,
    y: int,
    height: int,
) -> None:
    box = (geo.margin, y, geo.margin + geo.content, y + height)
    _fill_rounded(image, box, geo.panel_radius, _mix(BACKGROUND, WHITE, 0.5))
    _dashed_outline(draw, box, _mix(BACKGROUND, INK, 0.35), geo)
    face = _regular(family, geo.empty_size)
    shown = _tidy(face.display(_clean(text, multiline=True)), multiline=True)
    if not shown:
        return
    lines, _ = _fit(shown, face, geo.content - geo.px(120), 4)
    block = (len(lines) - 1) * face.line_height + face.ascent + face.descent
    baseline = y + (height - block) // 2 + face.ascent
    for line in lines:
        x = geo.margin + (geo.content - face.measure(line)) / 2
        face.draw(draw, x, baseline, line, INK_MUTED, _mix(BACKGROUND, WHITE, 0.5))
        baseline += face.line_height


def _dashed_outline(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], colour: RGB, geo: _Geometry
) -> None:
    x0, y0, x1, y1 = box
    inset = geo.px(6)
    x0, y0, x1, y1 = x0 + inset, y0 + inset, x1 - inset, y1 - inset
    dash, gap, width = geo.px(16), geo.px(12), geo.px(3)
    x = x0
    while x < x1:
        end = min(x + dash, x1)
        draw.line((x, y0, end, y0), fill=colour, width=width)
        draw.line((x, y1, end, y1), fill=colour, width=width)
        x += dash + gap
    y = y0
    while y < y1:
        end = min(y + dash, y1)
        draw.line((x0, y, x0, end), fill=colour, width=width)
        draw.line((x1, y, x1, end), fill=colour, width=width)
        y += dash + gap


def _draw_band(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    geo: _Geometry,
    family: _Family,
    band: _Band,
    y: int,
) -> None:
    face = _bold(family, geo.group_title_size)
    chip_face = _bold(family, geo.chip_size)
    for section in band.sections:
        swatch = _swatch(section.group_index)
        x0, x1 = section.x, section.x + section.width
        box = (x0, y, x1, y + band.height)
        _fill_rounded(image, box, geo.panel_radius, swatch.accent)
        _fill_rounded(
            image, (x0, y + geo.panel_border, x1, y + band.height), geo.panel_radius, swatch.panel
        )
        # Header: colour swatch, title (one or two lines), count chip.
        head_top = y + geo.panel_border + geo.panel_pad
        size = geo.px(22)
        sx = x0 + geo.panel_pad
        sy = head_top + (face.line_height - size) // 2
        _fill_rounded(image, (sx, sy, sx + size, sy + size), geo.px(5), swatch.accent)
        text_x = sx + size + geo.px(12)
        baseline = head_top + (face.line_height + face.ascent - face.descent) // 2
        for line in section.head:
            face.draw(draw, text_x, baseline, line, INK, swatch.panel)
            baseline += face.line_height
        count = str(section.total)
        chip_w = _chip_width(section.total, geo, chip_face)
        chip_h = chip_face.line_height + geo.px(6)
        cx1 = x1 - geo.panel_pad
        cy0 = head_top + (face.line_height - chip_h) // 2
        _pill(image, (cx1 - chip_w, cy0, cx1, cy0 + chip_h), WHITE)
        chip_base = cy0 + (chip_h + chip_face.ascent - chip_face.descent) // 2
        chip_face.draw(
            draw,
            cx1 - chip_w + (chip_w - chip_face.measure(count)) / 2,
            chip_base,
            count,
            INK,
            WHITE,
        )
        # Cards; an empty group shows a dashed outline where its first card would go.
        row_y = head_top + band.head_height + geo.head_gap
        if not section.notes:
            x = x0 + geo.panel_pad
            _dashed_outline(
                draw,
                (x, row_y, x + geo.card, row_y + band.row_heights[0]),
                _mix(swatch.panel, INK, 0.3),
                geo,
            )
        for row, row_height in zip(section.rows, band.row_heights, strict=False):
            card_x = x0 + geo.panel_pad
            for note in row:
                _draw_note(image, draw, geo, family, note, swatch, card_x, row_y, row_height)
                card_x += geo.card + geo.card_gap
            row_y += row_height + geo.card_gap


def _draw_note(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    geo: _Geometry,
    family: _Family,
    note: _NoteLayout,
    swatch: _Swatch,
    x: int,
    y: int,
    height: int,
) -> None:
    width = geo.card
    blur = geo.shadow_blur
    sprite = _card_sprite(width, height, geo.card_radius, blur, geo.shadow_offset, swatch.note)
    image.paste(sprite, (x - 2 * blur, y - 2 * blur), sprite)
    face = note.face
    baseline = y + geo.card_pad + face.ascent
    colour = INK_MUTED if note.placeholder else INK
    for line in note.lines:
        face.draw(draw, x + geo.card_pad, baseline, line, colour, swatch.note)
        baseline += face.line_height
    if not (note.author or note.votes):
        return
    bottom = y + height - geo.card_pad
    if note.author:
        author_face = _regular(family, geo.author_size)
        line_y = bottom - geo.footer_height - geo.px(6)
        draw.line(
            (x + geo.card_pad, line_y, x + geo.card_pad + geo.px(36), line_y),
            fill=_mix(swatch.note, INK, 0.35),
            width=geo.px(2),
        )
        author_base = bottom - (geo.footer_height - author_face.ascent + author_face.descent) // 2
        author_face.draw(draw, x + geo.card_pad, author_base, note.author, INK_MUTED, swatch.note)
    if note.votes:
        _draw_votes(image, draw, geo, family, note.votes, x + width - geo.card_pad, bottom)


def _draw_votes(
    image: Image.Image,
    draw: ImageDraw.ImageDraw,
    geo: _Geometry,
    family: _Family,
    votes: int,
    right: int,
    bottom: int,
) -> None:
    """A dark pill with a (voting) dot and the number of votes, bottom right."""
    face = _bold(family, geo.badge_size)
    width = _badge_width(votes, geo, family)
    h = geo.footer_height
    x0, y0 = right - width, bottom - h
    _pill(image, (x0, y0, right, bottom), INK)
    r = geo.px(7)
    cx, cy = x0 + h // 2, y0 + h // 2
    dot = _corner(r)
    image.paste(WHITE, (cx - r, cy - r, cx + r, cy + r), dot)
    baseline = y0 + (h + face.ascent - face.descent) // 2
    face.draw(draw, cx + r + geo.px(7), baseline, str(votes), WHITE, INK)


# --------------------------------------------------------------------------- encoding

_MIN_ENCODED_WIDTH = 32


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    return buffer.getvalue()


def _palette(image: Image.Image) -> Image.Image:
    """256 colours chosen by median cut on a reduced copy (fast; flat colours stay exact)."""
    sample = image.reduce(4) if min(image.size) >= 256 else image
    palette = sample.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    return image.quantize(palette=palette, dither=Image.Dither.NONE)


def _encode(image: Image.Image, max_bytes: int) -> tuple[bytes, int, int]:
    """The page as a 256-colour PNG within ``max_bytes``, scaled down when needed.

    A palette is indistinguishable here (flat colours, anti-aliased text) and makes the
    file about a third of a full-colour PNG, and faster to write.
    """
    current = image
    scale = 1.0
    while True:
        data = _png(_palette(current))
        if len(data) <= max_bytes:
            return data, current.width, current.height
        scale *= max(0.3, min(0.9, math.sqrt(max_bytes / len(data)) * 0.95))
        width = round(image.width * scale)
        height = round(image.height * scale)
        if width < _MIN_ENCODED_WIDTH or height < 1:
            raise ValueError(f"a board page cannot be made smaller than {max_bytes} bytes")
        current = image.resize((width, height), Image.Resampling.LANCZOS)
