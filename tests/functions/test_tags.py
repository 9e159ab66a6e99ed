"""Functions' tags in the kit's one tags table: the move from the old JSON column, deletion, and what may be tagged."""

from __future__ import annotations

import json

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions.registry import Registry
from overcast.functions.schema import STEPS
from overcast.kit import tags
from overcast.store import Store

from .conftest import CTX, config, zip_code

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


async def error(awaitable) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AwsError) as caught:
        await awaitable
    return f"{caught.value.code}: {caught.value.message}"


async def test_tags_kept_in_the_old_column_move_to_the_tags_table(store: Store) -> None:
    # A data dir from before the move: the functions' steps up to the layers, tags as JSON on the function.
    await store.migrate("functions", STEPS[:5])
    for account, name, held in [("111111111111", "fn", {"team": "a", "env": "dev"}), ("222222222222", "bare", {})]:
        await store.execute(
            "INSERT INTO lambda_functions (account, region, name, next_version, tags, created) "
            "VALUES (?, 'us-east-1', ?, 1, ?, 0)",
            account,
            name,
            json.dumps(held),
        )
    registry = Registry(store, FakeClock())
    await registry.start()
    assert await tags.read(store, ARN) == {"env": "dev", "team": "a"}
    assert await tags.read(store, "arn:aws:lambda:us-east-1:222222222222:function:bare") == {}
    column = await store.fetch_all("SELECT tags FROM lambda_functions ORDER BY name")
    assert [row["tags"] for row in column] == ["{}", "{}"]  # the column is no longer read or written
    await registry.start()  # a second start runs nothing again
    assert await tags.read(store, ARN) == {"env": "dev", "team": "a"}


async def test_deleting_a_function_forgets_its_tags(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), tags={"team": "a"})
    await registry.tagging.tag(CTX, ARN, {"env": "dev"})
    await registry.delete_function(CTX, "fn")
    await registry.create_function(CTX, "fn", config(), zip_code())
    assert await registry.tagging.tags(CTX, ARN) == {}


async def test_what_may_be_tagged(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)
    assert await error(registry.tagging.tag(CTX, "fn", {"a": "b"})) == "InvalidParameterValueException: Invalid ARN: fn"
    assert await error(registry.tagging.tag(CTX, f"{ARN}:1", {"a": "b"})) == (
        "InvalidParameterValueException: Tags on function aliases and versions are not supported. "
        "Please specify a function ARN."
    )
    other_account = ARN.replace("111111111111", "222222222222")
    assert (await error(registry.tagging.tags(CTX, other_account))).startswith("AccessDeniedException")
    other_region = ARN.replace("us-east-1", "eu-west-1")
    assert (await error(registry.tagging.tags(CTX, other_region))).startswith("ResourceNotFoundException")
    west = RequestContext(account_id="111111111111", region="eu-west-1")
    assert (await error(registry.tagging.tags(west, other_region))) == (
        f"ResourceNotFoundException: Function not found: {other_region}"
    )


async def test_lambdas_limits_and_words(registry: Registry) -> None:
    with pytest.raises(AwsError, match="Number of tags exceeds resource tag limit"):
        await registry.create_function(CTX, "fn", config(), zip_code(), tags={f"k{i}": "v" for i in range(51)})
    await registry.create_function(CTX, "fn", config(), zip_code(), tags={f"k{i}": "v" for i in range(49)})
    await registry.tagging.tag(CTX, ARN, {"k0": "again", "k49": "v"})  # an overwrite does not count twice
    assert "Number of tags exceeds" in await error(registry.tagging.tag(CTX, ARN, {"one-more": "v"}))
    assert await error(registry.tagging.tag(CTX, ARN, {"aws:x": "v"})) == (
        "InvalidParameterValueException: Tag keys that start with 'aws:' are reserved for AWS use."
    )
    assert (await error(registry.tagging.tag(CTX, ARN, {"k" * 129: "v"}))).startswith("ValidationException: 1 valid")
    assert len(await registry.tagging.tags(CTX, ARN)) == 50
