"""Session templates: an ordered list of Design Thinking steps with default durations."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.canvas import Canvas
from bot.domain.deadlines import StepTime
from bot.domain.durations import MAX_DURATION, DurationError, DurationProblem, parse_duration
from bot.domain.file_errors import FileProblem, shown
from bot.domain.voting import VoteTarget

# Step kinds the prompts know about (prompts/<locale>/steps.toml has one table each).
# ``checkin``: a warm-up round, one line from everyone.
STEP_KINDS = ("empathise", "define", "ideate", "prototype", "test", "checkin")
# Kinds whose notes are not voted on.
NO_VOTE_KINDS = frozenset({"checkin"})


class TemplateError(FileProblem):
    """A template file that cannot be used; the message names the file, line and field."""


DEFAULT_VOTE_DURATION = timedelta(minutes=4)


@dataclass(frozen=True)
class StepPlan:
    """One step of a session as planned: which kind, for how long.

    ``themes``: at the start of this step, group the previous step's notes into themes.
    ``vote``: when the writing time is up, hold a dot-voting round of ``vote_duration``
    on this step's notes (``notes``) or on its "How might we…?" questions (``questions``).
    ``deadline``: a fixed end (aware) the facilitator gave instead of a duration; the
    duration stays as the fallback for when the step starts after its deadline.
    ``private``: people write alone (silent brainstorming); the notes are revealed, all
    at once and not by author, when the writing ends.
    ``canvas``: the key of the canvas the step fills (prompts/canvases/), lane by lane;
    ``columns``: its columns (a journey's phases), else the canvas's defaults.
    """

    kind: str
    duration: timedelta
    themes: bool = False
    vote: VoteTarget | None = None
    vote_duration: timedelta = DEFAULT_VOTE_DURATION
    deadline: datetime | None = None
    private: bool = False
    canvas: str | None = None
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A named sequence of steps.

    ``names``/``abouts``: a library's own template may carry its name and one-line
    description per language; the shipped ones have theirs in prompts/<locale>/commands.toml
    (``commands.templates.<key>``, ``commands.templates_about.<key>``).
    """

    key: str
    steps: tuple[StepPlan, ...]
    names: Mapping[str, str] = field(default_factory=dict)
    abouts: Mapping[str, str] = field(default_factory=dict)

    def name(self, locale: str) -> str | None:
        """The file's own name for the template in ``locale`` (else its first), if any."""
        return self.names.get(locale) or next(iter(self.names.values()), None)

    def about(self, locale: str) -> str | None:
        """The file's own one-line description in ``locale`` (else its first), if any."""
        return self.abouts.get(locale) or next(iter(self.abouts.values()), None)

    def with_durations(self, durations: list[timedelta]) -> tuple[StepPlan, ...]:
        """The template's steps with the given durations, in order."""
        return tuple(
            replace(step, duration=duration)
            for step, duration in zip(self.steps, durations, strict=True)
        )

    def with_times(self, times: list[StepTime]) -> tuple[StepPlan, ...]:
        """The template's steps with the given durations or deadlines, in order (a step
        with a deadline keeps its planned duration as the fallback)."""
        return tuple(
            replace(step, deadline=time.deadline)
            if time.deadline is not None
            else replace(step, duration=time.duration or step.duration)
            for step, time in zip(self.steps, times, strict=True)
        )

    @property
    def default_durations(self) -> list[timedelta]:
        """The durations the template plans for each step."""
        return [step.duration for step in self.steps]


TEMPLATE_FIELDS = ("key", "name", "about", "private", "steps")
STEP_FIELDS = (
    "kind",
    "duration",
    "themes",
    "vote",
    "vote_duration",
    "private",
    "canvas",
    "columns",
)
_KEY_SHAPE = re.compile(r"[a-z0-9][a-z0-9-]*")
_DURATION_PROBLEMS = {
    DurationProblem.EMPTY: "is empty",
    DurationProblem.UNREADABLE: 'is not a duration such as "15m", "1u30" or "2d"',
    DurationProblem.NOT_POSITIVE: "must be longer than nothing",
    DurationProblem.TOO_LONG: f"is longer than {MAX_DURATION.days} days",
}


class _Reader:
    """Checks one template file's parsed data; every problem names where it is."""

    def __init__(
        self, source: str, canvases: Mapping[str, Canvas] | None, locales: Sequence[str]
    ) -> None:
        self.source = source
        self.canvases = canvases
        self.locales = tuple(locales)

    def fail(self, problem: str, *at: str | int) -> TemplateError:
        return TemplateError(self.source, problem, tuple(at))

    def only_known(
        self, table: Mapping[str, Any], known: Sequence[str], label: str, *at: str | int
    ) -> None:
        for name in table:
            if name not in known:
                raise self.fail(
                    f"{label}unknown field {shown(name)}; known: {', '.join(known)}", *at, name
                )

    def flag(
        self, table: Mapping[str, Any], name: str, default: bool, label: str, *at: str | int
    ) -> bool:
        value = table.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(f"{label}'{name}' must be true or false", *at, name)
        return value

    def duration(self, value: object, label: str, name: str, *at: str | int) -> timedelta:
        if value is None:
            raise self.fail(f"{label}'{name}' is missing: how long, e.g. \"15m\"", *at, name)
        if not isinstance(value, str):
            raise self.fail(f"{label}'{name}' must be a text such as \"15m\"", *at, name)
        try:
            return parse_duration(value)
        except DurationError as error:
            raise self.fail(
                f"{label}'{name}' {shown(value)} {_DURATION_PROBLEMS[error.problem]}", *at, name
            ) from None

    def texts(self, value: object, name: str) -> dict[str, str]:
        """An optional ``{language: text}`` table (a library's own template's name)."""
        if value is None:
            return {}
        if not isinstance(value, Mapping) or not value:
            raise self.fail(
                f'\'{name}\' must be a table of texts per language, e.g. {{ nl = "…", en = "…" }}',
                name,
            )
        for language, text in value.items():
            if not isinstance(text, str) or not text.strip():
                raise self.fail(f"'{name}.{language}' must be a non-empty text", name, language)
            if self.locales and language not in self.locales:
                raise self.fail(
                    f"'{name}' has a text in {shown(language)}; "
                    f"the languages are {', '.join(self.locales)}",
                    name,
                    language,
                )
        return {str(language): str(text).strip() for language, text in value.items()}

    def step(self, raw: object, number: int, all_private: bool) -> StepPlan:
        at: tuple[str | int, ...] = ("steps", number - 1)
        label = f"step {number}: "
        if not isinstance(raw, Mapping):
            raise self.fail(f"step {number} must be a [[steps]] table", *at)
        self.only_known(raw, STEP_FIELDS, label, *at)
        kind = raw.get("kind")
        if kind not in STEP_KINDS:
            given = "is missing" if kind is None else f"{shown(kind)} is not a step kind"
            raise self.fail(f"{label}'kind' {given}; known: {', '.join(STEP_KINDS)}", *at, "kind")
        duration = self.duration(raw.get("duration"), label, "duration", *at)
        themes = self.flag(raw, "themes", False, label, *at)
        if themes and number == 1:
            raise self.fail(
                f"{label}'themes' groups the notes of the step before; the first step has none",
                *at,
                "themes",
            )
        vote = self.vote(raw, label, kind, at)
        vote_duration = DEFAULT_VOTE_DURATION
        if "vote_duration" in raw:
            if vote is None:
                raise self.fail(
                    f"{label}'vote_duration' without 'vote': say what to vote on "
                    f"({', '.join(t.value for t in VoteTarget)})",
                    *at,
                    "vote_duration",
                )
            vote_duration = self.duration(raw["vote_duration"], label, "vote_duration", *at)
        canvas = self.canvas(raw, label, at)
        columns = self.columns(raw, label, at, canvas)
        return StepPlan(
            kind,
            duration,
            themes=themes,
            vote=vote,
            vote_duration=vote_duration,
            private=self.flag(raw, "private", all_private, label, *at),
            canvas=canvas,
            columns=columns,
        )

    def vote(
        self, raw: Mapping[str, Any], label: str, kind: str, at: tuple[str | int, ...]
    ) -> VoteTarget | None:
        value = raw.get("vote")
        if value is None:
            return None
        choices = {t.value for t in VoteTarget}
        if value not in choices:
            raise self.fail(
                f"{label}'vote' {shown(value)} is not something to vote on; "
                f"known: {', '.join(sorted(choices))}",
                *at,
                "vote",
            )
        if kind in NO_VOTE_KINDS:
            raise self.fail(f"{label}a {shown(kind)} step does not vote", *at, "vote")
        return VoteTarget(value)

    def canvas(self, raw: Mapping[str, Any], label: str, at: tuple[str | int, ...]) -> str | None:
        value = raw.get("canvas")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{label}'canvas' must be the key of a canvas", *at, "canvas")
        if self.canvases is not None and value not in self.canvases:
            known = ", ".join(sorted(self.canvases)) or "none"
            raise self.fail(
                f"{label}'canvas' {shown(value)} is not a canvas; known: {known}", *at, "canvas"
            )
        return value

    def columns(
        self, raw: Mapping[str, Any], label: str, at: tuple[str | int, ...], canvas: str | None
    ) -> tuple[str, ...]:
        value = raw.get("columns")
        if value is None:
            return ()
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(c, str) and c.strip() for c in value)
        ):
            raise self.fail(f"{label}'columns' must be a list of names", *at, "columns")
        if canvas is None:
            raise self.fail(f"{label}'columns' needs a 'canvas' to lay them across", *at, "columns")
        if self.canvases is not None and self.canvases[canvas].columns is None:
            raise self.fail(f"{label}canvas {shown(canvas)} has no columns", *at, "columns")
        names = tuple(" ".join(c.split()) for c in value)
        for name in names:
            if ":" in name or "/" in name:
                raise self.fail(
                    f"{label}column {shown(name)} may not hold ':' or '/'", *at, "columns"
                )
        if len({name.casefold() for name in names}) != len(names):
            raise self.fail(f"{label}'columns' names a column twice", *at, "columns")
        return names


