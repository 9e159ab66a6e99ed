"""Custom domain names through boto3: one resource both API Gateway APIs read, with AWS's fields and errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/0b5d3e6c-1111-2222-3333-444455556666"


def _name() -> str:
    return f"api-{uuid.uuid4().hex[:8]}.example.com"


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def rest_api(aws: ClientFactory) -> str:
    apigw = aws("apigateway")
    api = apigw.create_rest_api(name="domains")
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return str(api["id"])


@pytest.fixture(scope="module")
def http_api(aws: ClientFactory) -> str:
    v2 = aws("apigatewayv2")
    api_id = str(v2.create_api(Name="domains", ProtocolType="HTTP")["ApiId"])
    v2.create_stage(ApiId=api_id, StageName="live")
    return api_id


def test_a_regional_domain_is_returned_as_aws_returns_it(aws: ClientFactory) -> None:
    apigw, name = aws("apigateway"), _name()
    made = apigw.create_domain_name(
        domainName=name, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]}, tags={"a": "b"}
    )
    assert made["domainName"] == name
    assert made["regionalDomainName"].startswith("d-") and made["regionalDomainName"].endswith(
        ".execute-api.us-east-1.amazonaws.com"
    )
    assert len(made["regionalDomainName"].split(".")[0]) == 12
    assert made["regionalHostedZoneId"] == "Z1UJRXOUMOOFQ8"
    assert made["domainNameStatus"] == "AVAILABLE" and made["securityPolicy"] == "TLS_1_2"
    assert made["endpointConfiguration"] == {"types": ["REGIONAL"], "ipAddressType": "ipv4"}
    assert made["regionalCertificateArn"] == CERT and made["tags"] == {"a": "b"}
    assert made["domainNameArn"] == f"arn:aws:apigateway:us-east-1::/domainnames/{name}"
    found = apigw.get_domain_name(domainName=name)
    assert {k: v for k, v in found.items() if k != "ResponseMetadata"} == {
        k: v for k, v in made.items() if k != "ResponseMetadata"
    }
    assert name in [d["domainName"] for d in apigw.get_domain_names()["items"]]


def test_a_domain_made_through_one_api_is_read_through_the_other(aws: ClientFactory) -> None:
    apigw, v2, name = aws("apigateway"), aws("apigatewayv2"), _name()
    made = v2.create_domain_name(
        DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT, "EndpointType": "REGIONAL"}]
    )
    assert made["ApiMappingSelectionExpression"] == "$request.basepath"
    assert made["RoutingMode"] == "API_MAPPING_ONLY"
    config = made["DomainNameConfigurations"][0]
    assert config["EndpointType"] == "REGIONAL" and config["DomainNameStatus"] == "AVAILABLE"
    assert config["ApiGatewayDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert config["HostedZoneId"] == "Z1UJRXOUMOOFQ8" and config["SecurityPolicy"] == "TLS_1_2"
    assert config["CertificateArn"] == CERT
    v1 = apigw.get_domain_name(domainName=name)
    assert v1["regionalDomainName"] == config["ApiGatewayDomainName"] and v1["regionalCertificateArn"] == CERT
    assert name in [d["DomainName"] for d in v2.get_domain_names()["Items"]]
    apigw.delete_domain_name(domainName=name)
    with pytest.raises(ClientError) as gone:
        v2.get_domain_name(DomainName=name)
    assert _code(gone) == "NotFoundException"


def test_an_edge_domain_names_its_distribution(aws: ClientFactory) -> None:
    made = aws("apigateway").create_domain_name(domainName=_name(), certificateArn=CERT)
    assert made["endpointConfiguration"] == {"types": ["EDGE"], "ipAddressType": "ipv4"}
    assert made["distributionDomainName"].endswith(".cloudfront.net")
    assert made["distributionHostedZoneId"] == "Z2FDTNDATAQYW2"
    assert "regionalDomainName" not in made


def test_domain_errors_are_aws_errors(aws: ClientFactory, rest_api: str) -> None:
    apigw, v2, name = aws("apigateway"), aws("apigatewayv2"), _name()
    apigw.create_domain_name(
        domainName=name, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]}
    )
    for call in (
        lambda: apigw.create_domain_name(domainName=name, regionalCertificateArn=CERT),
        lambda: v2.create_domain_name(DomainName=name),
    ):
        with pytest.raises(ClientError) as duplicate:
            call()
        assert _code(duplicate) == "ConflictException"
    with pytest.raises(ClientError) as missing:
        apigw.get_domain_name(domainName=_name())
    assert _code(missing) == "NotFoundException"
    with pytest.raises(ClientError) as no_stage:
        apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=rest_api, stage="nope")
    assert _code(no_stage) == "BadRequestException"
    with pytest.raises(ClientError) as no_api:
        apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId="nosuchapi0", stage="prod")
    assert _code(no_api) == "NotFoundException"
    apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=rest_api, stage="prod")
    with pytest.raises(ClientError) as taken:
        apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=rest_api, stage="prod")
    assert _code(taken) == "ConflictException"
    with pytest.raises(ClientError) as no_mapping:
        apigw.get_base_path_mapping(domainName=name, basePath="v2")
    assert _code(no_mapping) == "NotFoundException"


def test_base_path_mappings_are_api_mappings(aws: ClientFactory, rest_api: str, http_api: str) -> None:
    apigw, v2, name = aws("apigateway"), aws("apigatewayv2"), _name()
    v2.create_domain_name(DomainName=name)
    root = apigw.create_base_path_mapping(domainName=name, restApiId=rest_api, stage="prod")
    assert _without_metadata(root) == {"basePath": "(none)", "restApiId": rest_api, "stage": "prod"}
    mapped = v2.create_api_mapping(DomainName=name, ApiId=http_api, Stage="live", ApiMappingKey="orders/v1")
    assert mapped["ApiMappingKey"] == "orders/v1" and len(mapped["ApiMappingId"]) == 6
    listed = {m["ApiMappingKey"]: m for m in v2.get_api_mappings(DomainName=name)["Items"]}
    assert listed[""]["ApiId"] == rest_api and listed[""]["Stage"] == "prod"
    assert listed["orders/v1"]["ApiId"] == http_api
    v1_listed = apigw.get_base_path_mappings(domainName=name)["items"]
    assert {m["basePath"] for m in v1_listed} == {"(none)", "orders/v1"}
    got = v2.get_api_mapping(DomainName=name, ApiMappingId=mapped["ApiMappingId"])
    assert _without_metadata(got) == _without_metadata(mapped)
    changed = v2.update_api_mapping(
        DomainName=name, ApiMappingId=mapped["ApiMappingId"], ApiId=http_api, ApiMappingKey="orders/v2"
    )
    assert changed["ApiMappingKey"] == "orders/v2" and changed["Stage"] == "live"
    patched = apigw.update_base_path_mapping(
        domainName=name, basePath="(none)", patchOperations=[{"op": "replace", "path": "/basePath", "value": "shop"}]
    )
    assert patched["basePath"] == "shop"
    apigw.delete_base_path_mapping(domainName=name, basePath="shop")
    v2.delete_api_mapping(DomainName=name, ApiMappingId=mapped["ApiMappingId"])
    assert v2.get_api_mappings(DomainName=name)["Items"] == []


def test_update_domain_name_patches_and_v2_replaces(aws: ClientFactory) -> None:
    apigw, v2, name = aws("apigateway"), aws("apigatewayv2"), _name()
    apigw.create_domain_name(
        domainName=name, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]}
    )
    other = CERT.replace("6666", "7777")
    patched = apigw.update_domain_name(
        domainName=name,
        patchOperations=[
            {"op": "replace", "path": "/regionalCertificateArn", "value": other},
            {"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"},
        ],
    )
    assert patched["regionalCertificateArn"] == other and patched["securityPolicy"] == "TLS_1_0"
    with pytest.raises(ClientError) as bad:
        apigw.update_domain_name(domainName=name, patchOperations=[{"op": "replace", "path": "/nope", "value": "x"}])
    assert _code(bad) == "BadRequestException"
    replaced = v2.update_domain_name(
        DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT, "SecurityPolicy": "TLS_1_2"}]
    )
    config = replaced["DomainNameConfigurations"][0]
    assert config["CertificateArn"] == CERT and config["SecurityPolicy"] == "TLS_1_2"


def _without_metadata(found: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in found.items() if k != "ResponseMetadata"}


def test_a_domain_names_tags_are_one_set_for_both_apis(aws: ClientFactory) -> None:
    apigw, v2, name = aws("apigateway"), aws("apigatewayv2"), _name()
    arn = apigw.create_domain_name(domainName=name, tags={"a": "1"})["domainNameArn"]
    apigw.tag_resource(resourceArn=arn, tags={"b": "2"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"a": "1", "b": "2"}
    v2.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert v2.get_domain_name(DomainName=name)["Tags"] == {"b": "2"}
    assert apigw.get_domain_name(domainName=name)["tags"] == {"b": "2"}
    apigw.delete_domain_name(domainName=name)
    with pytest.raises(ClientError) as gone:
        apigw.get_tags(resourceArn=arn)
    assert _code(gone) == "NotFoundException"
