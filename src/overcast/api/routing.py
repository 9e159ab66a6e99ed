"""Service resolution: which AWS service an HTTP request is for, and the caller's scope.

Decision 1 of the architecture: every service answers on one port. A request names its service
by the SigV4 credential scope (`Credential=AKID/DATE/REGION/SERVICE/aws4_request`, in the
Authorization header or a presigned query), by `X-Amz-Target` (json protocols), by the
smithy-rpc-v2 path (`/service/<Name>/operation/<Op>`), by `Action` + `Version` (query
protocols), or, for unsigned requests, by the path prefix of a rest service. The tables below
are checked against botocore's models by tests/api/test_routing.py, so that they stay the spec's.
A request naming a service Overcast does not serve is found in botocore's catalog (catalog.py),
so that it can be answered in that service's own protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

from overcast.api.catalog import CatalogEntry, named_service
from overcast.api.protocols.http import HttpRequest

# SigV4 signing name -> botocore service names signed with it (apigateway signs both versions).
SIGNING_NAMES: dict[str, tuple[str, ...]] = {
    "lambda": ("lambda",),
    "states": ("stepfunctions",),
    "sqs": ("sqs",),
    "sns": ("sns",),
    "kinesis": ("kinesis",),
    "events": ("events",),
    "scheduler": ("scheduler",),
    "logs": ("logs",),
    "monitoring": ("cloudwatch",),
    "xray": ("xray",),
    "apigateway": ("apigateway", "apigatewayv2"),
    "iam": ("iam",),
    "sts": ("sts",),
    "cloudformation": ("cloudformation",),
    "serverlessrepo": ("serverlessrepo",),
    "s3": ("s3",),
    "dynamodb": ("dynamodb",),
}

# X-Amz-Target prefix (botocore metadata `targetPrefix`) -> service.
TARGET_PREFIXES: dict[str, str] = {
    "AWSStepFunctions": "stepfunctions",
    "AmazonSQS": "sqs",
    "Kinesis_20131202": "kinesis",
    "AWSEvents": "events",
    "Logs_20140328": "logs",
    "GraniteServiceVersion20100801": "cloudwatch",
    "DynamoDB_20120810": "dynamodb",
}

# Query protocol `Version` (botocore metadata `apiVersion`) -> service.
QUERY_VERSIONS: dict[str, str] = {
    "2010-05-08": "iam",
    "2011-06-15": "sts",
    "2010-05-15": "cloudformation",
    "2012-11-05": "sqs",
    "2010-03-31": "sns",
    "2010-08-01": "cloudwatch",
}

# First path segment of unsigned rest requests -> service (a date segment means Lambda).
_REST_PREFIXES: dict[str, str] = {
    "v2": "apigatewayv2",
    "restapis": "apigateway",
    "apikeys": "apigateway",
    "usageplans": "apigateway",
    "domainnames": "apigateway",
    "schedules": "scheduler",
    "schedule-groups": "scheduler",
    "applications": "serverlessrepo",
    "TraceSegments": "xray",
    "TelemetryRecords": "xray",
    "SamplingTargets": "xray",
    "GetSamplingRules": "xray",
    "Traces": "xray",
    "TraceSummaries": "xray",
}

_CREDENTIAL = re.compile(r"Credential=([^/,\s]*)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_DATE_SEGMENT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/[^/]+$")


@dataclass(frozen=True, slots=True)
class Scope:
    """What the request says about itself: its service and the signer's key and region."""

    service: str | None  # a service Overcast serves, or None
    access_key_id: str = ""
    region: str | None = None
    signing_name: str = ""
    # When `service` is None: the service it names that Overcast does not serve, if any.
    unserved: CatalogEntry | None = None


def credential_scope(request: HttpRequest) -> tuple[str, str, str] | None:
    """(access key id, region, signing name) from the Authorization header or a presigned URL."""
    auth = request.headers.get("authorization", "")
    match = _CREDENTIAL.search(auth)
    if match is None and "X-Amz-Credential" in request.query_string:
        credential = parse_qs(request.query_string).get("X-Amz-Credential", [""])[0]
        match = _CREDENTIAL.search("Credential=" + credential)
    if match is None:
        return None
    return match.group(1), match.group(3), match.group(4)


def resolve(request: HttpRequest) -> Scope:
    """The service a request is for (None when nothing in it names one) and its signer's scope."""
    scope = credential_scope(request)
    key, region, signing_name = scope if scope else ("", None, "")
    service = _service(request, signing_name)
    if service is None:
        return Scope(None, key, region, signing_name, named_service(request, signing_name))
    return Scope(service, key, region, signing_name)


def _service(request: HttpRequest, signing_name: str) -> str | None:
    candidates = SIGNING_NAMES.get(signing_name)
    if candidates is not None and len(candidates) == 1:
        return candidates[0]
    if candidates is not None:  # apigateway: v2 lives under /v2/
        return "apigatewayv2" if request.path.startswith("/v2/") else "apigateway"
    if signing_name:  # signed for a service Overcast does not serve (Route 53's paths start with a date too)
        return None

    target = request.headers.get("x-amz-target")
    if target:
        return TARGET_PREFIXES.get(target.split(".", 1)[0])

    cbor = _CBOR_PATH.match(request.path)
    if cbor is not None:
        return TARGET_PREFIXES.get(cbor.group(1))

    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        version = parse_qs(request.body.decode("utf-8", "replace")).get("Version", [""])[0]
        if version in QUERY_VERSIONS:
            return QUERY_VERSIONS[version]
    version = parse_qs(request.query_string).get("Version", [""])[0]
    if version in QUERY_VERSIONS and "Action=" in request.query_string:
        return QUERY_VERSIONS[version]

    first = request.path.lstrip("/").split("/", 1)[0]
    if _DATE_SEGMENT.match(first):
        return "lambda"
    return _REST_PREFIXES.get(first)
