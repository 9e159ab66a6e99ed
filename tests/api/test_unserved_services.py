"""Services Overcast does not serve yet answer 501 NotImplemented in their own protocol.

A request for Secrets Manager, SSM, EC2... names its service (credential scope, X-Amz-Target,
query Version); its client must be able to read the answer, whatever protocol botocore's model
gives the service, so that the AWS CLI shows the message instead of "invalid XML received".
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer

# service -> (protocol botocore uses for it, a call)
CALLS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "secretsmanager": ("json", "get_secret_value", {"SecretId": "db-password"}),
    "ssm": ("json", "get_parameter", {"Name": "/app/setting"}),
    "ec2": ("ec2", "describe_instances", {}),
    "s3": ("rest-xml", "list_buckets", {}),
    "iam": ("query", "list_users", {}),
    "ses": ("query", "list_identities", {}),
    "kms": ("json", "list_keys", {}),
    "route53": ("rest-xml, a date in its paths", "list_hosted_zones", {}),
    "sesv2": ("rest-json", "list_email_identities", {}),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_service_overcast_does_not_serve_answers_501_in_its_protocol(aws: ClientFactory, service: str) -> None:
    protocol, operation, params = CALLS[service]
    client = aws(service)
    assert client.meta.service_model.protocol == protocol.split(",")[0]
    with pytest.raises(ClientError) as raised:
        getattr(client, operation)(**params)
    response = raised.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 501, response
    assert response["Error"]["Code"] == "NotImplemented", response
    assert "implement" in response["Error"]["Message"], response
    assert len(response["ResponseMetadata"]["RequestId"]) == 36


def test_the_message_names_the_operation_and_the_service(aws: ClientFactory) -> None:
    with pytest.raises(ClientError) as raised:
        aws("secretsmanager").get_secret_value(SecretId="db-password")
    assert raised.value.response["Error"]["Message"] == (
        "The operation GetSecretValue of service secretsmanager is not implemented in Overcast yet"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("secretsmanager", "list-secrets"), "The operation ListSecrets of service secretsmanager"),
        (("ec2", "describe-vpcs"), "The operation DescribeVpcs of service ec2"),
    ],
)
def test_the_aws_cli_shows_the_message(aws_cli: Any, args: tuple[str, ...], message: str) -> None:
    ran = aws_cli(*args)
    assert ran.returncode == 255, ran
    assert f"An error occurred (NotImplemented) when calling the {message.split()[2]} operation" in ran.stderr
    assert f"{message} is not implemented in Overcast yet" in ran.stderr, ran.stderr
    assert "invalid XML" not in ran.stderr and "Unable to parse" not in ran.stderr


def _signed(service: str) -> dict[str, str]:
    return {
        "authorization": f"AWS4-HMAC-SHA256 Credential={os.environ['AWS_ACCESS_KEY_ID']}/20260101/us-east-1/"
        f"{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"
    }


def test_a_request_that_names_no_service_gets_a_clear_400(server: RunningServer) -> None:
    unsigned = httpx.post(f"{server.url}/nothing-here", content=b"{}")
    assert unsigned.status_code == 400
    assert unsigned.json()["__type"] == "UnknownServiceException"
    assert "sign it with SigV4" in unsigned.json()["message"]
    unknown = httpx.get(f"{server.url}/anything", headers=_signed("no-such-service"))
    assert unknown.status_code == 400
    assert "'no-such-service'" in unknown.json()["message"]


def test_an_unsigned_request_is_known_by_its_target_or_query_version(server: RunningServer) -> None:
    target = httpx.post(
        f"{server.url}/",
        content=b"{}",
        headers={"x-amz-target": "AmazonSSM.GetParameter", "content-type": "application/x-amz-json-1.1"},
    )
    assert (target.status_code, target.json()["__type"]) == (501, "NotImplemented")
    form = httpx.post(
        f"{server.url}/",
        content=b"Action=DescribeVpcs&Version=2016-11-15",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert form.status_code == 501
    assert form.text.startswith("<?xml") and "<Errors><Error><Code>NotImplemented</Code>" in form.text
