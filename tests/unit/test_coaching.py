"""The facilitator's hint card and live figures (bot/ui/coaching.py), the lane and column
autocomplete (bot/cogs/lanes.py) and the template descriptions (bot/cogs/templates.py)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot.canvas_files import load_canvases
from bot.cogs.errors import LaneRefusedError, TemplateBrokenError, refusal_text
from bot.cogs.lanes import UNSORTED, column_choices, lane_choices
from bot.cogs.templates import (
    describe_template,
    list_templates,
    pick_template,
    template_choices,
)
from bot.domain.board import Note, NoteSource
from bot.domain.session import Session, SessionStatus
from bot.domain.templates import STEP_KINDS, StepPlan
from bot.domain.voting import VoteTarget
from bot.facilitation import UnknownLaneError
from bot.i18n import LOCALES, catalog
from bot.template_files import load_templates
from bot.ui.coaching import (
    HINT_PARTS,
    MAX_SILENT_NAMES,
    hint_card,
    not_yet_written,
    send_hint_card,
    step_figures,
)

NOW = datetime(2025, 3, 4, 14, 0, tzinfo=UTC)
CANVASES = load_canvases()
TEMPLATES = load_templates()


def session(*steps: StepPlan, index: int = 0, locale: str = "nl") -> Session:
    return Session(
        id=7,
        guild_id=1,
        channel_id=2,
        thread_id=3,
        facilitator_id=4,
        topic="Een *plek* voor iedereen",
        locale=locale,
        template="test",
        steps=steps,
        step_index=index,
        status=SessionStatus.RUNNING,
        step_started_at=NOW,
        due_at=NOW + steps[index].duration,
        remaining=None,
        reminder_before=timedelta(minutes=2),
        reminded_step=-1,
        created_at=NOW,
    )


def note(
    number: int, author: int, name: str, step: int = 0, lane: str | None = None, **extra: Any
) -> Note:
    return Note(
        id=number,
        session_id=7,
        step_index=step,
        author_id=author,
        author_name=name,
        text=f"notitie {number}",
        source=NoteSource.MESSAGE,
        created_at=NOW + timedelta(seconds=number),
        lane=lane,
        **extra,
    )


# -- the coaching texts ----------------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", STEP_KINDS)
def test_every_step_kind_has_a_whole_hint(locale: str, kind: str) -> None:
    keys = catalog().keys(locale)
    for part in HINT_PARTS:
        assert f"coaching.kind.{kind}.{part}" in keys, (locale, kind, part)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("canvas", sorted(CANVASES))
def test_every_canvas_has_a_whole_hint(locale: str, canvas: str) -> None:
    keys = catalog().keys(locale)
    for part in HINT_PARTS:
        assert f"coaching.canvas.{canvas}.{part}" in keys, (locale, canvas, part)


def test_no_hint_for_a_canvas_that_does_not_exist() -> None:
    keys = catalog().keys("nl")
    listed = {key.split(".")[2] for key in keys if key.startswith("coaching.canvas.")}
    assert listed == set(CANVASES)


def test_the_card_of_a_plain_step_uses_the_kinds_hint() -> None:
    plan = StepPlan("empathise", timedelta(minutes=15))
    two = session(plan, StepPlan("define", timedelta(minutes=10)))
    card = hint_card(catalog(), "nl", two, None)
    sentences = catalog()
    assert "stap 1 van 2" in card and "Inleven" in card
    for part in ("purpose", "watch", "quiet"):
        assert sentences.t("nl", f"coaching.kind.empathise.{part}") in card
    assert "meestal 15 tot 20 minuten; deze stap heeft 15 minuten" in card
    assert "\\*plek\\*" in card  # the topic is quoted, its markdown shown as typed
    assert len(card) < 2000


def test_the_card_of_a_canvas_step_uses_the_canvases_hint_and_marks_votes_and_silence() -> None:
    canvas = CANVASES["empathy-map"]
    plan = StepPlan(
        "empathise",
        timedelta(minutes=20),
        canvas="empathy-map",
        private=True,
        vote=VoteTarget.NOTES,
    )
    card = hint_card(catalog(), "en", session(plan, locale="en"), canvas)
    assert canvas.name("en") in card
    assert catalog().t("en", "coaching.canvas.empathy-map.quiet") in card
    assert catalog().t("en", "coaching.kind.empathise.quiet") not in card
    for line in ("private", "vote", "lanes"):
        assert catalog().t("en", f"coaching.card.{line}") in card


def test_a_step_with_a_deadline_names_no_planned_duration() -> None:
    plan = StepPlan("ideate", timedelta(minutes=10), deadline=NOW + timedelta(days=2))
    card = hint_card(catalog(), "nl", session(plan), None)
    assert "loopt tot de deadline" in card


def test_a_canvas_without_coaching_falls_back_to_the_kind() -> None:
    canvas = replace(CANVASES["persona"], key="nieuw-canvas")
    plan = StepPlan("define", timedelta(minutes=15), canvas="nieuw-canvas")
    card = hint_card(catalog(), "nl", session(plan), canvas)
    assert catalog().t("nl", "coaching.kind.define.purpose") in card


# -- sending it ------------------------------------------------------------------------------------


class Person:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def send(self, text: str, **_: Any) -> None:
        if self.fail:
            response = SimpleNamespace(status=403, reason="Forbidden")
            raise discord.Forbidden(response, {"code": 50007, "message": "closed"})
        self.sent.append(text)


class Client:
    def __init__(self, person: Person) -> None:
        self.person = person

    def get_user(self, user_id: int) -> Person:
        assert user_id == 4  # the facilitator
        return self.person


async def test_the_card_goes_to_the_facilitator_by_dm() -> None:
    person = Person()
    plan = StepPlan("test", timedelta(minutes=10))
    await send_hint_card(Client(person), catalog(), session(plan), None)  # type: ignore[arg-type]
    (sent,) = person.sent
    assert "Tip voor de begeleider" in sent and "<#3>" in sent


async def test_closed_dms_are_logged_and_the_session_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = StepPlan("test", timedelta(minutes=10))
    with caplog.at_level(logging.INFO, logger="bot.ui.coaching"):
        await send_hint_card(Client(Person(fail=True)), catalog(), session(plan), None)  # type: ignore[arg-type]
    assert "no hint card" in caplog.text


# -- the live figures ------------------------------------------------------------------------------


def test_figures_count_per_lane_and_name_who_has_not_written_yet() -> None:
    canvas = CANVASES["empathy-map"]
    earlier = [note(1, 10, "Alice"), note(2, 11, "Bob"), note(3, 12, "Carol"), note(4, 11, "Bobby")]
    now = [
        note(5, 10, "Alice", step=1, lane="says"),
        note(6, 10, "Alice", step=1, lane="says"),
        note(7, 13, "Dirk", step=1),
    ]
    silent = not_yet_written(now, earlier)
    assert silent == ["Bobby", "Carol"]  # latest name; in the order they first wrote
    text = step_figures(catalog(), "nl", canvas, now, silent)
    assert "3 notities van 2 deelnemers" in text
    assert "• Zegt: 2" in text and "• Denkt: 0" in text and "nog niet ingedeeld: 1" in text
    assert "Bobby" in text and "Carol" in text and "Alice" not in text.split("nog niet:")[-1]


def test_figures_say_when_everyone_joined_and_cut_a_long_list() -> None:
    now = [note(1, 10, "Alice", step=1)]
    assert catalog().t("en", "coaching.figures.all_in") in step_figures(
        catalog(), "en", None, now, []
    )
    many = [f"Persoon {n}" for n in range(MAX_SILENT_NAMES + 4)]
    text = step_figures(catalog(), "nl", None, now, many)
    assert "Persoon 14" in text and "Persoon 15" not in text and "en nog 4" in text


# -- lanes and columns in autocomplete -------------------------------------------------------------


def test_lane_choices_name_lanes_in_the_users_language_and_match_any_word() -> None:
    canvas = CANVASES["empathy-map"]
    assert [c.value for c in lane_choices(canvas, "nl", "")] == [lane.key for lane in canvas.lanes]
    assert [(c.name, c.value) for c in lane_choices(canvas, "en", "zeg")] == [("Says", "says")]
    assert [c.value for c in lane_choices(canvas, "nl", "pijn")] == ["pains"]
    with_unsorted = lane_choices(canvas, "nl", "niet", unsorted="Nog niet ingedeeld")
    assert [c.value for c in with_unsorted] == [UNSORTED]


def test_column_choices_offer_a_new_column_only_on_open_canvases() -> None:
    sentences = catalog()
    offered = column_choices(sentences, "nl", ("Fatima", "Henk"), "fa", open_columns=True)
    assert [(c.name, c.value) for c in offered] == [("Nieuw: fa", "fa"), ("Fatima", "Fatima")]
    fixed = column_choices(sentences, "nl", ("Oriënteren", "Bezoeken"), "x", open_columns=False)
    assert fixed == []
    exact = column_choices(sentences, "en", ("Fatima",), "fatima", open_columns=True)
    assert [c.value for c in exact] == ["Fatima"]


def test_an_unknown_lane_is_refused_with_the_lanes_named() -> None:
    sentences = catalog()
    text = refusal_text(sentences, "nl", LaneRefusedError("onzin", ["Zegt", "Denkt"]))
    assert text is not None and "onzin" in text and "Zegt, Denkt" in text
    assert refusal_text(sentences, "en", LaneRefusedError("x", [])) == sentences.t(
        "en", "errors.no_canvas"
    )
    keys = refusal_text(sentences, "en", UnknownLaneError("x", ["says", "thinks"]))
    assert keys is not None and "says, thinks" in keys


# -- templates -------------------------------------------------------------------------------------


def test_every_template_has_a_description_in_every_language() -> None:
    for locale in LOCALES:
        for key in TEMPLATES:
            lines = describe_template(catalog(), locale, TEMPLATES[key], CANVASES)
            assert catalog().t(locale, f"commands.templates_about.{key}") in lines
            assert len(lines) == len(TEMPLATES[key].steps) + 4


def test_the_list_names_every_template_and_broken_files_last() -> None:
    lines = list_templates(catalog(), "en", TEMPLATES, {"eigen": "eigen.toml, line 3: …"})
    text = "\n".join(lines)
    assert all(f"`{key}`" in text for key in TEMPLATES)
    assert text.index("`eigen`") > max(text.index(f"`{key}`") for key in TEMPLATES)


def test_a_template_is_found_by_key_or_by_a_name_in_any_language() -> None:
    sentences = catalog()
    assert pick_template(sentences, TEMPLATES, {}, "classic") == "classic"
    assert pick_template(sentences, TEMPLATES, {}, "Klassiek") == "classic"
    assert pick_template(sentences, TEMPLATES, {}, "masterclass day 1") == "masterclass-dag-1"
    assert pick_template(sentences, TEMPLATES, {}, "masterclass") == "masterclass"  # two match
    with pytest.raises(TemplateBrokenError) as raised:
        pick_template(sentences, TEMPLATES, {"eigen": "eigen.toml, line 3: oops"}, "eigen")
    text = refusal_text(sentences, "nl", raised.value)
    assert text is not None and "eigen.toml, line 3: oops" in text


def test_template_choices_put_broken_files_last_and_marked() -> None:
    offered = template_choices(catalog(), "nl", TEMPLATES, {"eigen": "…"}, "")
    assert [c.value for c in offered] == [*TEMPLATES, "eigen"]
    assert offered[-1].name.startswith("⚠️")
    assert [c.value for c in template_choices(catalog(), "en", TEMPLATES, {}, "check")] == [
        "check-in"
    ]
