"""Packages: function code and layers unpacked on disk, once per zip sha, for instances to mount read-only.

A zip is extracted (with `archives.extract`, which refuses anything hostile) into
`<data dir>/packages/<sha>` the first time an instance needs it; concurrent cold starts of the
same code wait for the one extraction. A hot-reload directory is used in place, unchanged.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

from overcast.errors import InternalFailure
from overcast.functions import archives
from overcast.functions.records import FunctionVersion
from overcast.functions.registry import Registry


class Packages:
    def __init__(self, registry: Registry, data_dir: Path) -> None:
        self.registry = registry
        self.root = data_dir / "packages"
        self._ready: set[str] = set()
        self._pending: dict[str, asyncio.Future[Path]] = {}

    async def code_dir(self, version: FunctionVersion) -> Path:
        if version.code.local_dir is not None:
            return Path(version.code.local_dir)
        return await self._unpacked(version.code.sha256_hex)

    async def layer_dirs(self, version: FunctionVersion) -> tuple[Path, ...]:
        return tuple([await self._unpacked(layer.sha256_hex) for layer in version.config.layers])

    async def _unpacked(self, sha: str) -> Path:
        target = self.root / sha
        if sha in self._ready:
            return target
        pending = self._pending.get(sha)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Path] = asyncio.get_running_loop().create_future()
        self._pending[sha] = future
        try:
            if not target.is_dir():
                data = await self.registry.read_code(sha)
                if data is None:
                    raise InternalFailure(f"The deployment package {sha} is missing from the store.")
                # Unpacking up to 250 MB is blocking file work: keep it off the event loop.
                await asyncio.to_thread(_extract, data, target)
            self._ready.add(sha)
            future.set_result(target)
            return target
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else must
            raise
        finally:
            del self._pending[sha]


def _extract(data: bytes, target: Path) -> None:
    staging = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    archives.extract(data, staging)
    try:
        os.rename(staging, target)
    except OSError:  # another process (a second node on this disk) got there first
        shutil.rmtree(staging, ignore_errors=True)
        if not target.is_dir():
            raise
