"""The SAM transform, offline (no credentials, no IAM): every app of ../shared/conformance/sam-apps, once
packaged, becomes plain CloudFormation; Globals, implicit APIs, events, policy templates, connectors and
AutoPublishAlias come out as AWS's own translator makes them, DeploymentPreference is recorded in the
Metadata instead of run, and a template the translator refuses is CloudFormation's ValidationError."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from overcast.deploy.package import code_sites, inline_definitions, locate, read_template
from overcast.templates import document
from overcast.templates.errors import TemplateValidationError
from overcast.templates.sam import RECORDED, transform

APPS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "sam-apps"
ACCOUNT, REGION = "123456789012", "eu-west-1"
TEMPLATES = sorted(APPS.glob("*/*/template.yaml")) if APPS.is_dir() else []


def packaged(path: Path) -> dict[str, Any]:
    """The app's template as `overcast deploy` sends it: local code named by (made-up) artifact keys."""
    body = read_template(path)
    keys = {site.logical_id: f"{index:064x}.zip" for index, site in enumerate(code_sites(body, path.parent))}
    return inline_definitions(locate(body, keys), path.parent)


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No network: the transform must not call IAM (or anything else) for what it needs."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the SAM transform opened a connection: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    yield


@pytest.mark.skipif(not TEMPLATES, reason="../shared/conformance/sam-apps is not there")
@pytest.mark.parametrize("path", TEMPLATES, ids=[str(p.parent.relative_to(APPS)) for p in TEMPLATES])
def test_every_sam_app_becomes_plain_cloudformation(path: Path, offline: None) -> None:
    out = transform(packaged(path), REGION, ACCOUNT)
    types = {resource["Type"] for resource in out["Resources"].values()}
    assert not [t for t in types if t.startswith("AWS::Serverless::")]
    assert "Transform" not in out and "Globals" not in out
    for resource in out["Resources"].values():
        if resource["Type"] == "AWS::Lambda::Function":
            code = resource["Properties"]["Code"]
            assert code.get("S3Bucket") == "overcast-artifacts" or "ZipFile" in code
    document.check_shape(out)  # what the engine reads next


def test_the_hello_app_gets_its_implicit_api_role_and_permission(offline: None) -> None:
    out = transform(packaged(APPS / "python3.13" / "hello" / "template.yaml"), REGION, ACCOUNT)
    resources = out["Resources"]
    function = resources["HelloWorldFunction"]["Properties"]
    assert function["Timeout"] == 3  # from Globals
    assert function["Runtime"] == "python3.13" and function["Handler"] == "app.lambda_handler"
    assert function["Role"] == {"Fn::GetAtt": ["HelloWorldFunctionRole", "Arn"]}
    role = resources["HelloWorldFunctionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]
    assert resources["ServerlessRestApi"]["Type"] == "AWS::ApiGateway::RestApi"
    paths = resources["ServerlessRestApi"]["Properties"]["Body"]["paths"]
    assert list(paths) == ["/hello"] and list(paths["/hello"]) == ["get"]
    assert resources["ServerlessRestApiProdStage"]["Properties"]["StageName"] == "Prod"
    permission = next(r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission")
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert set(out["Outputs"]) == {"HelloWorldApi", "HelloWorldFunction", "HelloWorldFunctionIamRole"}


def test_the_partition_follows_the_region(offline: None) -> None:
    out = transform(packaged(APPS / "python3.13" / "hello" / "template.yaml"), "cn-north-1", ACCOUNT)
    role = out["Resources"]["HelloWorldFunctionRole"]["Properties"]
    assert role["ManagedPolicyArns"] == ["arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]


def test_policy_templates_and_connectors_become_iam_policies(offline: None) -> None:
    web = transform(packaged(APPS / "nodejs24.x" / "web" / "template.yaml"), REGION, ACCOUNT)["Resources"]
    policy = web["getAllItemsFunctionRole"]["Properties"]["Policies"][0]  # DynamoDBCrudPolicy, expanded
    assert policy["PolicyName"] == "getAllItemsFunctionRolePolicy0"
    assert "dynamodb:GetItem" in policy["PolicyDocument"]["Statement"][0]["Action"]

    connected = transform(packaged(APPS / "python3.13" / "step-func-conn" / "template.yaml"), REGION, ACCOUNT)
    connectors = {k: r for k, r in connected["Resources"].items() if k.endswith("ConnectorPolicy")}
    assert connectors and all(r["Type"] == "AWS::IAM::ManagedPolicy" for r in connectors.values())


SAM_FUNCTION = {
    "Type": "AWS::Serverless::Function",
    "Properties": {
        "CodeUri": {"Bucket": "overcast-artifacts", "Key": f"{0:064x}.zip"},
        "Handler": "app.handler",
        "Runtime": "python3.13",
        "AutoPublishAlias": "live",
        "DeploymentPreference": {"Type": "Canary10Percent5Minutes"},
    },
}


def test_auto_publish_alias_makes_a_version_and_an_alias_and_deployment_preference_is_recorded(
    offline: None,
) -> None:
    template = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": SAM_FUNCTION}}
    out = transform(template, REGION, ACCOUNT)
    resources = out["Resources"]
    alias = resources["FnAliaslive"]
    assert alias["Type"] == "AWS::Lambda::Alias" and alias["Properties"]["Name"] == "live"
    version_id = alias["Properties"]["FunctionVersion"]["Fn::GetAtt"][0]
    assert resources[version_id]["Type"] == "AWS::Lambda::Version"
    assert not [r for r in resources.values() if r["Type"].startswith("AWS::CodeDeploy::")]  # not run...
    assert "UpdatePolicy" not in alias
    recorded = out["Metadata"][RECORDED]  # ...but recorded
    assert recorded["FnAliaslive"]["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["DeploymentGroupName"] == {
        "Ref": "FnDeploymentGroup"
    }
    group = recorded["FnDeploymentGroup"]
    config = {"Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": "Canary10Percent5Minutes"}]}
    assert group["Properties"]["DeploymentConfigName"] == config
    for resource in resources.values():  # nothing left depends on what was moved out
        depends = resource.get("DependsOn", [])
        assert not set([depends] if isinstance(depends, str) else depends) & set(recorded) - set(resources)


def test_other_transforms_stay_for_the_engine(offline: None) -> None:
    template = {
        "Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"],
        "Resources": {"Fn": {**SAM_FUNCTION, "Properties": {**SAM_FUNCTION["Properties"], "AutoPublishAlias": None}}},
    }
    del template["Resources"]["Fn"]["Properties"]["AutoPublishAlias"]
    del template["Resources"]["Fn"]["Properties"]["DeploymentPreference"]
    assert transform(template, REGION, ACCOUNT)["Transform"] == ["AWS::LanguageExtensions"]
    plain = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert transform(plain, REGION, ACCOUNT) is plain  # no SAM transform: untouched


def test_a_template_the_translator_refuses_is_a_validation_error(offline: None) -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a.b", "Runtime": "x"}}},
    }
    with pytest.raises(TemplateValidationError) as caught:
        transform(template, REGION, ACCOUNT)
    assert caught.value.code == "ValidationError"
    assert caught.value.message.startswith(
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document."
    )
    assert "Resource with id [Fn] is invalid." in caught.value.message
