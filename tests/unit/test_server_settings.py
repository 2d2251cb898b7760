"""A server's own settings: every key's validation, storage round trips, and the sentences
and suggestions /settings builds on them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.cogs.errors import refusal_text
from bot.cogs.settings import (
    AUTOCOMPLETE_LIMIT,
    COMMON_ZONES,
    SettingsRefusedError,
    durations_of,
    short_duration,
    zone_suggestions,
)
from bot.domain.server_settings import (
    LANGUAGES,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    ServerSettings,
    SettingError,
    SettingKey,
    SettingProblem,
    close_timezones,
    decode,
    durations_fit,
    encode,
    validate,
)
from bot.i18n import LOCALES, catalog
from bot.template_files import load_templates

TEMPLATES = ("classic", "workshop")


def refused(key: SettingKey, text: str, templates: tuple[str, ...] = ()) -> SettingError:
    with pytest.raises(SettingError) as caught:
        validate(key, text, templates=templates)
    assert caught.value.key is key
    return caught.value


# -- language --------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [("nl", "nl"), ("en", "en"), (" EN ", "en")])
def test_a_language_we_speak_is_accepted(text: str, expected: str) -> None:
    assert validate(SettingKey.LANGUAGE, text) == expected


@pytest.mark.parametrize("text", ["fr", "", "nederlands", "en-GB"])
def test_another_language_is_refused_with_the_ones_we_speak(text: str) -> None:
    error = refused(SettingKey.LANGUAGE, text)
    assert error.problem is SettingProblem.UNKNOWN_LANGUAGE
    assert error.suggestions == LANGUAGES


# -- timezone --------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Europe/London", "Europe/Amsterdam", "UTC", " America/Curacao "])
def test_a_known_timezone_is_accepted(text: str) -> None:
    assert validate(SettingKey.TIMEZONE, text) == text.strip()


def test_a_city_alone_is_refused_with_its_timezone_as_the_suggestion() -> None:
    error = refused(SettingKey.TIMEZONE, "amsterdam")
    assert error.problem is SettingProblem.UNKNOWN_TIMEZONE
    assert error.value == "amsterdam"
    assert error.suggestions == ("Europe/Amsterdam",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Europe/Amsterdm", "Europe/Amsterdam"), ("new york", "America/New_York"), ("London", "")],
)
def test_a_misspelt_timezone_gets_close_matches(text: str, expected: str) -> None:
    found = close_timezones(text)
    assert 1 <= len(found) <= 3
    assert (expected or "Europe/London") in found


@pytest.mark.parametrize(
    "text", ["Europe", "", "xyzzy-nowhere", "../../etc/passwd", "Mars/Olympus"]
)
def test_no_timezone_is_refused(text: str) -> None:
    error = refused(SettingKey.TIMEZONE, text)
    assert error.problem is SettingProblem.UNKNOWN_TIMEZONE
    assert len(error.suggestions) <= 3


def test_nonsense_has_no_suggestions() -> None:
    assert refused(SettingKey.TIMEZONE, "qqqqqqqq").suggestions == ()


# -- template and durations ------------------------------------------------------------------


def test_a_known_template_is_accepted() -> None:
    assert validate(SettingKey.TEMPLATE, " workshop ", templates=TEMPLATES) == "workshop"


def test_an_unknown_template_is_refused_with_the_known_ones() -> None:
    error = refused(SettingKey.TEMPLATE, "klassiek", templates=("workshop", "classic"))
    assert error.problem is SettingProblem.UNKNOWN_TEMPLATE
    assert error.suggestions == ("classic", "workshop")


@pytest.mark.parametrize("text", ["15m,10m,10m,15m", "10m;;15m;15m", "2d, 1h30, 90s, 1h"])
def test_durations_are_accepted_as_typed(text: str) -> None:
    assert validate(SettingKey.DURATIONS, text) == text.strip()


@pytest.mark.parametrize("text", ["abc", "10m,morgen", "10m,-5m", "10m,0"])
def test_unreadable_durations_are_refused(text: str) -> None:
    assert refused(SettingKey.DURATIONS, text).problem is SettingProblem.BAD_DURATIONS


@pytest.mark.parametrize(
    ("text", "steps", "fits"),
    [
        ("15m,10m,10m,15m", 4, True),
        ("15m,,10m,15m", 4, True),
        ("15m,10m,10m", 4, False),
        ("15m,10m,10m,15m,", 4, False),
        ("5m", 1, True),
        ("nonsense,1m", 2, False),
    ],
)
def test_durations_fit_a_template_with_one_entry_per_step(
    text: str, steps: int, fits: bool
) -> None:
    assert durations_fit(text, steps) is fits


# -- recap time, retention, nudges -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17:00", "17:00"),
        ("17.30", "17:30"),
        (" 09:05 ", "09:05"),
        ("08:15:00", "08:15"),
        ("17", "17:00"),  # a whole hour
    ],
)
def test_a_time_of_day_is_accepted_with_a_colon_or_a_dot(text: str, expected: str) -> None:
    assert validate(SettingKey.RECAP_TIME, text) == expected


@pytest.mark.parametrize("text", ["25:00", "17:60", "vijf uur", "", "1730h"])
def test_a_time_that_is_not_one_is_refused(text: str) -> None:
    assert refused(SettingKey.RECAP_TIME, text).problem is SettingProblem.BAD_TIME


@pytest.mark.parametrize("days", [MIN_RETENTION_DAYS, 30, 365, MAX_RETENTION_DAYS])
def test_retention_within_bounds_is_accepted(days: int) -> None:
    assert validate(SettingKey.RETENTION_DAYS, f" {days} ") == days


@pytest.mark.parametrize(
    "text", [str(MIN_RETENTION_DAYS - 1), str(MAX_RETENTION_DAYS + 1), "-5", "1.5", "een jaar", ""]
)
def test_retention_outside_bounds_is_refused(text: str) -> None:
    assert refused(SettingKey.RETENTION_DAYS, text).problem is SettingProblem.BAD_RETENTION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("aan", True),
        ("uit", False),
        ("ja", True),
        ("nee", False),
        ("on", True),
        ("off", False),
        ("yes", True),
        ("no", False),
        ("true", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (" AAN ", True),
        ("Uit", False),
    ],
)
def test_switch_words_in_dutch_and_english(text: str, expected: bool) -> None:
    assert validate(SettingKey.NUDGES, text) is expected


@pytest.mark.parametrize("text", ["misschien", "", "2", "aanuit"])
def test_other_switch_words_are_refused(text: str) -> None:
    assert refused(SettingKey.NUDGES, text).problem is SettingProblem.BAD_SWITCH


# -- roles and channels (checked against the server at the edge) -------------------------------


@pytest.mark.parametrize(("text", "expected"), [("<#123>", 123), ("123", 123), (" <#9> ", 9)])
def test_a_channel_is_a_mention_or_an_id(text: str, expected: int) -> None:
    assert validate(SettingKey.RECAP_CHANNEL, text) == expected


@pytest.mark.parametrize("text", ["#algemeen", "algemeen", "<#abc>", ""])
def test_a_channel_by_name_is_left_to_the_edge(text: str) -> None:
    assert refused(SettingKey.RECAP_CHANNEL, text).problem is SettingProblem.BAD_ID


@pytest.mark.parametrize(
    ("text", "expected"), [("<@&42>", "42"), ("42", "42"), (" Begeleiders ", "Begeleiders")]
)
def test_a_role_is_a_mention_an_id_or_a_name(text: str, expected: str) -> None:
    assert validate(SettingKey.FACILITATOR_ROLE, text) == expected


def test_the_error_names_key_problem_and_value() -> None:
    error = refused(SettingKey.RETENTION_DAYS, "-1")
    assert isinstance(error, ValueError)
    assert str(error) == "retention_days: bad_retention: '-1'"


# -- values as stored ------------------------------------------------------------------------

EVERY_KEY = ServerSettings(
    language="en",
    timezone="Europe/London",
    facilitator_role="1234",
    template="classic",
    durations="15m,10m,10m,15m",
    recap_time="16:30",
    recap_channel=987654321,
    retention_days=90,
    nudges=False,
    reminders="12h,1h",
)


def test_every_key_has_a_field_and_items_keep_the_order() -> None:
    assert list(EVERY_KEY.items()) == list(SettingKey)
    assert all(value is not None for value in EVERY_KEY.items().values())
    assert set(ServerSettings().items().values()) == {None}


def test_stored_text_reads_back_as_the_same_settings() -> None:
    stored = {key.value: encode(key, value) for key, value in EVERY_KEY.items().items()}
    assert stored["nudges"] == "0"
    assert stored["recap_channel"] == "987654321"
    assert ServerSettings.from_stored(stored) == EVERY_KEY


@pytest.mark.parametrize("nudges", [True, False])
def test_a_switch_survives_encoding(nudges: bool) -> None:
    assert decode(SettingKey.NUDGES, encode(SettingKey.NUDGES, nudges)) is nudges


def test_keys_from_a_newer_version_are_ignored() -> None:
    assert ServerSettings.from_stored({"colour": "blue", "language": "nl"}) == ServerSettings(
        language="nl"
    )


def test_with_value_sets_and_resets_one_key() -> None:
    settings = ServerSettings().with_value(SettingKey.TIMEZONE, "Europe/London")
    settings = settings.with_value(SettingKey.NUDGES, False)
    assert settings == ServerSettings(timezone="Europe/London", nudges=False)
    assert settings.with_value(SettingKey.TIMEZONE, None) == ServerSettings(nudges=False)


@pytest.mark.parametrize("key", list(SettingKey))
def test_every_validated_value_round_trips_through_storage(key: SettingKey) -> None:
    typed = {
        SettingKey.LANGUAGE: "EN",
        SettingKey.TIMEZONE: "Europe/London",
        SettingKey.FACILITATOR_ROLE: "<@&55>",
        SettingKey.TEMPLATE: "classic",
        SettingKey.DURATIONS: "10m,,15m,15m",
        SettingKey.RECAP_TIME: "17.30",
        SettingKey.RECAP_CHANNEL: "<#77>",
        SettingKey.RETENTION_DAYS: "30",
        SettingKey.NUDGES: "uit",
        SettingKey.REMINDERS: "24u, 1u",
    }[key]
    value = validate(key, typed, templates=TEMPLATES)
    settings = ServerSettings().with_value(key, value)
    stored = {key.value: encode(key, value)}
    assert ServerSettings.from_stored(stored) == settings
    assert settings.items()[key] == value


# -- the sentences /settings answers with ------------------------------------------------------

EXAMPLES = {
    SettingProblem.UNKNOWN_LANGUAGE: (SettingKey.LANGUAGE, "fr"),
    SettingProblem.UNKNOWN_TIMEZONE: (SettingKey.TIMEZONE, "amsterdam"),
    SettingProblem.UNKNOWN_TEMPLATE: (SettingKey.TEMPLATE, "nope"),
    SettingProblem.BAD_DURATIONS: (SettingKey.DURATIONS, "abc"),
    SettingProblem.BAD_TIME: (SettingKey.RECAP_TIME, "25:00"),
    SettingProblem.BAD_RETENTION: (SettingKey.RETENTION_DAYS, "-1"),
    SettingProblem.BAD_SWITCH: (SettingKey.NUDGES, "misschien"),
    SettingProblem.BAD_ID: (SettingKey.RECAP_CHANNEL, "algemeen"),
    SettingProblem.BAD_REMINDERS: (SettingKey.REMINDERS, "morgen"),
}


def test_every_problem_has_an_example() -> None:
    assert set(EXAMPLES) == set(SettingProblem)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("problem", list(SettingProblem))
def test_every_problem_is_one_friendly_sentence(locale: str, problem: SettingProblem) -> None:
    key, text = EXAMPLES[problem]
    error = refused(key, text, templates=TEMPLATES)
    assert error.problem is problem
    sentence = refusal_text(catalog(), locale, error)
    assert sentence
    assert "{" not in sentence
    assert "Traceback" not in sentence


@pytest.mark.parametrize("locale", LOCALES)
def test_an_unknown_timezone_suggests_the_close_ones(locale: str) -> None:
    sentence = refusal_text(catalog(), locale, refused(SettingKey.TIMEZONE, "amsterdam"))
    assert sentence is not None
    assert "`Europe/Amsterdam`" in sentence
    hint = refusal_text(catalog(), locale, refused(SettingKey.TIMEZONE, "qqqqqqqq"))
    assert hint is not None
    assert "Europe/Amsterdam" in hint  # the example of a name


def test_the_sentences_speak_the_members_language() -> None:
    error = refused(SettingKey.RETENTION_DAYS, "-1")
    dutch = refusal_text(catalog(), "nl", error)
    english = refusal_text(catalog(), "en", error)
    assert dutch is not None
    assert english is not None
    assert "dagen" in dutch
    assert "days" in english
    assert f"{MAX_RETENTION_DAYS}" in dutch


def test_a_long_value_is_cut_in_the_sentence() -> None:
    sentence = refusal_text(catalog(), "nl", refused(SettingKey.RECAP_TIME, "x" * 500))
    assert sentence is not None
    assert "x" * 50 in sentence
    assert "x" * 51 not in sentence


def test_an_edge_refusal_adds_its_suggestions() -> None:
    error = SettingsRefusedError(
        "settings.refused.no_such_role", value="Begeleider", suggestions=("Begeleiders",)
    )
    sentence = refusal_text(catalog(), "nl", error)
    assert sentence is not None
    assert "“Begeleider”" in sentence
    assert "`Begeleiders`" in sentence


# -- suggestions while typing ------------------------------------------------------------------


def test_zone_suggestions_start_with_the_common_ones() -> None:
    assert zone_suggestions("") == list(COMMON_ZONES)


@pytest.mark.parametrize(
    ("typed", "first"),
    [("amsterdam", "Europe/Amsterdam"), ("Lond", "Europe/London"), ("new y", "America/New_York")],
)
def test_zone_suggestions_put_cities_starting_with_the_text_first(typed: str, first: str) -> None:
    assert zone_suggestions(typed)[0] == first


def test_zone_suggestions_stay_within_discords_limit() -> None:
    found = zone_suggestions("a")
    assert len(found) == AUTOCOMPLETE_LIMIT
    assert len(set(found)) == len(found)


def test_zone_suggestions_fall_back_to_close_spellings() -> None:
    assert "Europe/Amsterdam" in zone_suggestions("Amsterdm")
    assert zone_suggestions("qqqqqqqq") == []


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1), "1h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(days=2), "2d"),
        (timedelta(seconds=90), "90s"),
    ],
)
def test_short_durations_are_typed_as_durations(span: timedelta, expected: str) -> None:
    assert short_duration(span) == expected


def test_a_templates_own_times_fit_it() -> None:
    for template in load_templates().values():
        durations = durations_of(template)
        assert validate(SettingKey.DURATIONS, durations) == durations
        assert durations_fit(durations, len(template.steps))


@pytest.mark.parametrize(
    ("typed", "stored"), [("24u, 1u", "1d,1h"), ("1h,12h", "12h,1h"), ("uit", "0"), ("off", "0")]
)
def test_reminders_are_stored_longest_first_and_read_back(typed: str, stored: str) -> None:
    assert validate(SettingKey.REMINDERS, typed) == stored
