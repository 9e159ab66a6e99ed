import base64
import hashlib

import pytest

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions.code import CodeInput
from overcast.functions.registry import Registry

from .conftest import CTX, config, zip_code
from .zips import handler_zip, make_zip, symlink_zip

ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


async def codes(awaitable) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AwsError) as caught:
        await awaitable
    return f"{caught.value.code}: {caught.value.message}"


async def test_create_and_get(registry: Registry) -> None:
    data = handler_zip()
    created = await registry.create_function(CTX, "fn", config(memory_size=256), CodeInput(zip_file=data))
    assert created.state == "Pending"  # the answer to CreateFunction, like Lambda's
    assert created.arn == ARN
    assert created.code.code_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert created.code.size == len(data)
    got = await registry.get_function(CTX, "fn")
    assert got.state == "Active" and got.last_update_status == "Successful"
    assert got.config.memory_size == 256 and got.config.timeout == 3
    assert got.config.logging.log_group == "/aws/lambda/fn"
    assert await registry.read_code(got.code.sha256_hex) == data
    for name in ("fn", ARN, "111111111111:function:fn", "fn:$LATEST", f"{ARN}:$LATEST"):
        assert (await registry.get_function(CTX, name)).revision_id == got.revision_id


async def test_create_conflicts_and_validation(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code())
    assert await codes(registry.create_function(CTX, "fn", config(), zip_code())) == (
        "ResourceConflictException: Function already exist: fn"
    )
    assert (await codes(registry.create_function(CTX, "old", config(runtime="python2.7"), zip_code()))).startswith(
        "InvalidParameterValueException: The runtime parameter of python2.7 is no longer supported"
    )
    assert "ValidationException" in await codes(registry.create_function(CTX, "x" * 65, config(), zip_code()))
    assert "ValidationException" in await codes(registry.create_function(CTX, "m", config(memory_size=64), zip_code()))
    assert "ValidationException" in await codes(registry.create_function(CTX, "r", config(role="nope"), zip_code()))
    bad_env = config(environment={"AWS_REGION": "x"})
    assert "Reserved keys" in await codes(registry.create_function(CTX, "e", bad_env, zip_code()))
    assert "Could not unzip" in await codes(registry.create_function(CTX, "z", config(), CodeInput(zip_file=b"junk")))
    assert "symbolic link" in await codes(
        registry.create_function(CTX, "s", config(), CodeInput(zip_file=symlink_zip()))
    )
    s3 = CodeInput(s3_bucket="bucket", s3_key="code.zip")
    assert "not supported" in await codes(registry.create_function(CTX, "s3", config(), s3))
    assert "Please provide a source" in await codes(registry.create_function(CTX, "none", config(), CodeInput()))
    functions, _ = await registry.list_functions(CTX)
    assert [f.name for f in functions] == ["fn"]  # nothing of the refused ones was stored


async def test_zip_size_limits(registry: Registry) -> None:
    too_big = CodeInput(zip_file=b"\0" * (50 * 1024 * 1024 + 1))
    assert await codes(registry.create_function(CTX, "big", config(), too_big)) == (
        "RequestEntityTooLargeException: Request must be smaller than 70167211 bytes for the CreateFunction operation"
    )


async def test_not_found_and_foreign_arns(registry: Registry) -> None:
    assert await codes(registry.get_function(CTX, "ghost")) == (
        "ResourceNotFoundException: Function not found: arn:aws:lambda:us-east-1:111111111111:function:ghost"
    )
    await registry.create_function(CTX, "fn", config(), zip_code())
    assert (
        await codes(registry.get_function(CTX, "fn", "7")) == f"ResourceNotFoundException: Function not found: {ARN}:7"
    )
    other_region = "arn:aws:lambda:eu-west-1:111111111111:function:fn"
    assert (await codes(registry.get_function(CTX, other_region))).startswith("ResourceNotFoundException")
    other_account = "arn:aws:lambda:us-east-1:222222222222:function:fn"
    assert (await codes(registry.get_function(CTX, other_account))).startswith("AccessDeniedException")


