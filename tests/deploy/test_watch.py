"""`overcast deploy --watch`'s trigger: changed files under the app arrive in debounced batches, and what
builds and runs write (node_modules, caches, the data dir) triggers nothing."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from overcast.deploy.watch import changes


def test_changes_under_the_app_arrive_and_build_output_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "node_modules").mkdir()
    (tmp_path / ".overcast").mkdir()
    stop, batches, started = threading.Event(), queue.Queue[set[Path]](), threading.Event()

    def watch() -> None:
        started.set()
        for batch in changes(tmp_path, debounce_ms=50, stop=stop):
            batches.put(batch)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started.wait(10)
    try:
        seen: set[Path] = set()
        target = tmp_path / "src" / "app.py"
        for attempt in range(20):  # the watcher may start listening a moment after the thread runs
            (tmp_path / "node_modules" / "dep.js").write_text(f"ignored {attempt}")
            (tmp_path / ".overcast" / "state").write_text(f"ignored {attempt}")
            target.write_text(f"VERSION = {attempt}\n")
            try:
                seen |= batches.get(timeout=2)
            except queue.Empty:
                continue
            if target in seen:
                break
        assert target in seen
        assert all(path.parent.name == "src" for path in seen)
    finally:
        stop.set()
        watcher.join(10)
