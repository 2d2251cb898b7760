"""Message texts: splitting at Discord's limit, durations, summaries, status."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.board import Note, NoteSource
from bot.domain.session import Session
from bot.domain.summary import summarise_session, summarise_step
from bot.domain.templates import StepPlan
from bot.i18n import LOCALES, Catalog, catalog
from bot.render import text
from bot.render.text import MESSAGE_LIMIT, human_duration, split_message
from tests.fakes import START

MIN = timedelta(minutes=1)
CAT = catalog()


def non_space(value: str) -> str:
    return "".join(value.split())


# -- split_message ----------------------------------------------------------------------------


def test_short_lines_stay_in_one_message() -> None:
    assert split_message(["a", "b", "c"]) == ["a\nb\nc"]


def test_nothing_gives_no_messages() -> None:
    assert split_message([]) == []


def test_lines_are_packed_up_to_the_limit_and_never_cut() -> None:
    lines = ["x" * 900, "y" * 900, "z" * 900]
    parts = split_message(lines)
    assert parts == ["x" * 900 + "\n" + "y" * 900, "z" * 900]


def test_a_line_of_exactly_the_limit_fits() -> None:
    assert split_message(["a" * MESSAGE_LIMIT]) == ["a" * MESSAGE_LIMIT]


def test_a_long_line_is_broken_at_a_space() -> None:
    line = " ".join(f"word{i:04d}" for i in range(500))  # about 4500 characters
    parts = split_message([line])
    assert len(parts) >= 3
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    # Broken between words: every word arrives whole, in order.
    assert " ".join(parts).split() == line.split()


def test_a_long_word_is_broken_hard() -> None:
    word = "ab" * 2500
    parts = split_message([word], limit=2000)
    assert [len(p) for p in parts] == [2000, 2000, 1000]
    assert "".join(parts) == word


def test_a_smaller_limit_is_respected() -> None:
    parts = split_message(["hello world", "again and again"], limit=12)
    assert all(len(p) <= 12 for p in parts)
    assert non_space("".join(parts)) == non_space("hello world again and again")


line_text = st.text(alphabet=st.sampled_from("ab cdé\t😀"), min_size=0, max_size=120)


@settings(max_examples=200, deadline=None)
@given(st.lists(line_text, max_size=30), st.integers(min_value=10, max_value=200))
@example(["", "a"], 10)
@example(["x" * 10, "", "y"], 10)
@example([" " * 30], 10)
def test_split_never_loses_or_reorders_text(lines: list[str], limit: int) -> None:
    parts = split_message(lines, limit=limit)
    assert all(len(part) <= limit for part in parts)
    assert all(part for part in parts), "an empty message cannot be sent"
    # Every non-blank character arrives, in order (only spaces at a break may go).
    assert non_space("".join(parts)) == non_space("".join(lines))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.text(alphabet="abc xyz", min_size=1, max_size=60), max_size=40),
    st.integers(min_value=60, max_value=300),
)
def test_split_of_fitting_lines_joins_back_exactly(lines: list[str], limit: int) -> None:
    # Non-empty lines that fit: joining the parts with newlines gives the input back.
    parts = split_message(lines, limit=limit)
    assert "\n".join(parts) == "\n".join(lines)
    assert all(len(part) <= limit for part in parts)


# -- human_duration ---------------------------------------------------------------------------

# A catalogue with made-up words, so these tests check the arithmetic, not the wording.
UNITS = {"day": "D", "hour": "H", "minute": "M", "second": "S"}
FAKE = Catalog(
    {
        "en": {
            f"common.count.{noun}.{form}": "{n}" + mark + ("" if form == "one" else "+")
            for noun, mark in UNITS.items()
            for form in ("one", "other")
        }
    },
    "en",
)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(0), "0S+"),
        (timedelta(seconds=1), "1S"),
        (timedelta(seconds=90), "1M 30S+"),
        (timedelta(minutes=10), "10M+"),
        (timedelta(minutes=10, seconds=5), "10M+"),  # no seconds from ten minutes on
        (timedelta(minutes=9, seconds=59), "9M+ 59S+"),
        (timedelta(hours=1), "1H"),
        (timedelta(hours=1, minutes=30), "1H 30M+"),
        (timedelta(days=2, hours=3, minutes=1), "2D+ 3H+ 1M"),
        (timedelta(days=14), "14D+"),
        (timedelta(seconds=-5), "0S+"),
        (timedelta(seconds=59.6), "1M"),
    ],
)
def test_human_duration_arithmetic(span: timedelta, expected: str) -> None:
    assert human_duration(FAKE, "en", span) == expected


@pytest.mark.parametrize("locale", LOCALES)
def test_human_duration_in_the_shipped_locales(locale: str) -> None:
    out = human_duration(CAT, locale, timedelta(hours=1, minutes=30))
    assert re.findall(r"\d+", out) == ["1", "30"]
    assert out == " ".join(
        [text.count(CAT, locale, "hour", 1), text.count(CAT, locale, "minute", 30)]
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_count_picks_one_or_other(locale: str) -> None:
    one = text.count(CAT, locale, "note", 1)
    many = text.count(CAT, locale, "note", 3)
    assert one == CAT.t(locale, "common.count.note.one", n=1)
    assert many == CAT.t(locale, "common.count.note.other", n=3)
    assert text.count(CAT, locale, "note", 0) == CAT.t(locale, "common.count.note.other", n=0)


# -- summaries --------------------------------------------------------------------------------


def note(
    note_id: int,
    author: int,
    body: str,
    *,
    step: int = 0,
    minute: int = 0,
    attachments: tuple[str, ...] = (),
) -> Note:
    return Note(
        id=note_id,
        session_id=1,
        step_index=step,
        author_id=author,
        author_name=f"Person{author}",
        text=body,
        source=NoteSource.MESSAGE,
        created_at=START + minute * MIN,
        attachments=attachments,
        message_id=1000 + note_id,
    )


def test_summarise_step_groups_by_author_most_notes_first() -> None:
    notes = [
        note(1, author=7, body="a1", minute=0),
        note(2, author=8, body="b1", minute=1),
        note(3, author=8, body="b2", minute=2),
        note(4, author=9, body="c1", minute=3),
        note(5, author=9, body="c2", minute=4),
        note(6, author=8, body="b3", minute=5),
    ]
    summary = summarise_step(0, "ideate", reversed(notes), {3: 2})
    assert [g.author_id for g in summary.groups] == [8, 9, 7]
    assert [n.id for n in summary.groups[0].notes] == [2, 3, 6]
    assert summary.note_count == 6
    assert summary.author_count == 3
    assert summary.comment_counts == {3: 2}


def test_summarise_step_ties_keep_who_wrote_first() -> None:
    notes = [note(1, author=5, body="x", minute=2), note(2, author=6, body="y", minute=1)]
    summary = summarise_step(0, "ideate", notes)
    assert [g.author_id for g in summary.groups] == [6, 5]


def test_summarise_step_uses_the_latest_display_name() -> None:
    first = note(1, author=5, body="x", minute=1)
    renamed = Note(**{**note(2, author=5, body="y", minute=2).__dict__, "author_name": "New"})
    summary = summarise_step(0, "ideate", [renamed, first])
    assert summary.groups[0].author_name == "New"


def test_summarise_session_counts_per_step_and_overall() -> None:
    notes = [
        note(1, 1, "a", step=0),
        note(2, 2, "b", step=0),
        note(3, 1, "c", step=0),
        note(4, 3, "d", step=2),
    ]
    summary = summarise_session("topic", ["empathise", "define", "ideate"], notes)
    assert [(t.step_index, t.note_count, t.author_count) for t in summary.steps] == [
        (0, 3, 2),
        (1, 0, 0),
        (2, 1, 1),
    ]
    assert summary.note_count == 4
    assert summary.author_count == 3


@pytest.mark.parametrize("locale", LOCALES)
def test_step_summary_shows_groups_attachments_and_comment_counts(locale: str) -> None:
    notes = [
        note(1, author=1, body="lonely idea", minute=0),
        note(2, author=2, body="first of two", minute=1, attachments=("https://x/a.png",)),
        note(3, author=2, body="second\nof two", minute=2),
    ]
    parts = text.step_summary(CAT, locale, summarise_step(0, "ideate", notes, {2: 3}))
    assert len(parts) == 1
    out = parts[0]
    assert text.step_name(CAT, locale, "ideate") in out
    assert text.count(CAT, locale, "note", 3) in out
    assert text.count(CAT, locale, "person", 2) in out
    # Person2 wrote most, so comes first; each note sits under its author.
    assert out.index("Person2") < out.index("first of two") < out.index("second of two")
    assert out.index("second of two") < out.index("Person1") < out.index("lonely idea")
    note_line = next(line for line in out.splitlines() if "first of two" in line)
    assert "https://x/a.png" in note_line
    assert text.count(CAT, locale, "comment", 3) in note_line
    other_line = next(line for line in out.splitlines() if "lonely idea" in line)
    assert "💬" not in other_line and "https://" not in other_line


@pytest.mark.parametrize("locale", LOCALES)
def test_an_empty_step_says_so(locale: str) -> None:
    parts = text.step_summary(CAT, locale, summarise_step(1, "define", []))
    assert len(parts) == 1
    assert CAT.t(locale, "summary.step.empty") in parts[0]
    assert text.count(CAT, locale, "note", 0) in parts[0]


def test_a_120_note_summary_is_split_with_every_note_present() -> None:
    notes = [
        note(i, author=i % 7, body=f"idea-{i:04d} " + "about the library " * 3, minute=i)
        for i in range(120)
    ]
    parts = text.step_summary(CAT, "nl", summarise_step(2, "ideate", notes, {5: 1}))
    assert len(parts) > 1
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    joined = "\n".join(parts)
    found = re.findall(r"idea-(\d{4})", joined)
    assert sorted(found) == [f"{i:04d}" for i in range(120)]
    assert len(found) == len(set(found)), "a note appears twice"
    # Within one author's group the notes keep the order they were written in.
    for author in range(7):
        start = joined.index(f"**{text.quote(f'Person{author}')}**")
        section = joined[start:]
        nxt = re.search(r"\*\*\u2068Person\d\u2069\*\*", section[3:])
        section = section[: nxt.start() + 3] if nxt else section
        ids = [int(i) for i in re.findall(r"idea-(\d{4})", section)]
        assert ids == sorted(ids)
        assert {i % 7 for i in ids} == {author}


def test_a_huge_step_lists_a_sample_and_counts_the_rest_per_group() -> None:
    notes = [
        note(i, author=i % 7, body=f"idea-{i:04d} about the library", minute=i) for i in range(3000)
    ]
    parts = text.step_summary(CAT, "nl", summarise_step(2, "ideate", notes, {}))
    assert all(len(part) <= MESSAGE_LIMIT for part in parts)
    joined = "\n".join(parts)
    listed = re.findall(r"idea-(\d{4})", joined)
    assert len(listed) <= text.MAX_LISTED_NOTES
    more = [int(n) for n in re.findall(r"… en nog (\d+) notities", joined)]
    assert len(listed) + sum(more) == 3000, "every note is listed or counted"
    assert len(parts) <= 10


@pytest.mark.parametrize("locale", LOCALES)
def test_session_summary_counts(locale: str) -> None:
    notes = [note(1, 1, "a", step=0), note(2, 2, "b", step=0), note(3, 1, "c", step=1)]
    summary = summarise_session("Bieb", ["empathise", "define"], notes)
    parts = text.session_summary(CAT, locale, summary, retention_days=30)
    out = "\n".join(parts)
    assert "Bieb" in out
    lines = out.splitlines()
    first = next(line for line in lines if text.step_name(CAT, locale, "empathise") in line)
    assert text.count(CAT, locale, "note", 2) in first
    assert text.count(CAT, locale, "person", 2) in first
    second = next(line for line in lines if text.step_name(CAT, locale, "define") in line)
    assert text.count(CAT, locale, "note", 1) in second
    assert text.count(CAT, locale, "person", 1) in second
    assert text.count(CAT, locale, "note", 3) in out  # the total
    assert text.count(CAT, locale, "day", 30) in out  # how long notes are kept


# -- session texts ------------------------------------------------------------------------------


def session(locale: str = "en") -> Session:
    made, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=333,
        facilitator_id=44,
        topic="Reading together",
        locale=locale,
        template="classic",
        steps=(StepPlan("empathise", 15 * MIN), StepPlan("define", 10 * MIN)),
        reminder_before=2 * MIN,
        now=START,
    )
    return made


@pytest.mark.parametrize("locale", LOCALES)
def test_status_while_running_shows_step_deadline_and_counts(locale: str) -> None:
    running = session()
    out = text.status(CAT, locale, running, 10 * MIN, note_count=4, author_count=2)
    assert "Reading together" in out
    assert "<#333>" in out
    assert text.step_name(CAT, locale, "empathise") in out
    assert text.timestamp(START + 15 * MIN, "R") in out
    assert text.count(CAT, locale, "note", 4) in out
    assert text.count(CAT, locale, "person", 2) in out
    assert re.search(r"\b1\b.*\b2\b", out)  # step 1 of 2


@pytest.mark.parametrize("locale", LOCALES)
def test_status_while_paused_shows_what_is_left(locale: str) -> None:
    paused, _ = session().pause(START + 5 * MIN)
    out = text.status(CAT, locale, paused, paused.time_left(START), note_count=0, author_count=0)
    assert human_duration(CAT, locale, 10 * MIN) in out
    assert "<t:" not in out  # no deadline while the clock stands still


def test_status_of_an_ended_session_has_no_deadline() -> None:
    ended, _ = session().end(START + MIN)
    out = text.status(CAT, "en", ended, timedelta(0), 0, 0)
    assert CAT.t("en", "status.ended") in out
    assert "<t:" not in out


def test_timestamp_is_discord_markup() -> None:
    assert text.timestamp(START, "R") == f"<t:{int(START.timestamp())}:R>"


@pytest.mark.parametrize("locale", LOCALES)
def test_step_prompt_has_heading_prompt_and_deadline(locale: str) -> None:
    parts = text.step_prompt(CAT, session(locale), again=False)
    out = "\n".join(parts)
    assert text.step_name(CAT, locale, "empathise") in out
    assert "Reading together" in out  # the empathise prompt names the topic
    assert text.timestamp(START + 15 * MIN, "R") in out
    again = "\n".join(text.step_prompt(CAT, session(locale), again=True))
    assert again.splitlines()[0] != out.splitlines()[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_welcome_lists_every_step_and_the_retention(locale: str) -> None:
    out = "\n".join(text.welcome(CAT, session(locale), retention_days=365))
    assert "Reading together" in out
    for kind, minutes in (("empathise", 15), ("define", 10)):
        line = next(x for x in out.splitlines() if text.step_name(CAT, locale, kind) in x)
        assert human_duration(CAT, locale, minutes * MIN) in line
    assert text.count(CAT, locale, "day", 365) in out


@pytest.mark.parametrize("locale", LOCALES)
def test_reminder_paused_resumed_and_extended_name_the_step(locale: str) -> None:
    running = session(locale)
    name = text.step_name(CAT, locale, "empathise")
    assert name in text.reminder(CAT, running)
    assert text.timestamp(START + 15 * MIN, "R") in text.reminder(CAT, running)
    paused, _ = running.pause(START + 5 * MIN)
    assert human_duration(CAT, locale, 10 * MIN) in text.paused(CAT, paused)
    resumed, _ = paused.resume(START + 7 * MIN)
    assert text.timestamp(START + 17 * MIN, "R") in text.resumed(CAT, resumed)
    longer, _ = running.extend(START, 5 * MIN)
    out = text.extended(CAT, longer, 5 * MIN)
    assert human_duration(CAT, locale, 5 * MIN) in out
    assert text.timestamp(START + 20 * MIN, "R") in out
    paused_longer, _ = paused.extend(START + 6 * MIN, 5 * MIN)
    out = text.extended(CAT, paused_longer, 5 * MIN)
    assert human_duration(CAT, locale, 15 * MIN) in out
    assert "<t:" not in out


def test_thread_name_fits_discord() -> None:
    name = text.thread_name(CAT, "en", "word " * 100)
    assert len(name) <= 100
    assert "  " not in name


def test_session_card_mentions_the_facilitator() -> None:
    assert "<@44>" in text.session_card(CAT, "nl", "topic", 44)


# -- quoting what people wrote --------------------------------------------------------------------

FSI, RLI, PDI = "\u2068", "\u2067", "\u2069"


@pytest.mark.parametrize(
    ("typed", "quoted"),
    [
        ("```py\nprint('x')", r"\`\`\`py print('x')"),
        ("||geheim", r"\|\|geheim"),
        ("**vet** __onder__ ~~weg~~ *schuin*", r"\*\*vet\*\* \_\_onder\_\_ \~\~weg\~\~ \*schuin\*"),
        ("# Kop", r"\# Kop"),
        ("-# klein", r"\-# klein"),
        ("> citaat >>> alles", r"\> citaat \>>> alles"),
        ("- lijst + plus 1. een 2) twee", r"\- lijst \+ plus 1\. een 2\) twee"),
        ("[tekst](https://example.com/a_b)", r"\[tekst](https://example.com/a_b) "),
        ("\\*", r"\\\*"),
        ("<@1> <#2> <t:0:R> a>b a#b", "<@1> <#2> <t:0:R> a>b a#b"),
    ],
)
def test_quote_escapes_markdown_so_it_shows_as_typed(typed: str, quoted: str) -> None:
    assert text.quote(typed) == FSI + quoted + PDI


def test_quote_leaves_links_whole_and_keeps_them_apart_from_the_isolate() -> None:
    # An escape inside a link would change the address; a link runs on to the next white
    # space, so one at the end gets a space before the closing PDI.
    assert text.quote("zie https://bieb.nl/a_b?x=1") == f"{FSI}zie https://bieb.nl/a_b?x=1 {PDI}"
    assert text.quote("https://bieb.nl/a_b en meer") == f"{FSI}https://bieb.nl/a_b en meer{PDI}"


def test_quote_removes_direction_controls_and_isolates_the_text() -> None:
    assert text.quote("\u202eabc\u202c d\u2069e\u200e") == f"{FSI}abc de{PDI}"
    # Right-to-left text stays whole; a right-to-left keyboard's leading mark picks RLI.
    assert text.quote("مرحبا بالعالم") == f"{FSI}مرحبا بالعالم{PDI}"
    assert text.quote("\u200fשלום iPhone") == f"{RLI}שלום iPhone{PDI}"


def test_quote_puts_text_on_one_line_and_gives_nothing_for_nothing() -> None:
    assert text.quote("a\n\nb\u2028c  d") == f"{FSI}a b c d{PDI}"
    assert text.quote("") == ""
    assert text.quote(" \u202e\n") == ""


def test_a_hostile_note_leaves_the_headings_and_other_notes_of_a_summary_alone() -> None:
    board = [
        note(1, author=1, body="```\nnooit gesloten"),
        note(2, author=2, body="\u202eomgaruen"),
        note(3, author=3, body="gewoon"),
    ]
    parts = text.step_summary(CAT, "nl", summarise_step(0, "empathise", board, {}))
    joined = "\n".join(parts)
    assert "```" not in joined and "\u202e" not in joined
    assert f"• {FSI}gewoon{PDI}" in joined
    assert f"**{FSI}Person3{PDI}**" in joined


def test_attachment_links_are_percent_encoded_where_a_url_may_not_hold_a_character() -> None:
    url = "https://cdn.example/a/schets 1\u202e.png"
    assert text.attachment_link(url) == "https://cdn.example/a/schets%201%E2%80%AE.png"
    assert text.attachment_link("https://cdn.example/a/foto_1.png?ex=1&is=2") == (
        "https://cdn.example/a/foto_1.png?ex=1&is=2"
    )


def test_a_hard_cut_never_starts_a_part_with_a_line_marker_or_a_lone_escape() -> None:
    parts = split_message(["x" * MESSAGE_LIMIT + "# Kop"])
    assert [len(part) for part in parts] == [MESSAGE_LIMIT - 1, 6]
    assert parts[1] == "x# Kop"
    escaped = "\\*" * 1500  # 3000 characters: an escape pair straddles the limit at 2001
    parts = split_message(["•" + escaped])
    assert all(not part.startswith("*") for part in parts)
    assert "".join(parts) == "•" + escaped
