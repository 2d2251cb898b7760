from __future__ import annotations

from pathlib import Path

from bot.heartbeat import STALE_AFTER_SECONDS, age, beat, heartbeat_path, is_fresh


def test_a_fresh_beat_is_healthy_and_an_old_or_missing_one_is_not(tmp_path: Path) -> None:
    path = heartbeat_path(tmp_path / "data" / "cocreate.sqlite3")
    assert path.name == "cocreate.sqlite3.heartbeat"
    assert age(path) is None and not is_fresh(path)
    beat(path)
    assert is_fresh(path)
    written = float(path.read_text(encoding="utf-8"))
    assert not is_fresh(path, now=written + STALE_AFTER_SECONDS + 1)
    path.write_text("not a time", encoding="utf-8")
    assert not is_fresh(path)
