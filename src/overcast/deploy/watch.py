"""`overcast deploy --watch`: the changes under an app's directory, in debounced batches."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from overcast.deploy.archive import SKIPPED_DIRS

# What a build or a run writes under the app, which must not trigger another deploy.
IGNORED_DIRS = (*SKIPPED_DIRS, "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".venv")


def changes(root: Path, debounce_ms: int = 400, stop: threading.Event | None = None) -> Iterator[set[Path]]:
    """Each batch of changed files under `root`, once `debounce_ms` passed with no further change."""
    from watchfiles import DefaultFilter, watch

    quiet = DefaultFilter(ignore_dirs=IGNORED_DIRS)
    for batch in watch(
        root, watch_filter=quiet, debounce=debounce_ms, step=50, stop_event=stop, yield_on_timeout=False
    ):
        yield {Path(path) for _change, path in batch}
