"""Session templates: an ordered list of Design Thinking steps with default durations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot.domain.deadlines import StepTime
from bot.domain.durations import DurationError, parse_duration
from bot.domain.voting import VoteTarget

# Step kinds the prompts know about (prompts/<locale>/steps.toml has one table each).
STEP_KINDS = ("empathise", "define", "ideate", "prototype", "test")


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the field."""


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
    """

    kind: str
    duration: timedelta
    themes: bool = False
    vote: VoteTarget | None = None
    vote_duration: timedelta = DEFAULT_VOTE_DURATION
    deadline: datetime | None = None
    private: bool = False


@dataclass(frozen=True)
class Template:
    """A named sequence of steps."""

    key: str
    steps: tuple[StepPlan, ...]

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


def template_from_mapping(data: Mapping[str, Any], source: str) -> Template:
    """Validate a parsed template file; raise :class:`TemplateError` naming ``source``."""
    key = data.get("key")
    if not isinstance(key, str) or not key.strip():
        raise TemplateError(f"{source}: 'key' must be a non-empty text")
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise TemplateError(f"{source}: 'steps' must be a list with at least one [[steps]] table")
    # ``private = true`` at the top marks every step private; a step may still say false.
    all_private = data.get("private", False)
    if not isinstance(all_private, bool):
        raise TemplateError(f"{source}: 'private' must be true or false")
    steps: list[StepPlan] = []
    for number, raw in enumerate(raw_steps, start=1):
        where = f"{source}: step {number}"
        if not isinstance(raw, Mapping):
            raise TemplateError(f"{where} must be a table")
        kind = raw.get("kind")
        if kind not in STEP_KINDS:
            raise TemplateError(f"{where}: 'kind' must be one of {', '.join(STEP_KINDS)}")
        duration_text = raw.get("duration")
        if not isinstance(duration_text, str):
            raise TemplateError(f"{where}: 'duration' must be a text such as \"15m\"")
        try:
            duration = parse_duration(duration_text)
        except DurationError as error:
            raise TemplateError(f"{where}: 'duration' {error}") from error
        themes = raw.get("themes", False)
        if not isinstance(themes, bool):
            raise TemplateError(f"{where}: 'themes' must be true or false")
        vote_text = raw.get("vote")
        if vote_text is not None and vote_text not in {t.value for t in VoteTarget}:
            choices = ", ".join(t.value for t in VoteTarget)
            raise TemplateError(f"{where}: 'vote' must be one of {choices}")
        private = raw.get("private", all_private)
        if not isinstance(private, bool):
            raise TemplateError(f"{where}: 'private' must be true or false")
        vote_duration = DEFAULT_VOTE_DURATION
        if "vote_duration" in raw:
            try:
                vote_duration = parse_duration(str(raw["vote_duration"]))
            except DurationError as error:
                raise TemplateError(f"{where}: 'vote_duration' {error}") from error
        steps.append(
            StepPlan(
                kind,
                duration,
                themes=themes,
                vote=None if vote_text is None else VoteTarget(vote_text),
                vote_duration=vote_duration,
                private=private,
            )
        )
    return Template(key=key.strip(), steps=tuple(steps))
