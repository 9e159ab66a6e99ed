"""The catalog: which AWS service a request names, among every service botocore models."""

from __future__ import annotations

import pytest

from overcast.api.catalog import named_service, operation_named
from overcast.api.protocols.http import HttpRequest
from overcast.api.routing import resolve

FORM = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}


def _signed(service: str, **headers: str) -> dict[str, str]:
    scope = f"AKID/20261126/eu-west-1/{service}/aws4_request"
    auth = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    return {"authorization": auth, **headers}


@pytest.mark.parametrize(
    ("request_", "service", "operation"),
    [
        (HttpRequest("POST", "/", headers=_signed("secretsmanager", **{"x-amz-target": "secretsmanager.ListSecrets"})),
         "secretsmanager", "ListSecrets"),
        (HttpRequest("POST", "/", headers={"x-amz-target": "AmazonSSM.GetParameter"}), "ssm", "GetParameter"),
        (HttpRequest("POST", "/", headers=_signed("ec2", **FORM), body=b"Action=DescribeVpcs&Version=2016-11-15"),
         "ec2", "DescribeVpcs"),
        (HttpRequest("POST", "/", headers=FORM, body=b"Action=DescribeVpcs&Version=2016-11-15"), "ec2", "DescribeVpcs"),
        # `ses` signs SES (query), SESv2 and Pinpoint Email (rest-json) and Mail Manager (json):
        (HttpRequest("POST", "/", headers=_signed("ses", **FORM), body=b"Action=SendEmail&Version=2010-12-01"),
         "ses", "SendEmail"),
        (HttpRequest("GET", "/v2/email/identities", headers=_signed("ses")), "sesv2", None),
        (HttpRequest("POST", "/", headers=_signed("ses", **{"x-amz-target": "MailManagerSvc.ListArchives"})),
         "mailmanager", "ListArchives"),
        # Route 53's paths start with a date, as Lambda's do: its signature says which it is.
        (HttpRequest("GET", "/2013-04-01/hostedzone", headers=_signed("route53")), "route53", None),
    ],
)  # fmt: skip
def test_a_request_names_its_service(request_: HttpRequest, service: str, operation: str | None) -> None:
    scope = resolve(request_)
    assert scope.service is None and scope.unserved is not None
    assert scope.unserved.name == service
    assert operation_named(request_) == operation


def test_a_request_that_names_nothing_is_found_nowhere() -> None:
    assert named_service(HttpRequest("GET", "/favicon.ico"), "") is None
    assert named_service(HttpRequest("GET", "/x", headers=_signed("no-such-service")), "no-such-service") is None
    assert named_service(HttpRequest("POST", "/", headers={"x-amz-target": "Nope.Op"}), "") is None


def test_served_services_are_not_looked_up() -> None:
    scope = resolve(HttpRequest("GET", "/2015-03-31/functions/", headers=_signed("lambda")))
    assert (scope.service, scope.unserved) == ("lambda", None)
