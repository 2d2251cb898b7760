"""What every benchmark returns, so ``python -m bench`` can print one table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    """One measured figure and the target it is held against.

    ``target`` is readable text ("≥ 0.5", "< 50 ms"); ``met`` is None where a figure has
    no target (context, such as the bare client's rate).
    """

    benchmark: str
    metric: str
    value: str
    target: str = ""
    met: bool | None = None
