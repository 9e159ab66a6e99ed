"""What API Gateway stores and returns through boto3: VPC links (both APIs), client certificates,
documentation parts and the account's settings, with AWS's fields, validation and errors."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from tests.conftest import ClientFactory

NLB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/nlb/0123456789abcdef"


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


@pytest.fixture(scope="module")
def rest_api(aws: ClientFactory) -> str:
    return str(aws("apigateway").create_rest_api(name="documented")["id"])


def test_a_rest_vpc_link_is_available_and_patched(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    made = apigw.create_vpc_link(name="link", targetArns=[NLB], description="d", tags={"k": "v"})
    assert made["status"] == "AVAILABLE" and made["targetArns"] == [NLB] and made["tags"] == {"k": "v"}
    assert apigw.get_vpc_link(vpcLinkId=made["id"])["name"] == "link"
    assert made["id"] in [v["id"] for v in apigw.get_vpc_links()["items"]]
    arn = f"arn:aws:apigateway:us-east-1::/vpclinks/{made['id']}"
    apigw.tag_resource(resourceArn=arn, tags={"k2": "v2"})
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"k": "v", "k2": "v2"}
    changed = apigw.update_vpc_link(
        vpcLinkId=made["id"], patchOperations=[{"op": "replace", "path": "/name", "value": "renamed"}]
    )
    assert changed["name"] == "renamed" and changed["description"] == "d"
    with pytest.raises(ClientError) as bad:
        apigw.create_vpc_link(name="two", targetArns=[NLB, NLB])
    assert _code(bad) == "BadRequestException"
    apigw.delete_vpc_link(vpcLinkId=made["id"])
    with pytest.raises(ClientError) as gone:
        apigw.get_vpc_link(vpcLinkId=made["id"])
    assert _code(gone) == "NotFoundException"


def test_an_http_vpc_link_is_available(aws: ClientFactory) -> None:
    v2 = aws("apigatewayv2")
    made = v2.create_vpc_link(Name="link", SubnetIds=["subnet-1", "subnet-2"], SecurityGroupIds=["sg-1"])
    assert made["VpcLinkStatus"] == "AVAILABLE" and made["VpcLinkVersion"] == "V2"
    assert made["SubnetIds"] == ["subnet-1", "subnet-2"] and made["SecurityGroupIds"] == ["sg-1"]
    assert made["CreatedDate"] is not None
    v2.tag_resource(ResourceArn=f"arn:aws:apigateway:us-east-1::/vpclinks/{made['VpcLinkId']}", Tags={"k": "v"})
    assert v2.get_vpc_link(VpcLinkId=made["VpcLinkId"])["Tags"] == {"k": "v"}
    assert v2.update_vpc_link(VpcLinkId=made["VpcLinkId"], Name="renamed")["Name"] == "renamed"
    assert made["VpcLinkId"] in [v["VpcLinkId"] for v in v2.get_vpc_links()["Items"]]
    v2.delete_vpc_link(VpcLinkId=made["VpcLinkId"])
    with pytest.raises(ClientError) as gone:
        v2.get_vpc_link(VpcLinkId=made["VpcLinkId"])
    assert _code(gone) == "NotFoundException"


def test_a_client_certificate_is_a_self_signed_certificate(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    made = apigw.generate_client_certificate(description="backend", tags={"k": "v"})
    certificate = x509.load_pem_x509_certificate(made["pemEncodedCertificate"].encode())
    assert certificate.issuer == certificate.subject
    assert (made["expirationDate"] - made["createdDate"]).days == 365
    found = apigw.get_client_certificate(clientCertificateId=made["clientCertificateId"])
    assert found["pemEncodedCertificate"] == made["pemEncodedCertificate"] and found["description"] == "backend"
    assert found["tags"] == {"k": "v"}
    changed = apigw.update_client_certificate(
        clientCertificateId=made["clientCertificateId"],
        patchOperations=[{"op": "replace", "path": "/description", "value": "other"}],
    )
    assert changed["description"] == "other"
    listed = apigw.get_client_certificates()["items"]
    assert made["clientCertificateId"] in [c["clientCertificateId"] for c in listed]
    apigw.delete_client_certificate(clientCertificateId=made["clientCertificateId"])
    with pytest.raises(ClientError) as gone:
        apigw.get_client_certificate(clientCertificateId=made["clientCertificateId"])
    assert _code(gone) == "NotFoundException"


def test_documentation_parts_follow_their_location_rules(aws: ClientFactory, rest_api: str) -> None:
    apigw = aws("apigateway")
    method = apigw.create_documentation_part(
        restApiId=rest_api, location={"type": "METHOD", "path": "/pets"}, properties='{"summary": "list"}'
    )
    assert method["location"] == {"type": "METHOD", "path": "/pets", "method": "*"}
    header = apigw.create_documentation_part(
        restApiId=rest_api,
        location={"type": "RESPONSE_HEADER", "path": "/pets", "method": "GET", "name": "x-next"},
        properties='{"description": "the next page"}',
    )
    assert header["location"]["statusCode"] == "*" and header["location"]["name"] == "x-next"
    api = apigw.create_documentation_part(restApiId=rest_api, location={"type": "API"}, properties="{}")
    assert api["location"] == {"type": "API"}
    for location, properties in (
        ({"type": "API", "path": "/pets"}, "{}"),  # API takes no path
        ({"type": "MODEL"}, "{}"),  # MODEL needs a name
        ({"type": "RESOURCE", "path": "/pets"}, "not json"),
    ):
        with pytest.raises(ClientError) as bad:
            apigw.create_documentation_part(restApiId=rest_api, location=location, properties=properties)
        assert _code(bad) == "BadRequestException", location
    with pytest.raises(ClientError) as taken:
        apigw.create_documentation_part(
            restApiId=rest_api, location={"type": "METHOD", "path": "/pets"}, properties="{}"
        )
    assert _code(taken) == "ConflictException"
    assert {p["id"] for p in apigw.get_documentation_parts(restApiId=rest_api, type="METHOD")["items"]} == {
        method["id"]
    }
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=rest_api, nameQuery="next")["items"]] == [
        header["id"]
    ]
    changed = apigw.update_documentation_part(
        restApiId=rest_api, documentationPartId=method["id"],
        patchOperations=[{"op": "replace", "path": "/properties", "value": '{"summary": "all pets"}'}],
    )  # fmt: skip
    assert changed["properties"] == '{"summary": "all pets"}'
    apigw.delete_documentation_part(restApiId=rest_api, documentationPartId=method["id"])
    with pytest.raises(ClientError) as gone:
        apigw.get_documentation_part(restApiId=rest_api, documentationPartId=method["id"])
    assert _code(gone) == "NotFoundException"
    with pytest.raises(ClientError) as no_api:
        apigw.get_documentation_parts(restApiId="nosuchapi0")
    assert _code(no_api) == "NotFoundException"


def test_the_account_keeps_its_cloudwatch_role(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    assert account["features"] == ["UsagePlans"] and account["apiKeyVersion"] == "4"
    role = "arn:aws:iam::000000000000:role/apigateway-logs"
    changed = apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert changed["cloudwatchRoleArn"] == role
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    with pytest.raises(ClientError) as bad:
        apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": "role"}])
    assert _code(bad) == "BadRequestException"
