"""Problems in the data files people write (templates, canvases): which file, where in it,
and what is wrong, in one sentence."""

from __future__ import annotations

from typing import Self

# Where in the parsed file: ``("steps", 2, "canvas")`` is the third step's canvas.
Where = tuple[str | int, ...]


def shown(value: object) -> str:
    """A value as it is written in TOML, for messages: texts in double quotes."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


class FileProblem(ValueError):
    """A file that cannot be used.

    ``problem`` says what is wrong (``step 3: 'canvas' "x" is not a canvas; known: …``),
    ``at`` where in the parsed data, so a loader that has the file's text can add the
    ``line``: ``masterclass-dag-1.toml, line 12: step 3: …``.
    """

    def __init__(
        self, source: str, problem: str = "", at: Where = (), line: int | None = None
    ) -> None:
        self.source = source
        self.problem = problem
        self.at = at
        self.line = line
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The whole sentence: file, line when known, problem."""
        if not self.problem:
            return self.source
        where = self.source if self.line is None else f"{self.source}, line {self.line}"
        return f"{where}: {self.problem}"

    def __str__(self) -> str:
        return self.message

    def located(self, source: str, line: int | None) -> Self:
        """The same problem, named by ``source`` and placed on ``line``."""
        return type(self)(source, self.problem, self.at, line)
