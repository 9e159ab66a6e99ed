"""Lambda's resource providers over a real Registry: what each makes, changes and removes, and its Ref and GetAtt."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from overcast.clock import FakeClock
from overcast.errors import ResourceNotFound
from overcast.functions.code import CodeInput
from overcast.functions.errors import InvalidParameterValue
from overcast.functions.registry import Registry
from overcast.store import Store
from overcast.templates.providers import lambda_
from overcast.templates.providers.base import Made, Providers
from tests.functions.zips import handler_zip

from .conftest import CTX, ROLE, request

SOURCE = "def handler(event, context):\n    return {'ok': True}\n"
ARN = "arn:aws:lambda:us-east-1:111111111111:function:"


@pytest.fixture
async def providers(sqlite_store: Store, clock: FakeClock) -> Providers:
    registry = Registry(sqlite_store, clock)
    await registry.start()
    found = Providers()
    lambda_.register(found, registry, None, lambda url_id, region: f"http://{url_id}.lambda-url.{region}.localhost/")
    return found


def _registry(providers: Providers) -> Registry:
    provider = providers.get("AWS::Lambda::Function")
    assert isinstance(provider, lambda_.FunctionProvider)
    return provider.registry


def function(**changes: object) -> dict[str, object]:
    properties: dict[str, object] = {
        "Runtime": "python3.13", "Handler": "index.handler", "Role": ROLE, "Code": {"ZipFile": SOURCE},
    }  # fmt: skip
    properties.update(changes)
    return properties


async def test_a_function_from_inline_code_is_named_after_its_stack_and_packaged_as_index_py(
    providers: Providers,
) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    made = await provider.create(request("AWS::Lambda::Function", "HelloFunction", function()))
    # Ref: the name; CloudFormation's `<stack>-<logical id>-<suffix>` when the template names none.
    assert re.fullmatch(r"app-HelloFunction-[A-Z0-9]{12}", made.ref)
    assert made.attributes["Arn"] == ARN + made.ref
    assert made.attributes["SnapStartResponse.ApplyOn"] == "None"
    registry = _registry(providers)
    version = await registry.get_function(CTX, made.ref)
    assert (version.config.runtime, version.config.handler, version.config.role) == (
        "python3.13",
        "index.handler",
        ROLE,
    )
    code = await registry.read_code(version.code.sha256_hex)
    assert code is not None
    with zipfile.ZipFile(io.BytesIO(code)) as archive:
        assert archive.namelist() == ["index.py"]
        assert archive.read("index.py").decode() == SOURCE


async def test_node_inline_code_is_index_js_and_a_given_name_is_kept(providers: Providers) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    properties = function(FunctionName="hello-node", Runtime="nodejs20.x", Code={"ZipFile": "exports.handler=1"})
    made = await provider.create(request("AWS::Lambda::Function", "Node", properties))
    assert made.ref == "hello-node"
    version = await _registry(providers).get_function(CTX, "hello-node")
    code = await _registry(providers).read_code(version.code.sha256_hex)
    assert code is not None
    assert zipfile.ZipFile(io.BytesIO(code)).namelist() == ["index.js"]


async def test_an_update_changes_configuration_code_and_tags_in_place(providers: Providers) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    before = function(
        FunctionName="f", MemorySize=128, Tags=[{"Key": "team", "Value": "a"}, {"Key": "old", "Value": "x"}]
    )
    made = await provider.create(request("AWS::Lambda::Function", "F", before))
    registry = _registry(providers)
    first = await registry.get_function(CTX, "f")

    # Configuration only: UpdateFunctionConfiguration, the code untouched.
    after = {**before, "MemorySize": 512, "Environment": {"Variables": {"STAGE": "prod", "COUNT": 3}},
             "Tags": [{"Key": "team", "Value": "b"}]}  # fmt: skip
    again = await provider.update(request("AWS::Lambda::Function", "F", after), made, before)
    assert again == made
    second = await registry.get_function(CTX, "f")
    assert second.config.memory_size == 512
    assert second.config.environment == {"STAGE": "prod", "COUNT": "3"}
    assert second.config.logging.log_group == "/aws/lambda/f"
    assert second.code == first.code
    assert await registry.tagging.tags(CTX, ARN + "f") == {"team": "b"}

    # Code only: UpdateFunctionCode, the configuration kept.
    newer = {**after, "Code": {"ZipFile": "def handler(event, context):\n    return 2\n"}}
    await provider.update(request("AWS::Lambda::Function", "F", newer), made, after)
    third = await registry.get_function(CTX, "f")
    assert third.code != second.code
    assert third.config.memory_size == 512


async def test_a_removed_property_goes_back_to_lambdas_default(providers: Providers) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    before = function(FunctionName="g", Timeout=30, Description="was")
    made = await provider.create(request("AWS::Lambda::Function", "G", before))
    await provider.update(request("AWS::Lambda::Function", "G", function(FunctionName="g")), made, before)
    config = (await _registry(providers).get_function(CTX, "g")).config
    assert (config.timeout, config.description) == (3, "")


async def test_a_function_lambda_refuses_fails_with_lambdas_error_and_leaves_nothing(providers: Providers) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    with pytest.raises(Exception) as raised:
        await provider.create(request("AWS::Lambda::Function", "Bad", function(FunctionName="bad", MemorySize=1)))
    assert getattr(raised.value, "code", "") in ("ValidationException", "InvalidParameterValueException")
    with pytest.raises(ResourceNotFound):
        await _registry(providers).get_function(CTX, "bad")


async def test_delete_removes_the_function_and_deleting_again_is_no_error(providers: Providers) -> None:
    provider = providers.get("AWS::Lambda::Function")
    assert provider is not None
    req = request("AWS::Lambda::Function", "F", function(FunctionName="doomed"))
    made = await provider.create(req)
    await provider.delete(req, made)
    with pytest.raises(ResourceNotFound):
        await _registry(providers).get_function(CTX, "doomed")
    await provider.delete(req, made)


async def test_version_alias_permission_and_url_answer_what_aws_documents(providers: Providers) -> None:
    functions, versions = providers.get("AWS::Lambda::Function"), providers.get("AWS::Lambda::Version")
    aliases, permissions = providers.get("AWS::Lambda::Alias"), providers.get("AWS::Lambda::Permission")
    urls = providers.get("AWS::Lambda::Url")
    assert functions and versions and aliases and permissions and urls
    await functions.create(request("AWS::Lambda::Function", "F", function(FunctionName="api")))

    version_req = request("AWS::Lambda::Version", "V", {"FunctionName": "api", "Description": "first"})
    version = await versions.create(version_req)
    assert version.ref == ARN + "api:1"  # Ref: the version's ARN
    assert version.attributes == {"FunctionArn": ARN + "api:1", "Version": "1"}

    alias_props = {"FunctionName": "api", "Name": "live", "FunctionVersion": "1"}
    alias_req = request("AWS::Lambda::Alias", "A", alias_props)
    alias = await aliases.create(alias_req)
    assert alias.ref == ARN + "api:live"
    assert alias.attributes == {"AliasArn": ARN + "api:live"}
    described = {**alias_props, "Description": "the live one"}
    await aliases.update(request("AWS::Lambda::Alias", "A", described), alias, alias_props)
    assert (await _registry(providers).aliases.get(CTX, "api", "live")).description == "the live one"

    grant = {
        "FunctionName": ARN + "api:live",
        "Action": "lambda:InvokeFunction",
        "Principal": "apigateway.amazonaws.com",
    }
    permission_req = request("AWS::Lambda::Permission", "P", grant)
    permission = await permissions.create(permission_req)
    assert re.fullmatch(r"app-P-[A-Z0-9]{12}", permission.ref)  # Ref and GetAtt Id: the statement id
    assert permission.attributes == {"Id": permission.ref}
    policy = await _registry(providers).permissions.get(CTX, "api", "live")
    assert [s["Sid"] for s in policy.document["Statement"]] == [permission.ref]

    url_req = request("AWS::Lambda::Url", "U", {"TargetFunctionArn": "api", "AuthType": "NONE"})
    url = await urls.create(url_req)
    assert url.ref == ARN + "api"
    assert url.attributes["FunctionArn"] == ARN + "api"
    assert re.fullmatch(r"http://[a-z0-9]+\.lambda-url\.us-east-1\.localhost/", url.attributes["FunctionUrl"])
    cors = {
        "TargetFunctionArn": "api",
        "AuthType": "NONE",
        "InvokeMode": "RESPONSE_STREAM",
        "Cors": {"AllowOrigins": ["*"], "MaxAge": 60},
    }
    await urls.update(request("AWS::Lambda::Url", "U", cors), url, url_req.properties)
    config = await _registry(providers).urls.get(CTX, "api", None)
    assert (config.invoke_mode, config.cors and config.cors.allow_origins) == ("RESPONSE_STREAM", ("*",))

    await urls.delete(url_req, url)
    await permissions.delete(permission_req, permission)
    await aliases.delete(alias_req, alias)
    await versions.delete(version_req, version)
    with pytest.raises(ResourceNotFound):
        await _registry(providers).get_function(CTX, "api", "1")
    with pytest.raises(ResourceNotFound):
        await _registry(providers).urls.get(CTX, "api", None)


async def test_a_layer_version_permission_is_named_by_the_layer_version_and_statement(providers: Providers) -> None:
    registry = _registry(providers)
    layer = await registry.layers.publish(CTX, "shared", CodeInput(zip_file=handler_zip()))
    provider = providers.get("AWS::Lambda::LayerVersionPermission")
    assert provider is not None
    props = {"LayerVersionArn": layer.arn, "Action": "lambda:GetLayerVersion", "Principal": "*"}
    req = request("AWS::Lambda::LayerVersionPermission", "LayerGrant", props)
    made = await provider.create(req)
    assert made.ref.startswith(layer.arn + "#app-LayerGrant-")
    document, _ = await registry.layer_policies.get(CTX, "shared", layer.version)
    assert document["Statement"][0]["Principal"] == "*"
    await provider.delete(req, made)
    with pytest.raises(ResourceNotFound):
        await registry.layer_policies.get(CTX, "shared", layer.version)


async def test_event_source_mappings_are_offered_beside_lambdas_other_types() -> None:
    # The composition root registers them with the mappings (stacks_part.register_providers).
    from overcast.templates.providers import lambda_event_sources

    found = Providers()
    lambda_.register(found, None, None, None)  # type: ignore[arg-type]
    assert found.missing(["AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping"]) == [
        "AWS::Lambda::EventSourceMapping",
    ]
    lambda_event_sources.register(found, None)  # type: ignore[arg-type]
    assert found.missing(["AWS::Lambda::EventInvokeConfig", "AWS::Lambda::EventSourceMapping"]) == []
    assert found.unsupported("AWS::Lambda::EventSourceMapping", {"StartingPosition": "LATEST"})
    assert "AWS::Lambda::LayerVersion" in found.types()


async def test_a_layer_version_from_s3_content_is_refused_with_lambdas_reason_and_one_is_deleted_by_its_arn(
    providers: Providers,
) -> None:
    provider = providers.get("AWS::Lambda::LayerVersion")
    assert provider is not None
    content = {"Content": {"S3Bucket": "some-bucket", "S3Key": "layer.zip"}, "LayerName": "shared"}
    with pytest.raises(InvalidParameterValue) as raised:
        await provider.create(request("AWS::Lambda::LayerVersion", "Layer", content))
    assert "S3Bucket" in raised.value.message
    registry = _registry(providers)
    layer = await registry.layers.publish(CTX, "shared", CodeInput(zip_file=handler_zip()))
    await provider.delete(request("AWS::Lambda::LayerVersion", "Layer", content), Made(layer.arn))
    with pytest.raises(ResourceNotFound):
        await registry.layers.get(CTX, "shared", layer.version)
