"""Pure functions against hostile text: they never raise what they should not, lose
nothing, stay within Discord's limits, and keep mentions as plain text.

Fast (no Discord, no database), so they run many examples; the end-to-end fuzz tests in
``test_bot_fuzz.py`` drive the running bot with the same strategies.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain.board import (
    ASIDE_PREFIX,
    MessageKind,
    Note,
    NoteKind,
    NoteSource,
    classify_message,
    detect_kind,
    is_blank,
    note_text,
)
from bot.domain.deadlines import (
    MAX_AHEAD,
    DeadlineError,
    parse_step_time,
    parse_step_times,
)
from bot.domain.durations import (
    MAX_DURATION,
    DurationError,
    DurationListError,
    format_duration,
    parse_duration,
    parse_duration_list,
    parse_reminders,
)
from bot.domain.recap import DailyRecap, RecapKind
from bot.domain.session import Session
from bot.domain.summary import (
    RankedNote,
    ThemeGroup,
    summarise_session,
    summarise_step,
)
from bot.domain.templates import StepPlan
from bot.domain.voting import RoundStatus, VoteRound, VoteTarget
from bot.i18n import LOCALES, catalog
from bot.render import text
from bot.render.text import MESSAGE_LIMIT, split_message
from tests.fakes import START
from tests.fuzz.checks import (
    PING_SYNTAX,
    as_shown,
    as_typed,
    layout_problems,
    quoted_runs,
)
from tests.fuzz.conftest import UNIT_EXAMPLES
from tests.fuzz.strategies import (
    SPACES,
    ZERO_WIDTH,
    duration_like,
    hostile_text,
    time_text,
)

CAT = catalog()
MIN = timedelta(minutes=1)
MANY = settings(max_examples=UNIT_EXAMPLES, deadline=None)
FEWER = settings(max_examples=max(UNIT_EXAMPLES // 3, 100), deadline=None)

padding = st.lists(st.sampled_from(SPACES + ZERO_WIDTH + ("\u200e", "\u200f")), max_size=4).map(
    "".join
)


def non_space(value: str) -> str:
    return "".join(value.split())


def readable(value: str) -> str:
    """The visible characters, backslashes aside: a link in a word of over 900 characters
    is escaped like text (a split could cut it) and then shows its backslashes."""
    return non_space(value).replace("\\", "")


# -- how a thread message is read ---------------------------------------------------------------


@MANY
@given(hostile_text(), st.booleans(), st.booleans())
@example("\u200b", False, False)
@example("\u200f// terzijde", False, False)
@example("\u200b\u2060\ufeff", True, False)
@example("   ", False, True)
@example("\u00ad\ufe0f// later", False, True)
def test_classify_message_follows_its_rules(body: str, attached: bool, reply: bool) -> None:
    kind = classify_message(body, attached, reply)
    # "//" with nothing visible before it.
    if ASIDE_PREFIX in body and is_blank(body[: body.index(ASIDE_PREFIX)]):
        assert kind is MessageKind.ASIDE
    elif is_blank(body) and not attached:
        assert kind is MessageKind.EMPTY
    elif reply:
        assert kind is MessageKind.COMMENT
    else:
        assert kind is MessageKind.NOTE


@MANY
@given(hostile_text(), padding, padding, st.booleans(), st.booleans())
def test_classify_message_ignores_invisible_padding(
    body: str, before: str, after: str, attached: bool, reply: bool
) -> None:
    assert classify_message(before + body + after, attached, reply) is classify_message(
        body, attached, reply
    )


@pytest.mark.parametrize(
    "body",
    ["\u200b", "\u200b\u200b\u200b", "\ufeff", "\u2060 \u200d", "\u3164", "\u2800", "\u202e"],
)
def test_a_message_with_nothing_visible_is_empty(body: str) -> None:
    # Discord happily sends a zero-width space; on the board it would be an empty card.
    assert is_blank(body)
    assert classify_message(body, False, False) is MessageKind.EMPTY
    assert classify_message(body, True, False) is MessageKind.NOTE  # a photo with it is a note


@pytest.mark.parametrize("body", ["\u200f// voor later", "\u200b//wie heeft koffie?"])
def test_an_aside_behind_an_invisible_mark_is_still_an_aside(body: str) -> None:
    # Right-to-left keyboards put a mark in front of what is typed.
    assert classify_message(body, False, False) is MessageKind.ASIDE


@pytest.mark.parametrize("body", ["👍", "۝", "a\u200b", "\u200bx", "🏳️‍🌈", "·"])
def test_anything_visible_is_not_blank(body: str) -> None:
    assert not is_blank(body)


@MANY
@given(hostile_text())
@example("a\r\r\nb")
@example("\r\n\r\n x \r")
def test_note_text_is_idempotent_and_loses_nothing(body: str) -> None:
    once = note_text(body)
    assert note_text(once) == once
    assert "\r" not in once, "line endings are normalised"
    assert once == once.strip()
    # Nothing is cut: every visible character arrives, however long the message.
    assert non_space(once) == non_space(body)


def test_note_text_normalises_every_line_ending() -> None:
    assert note_text("a\r\r\nb\rc\r\nd") == "a\n\nb\nc\nd"


@MANY
@given(hostile_text(), padding)
@example("HOE KUNNEN WE", "\u3164")
def test_detect_kind_reads_the_stored_text_as_the_message(body: str, before: str) -> None:
    kind = detect_kind(body)
    assert isinstance(kind, NoteKind)
    assert detect_kind(note_text(body)) is kind
    assert detect_kind(before + body) is kind


# -- splitting at Discord's limit ---------------------------------------------------------------

word = st.text(alphabet=st.sampled_from("abcé😀<@&>#*_`|~\u200b\u202e"), min_size=1, max_size=40)


@st.composite
def spaced_line(draw: st.DrawFn) -> str:
    """Words between runs of spaces, sometimes indented, sometimes trailing."""
    words = draw(st.lists(word, max_size=60))
    gaps = draw(st.lists(st.sampled_from([" ", "  ", "   "]), min_size=len(words) + 1))
    line = draw(st.sampled_from(["", " ", "  ", "    "]))
    for index, item in enumerate(words):
        line += (gaps[index] if index else "") + item
    return line + draw(st.sampled_from(["", " ", "  "]))


@MANY
@given(st.lists(st.one_of(spaced_line(), hostile_text()), max_size=12), st.integers(8, 300))
@example(["  " + "y" * 30], 10)
@example([" " + "y" * 10 + " z"], 10)
@example(["\t" * 20 + "x"], 10)
def test_split_message_keeps_everything_within_the_limit(lines: list[str], limit: int) -> None:
    parts = split_message(lines, limit)
    assert all(0 < len(part) <= limit for part in parts)
    # Every visible character arrives, in order.
    assert non_space("".join(parts)) == non_space("".join(lines))
    # A part with nothing to read would be refused by Discord as an empty message.
    if all(line.strip() or not line for line in lines):
        assert all(part.strip() for part in parts), parts


@MANY
@given(st.lists(spaced_line(), max_size=12), st.integers(40, 300))
def test_split_message_never_cuts_a_word_that_fits(lines: list[str], limit: int) -> None:
    words = [w for line in lines for w in line.split(" ") if w]
    parts = split_message(lines, limit)
    if all(len(w) <= limit for w in words):
        assert [w for part in parts for w in part.split()] == [
            w for line in lines for w in line.split()
        ]


def test_an_indented_line_too_long_for_one_message_gives_no_blank_message() -> None:
    parts = split_message(["  " + "y" * 30], limit=10)
    assert parts == ["y" * 10] * 3


def test_a_word_filling_a_message_after_an_indent_stays_whole() -> None:
    assert split_message([" " + "y" * 10 + " z"], limit=10) == ["y" * 10, "z"]


# -- quoting what people wrote inside a bot post -------------------------------------------------

# How templates put quoted text in a line (a bullet, a ranked line, bold, quotation marks).
FRAMES = ("• {}", "1. {} — 3 stemmen", "**{}** (2 notities)", "📝 “{}”", "*{}*")


@MANY
@given(hostile_text(), st.sampled_from(FRAMES))
@example("```\nnooit gesloten", "• {}")
@example("||spoiler zonder eind", "• {}")
@example("# Kop", "{}")
@example("-# klein", "{}")
@example("[tekst](https://example.com)", "• {}")
@example("\u202egnirts desrever", "1. {} — 3 stemmen")
@example("\u2069\u202e", "• {}")
@example("zie https://example.com/a_b", "**{}** (2 notities)")
def test_quoted_text_changes_nothing_around_it(body: str, frame: str) -> None:
    quoted = text.quote(body)
    post = frame.format(quoted)
    assert "\n" not in quoted
    assert not (problems := layout_problems(post)), problems
    # Exactly the quote is isolated: it cannot end its isolate early or leave one open.
    if quoted:
        assert quoted_runs(post) == [quoted[1:-1]]
    # Shown as typed, direction controls aside; the stored text itself is not touched.
    assert readable(as_shown(quoted)) == readable(as_typed(body))


@pytest.mark.parametrize(
    "body", ["مرحبا بالعالم", "שלום עולם 3", "\u200fשלום iPhone", "Zoë café", "日本語のメモ"]
)
def test_quoting_keeps_right_to_left_and_other_scripts_whole(body: str) -> None:
    quoted = text.quote(body)
    assert quoted[1:-1] == body.lstrip("\u200f")
    # An RTL keyboard's leading mark still sets the direction: an RTL isolate (RLI).
    assert quoted[0] == ("\u2067" if body.startswith("\u200f") else "\u2068")


@FEWER
@given(st.lists(hostile_text(), min_size=1, max_size=4))
@example(["a" * 1990 + " **vet** " + "b" * 30])
@example(["x" * 899 + "https://example.com/" + "_*" * 600])
@example(["\\*" * 1500])
def test_quoted_text_split_over_messages_keeps_its_layout(bodies: list[str]) -> None:
    # A line longer than a message is split at a space (or hard inside a very long word):
    # every part must still show the quoted text as typed and the rest unchanged.
    lines = [f"{number}. {text.quote(body)} — 3 stemmen" for number, body in enumerate(bodies)]
    parts = split_message(lines)
    assert all(0 < len(part) <= MESSAGE_LIMIT for part in parts)
    assert not (problems := layout_problems(*parts)), problems
    shown = readable(as_shown("".join(quoted_runs(*parts))))
    assert shown == readable(as_typed("".join(bodies)))


def test_an_unclosed_code_block_in_a_note_leaves_the_summary_as_it_was() -> None:
    board = [
        Note(
            id=number,
            session_id=1,
            step_index=0,
            author_id=number,
            author_name=name,
            text=body,
            source=NoteSource.MESSAGE,
            created_at=START,
        )
        for number, (name, body) in enumerate(
            [("Mira", "```py\nnooit gesloten"), ("Bob", "||geheim"), ("Ann", "# Kop")], start=1
        )
    ]
    parts = text.step_summary(CAT, "nl", summarise_step(0, "empathise", board, {}))
    joined = "\n".join(parts)
    assert "```" not in joined and "||" not in joined
    assert "\\`\\`\\`py nooit gesloten" in joined  # shown as typed, on one line
    assert not layout_problems(joined)


# -- rendering hostile notes ----------------------------------------------------------------------

note_body = hostile_text().map(note_text).filter(bool)
person_name = st.one_of(
    st.sampled_from(["Alice", "‮ecilA", "@everyone", "<@1>", "**Bob**", "``", "ميرا", "👩‍🚀"]),
    st.text(min_size=1, max_size=32),
)


@st.composite
def notes(draw: st.DrawFn, max_size: int = 12) -> list[Note]:
    bodies = draw(st.lists(note_body, min_size=1, max_size=max_size))
    names = draw(st.lists(person_name, min_size=len(bodies), max_size=len(bodies)))
    return [
        Note(
            id=number,
            session_id=1,
            step_index=0,
            author_id=1000 + number % 3,
            author_name=names[number % len(names)],
            text=body,
            source=NoteSource.MESSAGE,
            created_at=START + number * MIN,
            attachments=("https://cdn.example/a/<@1>.png",) if number % 4 == 0 else (),
        )
        for number, body in enumerate(bodies, start=1)
    ]


def check_parts(parts: list[str], given_texts: list[str], listed: list[str]) -> None:
    """Within Discord's limits, nothing listed lost (shown as typed, inside its quote), no
    mention the input did not have, and no quoted text that changes the rest of a post."""
    assert parts, "something to post"
    assert all(0 < len(part) <= MESSAGE_LIMIT for part in parts), [len(p) for p in parts]
    assert all(part.strip() for part in parts)
    assert not (problems := layout_problems(*parts)), problems
    quoted = readable(as_shown("".join(quoted_runs(*parts))))
    for body in listed:
        assert readable(as_typed(body)) in quoted, body[:80]
    given_mentions = {m for t in given_texts for m in PING_SYNTAX.findall(t)}
    made = set(PING_SYNTAX.findall("\n".join(parts)))
    assert made <= given_mentions, made - given_mentions


def session(topic: str = "Samen lezen", locale: str = "nl") -> Session:
    made, _ = Session.begin(
        guild_id=1,
        channel_id=2,
        thread_id=333,
        facilitator_id=44,
        topic=topic,
        locale=locale,
        template="classic",
        steps=(StepPlan("empathise", 15 * MIN), StepPlan("define", 10 * MIN)),
        reminder_before=2 * MIN,
        now=START,
    )
    return made


@FEWER
@given(notes(), st.sampled_from(LOCALES), st.booleans())
def test_step_summary_of_hostile_notes(board: list[Note], locale: str, themed: bool) -> None:
    summary = summarise_step(0, "empathise", board, {board[0].id: 2})
    if themed:
        half = len(board) // 2
        groups = (ThemeGroup(board[0].author_name, tuple(board[:half])),)
        ranking = tuple(RankedNote(1, 3, 2, n) for n in board[:3])
        summary = replace(summary, themes=groups, ranking=ranking)
    parts = text.step_summary(CAT, locale, summary)
    texts = [n.text for n in board] + [n.author_name for n in board]
    texts += [link for n in board for link in n.attachments]
    check_parts(parts, texts, [n.text for n in board])


@FEWER
@given(notes(), st.sampled_from(LOCALES), hostile_text().map(" ".join), person_name)
def test_session_summary_of_hostile_notes(
    board: list[Note], locale: str, topic: str, taker: str
) -> None:
    made = summarise_session(topic, ["empathise", "define"], board)
    made = replace(
        made,
        themes=(ThemeGroup(board[0].text[:100], tuple(board)),),
        chosen_question=board[-1].text,
        top_ideas=tuple(RankedNote(i, 5 - i, 2, n) for i, n in enumerate(board[:3], start=1)),
        takers={board[0].id: (taker,)},
    )
    parts = text.session_summary(CAT, locale, made, retention_days=90)
    texts = [topic, taker, *(n.text for n in board)]
    check_parts(parts, texts, [n.text for n in board[:3]])


@FEWER
@given(notes(), st.sampled_from(LOCALES), st.lists(hostile_text(), min_size=1, max_size=3))
def test_themes_and_votes_of_hostile_notes(
    board: list[Note], locale: str, names: list[str]
) -> None:
    groups = [ThemeGroup(name[:100] or "?", tuple(board)) for name in names]
    parts = text.themes_post(CAT, locale, "empathise", groups, other=1)
    check_parts(parts, names + [n.text for n in board], [n.text for n in board])
    vote = VoteRound(
        id=1,
        session_id=1,
        step_index=0,
        target=VoteTarget.NOTES,
        options=tuple(n.id for n in board),
        budget=3,
        per_note_cap=2,
        status=RoundStatus.CLOSED,
        opened_at=START,
    )
    ranking = [RankedNote(1, 2, 1, n) for n in board]
    results = text.vote_results(CAT, locale, vote, ranking, people=3)
    check_parts(results, [n.text for n in board], [n.text for n in board])


@FEWER
@given(notes(), hostile_text().map(" ".join), st.lists(person_name, max_size=12))
def test_daily_recap_of_hostile_notes(board: list[Note], topic: str, newcomers: list[str]) -> None:
    running = session(topic=topic or "?")
    recap = DailyRecap(
        kind=RecapKind.RECAP,
        since=START,
        until=START + timedelta(days=1),
        step_index=0,
        step_kind="empathise",
        new_notes=tuple(board),
        comments=2,
        writers=3,
        newcomers=tuple(newcomers),
        themes=(ThemeGroup(board[0].text[:100], tuple(board)),),
        votes=(RankedNote(1, 2, 1, board[0]),),
        due_at=START + timedelta(days=2),
        next_step_kind="define",
    )
    parts = text.daily_recap(CAT, running, recap, in_channel=True)
    given_texts = [topic, *newcomers, *(n.text for n in board), *(n.author_name for n in board)]
    check_parts(parts, given_texts, [n.text for n in board[-15:]])


@FEWER
@given(hostile_text(), st.sampled_from(LOCALES))
def test_session_texts_with_a_hostile_topic(topic: str, locale: str) -> None:
    # As /session start passes it on: white space folded, 3 to 300 characters.
    folded = " ".join(topic.split())[:300]
    running = session(topic=folded, locale=locale)
    name = text.thread_name(CAT, locale, folded)
    assert 0 < len(name) <= 100 and name.strip()
    assert "\n" not in name
    card = text.session_card(CAT, locale, folded, 44)
    assert len(card) <= MESSAGE_LIMIT
    for parts in (
        text.welcome(CAT, running, retention_days=30),
        text.step_prompt(CAT, running, again=False),
    ):
        check_parts(parts, [folded], [])
    status = text.status(CAT, locale, running, 10 * MIN, note_count=1, author_count=1)
    assert len(status) <= MESSAGE_LIMIT


# -- parsing what facilitators type ---------------------------------------------------------------

time_input = st.one_of(time_text(), duration_like())


@MANY
@given(time_input)
def test_parse_duration_raises_only_its_own_error(typed: str) -> None:
    refused: DurationError | None = None
    try:
        found = parse_duration(typed)
    except DurationError as error:
        refused = error
    if refused is not None:
        assert refused.text == typed  # the refusal can quote what was typed
    else:
        assert timedelta(0) <= found <= MAX_DURATION


@settings(max_examples=100, deadline=None)
@given(duration_like())
@example("0.4s")
def test_parse_duration_never_returns_zero(typed: str) -> None:
    try:
        found = parse_duration(typed)
    except DurationError:
        return
    assert found > timedelta(0)


@MANY
@given(st.timedeltas(min_value=timedelta(seconds=1), max_value=MAX_DURATION))
def test_format_duration_reads_back(span: timedelta) -> None:
    whole = timedelta(seconds=round(span.total_seconds()))
    if whole:
        assert parse_duration(format_duration(whole)) == whole


@MANY
@given(time_input)
def test_parse_reminders_raises_only_duration_errors(typed: str) -> None:
    try:
        leads = parse_reminders(typed)
    except DurationError:
        return
    assert list(leads) == sorted(leads, reverse=True)
    assert all(lead <= MAX_DURATION for lead in leads)


@MANY
@given(time_input, st.integers(1, 6))
def test_parse_duration_list_raises_only_its_own_errors(typed: str, steps: int) -> None:
    try:
        found = parse_duration_list(typed, [10 * MIN] * steps)
    except (DurationError, DurationListError):
        return
    assert len(found) == steps


zones = st.sampled_from(["Europe/Amsterdam", "UTC", "America/Curacao", "America/St_Johns"])
nows = st.datetimes(
    min_value=datetime(2020, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    max_value=datetime(2060, 1, 1, tzinfo=UTC).replace(tzinfo=None),
    timezones=st.just(UTC),
)


@MANY
@given(time_input, nows, zones, st.integers(1, 5))
def test_parse_step_times_raises_only_its_own_errors(
    typed: str, now: datetime, zone: str, steps: int
) -> None:
    try:
        times = parse_step_times(typed, now=now, zone=ZoneInfo(zone), defaults=[10 * MIN] * steps)
    except (DurationError, DurationListError, DeadlineError):
        return
    assert len(times) == steps
    deadlines = [t.deadline for t in times if t.deadline is not None]
    assert deadlines == sorted(deadlines) and len(set(deadlines)) == len(deadlines)
    for step in times:
        if step.deadline is not None:
            assert now < step.deadline <= now + MAX_AHEAD
        else:
            assert step.duration is not None and step.duration <= MAX_DURATION


@MANY
@given(time_input, nows, zones)
def test_parse_step_time_raises_only_its_own_errors(typed: str, now: datetime, zone: str) -> None:
    with contextlib.suppress(DurationError, DeadlineError):
        parse_step_time(typed, now=now, zone=ZoneInfo(zone))
