"""The board picture: valid PNG pages within the limits, readable text, no tofu."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image, ImageDraw

from bot.render import board_image
from bot.render.board_image import (
    BoardGroup,
    BoardNote,
    BoardPicture,
    RenderedPage,
    render_board,
)

WORDS = (
    "bieb",
    "lezen",
    "boeken",
    "ontmoeten",
    "koffie",
    "jongeren",
    "ouderen",
    "wifi",
    "stilte",
    "werkplek",
    "kinderen",
    "taal",
    "hulp",
    "digitaal",
    "cursus",
    "activiteit",
    "ruimte",
    "licht",
    "planten",
    "avond",
    "weekend",
    "ideeën",
    "café",
)
AUTHORS = ("Anouk", "Sem", None, "Fatima van den Berg-Oosterhuis")


def note(i: int) -> BoardNote:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(2 + i % 11)]
    return BoardNote(" ".join(words).capitalize(), AUTHORS[i % len(AUTHORS)], (i * 5) % 4)


def board(count: int, groups: int = 4, **extra: str) -> BoardPicture:
    sizes = [count // groups + (1 if g < count % groups else 0) for g in range(groups)]
    start = 0
    made = []
    for g, size in enumerate(sizes):
        made.append(BoardGroup(f"Thema {g + 1}", tuple(note(start + i) for i in range(size))))
        start += size
    return BoardPicture(
        "Bibliotheek van de toekomst",
        "Inleven · 24 november 2026",
        tuple(made),
        empty_text=extra.get("empty_text", "Nog geen notities"),
        more_text=extra.get("more_text", "+{n} notities niet getoond"),
    )


def one(text: str, author: str | None = "Anouk", votes: int = 0) -> BoardPicture:
    return BoardPicture(
        "Onderwerp", "Stap", (BoardGroup("Groep", (BoardNote(text, author, votes),)),)
    )


def check(pages: list[RenderedPage], *, width: int = 1600, max_bytes: int = 8 << 20) -> None:
    assert pages
    for page in pages:
        assert len(page.png) <= max_bytes
        with Image.open(io.BytesIO(page.png)) as image:
            assert image.format == "PNG"
            image.verify()
        with Image.open(io.BytesIO(page.png)) as image:
            image.load()
            assert image.size == (page.width, page.height)
        assert page.width == width
        assert page.height <= 3.2 * width


def plan(picture: BoardPicture, **kwargs: int) -> board_image._Plan:
    geo = board_image._Geometry.make(kwargs.pop("width", 1600))
    family = board_image._pick_family(board_image.FONT_CANDIDATES)
    return board_image._plan_pages(
        picture,
        geo,
        family,
        kwargs.get("max_notes_per_page", 60),
        kwargs.get("max_pages", 10),
    )


def system_family() -> board_image._Family:
    return board_image._pick_family(board_image.FONT_CANDIDATES)


BUNDLED = board_image._Family(board_image._BUNDLED, None)
FAMILIES = [pytest.param(BUNDLED, id="bundled")]
if system_family() != BUNDLED:
    FAMILIES.append(pytest.param(system_family(), id="system"))


@pytest.fixture
def bundled_font(monkeypatch: pytest.MonkeyPatch) -> None:
    """Draw with Pillow's own font, as on a server without fonts."""
    monkeypatch.setattr(board_image, "FONT_CANDIDATES", ())


# --------------------------------------------------------------------------- sizes of boards


def test_an_empty_board_is_one_page_with_the_empty_text() -> None:
    for picture in (board(0), board(0, groups=0)):
        pages = render_board(picture)
        check(pages)
        assert [p.note_count for p in pages] == [0]
    silent = render_board(board(0, empty_text=""))
    assert silent[0].png != render_board(board(0))[0].png


def test_one_note() -> None:
    pages = render_board(board(1, groups=1))
    check(pages)
    assert [p.note_count for p in pages] == [1]


def test_a_hundred_notes_fill_pages_of_at_most_sixty() -> None:
    pages = render_board(board(100))
    check(pages)
    assert sum(p.note_count for p in pages) == 100
    assert all(p.note_count <= 60 for p in pages)
    assert len(pages) == 2