def template_from_mapping(
    data: Mapping[str, Any],
    source: str,
    canvases: Mapping[str, Canvas] | None = None,
    locales: Sequence[str] = (),
) -> Template:
    """Validate a parsed template file; raise :class:`TemplateError` naming ``source`` and
    where in it (the loader adds the line).

    With ``canvases``, a step's canvas must be one of them (and have columns if the step
    names some); with ``locales``, the optional ``name``/``about`` texts must be in those.
    """
    reader = _Reader(source, canvases, locales)
    reader.only_known(data, TEMPLATE_FIELDS, "")
    key = data.get("key")
    if not isinstance(key, str) or not _KEY_SHAPE.fullmatch(key.strip()):
        raise reader.fail(
            "'key' must be lower-case letters, digits and dashes (e.g. \"masterclass-dag-1\")",
            "key",
        )
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise reader.fail("'steps' must be a list with at least one [[steps]] table", "steps")
    all_private = reader.flag(data, "private", False, "")
    steps = tuple(
        reader.step(raw, number, all_private) for number, raw in enumerate(raw_steps, start=1)
    )
    return Template(
        key=key.strip(),
        steps=steps,
        names=reader.texts(data.get("name"), "name"),
        abouts=reader.texts(data.get("about"), "about"),
    )
