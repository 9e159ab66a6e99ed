"""Lambda answers carry every member AWS returns, and every ARN is in the region's partition: through boto3
against a real server.

The expected keys are what Lambda returns for a function created with only the required members
(https://docs.aws.amazon.com/lambda/latest/api/API_GetFunctionConfiguration.html and
API_FunctionConfiguration.html: defaults for TracingConfig, EphemeralStorage, SnapStart, LoggingConfig,
Architectures, PackageType, and the RuntimeVersionConfig of a managed runtime); list operations leave the
state members and RuntimeVersionConfig out (API_ListFunctions.html).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory
from tests.functions.zips import handler_zip

ROLE = "arn:aws:iam::000000000000:role/lambda-role"
LISTED = {
    "FunctionName", "FunctionArn", "Runtime", "Role", "Handler", "CodeSize", "Description", "Timeout",
    "MemorySize", "LastModified", "CodeSha256", "Version", "TracingConfig", "RevisionId", "PackageType",
    "Architectures", "EphemeralStorage", "SnapStart", "LoggingConfig",
}  # fmt: skip
CONFIGURATION = LISTED | {"State", "LastUpdateStatus", "RuntimeVersionConfig"}


def _keys(answer: dict[str, Any]) -> set[str]:
    return set(answer) - {"ResponseMetadata"}


def _function(lam: Any, role: str = ROLE) -> str:
    name = f"fields-{uuid.uuid4().hex[:10]}"
    lam.create_function(
        FunctionName=name, Runtime="python3.13", Role=role, Handler="index.handler", Code={"ZipFile": handler_zip()}
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


def test_get_and_list_answers_carry_every_member_aws_returns(aws: ClientFactory) -> None:
    lam = aws("lambda")
    name = _function(lam)
    config = lam.get_function_configuration(FunctionName=name)
    assert _keys(config) == CONFIGURATION
    assert config["TracingConfig"] == {"Mode": "PassThrough"}
    assert config["EphemeralStorage"] == {"Size": 512}
    assert config["SnapStart"] == {"ApplyOn": "None", "OptimizationStatus": "Off"}
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert config["Architectures"] == ["x86_64"] and config["PackageType"] == "Zip"
    assert config["State"] == "Active" and config["LastUpdateStatus"] == "Successful"
    # API_RuntimeVersionConfig.html: arn:<partition>:lambda:<region>::runtime:<id>, the same for one runtime.
    runtime_version = config["RuntimeVersionConfig"]["RuntimeVersionArn"]
    assert re.fullmatch(r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}", runtime_version)
    assert lam.get_function_configuration(FunctionName=_function(lam))["RuntimeVersionConfig"] == {
        "RuntimeVersionArn": runtime_version
    }

    # A runtime version pinned with UpdateRuntimeOn Manual is the one the function reports (runtimes-update.html).
    pinned = "arn:aws:lambda:us-east-1::runtime:" + "ab" * 32
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Manual", RuntimeVersionArn=pinned)
    assert lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"]["RuntimeVersionArn"] == pinned
    assert lam.get_function(FunctionName=name)["Configuration"]["RuntimeVersionConfig"]["RuntimeVersionArn"] == pinned
    lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Auto")
    assert lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"]["RuntimeVersionArn"] == (
        runtime_version
    )

    got = lam.get_function(FunctionName=name)
    assert _keys(got) == {"Configuration", "Code"}
    assert _keys(got["Configuration"]) == CONFIGURATION
    assert set(got["Code"]) == {"RepositoryType", "Location"}

    version = lam.publish_version(FunctionName=name)
    assert _keys(version) == CONFIGURATION
    assert _keys(lam.get_function_configuration(FunctionName=name, Qualifier=version["Version"])) == CONFIGURATION

    listed = next(f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name)
    assert set(listed) == LISTED
    assert all(set(v) == LISTED for v in lam.list_versions_by_function(FunctionName=name)["Versions"])


def _arns(value: Any) -> list[str]:
    """Every ARN anywhere in an answer (a policy document's text included)."""
    if isinstance(value, dict):
        return [a for v in value.values() for a in _arns(v)]
    if isinstance(value, list):
        return [a for v in value for a in _arns(v)]
    if isinstance(value, str):
        return re.findall(r"arn:[a-z-]+:[^\"\s,]+", value)
    return []


@pytest.mark.parametrize(("region", "partition"), [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov")])
def test_every_arn_is_in_the_regions_partition(aws: ClientFactory, region: str, partition: str) -> None:
    lam = aws("lambda", region_name=region)
    name = _function(lam, role=f"arn:{partition}:iam::000000000000:role/lambda-role")
    version = lam.publish_version(FunctionName=name)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version["Version"])
    layer = lam.publish_layer_version(LayerName=f"layer-{uuid.uuid4().hex[:8]}", Content={"ZipFile": handler_zip()})
    lam.update_function_configuration(FunctionName=name, Layers=[layer["LayerVersionArn"]])
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    lam.add_permission(
        FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction", Principal="s3.amazonaws.com"
    )
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    answers = [
        version,
        alias,
        layer,
        url,
        lam.get_function(FunctionName=name),
        lam.get_function_configuration(FunctionName=name, Qualifier="live"),
        lam.list_functions(),
        lam.list_versions_by_function(FunctionName=name),
        lam.get_alias(FunctionName=name, Name="live"),
        lam.list_aliases(FunctionName=name),
        lam.get_layer_version(LayerName=layer["LayerArn"], VersionNumber=layer["Version"]),
        lam.list_layers(),
        lam.list_layer_versions(LayerName=layer["LayerArn"]),
        lam.get_policy(FunctionName=name),
        lam.get_function_url_config(FunctionName=name),
        lam.get_runtime_management_config(FunctionName=name),
    ]
    found = [a for answer in answers for a in _arns(answer)]
    assert len(found) > 20
    assert all(a.startswith(f"arn:{partition}:") for a in found), [a for a in found if partition not in a]
    assert all(f":{region}:" in a for a in found if a.startswith(f"arn:{partition}:lambda:"))