def test_two_thousand_notes_stop_after_max_pages_and_say_how_many_are_missing() -> None:
    picture = board(2000, groups=12)
    pages = render_board(picture)
    check(pages)
    assert len(pages) == 10
    assert sum(p.note_count for p in pages) == 600
    assert plan(picture).not_drawn == 1400
    # The count is drawn on the last page only.
    other = BoardPicture(picture.title, picture.subtitle, picture.groups, more_text="+{n}")
    short = render_board(picture, max_pages=2)
    again = render_board(other, max_pages=2)
    assert short[0].png == again[0].png
    assert short[1].png != again[1].png


def test_more_text_with_a_wrong_placeholder_still_renders() -> None:
    assert board_image._more_text("+{count} meer", 5) == "+5"
    assert board_image._more_text("{n} niet getoond", 5) == "5 niet getoond"
    pages = render_board(board(30, more_text="{0} {count}"), max_pages=1, max_notes_per_page=10)
    check(pages)
    assert [p.note_count for p in pages] == [10]


def test_every_note_is_drawn_once_when_the_pages_suffice() -> None:
    picture = board(333, groups=9)
    result = plan(picture, max_notes_per_page=25, max_pages=100)
    assert result.not_drawn == 0
    drawn = [
        (section.group_index, len(section.notes))
        for page in result.pages
        for band in page.bands
        for section in band.sections
    ]
    per_group = [sum(n for g, n in drawn if g == gi) for gi in range(9)]
    assert per_group == [len(g.notes) for g in picture.groups]
    assert all(page.note_count <= 25 for page in result.pages)


def test_a_group_split_over_pages_repeats_its_title_and_pages_are_numbered() -> None:
    picture = board(130, groups=1)
    result = plan(picture)
    assert len(result.pages) == 3
    heads = [page.bands[0].sections[0] for page in result.pages]
    assert [s.continued for s in heads] == [False, True, True]
    assert heads[1].head[0].startswith("…")
    assert "Thema 1" in heads[1].head[0]
    assert board_image._marker_text(2, 3) == "2/3"
    check(render_board(picture))


def test_small_groups_share_a_row() -> None:
    lanes = tuple(
        BoardGroup(name, tuple(note(i) for i in range(count)))
        for name, count in (("Doelgroep", 2), ("Probleem", 1), ("Oplossing", 3), ("Kosten", 0))
    )
    result = plan(BoardPicture("Canvas", "Prototype", lanes))
    bands = result.pages[0].bands
    assert [len(b.sections) for b in bands] == [2, 2]
    for band in bands:
        right = band.sections[-1].x + band.sections[-1].width
        assert (
            right
            == board_image._Geometry.make(1600).margin + board_image._Geometry.make(1600).content
        )
    check(render_board(BoardPicture("Canvas", "Prototype", lanes)))


# --------------------------------------------------------------------------- groups and colours


def test_more_groups_than_colours_cycle_the_palette() -> None:
    count = len(board_image.OKABE_ITO)
    assert board_image._swatch(0) == board_image._swatch(count)
    assert len({board_image._swatch(i).note for i in range(count)}) == count
    pages = render_board(board(3 * count, groups=count + 3))
    check(pages)
    assert sum(p.note_count for p in pages) == 3 * count


def test_colours_have_high_contrast() -> None:
    ratio = board_image._contrast_ratio
    for i in range(len(board_image.OKABE_ITO)):
        swatch = board_image._swatch(i)
        assert ratio(board_image.INK, swatch.note) >= 7
        assert ratio(board_image.INK_MUTED, swatch.note) >= 4.5
        assert ratio(board_image.INK, swatch.panel) >= 7
    assert ratio(board_image.WHITE, board_image.INK) >= 7
    assert ratio(board_image.INK, board_image.BACKGROUND) >= 7


def test_note_text_is_at_least_22_px_at_width_1600() -> None:
    geo = board_image._Geometry.make(1600)
    assert min(geo.note_sizes) >= 22
    family = system_family()
    layout = board_image._layout_note(BoardNote("kort " * 60), geo, family)
    assert layout.face.size >= 22


# --------------------------------------------------------------------------- text


