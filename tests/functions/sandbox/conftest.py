"""Fixtures for the sandbox tests: specs over temporary code dirs, and a LocalSandboxes per module."""

from __future__ import annotations

import sys
import textwrap
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from overcast.config import Settings
from overcast.functions.instances import InstanceSpec, Invocation
from overcast.functions.sandbox import LocalSandboxes
from overcast.host import Isolation

HOST_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def write_code(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    directory.chmod(0o755)
    return directory


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., InstanceSpec]:
    def make(files: dict[str, str], handler: str = "app.handler", **changes: object) -> InstanceSpec:
        name = str(changes.pop("function_name", f"fn-{uuid.uuid4().hex[:8]}"))
        code = write_code(tmp_path / f"code-{name}", files)
        fields: dict[str, object] = {
            "account_id": "123456789012",
            "region": "us-east-1",
            "function_name": name,
            "function_arn": f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
            "version": "$LATEST",
            "runtime": HOST_RUNTIME,
            "handler": handler,
            "memory_mb": 128,
            "timeout_s": 3,
            "code_dir": code,
            "code_sha256": uuid.uuid4().hex,
            "log_group": f"/aws/lambda/{name}",
            "log_stream": f"2026/01/01/[$LATEST]{uuid.uuid4().hex}",
        }
        fields.update(changes)
        return InstanceSpec(**fields)  # type: ignore[arg-type]

    return make


def invocation(
    spec: InstanceSpec, payload: bytes = b"{}", timeout_s: float | None = None, **extra: object
) -> Invocation:
    deadline = int(time.time() * 1000 + 1000 * (timeout_s if timeout_s is not None else spec.timeout_s))
    return Invocation(
        request_id=str(uuid.uuid4()),
        payload=payload,
        deadline_ms=deadline,
        invoked_function_arn=spec.function_arn,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
async def sandboxes(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalSandboxes]:
    data = tmp_path_factory.mktemp("sandbox-data")
    boxes = LocalSandboxes(Settings(data_dir=data), data)
    try:
        yield boxes
    finally:
        await boxes.close()


@pytest.fixture
async def degraded(tmp_path: Path) -> AsyncIterator[LocalSandboxes]:
    """Sandboxes as on a host without cgroups (not root): rlimits, and SIGSTOP for idle instances."""
    isolation = Isolation(root=False, cgroup_version=None, cgroup_writable=False, namespaces=("mnt",))
    boxes = LocalSandboxes(Settings(data_dir=tmp_path), tmp_path, isolation=isolation, pool_size=1)
    try:
        yield boxes
    finally:
        await boxes.close()
