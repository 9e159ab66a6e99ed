import pytest

from overcast.errors import AwsError
from overcast.functions.registry import Registry

from .conftest import CTX, config, zip_code

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


async def error(awaitable) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AwsError) as caught:
        await awaitable
    return f"{caught.value.code}: {caught.value.message}"


@pytest.fixture
async def fn(registry: Registry) -> Registry:
    await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)  # version 1
    await registry.update_function_configuration(CTX, "fn", {"timeout": 5})
    await registry.publish_version(CTX, "fn")  # version 2
    return registry


async def test_alias_lifecycle(fn: Registry) -> None:
    alias = await fn.aliases.create(CTX, "fn", "live", "1", description="prod")
    assert (alias.arn, alias.function_version, alias.routing) == (f"{ARN}:live", "1", {})
    assert (await fn.aliases.get(CTX, ARN, "live")).revision_id == alias.revision_id
    assert await error(fn.aliases.create(CTX, "fn", "live", "2")) == (
        f"ResourceConflictException: Alias already exists: {ARN}:live"
    )
    # An alias is a qualifier for reads.
    assert (await fn.get_function(CTX, "fn", "live")).version == "1"
    assert (await fn.get_function(CTX, f"{ARN}:live")).config.timeout == 3
    updated = await fn.aliases.update(CTX, "fn", "live", function_version="2", revision_id=alias.revision_id)
    assert updated.function_version == "2" and updated.description == "prod"
    assert updated.revision_id != alias.revision_id
    assert "PreconditionFailedException: The Revision Id provided does not match" in await error(
        fn.aliases.update(CTX, "fn", "live", description="x", revision_id=alias.revision_id)
    )
    await fn.aliases.delete(CTX, "fn", "live")
    assert await error(fn.aliases.get(CTX, "fn", "live")) == f"ResourceNotFoundException: Alias not found: {ARN}:live"
    assert "Function not found" in await error(fn.get_function(CTX, "fn", "live"))


async def test_alias_targets_must_exist(fn: Registry) -> None:
    assert (
        await error(fn.aliases.create(CTX, "fn", "a", "9")) == f"ResourceNotFoundException: Function not found: {ARN}:9"
    )
    assert "Function not found" in await error(fn.aliases.create(CTX, "ghost", "a", "1"))
    assert "ValidationException" in await error(fn.aliases.create(CTX, "fn", "123", "1"))
    assert "ValidationException" in await error(fn.aliases.create(CTX, "fn", "a", "one"))
    latest = await fn.aliases.create(CTX, "fn", "edge", "$LATEST")
    assert latest.function_version == "$LATEST"


ROUTING_ERRORS = [
    ("1", {"2": 0.5, "3": 0.1}, "InvalidParameterValueException: Number of items in AdditionalVersionWeights"),
    ("1", {"2": 1.5}, "ValidationException"),
    ("1", {"2": -0.1}, "ValidationException"),
    ("1", {"x": 0.1}, "ValidationException"),
    ("1", {"1": 0.5}, "InvalidParameterValueException: Invalid function version 1. Function version 1 is already"),
    ("$LATEST", {"2": 0.5}, "InvalidParameterValueException: $LATEST is not supported for an alias pointing to more"),
    ("1", {"9": 0.5}, "ResourceNotFoundException: Function not found"),
]


@pytest.mark.parametrize(("primary", "routing", "expected"), ROUTING_ERRORS)
async def test_routing_validation(fn: Registry, primary: str, routing: dict[str, float], expected: str) -> None:
    assert expected in await error(fn.aliases.create(CTX, "fn", "canary", primary, routing=routing))
    assert "Alias not found" in await error(fn.aliases.get(CTX, "fn", "canary"))


async def test_routing_is_stored_and_updated(fn: Registry) -> None:
    alias = await fn.aliases.create(CTX, "fn", "canary", "1", routing={"2": 0.25})
    assert (await fn.aliases.get(CTX, "fn", "canary")).routing == {"2": 0.25}
    assert "aliases reference it: [canary]" in await error(fn.delete_function(CTX, "fn", "2"))
    cleared = await fn.aliases.update(CTX, "fn", "canary", routing={}, revision_id=alias.revision_id)
    assert cleared.routing == {}
    assert "$LATEST is not supported" in await error(
        fn.aliases.update(CTX, "fn", "canary", function_version="$LATEST", routing={"2": 0.1})
    )


async def test_list_aliases(fn: Registry) -> None:
    for name, version in [("a", "1"), ("b", "2"), ("c", "1"), ("d", "1")]:
        await fn.aliases.create(CTX, "fn", name, version)
    page, marker = await fn.aliases.list_aliases(CTX, "fn", max_items=3)
    assert [a.name for a in page] == ["a", "b", "c"] and marker is not None
    rest, marker = await fn.aliases.list_aliases(CTX, "fn", marker=marker, max_items=3)
    assert [a.name for a in rest] == ["d"] and marker is None
    ones, _ = await fn.aliases.list_aliases(CTX, "fn", function_version="1")
    assert [a.name for a in ones] == ["a", "c", "d"]