@pytest.mark.parametrize("family", FAMILIES)
def test_a_very_long_note_shrinks_then_ends_in_an_ellipsis(family: board_image._Family) -> None:
    geo = board_image._Geometry.make(1600)
    short = board_image._layout_note(BoardNote("Meer zitplekken bij de ingang"), geo, family)
    assert short.face.size == geo.note_sizes[0]
    assert short.height == geo.card
    medium = board_image._layout_note(
        BoardNote("Spreekuur met vrijwilligers die uitleggen hoe je een e-mail stuurt " * 2),
        geo,
        family,
    )
    assert medium.face.size < geo.note_sizes[0]
    assert not medium.lines[-1].endswith(medium.face.ellipsis)
    huge = board_image._layout_note(BoardNote("heel lang verhaal " * 400), geo, family)
    assert huge.lines[-1].endswith(huge.face.ellipsis)
    assert huge.height <= geo.card_max_height
    width = geo.card - 2 * geo.card_pad
    assert all(huge.face.measure(line) <= width for line in huge.lines)
    check(render_board(one("heel lang verhaal " * 400)))


@pytest.mark.parametrize("family", FAMILIES)
def test_long_words_are_broken_to_fit(family: board_image._Family) -> None:
    geo = board_image._Geometry.make(1600)
    text = "bibliotheekmedewerkersovereenkomstonderhandelingen " + "x" * 200
    layout = board_image._layout_note(BoardNote(text), geo, family)
    width = geo.card - 2 * geo.card_pad
    assert len(layout.lines) > 2
    assert all(layout.face.measure(line) <= width for line in layout.lines)
    assert layout.lines[0].endswith("-")


def test_newlines_are_kept_and_blank_lines_dropped() -> None:
    assert board_image._clean("een\r\n\n\ntwee  drie\n", multiline=True) == "een\ntwee drie"
    assert board_image._clean("een\ntwee", multiline=False) == "een twee"
    layout = board_image._layout_note(
        BoardNote("een\ntwee"), board_image._Geometry.make(1600), system_family()
    )
    assert layout.lines == ("een", "twee")


def test_mentions_and_markdown_are_cleaned() -> None:
    clean = board_image._clean
    text = "**Hoi** <@123> en <@!45> zie <#678> `code` __x__ ~~weg~~ ||geheim|| <t:1700000000:R>"
    assert clean(text, multiline=True) == "Hoi @… en @… zie #… code x weg geheim 14-11-2023"
    assert clean("> *citaat* met _nadruk_ en snake_case", multiline=True) == (
        "citaat met nadruk en snake_case"
    )
    assert clean("# Kop\n- punt", multiline=True) == "Kop\n- punt"
    assert clean("[de site](https://bieb.nl) <:blij:123> </sessie start:99>", multiline=True) == (
        "de site /sessie start"
    )
    assert clean(r"5 \* 3 en \_\_", multiline=True) == "5 * 3 en __"
    assert clean("<t:99999999999999:R>", multiline=True) == ""
    check(render_board(one("**Belangrijk:** <@123> vraagt `wifi` in <#456>")))


@pytest.mark.parametrize("family", FAMILIES)
def test_no_missing_glyph_boxes(family: board_image._Family) -> None:
    face = board_image._regular(family, 28)
    text = "Ideeën café geïnteresseerd Ĳsselmeer – “citaat” € 5 → ß 🎉👍🏽❤️ 漢字 \u200b\u202e 𝔘 ﬁ"
    shown = face.display(text)
    for char in shown:
        drawable = face.coverage.has(char) or char in board_image._MARK_SHAPES
        assert drawable or char in " \n", repr(char)
    assert "Ide" in shown
    assert "caf" in shown
    assert "🎉" not in shown


def test_the_bundled_font_draws_dutch_accents(bundled_font: None) -> None:
    face = board_image._regular(BUNDLED, 40)
    assert not face.coverage.has("ë")
    shown = face.display("ideeën")
    assert shown == "ideee\u0308n"
    assert face.measure(shown) == face.measure("ideeen")

    def draw(text: str) -> bytes:
        image = Image.new("RGB", (300, 80), board_image.WHITE)
        face.draw(ImageDraw.Draw(image), 10, 60, text, board_image.INK, board_image.WHITE)
        return image.tobytes()

    assert draw(face.display("ë")) != draw("e")
    assert draw(face.display("ï")) != draw("i")
    assert draw(face.display("é")) != draw(face.display("è"))
    pages = render_board(one("Geïnteresseerd in ideeën voor het café? Één idee: çà ş ğ ž ø"))
    check(pages)


