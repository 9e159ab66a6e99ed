import pytest

from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.functions.code import CodeInput
from overcast.functions.registry import Registry

from .conftest import CTX, config, zip_code
from .zips import make_zip

LAYER_ARN = "arn:aws:lambda:us-east-1:111111111111:layer:deps"


async def error(awaitable) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(AwsError) as caught:
        await awaitable
    return f"{caught.value.code}: {caught.value.message}"


def layer_zip(text: str = "x") -> CodeInput:
    return CodeInput(zip_file=make_zip({"python/dep.py": text}))


async def test_publish_get_list_delete(registry: Registry) -> None:
    v1 = await registry.layers.publish(
        CTX, "deps", layer_zip("1"), description="d", compatible_runtimes=["python3.13"],
        compatible_architectures=["arm64"], license_info="MIT",
    )  # fmt: skip
    assert (v1.version, v1.arn, v1.layer_arn) == (1, f"{LAYER_ARN}:1", LAYER_ARN)
    v2 = await registry.layers.publish(CTX, LAYER_ARN, layer_zip("2"), compatible_runtimes=["nodejs22.x"])
    assert v2.version == 2
    got = await registry.layers.get(CTX, "deps", 1)
    assert (got.description, got.compatible_runtimes, got.license_info) == ("d", ("python3.13",), "MIT")
    assert (await registry.layers.get_by_arn(CTX, f"{LAYER_ARN}:2")).code == v2.code
    assert await registry.read_code(v1.code.sha256_hex) is not None
    versions, _ = await registry.layers.list_versions(CTX, "deps")
    assert [v.version for v in versions] == [2, 1]
    python, _ = await registry.layers.list_versions(CTX, "deps", compatible_runtime="python3.13")
    assert [v.version for v in python] == [1]
    layers, _ = await registry.layers.list_layers(CTX)
    assert [(layer.name, layer.version) for layer in layers] == [("deps", 2)]
    arm, _ = await registry.layers.list_layers(CTX, compatible_architecture="arm64")
    assert [(layer.name, layer.version) for layer in arm] == [("deps", 1)]
    await registry.layers.delete(CTX, "deps", 2)
    await registry.layers.delete(CTX, "deps", 2)  # deleting again is fine, as in Lambda
    assert await error(registry.layers.get(CTX, "deps", 2)) == (
        "ResourceNotFoundException: The resource you requested does not exist."
    )
    v3 = await registry.layers.publish(CTX, "deps", layer_zip("3"))
    assert v3.version == 3  # numbers are never reused


async def test_layer_refusals(registry: Registry) -> None:
    assert "Could not unzip" in await error(registry.layers.publish(CTX, "deps", CodeInput(zip_file=b"no")))
    hostile = CodeInput(zip_file=make_zip({"/abs": "x"}))
    assert "absolute path" in await error(registry.layers.publish(CTX, "deps", hostile))
    dir_code = CodeInput(s3_bucket="hot-reload", s3_key="/tmp")
    assert "not supported" in await error(registry.layers.publish(CTX, "deps", dir_code))
    bad_runtime = registry.layers.publish(CTX, "deps", layer_zip(), compatible_runtimes=["cobol"])
    assert "ValidationException" in await error(bad_runtime)
    layers, _ = await registry.layers.list_layers(CTX)
    assert layers == []


async def test_function_layers(registry: Registry) -> None:
    v1 = await registry.layers.publish(CTX, "deps", layer_zip("1"))
    v2 = await registry.layers.publish(CTX, "deps", layer_zip("2"))
    other = await registry.layers.publish(CTX, "more", layer_zip("3"))
    fn = await registry.create_function(CTX, "fn", config(), zip_code(), layers=[v1.arn, other.arn])
    assert [layer.arn for layer in fn.config.layers] == [v1.arn, other.arn]
    assert fn.unzipped_size_with_layers == fn.code.unzipped_size + 2
    assert await error(registry.create_function(CTX, "f2", config(), zip_code(), layers=[f"{LAYER_ARN}:9"])) == (
        f"InvalidParameterValueException: Layer version {LAYER_ARN}:9 does not exist."
    )
    assert "Two different versions of the same layer" in await error(
        registry.create_function(CTX, "f3", config(), zip_code(), layers=[v1.arn, v2.arn])
    )
    west = "arn:aws:lambda:us-west-2:111111111111:layer:deps:1"
    assert "Layers are not in the same region" in await error(
        registry.create_function(CTX, "f4", config(), zip_code(), layers=[west])
    )
    assert "ValidationException" in await error(registry.create_function(CTX, "f5", config(), zip_code(), layers=["x"]))
    six = [f"{LAYER_ARN}-{i}:1" for i in range(6)]
    assert "more than 5 layers" in await error(registry.create_function(CTX, "f6", config(), zip_code(), layers=six))
    updated = await registry.update_function_configuration(CTX, "fn", {}, layers=[v2.arn])
    assert [layer.arn for layer in updated.config.layers] == [v2.arn]
    # A function keeps a deleted layer version's code.
    await registry.layers.delete(CTX, "deps", 2)
    assert await registry.read_code(v2.code.sha256_hex) is not None
    await registry.delete_function(CTX, "fn")


async def test_unzipped_limit_counts_layers(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    from overcast.functions import validation

    layer = await registry.layers.publish(CTX, "deps", CodeInput(zip_file=make_zip({"big": "a" * 600})))
    monkeypatch.setattr(validation, "CODE_SIZE_UNZIPPED", 1000)
    code = CodeInput(zip_file=make_zip({"index.py": "b" * 500}))
    assert await error(registry.create_function(CTX, "fn", config(), code, layers=[layer.arn])) == (
        "InvalidParameterValueException: Unzipped size must be smaller than 1000 bytes"
    )
    await registry.create_function(CTX, "fn", config(), code)


async def test_layers_are_per_account_and_region(registry: Registry) -> None:
    await registry.layers.publish(CTX, "deps", layer_zip())
    west = RequestContext(account_id="111111111111", region="us-west-2")
    assert (await registry.layers.list_layers(west))[0] == []
    assert "does not exist" in await error(registry.layers.get(west, "deps", 1))


async def test_another_accounts_layer_is_refused(registry: Registry) -> None:
    other = RequestContext(account_id="222222222222", region="us-east-1")
    theirs = await registry.layers.publish(other, "deps", layer_zip())
    denied = (
        "AccessDeniedException: User: arn:aws:iam::111111111111:root is not authorized to perform: "
        f"lambda:GetLayerVersion on resource: {theirs.arn}"
    )
    assert await error(registry.layers.get_by_arn(CTX, theirs.arn)) == denied
    assert await error(registry.create_function(CTX, "fn", config(), zip_code(), layers=[theirs.arn])) == denied
    # By its layer ARN (as LayerName), another account's layer is denied for the operation named.
    assert await error(registry.layers.get(CTX, theirs.layer_arn, 1)) == denied.replace(theirs.arn, theirs.layer_arn)
    listing = denied.replace("GetLayerVersion", "ListLayerVersions").replace(theirs.arn, theirs.layer_arn)
    assert await error(registry.layers.list_versions(CTX, theirs.layer_arn)) == listing
