"""Service resolution: the tables match botocore's models, and each way of naming a service works."""

from __future__ import annotations

import pytest
from botocore.loaders import Loader

from overcast.api.protocols.http import HttpRequest
from overcast.api.protocols.models import SERVICES
from overcast.api.routing import QUERY_VERSIONS, SIGNING_NAMES, TARGET_PREFIXES, resolve

_loader = Loader()


def _metadata(service: str) -> dict[str, str]:
    return dict(_loader.load_service_model(service, "service-2")["metadata"])


@pytest.mark.parametrize("service", SERVICES)
def test_tables_agree_with_botocore(service: str) -> None:
    metadata = _metadata(service)
    signing = metadata.get("signingName", metadata["endpointPrefix"])
    assert service in SIGNING_NAMES[signing]
    if "targetPrefix" in metadata:
        assert TARGET_PREFIXES[metadata["targetPrefix"]] == service
    if "query" in metadata.get("protocols", [metadata["protocol"]]):
        assert QUERY_VERSIONS[metadata["apiVersion"]] == service


def _auth(service: str, key: str = "AKIDEXAMPLE", region: str = "eu-west-1") -> dict[str, str]:
    return {
        "authorization": f"AWS4-HMAC-SHA256 Credential={key}/20261126/{region}/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=abc"
    }


def test_credential_scope_names_service_key_and_region() -> None:
    scope = resolve(HttpRequest("GET", "/2015-03-31/functions/", headers=_auth("lambda", "123456789012")))
    assert (scope.service, scope.access_key_id, scope.region) == ("lambda", "123456789012", "eu-west-1")


def test_apigateway_versions_share_a_signing_name_and_split_by_path() -> None:
    assert resolve(HttpRequest("GET", "/v2/apis", headers=_auth("apigateway"))).service == "apigatewayv2"
    assert resolve(HttpRequest("GET", "/restapis", headers=_auth("apigateway"))).service == "apigateway"


def test_presigned_query_credential() -> None:
    query = "X-Amz-Credential=AKID%2F20261126%2Fus-west-2%2Fsts%2Faws4_request&Action=GetCallerIdentity"
    scope = resolve(HttpRequest("GET", "/", query_string=query))
    assert (scope.service, scope.region) == ("sts", "us-west-2")


def test_unsigned_requests_resolve_by_target_query_version_cbor_path_and_rest_prefix() -> None:
    target = HttpRequest("POST", "/", headers={"x-amz-target": "AmazonSQS.ListQueues"})
    assert resolve(target).service == "sqs"
    form = HttpRequest(
        "POST",
        "/",
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=b"Action=ListUsers&Version=2010-05-08",
    )
    assert resolve(form).service == "iam"
    cbor = HttpRequest("POST", "/service/GraniteServiceVersion20100801/operation/ListMetrics")
    assert resolve(cbor).service == "cloudwatch"
    assert resolve(HttpRequest("GET", "/2015-03-31/functions/")).service == "lambda"
    assert resolve(HttpRequest("GET", "/schedules")).service == "scheduler"


def test_unknown_requests_resolve_to_nothing() -> None:
    assert resolve(HttpRequest("GET", "/favicon.ico")).service is None
    assert resolve(HttpRequest("POST", "/", headers={"x-amz-target": "Nope.Op"})).service is None
