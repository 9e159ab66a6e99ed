"""Hot-reload code directories are accepted only under the roots the hot_reload_roots setting allows:
never `/`, never the data dir (nor inside it, nor above it), never through a symlink that leads out."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.functions.code import CodeInput, HotReloadRoots
from overcast.functions.registry import Registry
from overcast.store import open_store
from tests.conftest import ClientFactory, RunningServer

from .conftest import CTX, config, zip_code


@dataclass
class Host:
    registry: Registry
    root: Path  # the one allowed root
    data_dir: Path  # Overcast's data dir, inside the root (as the default .overcast is inside the cwd)
    outside: Path  # a directory outside the root


@pytest.fixture
async def host(tmp_path: Path) -> AsyncIterator[Host]:
    root, outside = tmp_path / "project", tmp_path / "elsewhere"
    data_dir = root / ".overcast"
    for path in (root / "app", data_dir / "functions", outside):
        path.mkdir(parents=True)
    store = await open_store(None, data_dir / "overcast.db")
    ids = itertools.count(1)
    registry = Registry(
        store, FakeClock(), new_id=lambda: f"rev-{next(ids):04d}", hot_reload=HotReloadRoots((root,), data_dir)
    )
    await registry.start()
    try:
        yield Host(registry, root, data_dir, outside)
    finally:
        await store.close()


def hot(path: Path | str) -> CodeInput:
    return CodeInput(s3_bucket="hot-reload", s3_key=str(path))


async def refusal(registry: Registry, path: Path | str) -> str:
    with pytest.raises(AwsError) as caught:
        await registry.create_function(CTX, "refused", config(), hot(path))
    assert caught.value.code == "InvalidParameterValueException"
    with pytest.raises(AwsError):
        await registry.get_function(CTX, "refused")  # nothing was created
    return caught.value.message


async def test_a_directory_under_a_root_is_used_as_it_really_is(host: Host) -> None:
    created = await host.registry.create_function(CTX, "dev", config(), hot(host.root / "app"))
    assert created.code.local_dir == str(host.root / "app") and created.code.size == 0
    (host.root / "alias").symlink_to(host.root / "app")  # a link that stays inside the roots is fine
    linked = await host.registry.create_function(CTX, "linked", config(), hot(host.root / "alias"))
    assert linked.code.local_dir == str(host.root / "app")  # the checked directory, not the link, is kept


async def test_the_data_dir_is_refused_and_so_is_anything_inside_or_above_it(host: Host) -> None:
    for path in (host.data_dir, host.data_dir / "functions", host.root):
        message = await refusal(host.registry, path)
        assert f"is or holds Overcast's data dir '{host.data_dir}'" in message, path
        assert "environment variables" in message


async def test_the_file_system_root_is_refused_even_when_it_is_an_allowed_root(tmp_path: Path) -> None:
    store = await open_store(None, tmp_path / "overcast.db")
    try:
        registry = Registry(store, FakeClock(), hot_reload=HotReloadRoots((Path("/"),), tmp_path))
        await registry.start()
        assert "is the root of the file system" in await refusal(registry, "/")
    finally:
        await store.close()


async def test_a_symlink_that_leads_outside_the_roots_is_refused(host: Host) -> None:
    (host.root / "escape").symlink_to(host.outside)
    message = await refusal(host.registry, host.root / "escape")
    assert f"(that is '{host.outside}')" in message and f"allowed: '{host.root}'" in message
    (host.root / "to-data").symlink_to(host.data_dir)  # nor one that leads into the data dir
    assert "data dir" in await refusal(host.registry, host.root / "to-data")


async def test_a_directory_outside_the_roots_is_refused_with_the_setting_named(host: Host) -> None:
    message = await refusal(host.registry, host.outside)
    assert message == (
        f"The hot-reload directory '{host.outside}' is not under a directory Overcast allows "
        f"(allowed: '{host.root}'); the hot_reload_roots setting (OVERCAST_HOT_RELOAD_ROOTS) names them."
    )


async def test_relative_and_missing_directories_are_refused(host: Host) -> None:
    assert "absolute path" in await refusal(host.registry, "relative/dir")
    assert "does not exist" in await refusal(host.registry, host.root / "missing")


async def test_update_function_code_is_checked_the_same_way(host: Host) -> None:
    await host.registry.create_function(CTX, "zipped", config(), zip_code())
    with pytest.raises(AwsError) as caught:
        await host.registry.update_function_code(CTX, "zipped", hot(host.data_dir))
    assert caught.value.code == "InvalidParameterValueException"
    assert (await host.registry.get_function(CTX, "zipped")).code.local_dir is None


async def test_without_roots_hot_reloading_is_off(tmp_path: Path) -> None:
    store = await open_store(None, tmp_path / "overcast.db")
    try:
        registry = Registry(store, FakeClock())
        await registry.start()
        (tmp_path / "app").mkdir()
        assert "not enabled" in await refusal(registry, tmp_path / "app")
    finally:
        await store.close()


def test_the_server_refuses_its_own_data_dir_and_the_file_system_root(
    aws: ClientFactory, server: RunningServer
) -> None:
    lam = aws("lambda")
    for path, why in ((server.data_dir, "is or holds Overcast's data dir"), (Path("/"), "root of the file system")):
        with pytest.raises(ClientError) as caught:
            lam.create_function(
                FunctionName="hot-refused", Runtime="python3.12", Role="arn:aws:iam::000000000000:role/r",
                Handler="index.handler", Code={"S3Bucket": "hot-reload", "S3Key": str(path)},
            )  # fmt: skip
        error = caught.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException" and why in error["Message"], error
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
