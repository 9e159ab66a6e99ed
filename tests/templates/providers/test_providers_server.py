"""The providers of a real server's composition root (server.py), seen through boto3 as a client sees the stack's
resources: made, changed in place, removed; and a function behind an HTTP API made from an OpenAPI body answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from overcast.server import Overcast
from overcast.templates.providers.base import Provider
from tests.in_process import call, serving

from .conftest import CTX, ROLE, request

SOURCE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'made by a stack'}\n"


@dataclass
class Live:
    system: Overcast
    url: str

    def client(self, service: str) -> Any:
        return boto3.client(  # a 12-digit access key id names the account: the stacks' (conftest.CTX)
            service, endpoint_url=self.url, region_name="us-east-1", aws_access_key_id=CTX.account_id,
            aws_secret_access_key="test", config=Config(retries={"max_attempts": 1}),
        )  # fmt: skip

    def provider(self, resource_type: str) -> Provider:
        found = self.system.providers.get(resource_type)
        assert found is not None, resource_type
        return found


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    """Overcast's real composition root and HTTP server, in this process, so the test can reach its providers."""
    async with serving(tmp_path) as (system, url):
        yield Live(system, url)


async def test_a_function_made_changed_and_removed_by_its_provider(live: Live) -> None:
    functions = live.provider("AWS::Lambda::Function")
    properties = {"FunctionName": "stacked", "Runtime": "python3.13", "Handler": "index.handler", "Role": ROLE,
                  "Code": {"ZipFile": SOURCE}, "Environment": {"Variables": {"STAGE": "dev"}},
                  "ReservedConcurrentExecutions": 5}  # fmt: skip
    req = request("AWS::Lambda::Function", "Fn", properties)
    made = await functions.create(req)
    client = live.client("lambda")
    got = await call(client, "get_function", FunctionName="stacked")
    assert got["Configuration"]["FunctionArn"] == made.attributes["Arn"]
    assert got["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    answer = await call(client, "invoke", FunctionName=made.attributes["Arn"])
    assert json.loads(answer["Payload"].read())["body"] == "made by a stack"

    changed = {**properties, "MemorySize": 256, "Environment": {"Variables": {"STAGE": "prod"}}}
    del changed["ReservedConcurrentExecutions"]
    await functions.update(request("AWS::Lambda::Function", "Fn", changed), made, properties)
    assert "Concurrency" not in await call(client, "get_function", FunctionName="stacked")
    config = await call(client, "get_function_configuration", FunctionName="stacked")
    assert (config["MemorySize"], config["Environment"]["Variables"]) == (256, {"STAGE": "prod"})
    assert config["CodeSha256"] == got["Configuration"]["CodeSha256"]  # the code untouched

    await functions.delete(req, made)
    with pytest.raises(ClientError) as raised:
        await call(client, "get_function", FunctionName="stacked")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


async def test_a_state_machine_made_changed_and_removed_by_its_provider(live: Live) -> None:
    machines = live.provider("AWS::StepFunctions::StateMachine")
    definition = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "${Word}", "End": True}}}
    properties = {"Definition": definition, "DefinitionSubstitutions": {"Word": "one"}, "RoleArn": ROLE,
                  "StateMachineName": "stacked"}  # fmt: skip
    req = request("AWS::StepFunctions::StateMachine", "Flow", properties)
    made = await machines.create(req)  # Step Functions is built by this first need of it
    client = live.client("stepfunctions")
    described = await call(client, "describe_state_machine", stateMachineArn=made.ref)
    assert json.loads(described["definition"])["States"]["A"]["Result"] == "one"
    assert described["name"] == made.attributes["Name"] == "stacked"

    changed = {**properties, "DefinitionSubstitutions": {"Word": "two"}}
    await machines.update(request("AWS::StepFunctions::StateMachine", "Flow", changed), made, properties)
    described = await call(client, "describe_state_machine", stateMachineArn=made.ref)
    assert json.loads(described["definition"])["States"]["A"]["Result"] == "two"

    await machines.delete(req, made)
    with pytest.raises(ClientError) as raised:
        await call(client, "describe_state_machine", stateMachineArn=made.ref)
    assert raised.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


