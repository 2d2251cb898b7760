"""Find the line of a key in a TOML file's text, for errors that tomllib cannot place.

tomllib reports syntax errors with a line, but a file that parses and still means
something wrong (a step with an unknown canvas) has no line to point at. This reads the
raw text line by line and works out which key each line defines, so a problem found in
the parsed data (``("steps", 2, "canvas")``: the third ``[[steps]]`` table's ``canvas``)
can name the line to fix. It reads the plain TOML people write by hand: tables, arrays of
tables, dotted and quoted keys, multi-line strings and arrays; not every corner of TOML.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from bot.domain.file_errors import FileProblem

Problem = TypeVar("Problem", bound=FileProblem)

KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_NAME = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_NAME}(?:\s*\.\s*{_NAME})*)\s*=")
_PART = re.compile(_NAME)


def _parts(dotted: str) -> tuple[str, ...]:
    return tuple(part.strip("\"'") for part in _PART.findall(dotted))


def _open_strings(line: str, inside: str | None) -> str | None:
    """Which multi-line string (``\"\"\"`` or ``'''``) is still open after ``line``."""
    position = 0
    while True:
        if inside is not None:
            end = line.find(inside, position)
            if end < 0:
                return inside
            position, inside = end + 3, None
            continue
        starts = [(line.find(q, position), q) for q in ('"""', "'''") if q in line[position:]]
        if not starts:
            return None
        start, quote = min(starts)
        position, inside = start + 3, quote


def defined_paths(text: str) -> Iterator[tuple[int, KeyPath]]:
    """Each line (1-based) that starts a table or a key, with the path it defines.

    Arrays of tables count their elements: the second ``[[lanes]]`` is ``("lanes", 1)``,
    its ``name = …`` is ``("lanes", 1, "name")`` and a ``[lanes.name]`` after it
    ``("lanes", 1, "name")`` too.
    """
    counts: dict[tuple[str, ...], int] = {}
    table: KeyPath = ()
    inside: str | None = None  # an open multi-line string
    depth = 0  # open brackets of a multi-line array or inline table
    for number, line in enumerate(text.splitlines(), start=1):
        if inside is not None:
            inside = _open_strings(line, inside)
            continue
        if depth > 0:
            depth = max(0, depth + _balance(line))
            inside = _open_strings(line, None)
            continue
        header = _HEADER.match(line)
        if header is not None and not line.lstrip().startswith("#"):
            names = _parts(header.group(2))
            if header.group(1) == "[[":
                counts[names] = counts.get(names, -1) + 1
                table = _in_arrays(names, counts)
                table = (*table, counts[names])
            else:
                table = _in_arrays(names, counts)
            yield number, table
            continue
        key = _KEY.match(line)
        if key is not None:
            yield number, (*table, *_parts(key.group(1)))
            rest = line[key.end() :]
            inside = _open_strings(rest, None)
            if inside is None:
                depth = max(0, _balance(rest))


def _in_arrays(names: tuple[str, ...], counts: dict[tuple[str, ...], int]) -> KeyPath:
    """A table name with the current element of each array of tables it lies in."""
    path: list[str | int] = []
    for size in range(1, len(names) + 1):
        path.append(names[size - 1])
        if size < len(names) and names[:size] in counts:
            path.append(counts[names[:size]])
    return tuple(path)


def _balance(text: str) -> int:
    """Opening minus closing brackets outside strings and comments."""
    balance = 0
    quote: str | None = None
    escaped = False
    for char in text:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\" and quote == '"':
                escaped = True
            elif char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char in "[{":
            balance += 1
        elif char in "]}":
            balance -= 1
    return balance


def find_line(text: str, at: Sequence[str | int]) -> int | None:
    """The line that defines ``at`` (or the first part of it), else the line of its nearest
    enclosing table (a missing ``duration`` points at its ``[[steps]]``); None when nothing
    encloses it (a missing key at the top of the file)."""
    wanted = tuple(at)
    best: tuple[int, int] | None = None  # (matched length, line)
    part: int | None = None  # the first line defining a part of it (``name.nl = …``)
    for number, path in defined_paths(text):
        if path == wanted:
            return number
        if part is None and len(path) > len(wanted) and path[: len(wanted)] == wanted:
            part = number
        inside = bool(path) and len(path) < len(wanted) and wanted[: len(path)] == path
        if inside and (best is None or len(path) > best[0]):
            best = (len(path), number)
    if part is not None:
        return part
    return None if best is None else best[1]


_TOML_PLACE = re.compile(r"\s*\(at line (\d+), column \d+\)$|\s*\(at end of document\)$")


def shown_path(path: Path, root: Path | None = None) -> str:
    """How a file is named in messages: relative to ``root`` (the project) when inside it."""
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def read_data_file(path: Path, error: type[Problem], source: str) -> tuple[dict[str, Any], str]:
    """A TOML file's parsed data and its text; a file that cannot be read or parsed
    raises ``error`` naming ``source`` and, for a syntax error, the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise error(source, f"cannot be read ({problem.__class__.__name__}: {problem})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as problem:
        message = str(problem)
        place = _TOML_PLACE.search(message)
        line = int(place.group(1)) if place is not None and place.group(1) else None
        if place is not None and line is None:
            line = max(1, len(text.splitlines()))
        bare = _TOML_PLACE.sub("", message)
        raise error(source, f"not valid TOML: {bare}", (), line) from None


def locate(problem: Problem, source: str, text: str) -> Problem:
    """The problem named by ``source`` and placed on the line of its key in ``text``."""
    line = find_line(text, problem.at) if problem.at else None
    return problem.located(source, line)
