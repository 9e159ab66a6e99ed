"""The Lambda operation table, called with botocore-shaped parameters; outputs checked against botocore's model."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from overcast.api.services import OperationTable
from overcast.api.services.lambda_ import operations
from overcast.api.services.lambda_functions import lambda_time
from overcast.errors import AwsError
from overcast.functions.registry import Registry

from .conftest import CTX, ROLE
from .zips import handler_zip, make_zip

MODEL = botocore.session.get_session().get_service_model("lambda")
ARN = "arn:aws:lambda:us-east-1:111111111111:function:fn"


def code_url(sha: str) -> str:
    return f"http://localhost:4566/_overcast/code/{sha}"


@pytest.fixture
def ops(registry: Registry) -> OperationTable:
    return operations(registry, code_url)


async def call(ops: OperationTable, operation: str, **params: Any) -> dict[str, Any]:
    """Check the input against botocore's input shape, call, and check the output against the output shape."""
    op = MODEL.operation_model(operation)
    report = ParamValidator().validate(params, op.input_shape)
    assert not report.has_errors(), report.generate_report()
    out = await ops[operation](CTX, params)
    if op.output_shape is not None:
        report = ParamValidator().validate(out, op.output_shape)
        assert not report.has_errors(), report.generate_report()
    else:
        assert out == {}
    return out


async def create(ops: OperationTable, name: str = "fn", **extra: Any) -> dict[str, Any]:
    params = {
        "FunctionName": name,
        "Runtime": "python3.13",
        "Role": ROLE,
        "Handler": "index.handler",
        "Code": {"ZipFile": handler_zip()},
    }
    params.update(extra)
    return await call(ops, "CreateFunction", **params)


def test_every_operation_exists_in_the_model(ops: OperationTable) -> None:
    assert set(ops) <= set(MODEL.operation_names)


def test_lambda_time() -> None:
    assert lambda_time(1_767_225_600.5) == "2026-01-01T00:00:00.500+0000"


async def test_create_get_and_states(ops: OperationTable) -> None:
    created = await create(ops, Environment={"Variables": {"MODE": "test"}}, Tags={"team": "a"}, MemorySize=512)
    assert (created["State"], created["StateReasonCode"]) == ("Pending", "Creating")
    assert "LastUpdateStatus" not in created
    assert created["Environment"] == {"Variables": {"MODE": "test"}}
    got = await call(ops, "GetFunction", FunctionName="fn")
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Code"]["RepositoryType"] == "S3"
    sha = got["Code"]["Location"].rsplit("/", 1)[1]
    assert got["Code"]["Location"] == code_url(sha)
    assert got["Tags"] == {"team": "a"}
    config = await call(ops, "GetFunctionConfiguration", FunctionName=ARN)
    assert config["FunctionArn"] == ARN and config["MemorySize"] == 512
    qualified = await call(ops, "GetFunctionConfiguration", FunctionName="fn", Qualifier="$LATEST")
    assert qualified["FunctionArn"] == f"{ARN}:$LATEST"


async def test_runtime_and_handler_are_required(ops: OperationTable) -> None:
    with pytest.raises(AwsError, match="Runtime and Handler are mandatory"):
        await ops["CreateFunction"](CTX, {"FunctionName": "x", "Role": ROLE, "Code": {"ZipFile": handler_zip()}})


async def test_updates(ops: OperationTable) -> None:
    created = await create(ops)
    code = await call(ops, "UpdateFunctionCode", FunctionName="fn", ZipFile=make_zip({"index.py": "X = 2\n"}))
    assert code["LastUpdateStatus"] == "InProgress" and code["CodeSha256"] != created["CodeSha256"]
    with pytest.raises(AwsError) as stale:
        await call(ops, "UpdateFunctionConfiguration", FunctionName="fn", Timeout=5, RevisionId=created["RevisionId"])
    assert stale.value.code == "PreconditionFailedException" and stale.value.status == 412
    updated = await call(
        ops,
        "UpdateFunctionConfiguration",
        FunctionName="fn",
        Timeout=30,
        Environment={"Variables": {"A1": "b"}},
        LoggingConfig={"LogFormat": "JSON"},
        RevisionId=code["RevisionId"],
    )
    json_logging = {"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"}
    assert (updated["Timeout"], updated["LoggingConfig"]) == (30, {**json_logging, "LogGroup": "/aws/lambda/fn"})
    got = await call(ops, "GetFunctionConfiguration", FunctionName="fn")
    assert got["LastUpdateStatus"] == "Successful" and got["Environment"] == {"Variables": {"A1": "b"}}