async def test_accounts_and_regions_are_isolated(registry: Registry) -> None:
    west = RequestContext(account_id="111111111111", region="us-west-2")
    other = RequestContext(account_id="222222222222", region="us-east-1")
    await registry.create_function(CTX, "fn", config(timeout=10), zip_code())
    await registry.create_function(west, "fn", config(timeout=20), zip_code())
    await registry.create_function(other, "fn", config(timeout=30), zip_code())
    assert (await registry.get_function(CTX, "fn")).config.timeout == 10
    assert (await registry.get_function(west, "fn")).config.timeout == 20
    assert (await registry.get_function(other, "fn")).arn == "arn:aws:lambda:us-east-1:222222222222:function:fn"
    await registry.delete_function(west, "fn")
    assert (await registry.get_function(CTX, "fn")).config.timeout == 10
    assert (await registry.account_usage(west)).function_count == 0
    assert (await registry.account_usage(other)).function_count == 1


async def test_update_code_and_revision_ids(registry: Registry) -> None:
    created = await registry.create_function(CTX, "fn", config(), zip_code("A = 1\n"))
    old_sha = created.code.sha256_hex
    stale = await codes(registry.update_function_code(CTX, "fn", zip_code("B = 2\n"), revision_id="wrong"))
    assert stale == (
        "PreconditionFailedException: The Revision Id provided does not match the latest Revision Id. "
        "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
    updated = await registry.update_function_code(CTX, "fn", zip_code("B = 2\n"), revision_id=created.revision_id)
    assert updated.last_update_status == "InProgress"
    assert updated.revision_id != created.revision_id
    got = await registry.get_function(CTX, "fn")
    assert got.last_update_status == "Successful" and got.code.sha256_hex == updated.code.sha256_hex
    assert await registry.read_code(old_sha) is None  # no version uses the old zip any more
    hostile = CodeInput(zip_file=make_zip({"../escape": "x"}))
    assert "points outside" in await codes(registry.update_function_code(CTX, "fn", hostile))
    assert (await registry.get_function(CTX, "fn")).revision_id == got.revision_id  # unchanged


async def test_update_configuration(registry: Registry) -> None:
    created = await registry.create_function(CTX, "fn", config(environment={"A1": "x"}), zip_code())
    updated = await registry.update_function_configuration(
        CTX,
        "fn",
        {"memory_size": 1024, "environment": {"B1": "y"}, "description": "d"},
        revision_id=created.revision_id,
    )
    assert updated.last_update_status == "InProgress"
    got = await registry.get_function(CTX, "fn")
    assert (got.config.memory_size, got.config.environment, got.config.description) == (1024, {"B1": "y"}, "d")
    assert "PreconditionFailed" in await codes(
        registry.update_function_configuration(CTX, "fn", {"timeout": 5}, revision_id=created.revision_id)
    )
    assert "ValidationException" in await codes(registry.update_function_configuration(CTX, "fn", {"timeout": 901}))
    assert "no longer supported" in await codes(
        registry.update_function_configuration(CTX, "fn", {"runtime": "nodejs12.x"})
    )
    assert (await registry.get_function(CTX, "fn")).config.timeout == 3


async def test_publish_versions_idempotently(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code())
    v1 = await registry.publish_version(CTX, "fn", description="first")
    assert (v1.version, v1.arn, v1.config.description) == ("1", f"{ARN}:1", "first")
    again = await registry.publish_version(CTX, "fn")
    assert again.version == "1" and again.revision_id == v1.revision_id
    await registry.update_function_configuration(CTX, "fn", {"timeout": 9})
    v2 = await registry.publish_version(CTX, "fn")
    assert v2.version == "2" and v2.config.timeout == 9
    assert (await registry.get_function(CTX, "fn", "1")).config.timeout == 3
    assert (await registry.get_function(CTX, f"{ARN}:2")).config.timeout == 9
    latest = await registry.get_function(CTX, "fn")
    assert "PreconditionFailed" in await codes(registry.publish_version(CTX, "fn", revision_id="nope"))
    wrong_sha = await codes(registry.publish_version(CTX, "fn", code_sha256="AAAA"))
    assert wrong_sha.startswith("InvalidParameterValueException: CodeSHA256 (AAAA) is different")
    assert (await registry.publish_version(CTX, "fn", code_sha256=latest.code.code_sha256)).version == "2"


async def test_create_with_publish_and_update_code_with_publish(registry: Registry) -> None:
    v1 = await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)
    assert v1.version == "1"
    v2 = await registry.update_function_code(CTX, "fn", zip_code("C = 3\n"), publish=True)
    assert v2.version == "2"
    versions, marker = await registry.list_versions(CTX, "fn")
    assert [v.version for v in versions] == ["$LATEST", "1", "2"] and marker is None


