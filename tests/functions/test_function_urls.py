"""Function URLs through the real server: the control plane with boto3, the URL itself with http.client and curl.

https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html and urls-invocation.html."""

from __future__ import annotations

import http.client
import json
import re
import shutil
import subprocess
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory, RunningServer
from tests.functions.hostile import create

ECHO = """
import json

def handler(event, context):
    if event.get("rawPath") == "/fail":
        raise RuntimeError("boom")
    if event.get("rawPath") == "/shaped":
        return {"statusCode": 201, "headers": {"x-made": "yes", "access-control-allow-origin": "https://evil"},
                "cookies": ["a=1", "b=2; Path=/"], "body": "made"}
    if event.get("rawPath") == "/plain":
        return {"just": "a dict"}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


def _request(
    server: RunningServer, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
) -> tuple[int, dict[str, str], bytes, list[tuple[str, str]]]:
    parsed = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        raw = response.getheaders()
        return response.status, {k.lower(): v for k, v in raw}, response.read(), raw
    finally:
        connection.close()


def _url_id(config: dict[str, Any]) -> str:
    match = re.fullmatch(r"http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:(\d+)/", config["FunctionUrl"])
    assert match, config["FunctionUrl"]
    return match.group(1)


@pytest.fixture(scope="module")
def function(aws: ClientFactory) -> str:
    return create(aws("lambda"), "python3.12", {"index.py": ECHO}, prefix="url")


def test_a_function_url_is_created_read_listed_updated_and_deleted(aws: ClientFactory, function: str) -> None:
    lam = aws("lambda")
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET", "POST"], "MaxAge": 60}
    created = lam.create_function_url_config(FunctionName=function, AuthType="NONE", Cors=cors)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    arn = lam.get_function(FunctionName=function)["Configuration"]["FunctionArn"]
    assert created["FunctionArn"] == arn and created["AuthType"] == "NONE" and created["InvokeMode"] == "BUFFERED"
    assert created["Cors"] == cors and "LastModifiedTime" not in created
    url_id = _url_id(created)

    with pytest.raises(ClientError) as again:
        lam.create_function_url_config(FunctionName=function, AuthType="NONE")
    assert again.value.response["Error"]["Code"] == "ResourceConflictException"
    assert again.value.response["Error"]["Message"] == (
        f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function"
    )

    got = lam.get_function_url_config(FunctionName=function)
    assert got["FunctionUrl"] == created["FunctionUrl"] and got["LastModifiedTime"]
    updated = lam.update_function_url_config(FunctionName=function, Cors={"AllowOrigins": ["*"]})
    assert updated["Cors"] == {"AllowOrigins": ["*"]} and _url_id(updated) == url_id  # the URL never changes
    assert updated["CreationTime"] == created["CreationTime"]

    lam.create_alias(FunctionName=function, Name="live", FunctionVersion="$LATEST")
    aliased = lam.create_function_url_config(FunctionName=function, Qualifier="live", AuthType="NONE")
    assert aliased["FunctionArn"] == f"{arn}:live" and _url_id(aliased) != url_id
    listed = lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"]
    assert [c["FunctionArn"] for c in listed] == [arn, f"{arn}:live"]
    first = lam.list_function_url_configs(FunctionName=function, MaxItems=1)
    assert len(first["FunctionUrlConfigs"]) == 1 and first["NextMarker"]
    rest = lam.list_function_url_configs(FunctionName=function, Marker=first["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionUrlConfigs"]] == [f"{arn}:live"]

    lam.delete_alias(FunctionName=function, Name="live")  # the alias' URL goes with it
    lam.delete_function_url_config(FunctionName=function)
    assert lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"] == []
    with pytest.raises(ClientError) as missing:
        lam.get_function_url_config(FunctionName=function)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"Qualifier": "$LATEST"}, "ValidationException"),  # only an alias may qualify a URL
        ({"Qualifier": "1"}, "ValidationException"),
        ({"Qualifier": "no-such-alias"}, "ResourceNotFoundException"),
        ({"Cors": {"MaxAge": 86401}}, "ValidationException"),
        ({"AuthType": "AWS_IAM"}, "NotImplemented"),  # needs SigV4 verification and IAM: refused, not served open
    ],
)
def test_bad_url_configs_are_refused_and_change_nothing(
    aws: ClientFactory, function: str, params: dict[str, Any], code: str
) -> None:
    lam = aws("lambda")
    with pytest.raises(ClientError) as refused:
        lam.create_function_url_config(FunctionName=function, **{"AuthType": "NONE", **params})
    assert refused.value.response["Error"]["Code"] == code
    assert lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"] == []


def test_a_missing_function_has_no_url(aws: ClientFactory) -> None:
    with pytest.raises(ClientError) as missing:
        aws("lambda").create_function_url_config(FunctionName=f"nope-{uuid.uuid4().hex[:8]}", AuthType="NONE")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


@pytest.fixture
def url_id(aws: ClientFactory, function: str) -> Any:
    lam = aws("lambda")
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"], "AllowHeaders": ["x-a"], "MaxAge": 30}
    config = lam.create_function_url_config(FunctionName=function, AuthType="NONE", Cors=cors)
    yield _url_id(config)
    lam.delete_function_url_config(FunctionName=function)


def test_a_request_to_the_url_is_a_payload_2_event(server: RunningServer, url_id: str) -> None:
    status, headers, body, _ = _request(
        server,
        "POST",
        f"/_aws/lambda-url/{url_id}/some/path?x=1&x=2&y=",
        {"Cookie": "c1=v1; c2=v2", "X-Custom": "yes", "Content-Type": "application/json", "User-Agent": "ua/1"},
        b'{"hello": "world"}',
    )
    assert status == 200, body
    event = json.loads(body)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/some/path" and event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "yes"
    assert event["body"] == '{"hello": "world"}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "anonymous" and context["apiId"] == context["domainPrefix"] == url_id
    assert context["http"] == {
        "method": "POST", "path": "/some/path", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "ua/1"
    }  # fmt: skip
    assert context["stage"] == "$default" and context["requestId"] == headers["x-amzn-requestid"]


def test_the_url_is_served_by_its_host_name(server: RunningServer, url_id: str) -> None:
    port = urllib.parse.urlsplit(server.url).port
    host = f"{url_id}.lambda-url.us-east-1.localhost:{port}"
    status, _, body, _ = _request(server, "GET", "/by-host", {"Host": host})
    assert status == 200, body
    event = json.loads(body)
    assert event["rawPath"] == "/by-host" and event["requestContext"]["domainName"] == host.rsplit(":", 1)[0]
    assert "body" not in event


def test_the_functions_answer_is_mapped_as_http_apis_map_payload_2(server: RunningServer, url_id: str) -> None:
    status, headers, body, raw = _request(server, "GET", f"/_aws/lambda-url/{url_id}/shaped")
    assert (status, body, headers["x-made"]) == (201, b"made", "yes")
    assert [v for k, v in raw if k.lower() == "set-cookie"] == ["a=1", "b=2; Path=/"]
    assert "access-control-allow-origin" not in headers  # the URL's CORS settings replace the function's
    status, headers, body, _ = _request(server, "GET", f"/_aws/lambda-url/{url_id}/plain")
    assert status == 200 and json.loads(body) == {"just": "a dict"}
    assert headers["content-type"] == "application/json"
    status, _, body, _ = _request(server, "GET", f"/_aws/lambda-url/{url_id}/fail")
    assert (status, body) == (502, b"Internal Server Error")


def test_cors_preflights_are_answered_by_the_url(server: RunningServer, url_id: str) -> None:
    preflight = {"Origin": "https://example.com", "Access-Control-Request-Method": "GET"}
    status, headers, _, _ = _request(server, "OPTIONS", f"/_aws/lambda-url/{url_id}/x", preflight)
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://example.com"
    assert headers["access-control-allow-methods"] == "GET" and headers["access-control-allow-headers"] == "x-a"
    assert headers["access-control-max-age"] == "30"
    _, headers, _, _ = _request(server, "GET", f"/_aws/lambda-url/{url_id}/x", {"Origin": "https://example.com"})
    assert headers["access-control-allow-origin"] == "https://example.com"
    _, headers, _, _ = _request(server, "GET", f"/_aws/lambda-url/{url_id}/x", {"Origin": "https://other.example"})
    assert "access-control-allow-origin" not in headers


def test_a_deleted_url_answers_no_more(aws: ClientFactory, server: RunningServer, function: str) -> None:
    lam = aws("lambda")
    url_id = _url_id(lam.create_function_url_config(FunctionName=function, AuthType="NONE"))
    assert _request(server, "GET", f"/_aws/lambda-url/{url_id}/")[0] == 200
    lam.delete_function_url_config(FunctionName=function)
    status, _, body, _ = _request(server, "GET", f"/_aws/lambda-url/{url_id}/")
    assert status == 403 and json.loads(body) == {"Message": "Forbidden"}


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on this host")
def test_curl_reaches_the_function_url(server: RunningServer, url_id: str) -> None:
    port = urllib.parse.urlsplit(server.url).port
    url = f"http://{url_id}.lambda-url.us-east-1.localhost:{port}/curl?q=1"
    # curl resolves *.localhost to the loopback itself (RFC 6761); --resolve keeps older curls right too.
    resolve = f"{url_id}.lambda-url.us-east-1.localhost:{port}:127.0.0.1"
    done = subprocess.run(["curl", "-sS", "--resolve", resolve, url], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    event = json.loads(done.stdout)
    assert event["rawPath"] == "/curl" and event["queryStringParameters"] == {"q": "1"}


def test_the_aws_cli_manages_function_urls(aws_cli: Callable[..., Any], function: str) -> None:
    made = aws_cli("lambda", "create-function-url-config", "--function-name", function, "--auth-type", "NONE")
    assert made.returncode == 0, made.stderr
    url = json.loads(made.stdout)["FunctionUrl"]
    got = json.loads(aws_cli("lambda", "get-function-url-config", "--function-name", function, check=True).stdout)
    assert got["FunctionUrl"] == url
    aws_cli("lambda", "delete-function-url-config", "--function-name", function, check=True)
    missing = aws_cli("lambda", "get-function-url-config", "--function-name", function)
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
