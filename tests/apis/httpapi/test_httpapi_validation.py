"""Route keys, integrations and authorizers as HTTP APIs accept or refuse them."""

from __future__ import annotations

import pytest

from overcast.apis.httpapi import validation
from overcast.apis.httpapi.records import Authorizer, Integration
from overcast.arn import function_in_uri as function_arn
from overcast.errors import BadRequest

FN = "arn:aws:lambda:us-east-1:000000000000:function:f"


@pytest.mark.parametrize(
    "key",
    [
        "$default",
        "GET /",
        "ANY /pets",
        "POST /pets/{id}",
        "ANY /{proxy+}",
        "DELETE /a/{b}/c/{rest+}",
        "OPTIONS /x.json",
    ],
)
def test_valid_route_keys(key: str) -> None:
    validation.route_key(key)


@pytest.mark.parametrize(
    "key",
    ["", "default", "GET", "GET pets", "FETCH /pets", "get /pets", "GET /pets/", "GET //pets", "GET /{proxy+}/x",
     "GET /a b", "GET /{a}/{a}", "$default2"],
)  # fmt: skip
def test_invalid_route_keys(key: str) -> None:
    with pytest.raises(BadRequest):
        validation.route_key(key)


def test_route_key_message_is_awss() -> None:
    with pytest.raises(
        BadRequest, match=r'is not formatted properly for HTTP protocol\. Format should be "<HTTP METHOD>'
    ):
        validation.route_key("GET pets")


@pytest.mark.parametrize(
    ("integration", "ok"),
    [
        (Integration("i", "AWS_PROXY", FN, payload_format_version="2.0"), True),
        (Integration("i", "AWS_PROXY", FN, payload_format_version="3.0"), False),
        (Integration("i", "AWS_PROXY", None), False),
        (Integration("i", "AWS_PROXY", FN, timeout_in_millis=30_000), True),
        (Integration("i", "AWS_PROXY", FN, timeout_in_millis=30_001), False),
        (Integration("i", "AWS_PROXY", FN, timeout_in_millis=50), True),
        (Integration("i", "HTTP_PROXY", "https://example.com/{proxy}", integration_method="ANY"), True),
        (Integration("i", "HTTP_PROXY", "https://example.com", integration_method=None), False),
        (Integration("i", "HTTP_PROXY", "ftp://example.com", integration_method="GET"), False),
        (Integration("i", "HTTP_PROXY", "https://e.com", "GET", payload_format_version="2.0"), False),
        (Integration("i", "MOCK", None), False),
        (Integration("i", "HTTP", "https://e.com", "GET"), False),
    ],
)
def test_integrations(integration: Integration, ok: bool) -> None:
    if ok:
        validation.integration(integration)
    else:
        with pytest.raises(BadRequest):
            validation.integration(integration)


@pytest.mark.parametrize(
    ("authorizer", "ok"),
    [
        (Authorizer("a", "j", "JWT", ("$request.header.Authorization",), jwt_issuer="https://i"), True),
        (Authorizer("a", "j", "JWT", ("$request.header.Authorization",)), False),
        (Authorizer("a", "j", "JWT", (), jwt_issuer="https://i"), False),
        (
            Authorizer("a", "r", "REQUEST", ("$request.header.X",), authorizer_uri=FN, payload_format_version="2.0"),
            True,
        ),
        (
            Authorizer("a", "r", "REQUEST", (), authorizer_uri=FN, payload_format_version="1.0", result_ttl_seconds=0),
            True,
        ),
        (
            Authorizer("a", "r", "REQUEST", (), authorizer_uri=FN, payload_format_version="1.0", result_ttl_seconds=60),
            False,
        ),
        (Authorizer("a", "r", "REQUEST", ("$request.header.X",), authorizer_uri=FN), False),  # no payload version
        (
            Authorizer(
                "a",
                "r",
                "REQUEST",
                ("$request.header.X",),
                authorizer_uri=FN,
                payload_format_version="1.0",
                enable_simple_responses=True,
            ),
            False,
        ),
        (Authorizer("a", "r", "REQUEST", ("header.X",), authorizer_uri=FN, payload_format_version="2.0"), False),
        (Authorizer("a", "t", "TOKEN", ("$request.header.X",), authorizer_uri=FN), False),
    ],
)
def test_authorizers(authorizer: Authorizer, ok: bool) -> None:
    if ok:
        validation.authorizer(authorizer)
    else:
        with pytest.raises(BadRequest):
            validation.authorizer(authorizer)


def test_function_arn_from_an_invocations_uri() -> None:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FN}:live/invocations"
    assert function_arn(uri) == f"{FN}:live"
    assert function_arn(FN) == FN
