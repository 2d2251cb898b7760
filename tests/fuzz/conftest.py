"""Fixtures for the fuzz tests: the end-to-end harness with more people in the server.

The end-to-end fuzz tests run many hypothesis examples against ONE bot (starting a bot per
example would cost seconds each): a test starts it on its first example and keeps it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.endpoints import reset_discord_endpoints
from bot.sandbox import DiscordSandbox
from tests.e2e.conftest import Harness

# Examples per end-to-end fuzz test; COCREATE_FUZZ_EXAMPLES=200 for a long run.
E2E_EXAMPLES = int(os.environ.get("COCREATE_FUZZ_EXAMPLES", "25"))
# Examples per pure (unit-level) property.
UNIT_EXAMPLES = max(E2E_EXAMPLES * 12, 300)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "fuzz_e2e: hypothesis fuzzing of the running bot against the sandbox (a few seconds "
        "each; deselect with -m 'not fuzz_e2e')",
    )


class FuzzWorld(Harness):
    """The e2e world plus an admin and writers enough to stay under the per-person
    flood limit while examples pile up."""

    def __init__(self, sandbox: DiscordSandbox, db_path: Path) -> None:
        super().__init__(sandbox, db_path)
        self.admin = sandbox.add_member(self.guild_id, "beheer", permissions_admin=True).id
        self.writers = [self.alice, self.bob, self.carol] + [
            sandbox.add_member(self.guild_id, f"deelnemer{n}", global_name=f"Deelnemer {n}").id
            for n in range(max(9, E2E_EXAMPLES // 8))
        ]
        self._turn = 0

    def next_writer(self) -> int:
        """Participants in turn, so nobody writes 20 notes in a minute."""
        self._turn += 1
        return self.writers[self._turn % len(self.writers)]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[FuzzWorld]:
    sandbox = DiscordSandbox()
    await sandbox.start()
    made = FuzzWorld(sandbox, tmp_path / "cocreate.sqlite3")
    try:
        yield made
    finally:
        await made.stop()
        await sandbox.stop()
        reset_discord_endpoints()
