"""Session templates: an ordered list of Design Thinking steps with default durations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.domain.durations import DurationError, parse_duration

# Step kinds the prompts know about (prompts/<locale>/steps.toml has one table each).
STEP_KINDS = ("empathise", "define", "ideate", "prototype", "test")


class TemplateError(ValueError):
    """A template file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class StepPlan:
    """One step of a session as planned: which kind, for how long."""

    kind: str
    duration: timedelta


@dataclass(frozen=True)
class Template:
    """A named sequence of steps."""

    key: str
    steps: tuple[StepPlan, ...]

    def with_durations(self, durations: list[timedelta]) -> tuple[StepPlan, ...]:
        """The template's steps with the given durations, in order."""
        return tuple(
            StepPlan(step.kind, duration)
            for step, duration in zip(self.steps, durations, strict=True)
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
        steps.append(StepPlan(kind, duration))
    return Template(key=key.strip(), steps=tuple(steps))