async def test_an_http_api_from_an_openapi_body_serves_the_stacks_function(live: Live) -> None:
    function = await live.provider("AWS::Lambda::Function").create(
        request(
            "AWS::Lambda::Function",
            "Fn",
            {"Runtime": "python3.13", "Handler": "index.handler", "Role": ROLE, "Code": {"ZipFile": SOURCE}},
        )
    )
    integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": function.attributes["Arn"],
                   "payloadFormatVersion": "2.0"}  # fmt: skip
    body = {"openapi": "3.0.1", "info": {"title": "stacked", "version": "1"},
            "paths": {"/hello": {"get": {"x-amazon-apigateway-integration": integration}}}}  # fmt: skip
    api_req = request("AWS::ApiGatewayV2::Api", "Api", {"Body": body})
    api = await live.provider("AWS::ApiGatewayV2::Api").create(api_req)
    stage_props = {"ApiId": api.ref, "StageName": "$default", "AutoDeploy": True}
    await live.provider("AWS::ApiGatewayV2::Stage").create(request("AWS::ApiGatewayV2::Stage", "Stage", stage_props))
    await live.provider("AWS::Lambda::Permission").create(
        request(
            "AWS::Lambda::Permission",
            "Allow",
            {"FunctionName": function.ref, "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"},
        )
    )
    got = await call(live.client("apigatewayv2"), "get_api", ApiId=api.ref)
    assert (got["Name"], got["ApiEndpoint"]) == ("stacked", api.attributes["ApiEndpoint"])

    port = urlsplit(live.url).port
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{live.url}/hello", headers={"host": f"{api.ref}.execute-api.localhost:{port}"})
    assert (response.status_code, response.text) == (200, "made by a stack")

    await live.provider("AWS::ApiGatewayV2::Api").delete(api_req, api)
    with pytest.raises(ClientError) as raised:
        await call(live.client("apigatewayv2"), "get_api", ApiId=api.ref)
    assert raised.value.response["Error"]["Code"] == "NotFoundException"


async def test_a_rest_api_from_an_openapi_body_deployed_by_its_providers_serves_the_function(live: Live) -> None:
    function = await live.provider("AWS::Lambda::Function").create(
        request(
            "AWS::Lambda::Function",
            "Fn",
            {"Runtime": "python3.13", "Handler": "index.handler", "Role": ROLE, "Code": {"ZipFile": SOURCE}},
        )
    )
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function.attributes['Arn']}/invocations"
    body = {"openapi": "3.0.1", "info": {"title": "rest", "version": "1"},
            "paths": {"/pets": {"get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST",
                                                                             "uri": uri}}}}}  # fmt: skip
    api_req = request("AWS::ApiGateway::RestApi", "Api", {"Body": body})
    api = await live.provider("AWS::ApiGateway::RestApi").create(api_req)
    await live.provider("AWS::ApiGateway::Deployment").create(
        request("AWS::ApiGateway::Deployment", "Deployment", {"RestApiId": api.ref, "StageName": "prod"})
    )
    await live.provider("AWS::Lambda::Permission").create(
        request(
            "AWS::Lambda::Permission",
            "Allow",
            {"FunctionName": function.ref, "Action": "lambda:InvokeFunction", "Principal": "apigateway.amazonaws.com"},
        )
    )
    client = live.client("apigateway")
    got = await call(client, "get_rest_api", restApiId=api.ref)
    assert got["name"] == "rest"
    resources = await call(client, "get_resources", restApiId=api.ref)
    assert api.attributes["RootResourceId"] == next(r["id"] for r in resources["items"] if r["path"] == "/")

    async with httpx.AsyncClient() as http:
        response = await http.get(f"{live.url}/_aws/execute-api/{api.ref}/prod/pets")
    assert (response.status_code, response.text) == (200, "made by a stack")

    await live.provider("AWS::ApiGateway::RestApi").delete(api_req, api)
    with pytest.raises(ClientError) as raised:
        await call(client, "get_rest_api", restApiId=api.ref)
    assert raised.value.response["Error"]["Code"] == "NotFoundException"