async def test_delete_versions_and_functions(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)
    await registry.update_function_code(CTX, "fn", zip_code("D = 4\n"), publish=True)
    assert await codes(registry.delete_function(CTX, "fn", "$LATEST")) == (
        "InvalidParameterValueException: $LATEST version cannot be deleted without deleting the function."
    )
    await registry.aliases.create(CTX, "fn", "live", "2")
    assert "aliases reference it: [live]" in await codes(registry.delete_function(CTX, "fn", "2"))
    await registry.delete_function(CTX, "fn:1")
    assert "Function not found" in await codes(registry.get_function(CTX, "fn", "1"))
    assert "Function not found" in await codes(registry.delete_function(CTX, "fn", "1"))
    await registry.delete_function(CTX, "fn")
    assert "Function not found" in await codes(registry.get_function(CTX, "fn"))
    assert "Function not found" in await codes(registry.delete_function(CTX, "fn"))
    # Recreated, it starts over: versions from 1, no aliases.
    await registry.create_function(CTX, "fn", config(), zip_code())
    assert (await registry.publish_version(CTX, "fn")).version == "1"
    aliases, _ = await registry.aliases.list_aliases(CTX, "fn")
    assert aliases == []


async def test_version_numbers_are_not_reused(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), publish=True)
    await registry.delete_function(CTX, "fn", "1")
    await registry.update_function_configuration(CTX, "fn", {"timeout": 4})
    assert (await registry.publish_version(CTX, "fn")).version == "2"


async def test_list_functions_paginates(registry: Registry) -> None:
    for i in range(7):
        await registry.create_function(CTX, f"fn{i}", config(), zip_code(), publish=i % 2 == 0)
    names, marker = [], None
    while True:
        page, marker = await registry.list_functions(CTX, marker=marker, max_items=3)
        assert len(page) <= 3
        names += [f.name for f in page]
        if marker is None:
            break
    assert names == [f"fn{i}" for i in range(7)]
    every, marker = [], None
    while True:
        page, marker = await registry.list_functions(CTX, all_versions=True, marker=marker, max_items=2)
        every += [(f.name, f.version) for f in page]
        if marker is None:
            break
    assert len(every) == 7 + 4 and ("fn0", "1") in every and ("fn1", "1") not in every
    assert "InvalidParameterValue" in await codes(registry.list_functions(CTX, marker="%%%"))


async def test_tags(registry: Registry) -> None:
    await registry.create_function(CTX, "fn", config(), zip_code(), tags={"team": "a"})
    await registry.tagging.tag(CTX, ARN, {"env": "dev"})
    assert await registry.tagging.tags(CTX, ARN) == {"team": "a", "env": "dev"}
    await registry.tagging.untag(CTX, ARN, ["team", "absent"])
    assert await registry.tagging.tags(CTX, ARN) == {"env": "dev"}
    assert "not supported" in await codes(registry.tagging.tag(CTX, f"{ARN}:1", {"a": "b"}))
    assert "Function not found" in await codes(registry.tagging.tags(CTX, ARN.replace(":fn", ":nope")))


async def test_account_usage(registry: Registry) -> None:
    first = await registry.create_function(CTX, "a", config(), zip_code("A = 1\n"), publish=True)
    second = await registry.create_function(CTX, "b", config(), zip_code("B = 1\n"))
    usage = await registry.account_usage(CTX)
    assert usage.function_count == 2
    assert usage.total_code_size == 2 * first.code.size + second.code.size  # $LATEST and version 1 of "a"


async def test_arns_are_in_the_regions_partition(registry: Registry) -> None:
    china = RequestContext(account_id="111111111111", region="cn-north-1")
    created = await registry.create_function(china, "fn", config(), zip_code(), publish=True)
    assert created.arn == "arn:aws-cn:lambda:cn-north-1:111111111111:function:fn:1"
    assert (await registry.get_function(china, created.function_arn)).version == "$LATEST"
    denied = await codes(registry.get_function(china, "arn:aws-cn:lambda:cn-north-1:222222222222:function:fn"))
    assert denied.startswith("AccessDeniedException: User: arn:aws-cn:iam::111111111111:root is not authorized")
