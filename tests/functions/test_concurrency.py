"""Concurrency: admission and throttles, reserved and provisioned concurrency rules, durability of the settings."""

from __future__ import annotations

import pytest

from overcast.clock import FakeClock
from overcast.errors import AwsError
from overcast.functions.concurrency import Concurrency, ProvisionedStatus, TooManyRequests
from overcast.functions.registry import Registry

from .conftest import CTX, config, zip_code

ACCOUNT, REGION = CTX.account_id, CTX.region


async def make(registry: Registry, limit: int = 1000) -> Concurrency:
    concurrency = Concurrency(registry.store, registry, FakeClock(), limit)
    await concurrency.start()
    return concurrency


async def test_reserved_one_admits_one_and_the_slot_comes_back(registry: Registry) -> None:
    await registry.create_function(CTX, "f", config(), zip_code())
    concurrency = await make(registry)
    assert await concurrency.put_reserved(CTX, "f", 1) == 1
    slot = concurrency.admit(ACCOUNT, REGION, "f")
    with pytest.raises(TooManyRequests) as caught:
        concurrency.admit(ACCOUNT, REGION, "f")
    assert caught.value.status == 429
    assert caught.value.message == "Rate Exceeded."
    assert caught.value.fields["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    slot.release()
    slot.release()  # idempotent: releasing twice frees one slot only
    assert concurrency.in_flight(ACCOUNT, REGION, "f") == 0
    concurrency.admit(ACCOUNT, REGION, "f").release()


async def test_reserved_zero_throttles_everything(registry: Registry) -> None:
    await registry.create_function(CTX, "f", config(), zip_code())
    concurrency = await make(registry)
    await concurrency.put_reserved(CTX, "f", 0)
    with pytest.raises(TooManyRequests):
        concurrency.admit(ACCOUNT, REGION, "f")
    await concurrency.delete_reserved(CTX, "f")
    assert await concurrency.get_reserved(CTX, "f") is None
    concurrency.admit(ACCOUNT, REGION, "f").release()


async def test_the_account_limit_throttles_unreserved_functions(registry: Registry) -> None:
    for name in ("a", "b"):
        await registry.create_function(CTX, name, config(), zip_code())
    concurrency = await make(registry, limit=2)
    first = concurrency.admit(ACCOUNT, REGION, "a")
    concurrency.admit(ACCOUNT, REGION, "b")
    with pytest.raises(TooManyRequests) as caught:
        concurrency.admit(ACCOUNT, REGION, "a")
    assert caught.value.fields["Reason"] == "ConcurrentInvocationLimitExceeded"
    first.release()
    concurrency.admit(ACCOUNT, REGION, "a")
    # Another region is another pool.
    concurrency.admit(ACCOUNT, "eu-west-1", "a")


async def test_reservations_keep_100_unreserved(registry: Registry) -> None:
    for name in ("a", "b"):
        await registry.create_function(CTX, name, config(), zip_code())
    concurrency = await make(registry)
    await concurrency.put_reserved(CTX, "a", 800)
    assert concurrency.unreserved(ACCOUNT, REGION) == 200
    with pytest.raises(AwsError) as caught:
        await concurrency.put_reserved(CTX, "b", 101)
    assert caught.value.code == "InvalidParameterValueException"
    assert caught.value.message == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    await concurrency.put_reserved(CTX, "b", 100)
    await concurrency.put_reserved(CTX, "a", 900 - 100)  # changing a's own value counts a's share once
    assert concurrency.unreserved(ACCOUNT, REGION) == 100


async def test_missing_function_and_qualified_name(registry: Registry) -> None:
    concurrency = await make(registry)
    with pytest.raises(AwsError) as caught:
        await concurrency.put_reserved(CTX, "nope", 1)
    assert caught.value.code == "ResourceNotFoundException"
    await registry.create_function(CTX, "f", config(), zip_code())
    with pytest.raises(AwsError) as caught:
        await concurrency.put_reserved(CTX, "f:1", 1)
    assert caught.value.code == "InvalidParameterValueException"


async def test_provisioned_rules(registry: Registry) -> None:
    await registry.create_function(CTX, "f", config(), zip_code(), publish=True)
    await registry.aliases.create(CTX, "f", "live", "1")
    await registry.aliases.create(CTX, "f", "edge", "$LATEST")
    concurrency = await make(registry)
    for qualifier in ("$LATEST", "edge"):
        with pytest.raises(AwsError) as caught:
            await concurrency.put_provisioned(CTX, "f", qualifier, 1)
        assert (
            caught.value.message
            == "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
        )
    with pytest.raises(AwsError) as caught:
        await concurrency.get_provisioned(CTX, "f", "1")
    assert (caught.value.code, caught.value.status) == ("ProvisionedConcurrencyConfigNotFoundException", 404)
    with pytest.raises(AwsError) as caught:
        await concurrency.put_provisioned(CTX, "f", "nope", 1)
    assert caught.value.code == "ResourceNotFoundException"

    put = await concurrency.put_provisioned(CTX, "f", "live", 2)
    assert (put.status, put.allocated, put.version) == (ProvisionedStatus.IN_PROGRESS, 0, "1")
    assert concurrency.unreserved(ACCOUNT, REGION) == 998
    with pytest.raises(AwsError) as caught:
        await concurrency.put_provisioned(CTX, "f", "1", 1)  # the alias already provisions version 1
    assert caught.value.code == "ResourceConflictException"

    # A reservation must hold the provisioned concurrency, and provisioned concurrency fits in it.
    with pytest.raises(AwsError):
        await concurrency.put_reserved(CTX, "f", 1)
    await concurrency.put_reserved(CTX, "f", 3)
    assert concurrency.unreserved(ACCOUNT, REGION) == 997
    with pytest.raises(AwsError) as caught:
        await concurrency.put_provisioned(CTX, "f", "live", 4)
    assert "should not be greater than the reservedConcurrentExecution" in caught.value.message
    # With 2 provisioned out of 3 reserved, one on-demand invocation fits.
    concurrency.admit(ACCOUNT, REGION, "f")
    with pytest.raises(TooManyRequests):
        concurrency.admit(ACCOUNT, REGION, "f")

    concurrency.set_provisioned_state(put.key, ProvisionedStatus.READY, 2)
    assert concurrency.provisioned_for(ACCOUNT, REGION, "f", "live", "1") is not None
    assert concurrency.provisioned_for(ACCOUNT, REGION, "f", None, "1") is None  # the alias' own instances
    found, marker = await concurrency.list_provisioned(CTX, "f")
    assert [(c.arn, c.status, c.available) for c in found] == [(put.arn, ProvisionedStatus.READY, 2)]
    assert marker is None

    # Settings survive a restart (the in-flight counters do not need to).
    again = await make(registry)
    assert await again.get_reserved(CTX, "f") == 3
    assert (await again.get_provisioned(CTX, "f", "live")).requested == 2

    await concurrency.delete_provisioned(CTX, "f", "live")
    with pytest.raises(AwsError):
        await concurrency.get_provisioned(CTX, "f", "live")
    await concurrency.function_deleted(CTX, "f", None)
    assert concurrency.unreserved(ACCOUNT, REGION) == 1000


async def test_provisioned_configs_are_listed_a_page_at_a_time(registry: Registry) -> None:
    for name in ("f", "g"):
        await registry.create_function(CTX, name, config(), zip_code(), publish=True)
    await registry.update_function_configuration(CTX, "f", {"timeout": 9})
    await registry.publish_version(CTX, "f")
    concurrency = await make(registry)
    for version in ("1", "2"):
        await concurrency.put_provisioned(CTX, "f", version, 1)
    page, marker = await concurrency.list_provisioned(CTX, "f", max_items=1)
    assert [c.qualifier for c in page] == ["1"] and marker is not None
    rest, last = await concurrency.list_provisioned(CTX, "f", marker=marker)
    assert [c.qualifier for c in rest] == ["2"] and last is None
    with pytest.raises(AwsError, match="Invalid pagination marker"):
        await concurrency.list_provisioned(CTX, "g", marker=marker)  # a marker of another function's list
