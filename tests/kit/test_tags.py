"""Tags on both engines: add, overwrite, remove, AWS's limits checked in the transaction, nothing half-applied."""

from __future__ import annotations

import asyncio

import pytest

from overcast.context import RequestContext
from overcast.errors import AwsError, InvalidParameterValue, ResourceNotFound
from overcast.kit import tags
from overcast.kit.tags import Tagging, TagRules
from overcast.store import Queries, Store

ARN = "arn:aws:states:us-east-1:000000000000:stateMachine:m"
CTX = RequestContext()


@pytest.fixture(params=["sqlite_store", "pg_store"])
def any_store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


@pytest.fixture
async def store(any_store: Store) -> Store:
    await tags.migrate(any_store)
    return any_store


async def _exists(q: Queries, ctx: RequestContext, arn: str) -> str:
    if arn != ARN:
        raise ResourceNotFound(f"Resource not found: '{arn}'")
    return arn


class TooManyTags(AwsError):
    code, status = "TooManyTags", 400


RULES = TagRules(too_many=lambda arn: TooManyTags(f"Too many tags on {arn}"))


async def test_tag_overwrite_untag_and_read(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    await tagging.tag(CTX, ARN, {"team": "a", "env": "dev"})
    await tagging.tag(CTX, ARN, {"env": "prod", "empty": ""})
    assert await tagging.tags(CTX, ARN) == {"empty": "", "env": "prod", "team": "a"}
    await tagging.untag(CTX, ARN, ["team", "never-there"])
    assert await tagging.tags(CTX, ARN) == {"empty": "", "env": "prod"}


async def test_an_unknown_resource_is_the_resolvers_error(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    with pytest.raises(ResourceNotFound):
        await tagging.tag(CTX, ARN + "x", {"a": "b"})


async def test_fifty_tags_and_not_one_more(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    await tagging.tag(CTX, ARN, {f"k{i}": "v" for i in range(49)})
    with pytest.raises(TooManyTags, match="Too many tags"):
        await tagging.tag(CTX, ARN, {"k0": "new", "x": "1", "y": "2"})
    assert len(await tagging.tags(CTX, ARN)) == 49
    assert (await tagging.tags(CTX, ARN))["k0"] == "v"  # nothing of the refused request was applied
    await tagging.tag(CTX, ARN, {"k0": "new", "x": "1"})  # overwriting one, adding one: 50
    assert len(await tagging.tags(CTX, ARN)) == 50


@pytest.mark.parametrize(
    "bad",
    [{"": "v"}, {"k" * 129: "v"}, {"k": "v" * 257}, {"aws:cloudformation:stack-name": "x"}, {"AWS:x": "y"}],
)
async def test_invalid_tags_change_nothing(store: Store, bad: dict[str, str]) -> None:
    tagging = Tagging(store, _exists, RULES)
    with pytest.raises(InvalidParameterValue):
        await tagging.tag(CTX, ARN, {"good": "1", **bad})
    assert await tagging.tags(CTX, ARN) == {}


async def test_reserved_keys_cannot_be_removed(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    with pytest.raises(InvalidParameterValue, match="reserved"):
        await tagging.untag(CTX, ARN, ["aws:createdBy"])


async def test_concurrent_taggers_cannot_pass_the_limit_together(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    await tagging.tag(CTX, ARN, {f"k{i}": "v" for i in range(40)})
    results = await asyncio.gather(
        *(tagging.tag(CTX, ARN, {f"n{j}-{i}": "v" for i in range(6)}) for j in range(4)), return_exceptions=True
    )
    assert len(await tagging.tags(CTX, ARN)) <= 50
    assert sum(r is None for r in results) == 1  # 40 + 6 fit once; 40 + 12 does not


async def test_drop_forgets_a_deleted_resources_tags(store: Store) -> None:
    tagging = Tagging(store, _exists, RULES)
    await tagging.tag(CTX, ARN, {"a": "1"})
    async with store.transaction() as tx:
        await tags.drop(tx, ARN)
    assert await tagging.tags(CTX, ARN) == {}


def test_wire_pairs_both_ways() -> None:
    pairs = [{"key": "a", "value": "1"}, {"key": "b"}]
    assert tags.from_pairs(pairs, "key", "value") == {"a": "1", "b": ""}
    assert tags.to_pairs({"a": "1"}) == [{"Key": "a", "Value": "1"}]
