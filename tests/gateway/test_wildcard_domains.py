"""Wildcard custom domain names on the data plane: `*.<parent>` serves any one-label name under it, a
domain named exactly wins over the wildcard, and the API mappings route the path afterwards. Made through
boto3 (v1 and v2), called with http.client and the Host header a client of the real domain sends.
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains.html#wildcard-custom-domain-names
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.conftest import ClientFactory, RunningServer
from tests.functions.deployed import python_function
from tests.gateway.test_custom_domains import ECHO, _uri, call


@pytest.fixture(scope="module")
def parent() -> str:
    return f"w{uuid.uuid4().hex[:8]}.example.com"


@pytest.fixture(scope="module")
def apis(aws: ClientFactory, parent: str) -> dict[str, str]:
    """`*.<parent>` (made through v2): (none) -> a REST API's prod, `v2` -> an HTTP API; `exact.<parent>`
    (through v1): (none) -> the HTTP API."""
    echo = python_function(aws("lambda"), "wildcard-echo", ECHO)
    apigw, v2 = aws("apigateway"), aws("apigatewayv2")
    rest = apigw.create_rest_api(name="wildcard-rest")
    proxy = apigw.create_resource(restApiId=rest["id"], parentId=rest["rootResourceId"], pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=rest["id"], resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(
        restApiId=rest["id"], resourceId=proxy, httpMethod="ANY", type="AWS_PROXY",
        integrationHttpMethod="POST", uri=_uri(echo),
    )  # fmt: skip
    apigw.create_deployment(restApiId=rest["id"], stageName="prod")
    http = str(v2.create_api(Name="wildcard-http", ProtocolType="HTTP", Target=echo)["ApiId"])
    made = v2.create_domain_name(
        DomainName=f"*.{parent}",
        DomainNameConfigurations=[{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/w"}],
    )
    assert made["DomainName"] == f"*.{parent}"
    v2.create_api_mapping(DomainName=f"*.{parent}", ApiId=rest["id"], Stage="prod")
    v2.create_api_mapping(DomainName=f"*.{parent}", ApiId=http, Stage="$default", ApiMappingKey="v2")
    apigw.create_domain_name(domainName=f"exact.{parent}", endpointConfiguration={"types": ["REGIONAL"]})
    apigw.create_base_path_mapping(domainName=f"exact.{parent}", restApiId=http, stage="$default")
    return {"rest": str(rest["id"]), "http": http}


def event(server: RunningServer, host: str, path: str) -> dict[str, Any]:
    status, body = call(server, host, path)
    assert status == 200, body
    found: dict[str, Any] = json.loads(body)
    return found


def test_any_one_label_name_is_served_by_the_wildcard(
    server: RunningServer, parent: str, apis: dict[str, str]
) -> None:
    for tenant in ("acme", "globex"):
        got = event(server, f"{tenant}.{parent}", "/orders/7")
        assert got["resource"] == "/{proxy+}" and got["pathParameters"] == {"proxy": "orders/7"}
        context = got["requestContext"]
        assert context["apiId"] == apis["rest"] and context["stage"] == "prod"
        # The name the client called, as $context.domainName and domainPrefix give it on AWS.
        assert context["domainName"] == f"{tenant}.{parent}" and context["domainPrefix"] == tenant


def test_the_wildcards_mappings_route_by_path(server: RunningServer, parent: str, apis: dict[str, str]) -> None:
    got = event(server, f"acme.{parent}", "/v2/items")
    assert got["version"] == "2.0" and got["requestContext"]["apiId"] == apis["http"]
    assert got["rawPath"] == "/v2/items" and got["requestContext"]["domainName"] == f"acme.{parent}"
    assert event(server, f"acme.{parent}.localhost", "/v2/x")["requestContext"]["domainName"] == f"acme.{parent}"


def test_a_name_made_exactly_wins_over_the_wildcard(server: RunningServer, parent: str, apis: dict[str, str]) -> None:
    got = event(server, f"EXACT.{parent}", "/orders/7")
    assert got["version"] == "2.0" and got["requestContext"]["apiId"] == apis["http"]
    assert got["requestContext"]["domainName"] == f"exact.{parent}"


def test_a_wildcard_serves_one_label_only(server: RunningServer, parent: str, apis: dict[str, str]) -> None:
    # Two labels under the parent, or the parent itself, are no custom domain: an AWS API request, not the gateway's.
    for host in (f"a.b.{parent}", parent):
        status, body = call(server, host, "/orders/7")
        assert status != 200 or b"requestContext" not in body


def test_both_apis_read_the_wildcard_back(aws: ClientFactory, parent: str, apis: dict[str, str]) -> None:
    found = aws("apigateway").get_domain_name(domainName=f"*.{parent}")
    assert found["domainName"] == f"*.{parent}" and found["regionalDomainName"].endswith(".amazonaws.com")
    mappings = aws("apigateway").get_base_path_mappings(domainName=f"*.{parent}")["items"]
    assert sorted(m["basePath"] for m in mappings) == ["(none)", "v2"]
    names = [d["DomainName"] for d in aws("apigatewayv2").get_domain_names(MaxResults="500")["Items"]]
    assert f"*.{parent}" in names and f"exact.{parent}" in names


@pytest.mark.parametrize("name", ["*example.org", "api.*.example.org", "*.org"])
def test_a_wildcard_anywhere_but_the_first_label_is_refused(aws: ClientFactory, name: str) -> None:
    apigw = aws("apigateway")
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.create_domain_name(domainName=name)
