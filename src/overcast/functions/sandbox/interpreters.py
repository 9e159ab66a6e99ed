"""Interpreters: which host Python binary runs each python3.X runtime, resolved once.

The interpreter Overcast runs on always counts; pyenv installations are found by scanning
~/.pyenv/versions/*/bin (a pyenv shim would add ~100 ms to every start), uv's by scanning
~/.local/share/uv/python/*/bin (`uv python install 3.14`), then the usual system locations
(/usr/local/bin, /usr/bin: the distribution's packages). Binaries are returned by absolute, resolved path.
A runtime whose version is missing runs on the nearest one by default (the `nearest_python` setting).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

SUPPORTED = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
_SEARCH_DIRS = (Path("/usr/local/bin"), Path("/usr/bin"))


class MissingInterpreter(Exception):
    """No host interpreter for a python3.X runtime (and nearest_python is off)."""


def _managed_roots() -> list[Path]:
    """Where pyenv and uv keep the interpreters they install, one directory each."""
    homes = {Path.home(), Path("/root")}
    return [home / place for home in homes for place in (Path(".pyenv/versions"), Path(".local/share/uv/python"))]


@functools.cache
def interpreters() -> dict[str, Path]:
    """Every usable interpreter on this host, by "3.X" version."""
    found: dict[str, Path] = {}
    own = f"{sys.version_info.major}.{sys.version_info.minor}"
    found[own] = Path(os.path.realpath(sys.executable))
    candidates: list[Path] = []
    for root in _managed_roots():
        if root.is_dir():
            candidates.extend(sorted(root.glob("*/bin/python3.*"), reverse=True))
    for directory in _SEARCH_DIRS:
        candidates.extend(sorted(directory.glob("python3.*")))
    for path in candidates:
        version = path.name[len("python") :]
        if version in SUPPORTED and version not in found and os.access(path, os.X_OK) and path.is_file():
            found[version] = Path(os.path.realpath(path))
    return found


def available_python(runtime: str) -> Path | None:
    """The host interpreter for a "python3.X" runtime, or None when this host has none."""
    if not runtime.startswith("python3."):
        return None
    return interpreters().get(runtime[len("python") :])


def _version_key(version: str) -> tuple[int, int]:
    major, minor = version.split(".")
    return int(major), int(minor)


def resolve_python(runtime: str, nearest: bool) -> tuple[Path, str | None]:
    """The interpreter to run, and a notice for the instance's log when it is not the exact one."""
    exact = available_python(runtime)
    if exact is not None:
        return exact, None
    wanted = runtime[len("python") :]
    have = interpreters()
    if not nearest or not have:
        listed = ", ".join(f"python{v}" for v in sorted(have, key=_version_key)) or "none"
        raise MissingInterpreter(
            f"No python{wanted} interpreter on this host for runtime {runtime} (found: {listed}); "
            "install it (README: Runtimes), or turn nearest_python on to run the nearest available version"
        )
    target = _version_key(wanted)
    best = min(have, key=lambda v: (abs(_version_key(v)[1] - target[1]), -_version_key(v)[1]))
    return have[best], (
        f"Overcast: runtime {runtime} has no python{wanted} on this host; running on python{best} ({have[best]})"
    )
