"""The crash test's marker, and its figures at the end of the run.

The figures are printed by the test (shown with ``-rA`` or ``-s``), stored as junit
properties (``record_property``) and repeated here in the terminal summary, so they are
in every CI log without extra flags.
"""

from __future__ import annotations

import pytest

# Lines the crash test wants in the terminal summary.
FIGURES = pytest.StashKey[list[str]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "crash: the bot in a child process, SIGKILLed and restarted (about 30 s for 3 rounds; "
        "deselect with -m 'not crash')",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = terminalreporter.config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.write_sep("=", "crash test figures")
        for line in lines:
            terminalreporter.write_line(line)
