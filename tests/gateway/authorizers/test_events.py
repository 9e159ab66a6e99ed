"""Authorizer events against AWS's recorded ones (../shared/conformance/events), key by key and type by type."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from overcast.apis.deployed import ApiKind
from overcast.gateway.authorizers.events import (
    http_v1_event,
    http_v2_event,
    request_time,
    rest_request_event,
    token_event,
)
from overcast.gateway.authorizers.identity import method_arn

from .apis import match, request, route

# AWS-recorded events in ../shared beside the clone (CI always has it): a missing one fails, never skips.
FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "events"
# Present only for mutual TLS, which Overcast's execute-api endpoint does not offer.
MTLS_ONLY = {"clientCert", "authentication"}


def fixture(name: str) -> dict[str, Any]:
    path = FIXTURES / name
    assert path.is_file(), f"no AWS-recorded event at {path}"
    event: dict[str, Any] = json.loads(path.read_text())
    return event


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def assert_shape(ours: dict[str, Any], aws: dict[str, Any], where: str = "event", *, deep: frozenset[str]) -> None:
    """Every key AWS sends is there with the same JSON type; `deep` names the objects compared key by key too."""
    missing = set(aws) - set(ours) - MTLS_ONLY
    assert not missing, f"{where} lacks {sorted(missing)}"
    for key, value in aws.items():
        if key in MTLS_ONLY or value is None or ours[key] is None:
            continue
        assert json_type(ours[key]) == json_type(value), f"{where}.{key}: {ours[key]!r} vs AWS's {value!r}"
        if key in deep and isinstance(value, dict):
            assert_shape(ours[key], value, f"{where}.{key}", deep=deep)


def full_request() -> Any:
    return request(
        headers=(("authorization", "user1"), ("header2", "v1"), ("header2", "v2"), ("cookie", "c1=a; c2=b")),
        query="parameter1=value1&parameter1=value2&parameter2=value",
    )


def test_token_event_is_exactly_awss() -> None:
    aws = fixture("apiGatewayAuthorizerTokenEvent.json")
    ours = token_event("allow", "arn:aws:execute-api:us-west-2:123456789012:ymy8tbxw7b/prod/GET/")
    assert set(ours) == set(aws)
    assert_shape(ours, aws, deep=frozenset())


def test_rest_request_event() -> None:
    aws = fixture("apiGatewayAuthorizerRequestEvent.json")
    # The recorded event is an HTTP API's payload 1.0; REST's own lacks version, identitySource and
    # authorizationToken. https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
    for key in ("version", "identitySource", "authorizationToken"):
        del aws[key]
    the_match = match(route(), kind=ApiKind.REST, stage_variables=(("StageVar1", "stageValue1"),))
    the_request = full_request()
    ours = rest_request_event(the_match, the_request, method_arn(the_match, the_request))
    assert_shape(ours, aws, deep=frozenset({"requestContext", "identity"}))
    assert "version" not in ours
    assert ours["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/42"
    # Header names as in the proxy events' payload 1.0: in their common capitalisation, so that an
    # authorizer reading event["headers"]["Authorization"] finds it (see gateway/events.py).
    assert ours["headers"]["Header2"] == "v2"
    assert ours["multiValueHeaders"]["Header2"] == ["v1", "v2"]
    assert ours["queryStringParameters"] == {"parameter1": "value2", "parameter2": "value"}
    assert ours["multiValueQueryStringParameters"]["parameter1"] == ["value1", "value2"]
    assert ours["pathParameters"] == {"id": "42"}
    context = ours["requestContext"]
    assert (context["resourceId"], context["resourcePath"], context["path"]) == (
        "abc123",
        "/pets/{id}",
        "/prod/pets/42",
    )
    assert context["requestTime"] == "01/Jan/2026:00:00:00 +0000"


def test_http_payload_1_0_event() -> None:
    aws = fixture("apiGatewayAuthorizerRequestEvent.json")
    the_match = match(route(), stage_variables=(("StageVar1", "stageValue1"),))
    the_request = full_request()
    ours = http_v1_event(the_match, the_request, method_arn(the_match, the_request), ["user1", "123"])
    assert_shape(ours, aws, deep=frozenset({"requestContext", "identity"}))
    assert (ours["version"], ours["identitySource"], ours["authorizationToken"]) == ("1.0", "user1,123", "user1,123")
    assert ours["requestContext"]["resourceId"] == "GET /pets/{id}"  # the route key, as AWS records it


def test_http_payload_2_0_event() -> None:
    aws = fixture("apiGatewayAuthorizerV2Event.json")
    the_match = match(route(), stage_variables=(("stageVariable1", "value1"),))
    the_request = full_request()
    ours = http_v2_event(the_match, the_request, method_arn(the_match, the_request), ["user1", "123"])
    assert_shape(ours, aws, deep=frozenset({"requestContext", "http"}))
    assert ours["routeArn"] == "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets/42"
    assert ours["identitySource"] == ["user1", "123"]
    assert ours["routeKey"] == ours["requestContext"]["routeKey"] == "GET /pets/{id}"
    assert ours["rawPath"] == "/prod/pets/42"
    assert ours["cookies"] == ["c1=a", "c2=b"]
    assert "cookie" not in ours["headers"]
    assert ours["headers"]["header2"] == "v1,v2"
    assert ours["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert ours["requestContext"]["time"] == "01/Jan/2026:00:00:00 +0000"


def test_http_payload_2_0_event_leaves_out_what_the_request_lacks() -> None:
    the_match = match(route(path="/pets"))
    bare = request(path="/pets")
    ours = http_v2_event(the_match, bare, method_arn(the_match, bare), [])
    assert "cookies" not in ours and "queryStringParameters" not in ours and "stageVariables" not in ours
    assert ours["rawQueryString"] == ""


def test_default_stage_arn_and_root_path() -> None:
    the_match = match(route(path="/"), stage="$default")
    root = request(path="/", stage_prefix="")
    assert method_arn(the_match, root) == "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/$default/GET/"


def test_request_time_is_english_and_utc() -> None:
    assert request_time(1629470210043) == "20/Aug/2021:14:36:50 +0000"