@pytest.mark.parametrize("text", ["🎉🎉👍🏽", "", "   ", "\u200d\ufe0f"])
def test_a_note_without_drawable_text_shows_a_placeholder(text: str) -> None:
    layout = board_image._layout_note(
        BoardNote(text),
        board_image._Geometry.make(1600),
        board_image._Family(board_image._BUNDLED, None),
    )
    assert layout.placeholder
    assert layout.lines == ("…",)
    check(render_board(one(text)))


def test_right_to_left_and_other_scripts_do_not_crash(bundled_font: None) -> None:
    texts = ("مرحبا بالمكتبة", "שלום ספרייה", "Привіт бібліотеко", "ไทย", "\u202eomgekeerd")
    picture = BoardPicture("Talen", "", (BoardGroup("مرحبا", tuple(BoardNote(t) for t in texts)),))
    check(render_board(picture))


def test_right_to_left_with_the_system_font() -> None:
    texts = ("مرحبا بالمكتبة", "שלום ספרייה", "Привіт бібліотеко", "ελληνικά")
    picture = BoardPicture("Talen", "", (BoardGroup("مرحبا", tuple(BoardNote(t) for t in texts)),))
    check(render_board(picture))


# --------------------------------------------------------------------------- note details


def test_author_is_shown_only_when_given() -> None:
    geo = board_image._Geometry.make(1600)
    family = system_family()
    named = board_image._layout_note(BoardNote("Idee", "Anouk"), geo, family)
    hidden = board_image._layout_note(BoardNote("Idee", None), geo, family)
    assert named.author == "Anouk"
    assert hidden.author is None
    long = board_image._layout_note(BoardNote("Idee", "Fatima " * 20, 12), geo, family)
    assert long.author is not None
    assert long.author.endswith("…")
    assert render_board(one("Idee", None))[0].png != render_board(one("Idee", "Anouk"))[0].png


def test_votes_get_a_badge() -> None:
    without = render_board(one("Idee", votes=0))[0].png
    assert render_board(one("Idee", votes=3))[0].png != without
    assert render_board(one("Idee", votes=-2))[0].png == without
    check(render_board(one("Idee", votes=1234)))


# --------------------------------------------------------------------------- output


def test_the_same_board_gives_the_same_bytes() -> None:
    picture = board(40)
    assert [p.png for p in render_board(picture)] == [p.png for p in render_board(picture)]


def test_renders_from_threads_are_safe_and_identical() -> None:
    picture = board(20)
    results: list[list[bytes]] = []

    def work() -> None:
        results.append([p.png for p in render_board(picture)])

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3
    assert results[0] == results[1] == results[2]


def test_a_small_byte_limit_scales_the_pages_down() -> None:
    limit = 40_000
    pages = render_board(board(60), max_bytes=limit)
    assert all(len(p.png) <= limit for p in pages)
    assert all(p.width < 1600 for p in pages)
    for page in pages:
        with Image.open(io.BytesIO(page.png)) as image:
            image.verify()


def test_an_impossible_byte_limit_raises() -> None:
    with pytest.raises(ValueError, match="bytes"):
        render_board(board(5), max_bytes=60)


def test_other_widths_scale_the_design() -> None:
    pages = render_board(board(12), width=800)
    check(pages, width=800)
    assert sum(p.note_count for p in pages) == 12


@pytest.mark.parametrize(
    "kwargs",
    [
        {"width": 100},
        {"width": 10_000},
        {"max_pages": 0},
        {"max_notes_per_page": 0},
        {"max_bytes": 0},
    ],
)
def test_wrong_arguments_are_refused(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        render_board(board(1), **kwargs)  # type: ignore[arg-type]


def test_a_tiny_page_limit_still_draws_every_page() -> None:
    pages = render_board(board(9, groups=2), max_notes_per_page=1, max_pages=20)
    check(pages)
    assert [p.note_count for p in pages] == [1] * 9
