"""Recognising "How might we…?" questions and points of view by how they are written."""

from __future__ import annotations

import pytest

from bot.domain.board import NoteKind, detect_kind


@pytest.mark.parametrize(
    "text",
    [
        "Hoe kunnen we de bieb gezelliger maken voor jongeren?",
        "hoe kunnen we zorgen dat ouders blijven wachten?",
        "Hoe kunnen wij het uitlenen makkelijker maken?",
        "HKW de leeszaal stiller maken?",
        "hkw: meer avondopenstelling",
        "How might we make the library a place to stay?",
        "how might we help students find a quiet spot?",
        "HMW reach parents with toddlers?",
        "hmw - fewer queues at the desk",
    ],
)
def test_how_might_we_questions_in_both_languages(text: str) -> None:
    assert detect_kind(text) is NoteKind.QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "  Hoe kunnen we de bieb gezelliger maken?  ",
        "\nHow might we make it quieter?",
        "**Hoe kunnen we** de bieb gezelliger maken?",
        "__How might we__ make it quieter?",
        "*hmw* shorter queues?",
        "> Hoe kunnen we meer mensen bereiken?",
        "- how might we help newcomers?",
        "• Hoe kunnen we het team ontlasten?",
        "- **HKW** de wachtrij korter maken?",
    ],
)
def test_leading_white_space_markdown_and_bullets_are_skipped(text: str) -> None:
    assert detect_kind(text) is NoteKind.QUESTION


@pytest.mark.parametrize(
    "text",
    [
        "Een student heeft behoefte aan een stille plek, omdat het thuis te druk is.",
        "Jonge ouders hebben behoefte aan een speelhoek omdat ze anders niet kunnen lezen",
        "Mijn buurman heeft behoefte aan hulp met formulieren,\nomdat hij slecht ziet.",
        "A student needs a quiet desk because home is too crowded.",
        "Parents need somewhere to sit because the children's corner has no chairs",
        "Older visitors NEED larger print BECAUSE they cannot read the labels",
    ],
)
def test_points_of_view(text: str) -> None:
    assert detect_kind(text) is NoteKind.POINT_OF_VIEW


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "De bieb is op zaterdag heel druk",
        "Koffie bij de ingang",
        "Hoe kan de bieb langer open?",  # not the "Hoe kunnen we" form
        "Waarom kunnen we niet langer open?",
        "Ik vroeg me af: hoe kunnen we dit oplossen?",  # not at the start
        "How we might change the opening hours",
        "What might we do about the noise?",
        "Studenten hebben behoefte aan stilte",  # a need without the insight
        "heeft behoefte aan",
        "Omdat het druk is, gaan mensen weg",
        "A student needs a desk",
        "because it is loud, people leave",
        "The extra shelves were unneeded because nobody reads there",  # "needs" is a word
    ],
)
def test_other_notes_are_plain_notes(text: str) -> None:
    assert detect_kind(text) is NoteKind.NOTE


def test_a_question_wins_over_a_point_of_view() -> None:
    text = "Hoe kunnen we helpen als iemand behoefte heeft aan rust, omdat het druk is?"
    assert detect_kind(text) is NoteKind.QUESTION
    text = "How might we help a parent who needs a break because the kids are loud?"
    assert detect_kind(text) is NoteKind.QUESTION


def test_kind_values_are_what_the_database_stores() -> None:
    assert {kind.value for kind in NoteKind} == {"note", "question", "point_of_view"}
