from __future__ import annotations

import os
from pathlib import Path

from kiosk.persona.watch import PersonaWatcher


def _write(path: Path, text: str, bump: int) -> None:
    path.write_text(text)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


def test_valid_edit_applies_invalid_edit_keeps_last_good(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    _write(path, 'name = "Ava"\n', 0)
    seen = []
    watcher = PersonaWatcher(path, on_change=seen.append)
    assert watcher.persona.name == "Ava"
    assert watcher.poll() is False

    _write(path, 'name = "Bea"\n', 1)
    assert watcher.poll() is True
    assert watcher.persona.name == "Bea" and [p.name for p in seen] == ["Bea"]
    assert watcher.notice is not None and watcher.notice.ok

    _write(path, 'nmae = "Cy"\n', 2)
    assert watcher.poll() is False
    assert watcher.persona.name == "Bea"
    assert watcher.notice is not None and not watcher.notice.ok
    assert "NOT applied; still running the last good version" in watcher.notice.message
    assert f"{path}:1: [nmae] unknown setting 'nmae'; did you mean 'name'?" in watcher.notice.message

    path.unlink()
    assert watcher.poll() is False and watcher.persona.name == "Bea"
    assert "persona file not found" in watcher.notice.message

    _write(path, 'name = "Di"\n', 3)
    assert watcher.poll() is True and watcher.persona.name == "Di"