async def test_versions_aliases_and_lists(ops: OperationTable) -> None:
    await create(ops, Publish=True)
    await call(ops, "UpdateFunctionConfiguration", FunctionName="fn", Timeout=10)
    v2 = await call(ops, "PublishVersion", FunctionName="fn", Description="two")
    assert (v2["Version"], v2["FunctionArn"], v2["Description"]) == ("2", f"{ARN}:2", "two")
    versions = await call(ops, "ListVersionsByFunction", FunctionName="fn")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1", "2"]
    assert "State" not in versions["Versions"][0]
    alias = await call(
        ops, "CreateAlias", FunctionName="fn", Name="live", FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )  # fmt: skip
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.1}}
    via_alias = await call(ops, "GetFunctionConfiguration", FunctionName="fn", Qualifier="live")
    assert (via_alias["FunctionArn"], via_alias["Version"]) == (f"{ARN}:live", "1")
    updated = await call(ops, "UpdateAlias", FunctionName="fn", Name="live", RoutingConfig={})
    assert "RoutingConfig" not in updated
    assert (await call(ops, "GetAlias", FunctionName="fn", Name="live"))["RevisionId"] == updated["RevisionId"]
    listed = await call(ops, "ListAliases", FunctionName="fn")
    assert [a["Name"] for a in listed["Aliases"]] == ["live"]
    await call(ops, "DeleteAlias", FunctionName="fn", Name="live")
    everything = await call(ops, "ListFunctions", FunctionVersion="ALL", MaxItems=2)
    assert len(everything["Functions"]) == 2 and "NextMarker" in everything
    rest = await call(ops, "ListFunctions", FunctionVersion="ALL", Marker=everything["NextMarker"])
    assert len(rest["Functions"]) == 1 and "NextMarker" not in rest
    await call(ops, "DeleteFunction", FunctionName="fn", Qualifier="1")
    await call(ops, "DeleteFunction", FunctionName="fn")
    assert (await call(ops, "ListFunctions"))["Functions"] == []


async def test_layers(ops: OperationTable) -> None:
    published = await call(
        ops, "PublishLayerVersion", LayerName="deps", Content={"ZipFile": make_zip({"python/x.py": "X = 1\n"})},
        CompatibleRuntimes=["python3.13"], CompatibleArchitectures=["x86_64"], LicenseInfo="MIT", Description="d",
    )  # fmt: skip
    arn = published["LayerVersionArn"]
    assert arn == "arn:aws:lambda:us-east-1:111111111111:layer:deps:1"
    assert published["Content"]["Location"].startswith("http://localhost:4566/_overcast/code/")
    assert (await call(ops, "GetLayerVersion", LayerName="deps", VersionNumber=1))["LicenseInfo"] == "MIT"
    assert (await call(ops, "GetLayerVersionByArn", Arn=arn))["Version"] == 1
    layers = await call(ops, "ListLayers", CompatibleRuntime="python3.13")
    assert layers["Layers"][0]["LatestMatchingVersion"]["LayerVersionArn"] == arn
    versions = await call(ops, "ListLayerVersions", LayerName="deps")
    assert [v["Version"] for v in versions["LayerVersions"]] == [1]
    created = await create(ops, Layers=[arn])
    assert created["Layers"] == [{"Arn": arn, "CodeSize": published["Content"]["CodeSize"]}]
    await call(ops, "DeleteLayerVersion", LayerName="deps", VersionNumber=1)
    assert (await call(ops, "ListLayers"))["Layers"] == []


async def test_tags_and_account_settings(ops: OperationTable) -> None:
    created = await create(ops)
    await call(ops, "TagResource", Resource=ARN, Tags={"a": "1", "b": "2"})
    await call(ops, "UntagResource", Resource=ARN, TagKeys=["a"])
    assert (await call(ops, "ListTags", Resource=ARN))["Tags"] == {"b": "2"}
    settings = await call(ops, "GetAccountSettings")
    assert settings["AccountLimit"] == {
        "TotalCodeSize": 80530636800,
        "CodeSizeUnzipped": 262144000,
        "CodeSizeZipped": 52428800,
        "ConcurrentExecutions": 1000,
        "UnreservedConcurrentExecutions": 1000,
    }
    assert settings["AccountUsage"] == {"TotalCodeSize": created["CodeSize"], "FunctionCount": 1}


async def test_s3_code_is_refused_clearly(ops: OperationTable) -> None:
    with pytest.raises(AwsError) as caught:
        await create(ops, Code={"S3Bucket": "my-bucket", "S3Key": "code.zip"})
    assert caught.value.code == "InvalidParameterValueException"
    assert "S3" in caught.value.message and "not supported" in caught.value.message
