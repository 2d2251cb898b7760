from __future__ import annotations

import gc

from bot.heap import freeze_long_lived


def test_freezing_moves_what_is_alive_out_of_the_collectors_reach() -> None:
    kept = [object() for _ in range(100)]
    before = gc.get_freeze_count()
    try:
        freeze_long_lived(collect_first=True)
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()
