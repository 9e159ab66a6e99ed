"""Records survive the store's JSON whole: every kind of field (nested records, optional ones, tuples and
maps of records, floats stored as ints) comes back equal, and a field left unset stays unset."""

from __future__ import annotations

import json

from overcast.apis.restapi import codec, legacy
from overcast.apis.restapi.records import (
    AccessLogSettings,
    ApiKey,
    ApiStage,
    Authorizer,
    Definition,
    EndpointConfiguration,
    GatewayResponse,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    MethodSetting,
    QuotaSettings,
    Resource,
    RestApi,
    Stage,
    ThrottleSettings,
    TlsConfig,
    UsagePlan,
)

INTEGRATION = Integration(
    "AWS_PROXY", http_method="POST", uri="arn:x", cache_key_parameters=("method.request.path.id",),
    tls_config=TlsConfig(True), request_templates={"application/json": "{}"},
    integration_responses={"200": IntegrationResponse("200", selection_pattern="", response_templates={"a": "b"})},
)  # fmt: skip
METHOD = Method(
    "GET", "CUSTOM", True, authorizer_id="a1", request_parameters={"method.request.path.id": True},
    authorization_scopes=("s",), method_responses={"200": MethodResponse("200", {"h": False})},
    method_integration=INTEGRATION,
)  # fmt: skip
DEFINITION = Definition(
    api=RestApi("api", "pets", 1.5, "root", endpoint_configuration=EndpointConfiguration(("REGIONAL",)),
                binary_media_types=("image/png",), minimum_compression_size=0),
    resources={"root": Resource("root", "/"), "r": Resource("r", "/p", "root", "p", {"GET": METHOD})},
    authorizers={"a1": Authorizer("a1", "tok", "TOKEN", provider_arns=("arn:p",), authorizer_result_ttl_in_seconds=0)},
    gateway_responses={"UNAUTHORIZED": GatewayResponse("UNAUTHORIZED", False, "401", {"h": "'v'"})},
    stages={"prod": Stage("prod", "d1", 1.0, 2.0, method_settings={"*/*": MethodSetting(throttling_rate_limit=1.0)},
                          variables={"v": "1"}, access_log_settings=AccessLogSettings("$context.requestId"))},
)  # fmt: skip
PLAN = UsagePlan(
    "p1", "gold", (ApiStage("api", "prod", {"/p/GET": ThrottleSettings(1, 2.0)}), ApiStage("api", "dev")),
    throttle=ThrottleSettings(rate_limit=10.0), quota=QuotaSettings(100, "DAY", 0),
)  # fmt: skip
KEY = ApiKey("k1", "v" * 20, 1.0, 2.0, True, ("api/prod",), name="k")


def test_records_come_back_equal() -> None:
    for record in (DEFINITION, PLAN, KEY):
        text = codec.dump(record)
        assert codec.load(type(record), text) == record
        assert "null" not in text  # unset fields are left out, not written as null


def test_numbers_take_their_fields_types() -> None:
    stored = json.loads(codec.dump(PLAN))
    stored["throttle"]["rate_limit"] = 10  # an int where a float is kept, as JSON may write it
    loaded = codec.load(UsagePlan, stored)
    assert loaded == PLAN and isinstance(loaded.throttle.rate_limit if loaded.throttle else None, float)


def test_another_naming_reads_the_same_records() -> None:
    spelled = {
        "id": "a1", "name": "tok", "type": "COGNITO_USER_POOLS", "providerARNs": ["arn:p"],
        "authorizerResultTtlInSeconds": 60, "unknown": "ignored",
    }  # fmt: skip
    assert codec.load(Authorizer, spelled, legacy.camel) == Authorizer(
        "a1", "tok", "COGNITO_USER_POOLS", provider_arns=("arn:p",), authorizer_result_ttl_in_seconds=60
    )
