"""A deployment package as a deterministic zip: the same files make the same bytes, so the same sha256.

Entries are sorted, every timestamp is the zip epoch (1980-01-01), and a file's mode is kept only as
executable or not (0755 / 0644), so a re-deploy of unchanged code finds its package already uploaded.
Directories are not entries (Lambda makes them as it extracts); symlinks are followed, as `sam build`
copies what they point at.
"""

from __future__ import annotations

import io
import os
import stat
import zipfile
from pathlib import Path

EPOCH = (1980, 1, 1, 0, 0, 0)
# What never belongs in a package: bytecode caches, version control, and the build and data dirs.
SKIPPED_DIRS = frozenset(("__pycache__", ".git", ".aws-sam", ".overcast", ".hg", ".svn"))


def files_of(root: Path) -> list[tuple[str, Path]]:
    """(name in the zip, file) for every file under `root`, sorted by name; skipped directories left out."""
    found: list[tuple[str, Path]] = []
    for directory, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        for name in names:
            path = Path(directory) / name
            if path.is_file():
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def zip_tree(root: Path) -> bytes:
    """The zip of every file under `root` (see the module's docstring for what makes it deterministic)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in files_of(root):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = path.stat().st_mode & 0o111
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.create_system = 3  # Unix, so the mode above is read
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