async def test_domains_mappings_links_certificates_and_documentation(live: Live) -> None:
    """The types whose records API Gateway keeps beside its APIs, as the composed server's table serves them."""

    async def make(resource_type: str, logical_id: str, properties: dict[str, Any]) -> Any:
        return await live.provider(resource_type).create(request(resource_type, logical_id, properties))

    rest = await make("AWS::ApiGateway::RestApi", "Rest", {"Name": "documented"})
    root = rest.attributes["RootResourceId"]
    mock = {"RestApiId": rest.ref, "ResourceId": root, "HttpMethod": "GET", "Integration": {"Type": "MOCK"}}
    await make("AWS::ApiGateway::Method", "Get", mock)  # a deployment needs a method
    await make("AWS::ApiGateway::Deployment", "Deployment", {"RestApiId": rest.ref, "StageName": "prod"})
    http = await make("AWS::ApiGatewayV2::Api", "Http", {"Name": "mapped", "ProtocolType": "HTTP"})
    await make("AWS::ApiGatewayV2::Stage", "HttpStage", {"ApiId": http.ref, "StageName": "live"})
    certificate = "arn:aws:acm:us-east-1:111111111111:certificate/0f1e2d3c-0000-4000-8000-000000000000"

    domain = await make("AWS::ApiGateway::DomainName", "Domain", {
        "DomainName": "api.example.com", "RegionalCertificateArn": certificate,
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
    })  # fmt: skip
    assert domain.ref == "api.example.com"
    v1 = live.client("apigateway")
    got = await call(v1, "get_domain_name", domainName="api.example.com")
    assert domain.attributes["RegionalDomainName"] == got["regionalDomainName"]
    mapping = await make("AWS::ApiGateway::BasePathMapping", "Mapping", {
        "DomainName": "api.example.com", "BasePath": "v1", "RestApiId": rest.ref, "Stage": "prod",
    })  # fmt: skip
    assert (await call(v1, "get_base_path_mapping", domainName="api.example.com", basePath="v1"))["stage"] == "prod"

    v2_domain = await make("AWS::ApiGatewayV2::DomainName", "Domain2", {
        "DomainName": "http.example.com",
        "DomainNameConfigurations": [{"CertificateArn": certificate, "EndpointType": "REGIONAL"}],
    })  # fmt: skip
    v2 = live.client("apigatewayv2")
    got = await call(v2, "get_domain_name", DomainName="http.example.com")
    assert v2_domain.attributes["RegionalDomainName"] == got["DomainNameConfigurations"][0]["ApiGatewayDomainName"]
    api_mapping = await make("AWS::ApiGatewayV2::ApiMapping", "ApiMapping", {
        "DomainName": "http.example.com", "ApiId": http.ref, "Stage": "live", "ApiMappingKey": "orders",
    })  # fmt: skip
    got = await call(v2, "get_api_mapping", DomainName="http.example.com", ApiMappingId=api_mapping.ref)
    assert (got["ApiId"], got["ApiMappingKey"]) == (http.ref, "orders")

    link = await make("AWS::ApiGatewayV2::VpcLink", "Link", {"Name": "private", "SubnetIds": ["subnet-0a1b2c3d"]})
    assert (await call(v2, "get_vpc_link", VpcLinkId=link.ref))["Name"] == "private"
    client_certificate = await make("AWS::ApiGateway::ClientCertificate", "Cert", {"Description": "to backends"})
    got = await call(v1, "get_client_certificate", clientCertificateId=client_certificate.ref)
    assert got["description"] == "to backends"
    part = await make("AWS::ApiGateway::DocumentationPart", "Doc", {
        "RestApiId": rest.ref, "Location": {"Type": "API"}, "Properties": '{"description": "the API"}',
    })  # fmt: skip
    got = await call(v1, "get_documentation_part", restApiId=rest.ref, documentationPartId=part.ref)
    assert got["properties"] == '{"description": "the API"}'
    version = await make("AWS::ApiGateway::DocumentationVersion", "DocVersion", {
        "RestApiId": rest.ref, "DocumentationVersion": "1.0",
    })  # fmt: skip
    assert version.ref == "1.0"

    # Removed in reverse, each gone afterwards.
    await live.provider("AWS::ApiGatewayV2::ApiMapping").delete(
        request("AWS::ApiGatewayV2::ApiMapping", "ApiMapping", {"DomainName": "http.example.com"}), api_mapping
    )
    await live.provider("AWS::ApiGateway::BasePathMapping").delete(
        request("AWS::ApiGateway::BasePathMapping", "Mapping", {"DomainName": "api.example.com"}), mapping
    )
    await live.provider("AWS::ApiGateway::DomainName").delete(
        request("AWS::ApiGateway::DomainName", "Domain", {}), domain
    )
    with pytest.raises(ClientError) as raised:
        await call(v1, "get_domain_name", domainName="api.example.com")
    assert raised.value.response["Error"]["Code"] == "NotFoundException"
    await live.provider("AWS::ApiGatewayV2::VpcLink").delete(request("AWS::ApiGatewayV2::VpcLink", "Link", {}), link)
    with pytest.raises(ClientError):
        await call(v2, "get_vpc_link", VpcLinkId=link.ref)
