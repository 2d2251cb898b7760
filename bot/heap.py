"""Keep Python's full garbage-collection passes short, so they never stall the event loop.

A full (generation 2) pass walks every tracked object; with discord.py, the theme engine
and a loaded model in memory that took ~65 ms on the loop in the middle of a 10,000-note
recap (bench/recap.py). What is alive once start-up or a model load is done lives until
the bot stops, so it is moved out of the collector's reach with ``gc.freeze()``; reference
counting still frees it as usual.
"""

from __future__ import annotations

import gc


def freeze_long_lived(*, collect_first: bool = False) -> None:
    """Exclude every object alive now from later collections.

    ``collect_first`` drops garbage before freezing (a pause of its own, so only where
    a pause does no harm, such as start-up).
    """
    if collect_first:
        gc.collect()
    gc.freeze()
