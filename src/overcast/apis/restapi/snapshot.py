"""Deployment snapshots, and the DeployedApi the data plane serves from a stage's snapshot.

A deployment freezes what a stage serves: resources with their methods and integrations,
authorizers, models and request validators, gateway responses, binary media types and the API key source. Stage settings
(variables, method settings, cache cluster, access logs) are the stage's own and apply at once.
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
"""

from __future__ import annotations

import dataclasses

from overcast.apis import deployed
from overcast.apis.deployed import ApiKind, CacheSettings, DeployedApi, Route, Throttle, Validation
from overcast.apis.restapi import resources
from overcast.apis.restapi.records import (
    Authorizer,
    Definition,
    Integration,
    Method,
    MethodSetting,
    Snapshot,
    Stage,
)
from overcast.apis.restapi.stages import STAGE_WIDE, overlay, setting_key
from overcast.arn import function_in_uri
from overcast.errors import BadRequest


def freeze(d: Definition) -> Snapshot:
    """What a new deployment of this API serves."""
    if not any(r.resource_methods for r in d.resources.values()):
        raise BadRequest("The REST API doesn't contain any methods")
    for res in d.resources.values():
        for name, m in res.resource_methods.items():
            if m.method_integration is None:
                raise BadRequest(f"No integration defined for method {name} {res.path}")
    return freeze_all(d)


def freeze_all(d: Definition) -> Snapshot:
    """The snapshot of a definition as it is, without `freeze`'s checks."""
    return Snapshot(
        resources=d.resources,
        authorizers=d.authorizers,
        gateway_responses=d.gateway_responses,
        binary_media_types=d.api.binary_media_types or (),
        api_key_source=d.api.api_key_source,
        disable_execute_api_endpoint=d.api.disable_execute_api_endpoint,
        name=d.api.name,
        models=d.models,
        request_validators=d.request_validators,
    )


def _integration(i: Integration) -> deployed.Integration:
    responses = tuple(
        deployed.IntegrationResponse(
            pattern=r.selection_pattern or "",
            status=int(code),
            parameters=tuple(
                (dest.removeprefix("method.response.header."), source)
                for dest, source in sorted((r.response_parameters or {}).items())
                if dest.startswith("method.response.header.")
            ),
            templates=tuple((r.response_templates or {}).items()),
            content_handling=r.content_handling,
        )
        for code, r in sorted((i.integration_responses or {}).items())
    )
    uri = i.uri or ""
    return deployed.Integration(
        type=i.type,
        uri=function_in_uri(uri) if i.type in ("AWS_PROXY", "AWS") else uri,
        http_method=i.http_method or "ANY",
        timeout_ms=i.timeout_in_millis,
        request_parameters=tuple(sorted((i.request_parameters or {}).items())),
        request_templates=tuple((i.request_templates or {}).items()),
        passthrough_behavior=i.passthrough_behavior,
        responses=responses,
        content_handling=i.content_handling,
        credentials=i.credentials,
    )


def _validation(snap: Snapshot, m: Method) -> Validation | None:
    """What the method's request validator checks (None: nothing, or no validator).
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html"""
    v = snap.request_validators.get(m.request_validator_id or "")
    if v is None:
        return None
    required = tuple(k for k, needed in (m.request_parameters or {}).items() if needed)
    found = Validation(
        required_parameters=required if v.validate_request_parameters else (),
        body_models=tuple((m.request_models or {}).items()) if v.validate_request_body else (),
    )
    return found if found.required_parameters or found.body_models else None


def _authorizer(a: Authorizer) -> deployed.Authorizer:
    sources = tuple(s.strip() for s in (a.identity_source or "").split(",") if s.strip())
    ttl = a.authorizer_result_ttl_in_seconds
    return deployed.Authorizer(
        id=a.id,
        name=a.name,
        type=a.type,
        function_arn=function_in_uri(a.authorizer_uri) if a.authorizer_uri else "",
        identity_sources=sources,
        result_ttl_seconds=300 if ttl is None else ttl,
        identity_validation_expression=a.identity_validation_expression or "",
    )


def _throttle(s: MethodSetting) -> Throttle | None:
    if s.throttling_rate_limit is None and s.throttling_burst_limit is None:
        return None
    rate, burst = s.throttling_rate_limit, s.throttling_burst_limit
    return Throttle(10000.0 if rate is None else float(rate), 5000 if burst is None else int(burst))


def _cache(s: MethodSetting, key_parameters: tuple[str, ...] = ()) -> CacheSettings:
    return CacheSettings(
        enabled=bool(s.caching_enabled),
        ttl_seconds=300 if s.cache_ttl_in_seconds is None else s.cache_ttl_in_seconds,
        key_parameters=key_parameters,
        require_authorization_for_invalidation=s.require_authorization_for_cache_control is not False,
    )


def deployed_api(account: str, region: str, api_id: str, stage: Stage, snap: Snapshot) -> DeployedApi:
    """The stage as the data plane serves it. A method's throttle and cache are its own method
    settings over the stage's `*/*` (which, as on AWS, limit each method separately)."""
    settings = stage.method_settings
    stage_wide = overlay(settings.get(STAGE_WIDE))
    authorizers = {a.id: _authorizer(a) for a in snap.authorizers.values()}
    routes = []
    for res in sorted(snap.resources.values(), key=lambda r: r.path):
        for name, m in sorted(res.resource_methods.items()):
            merged = overlay(stage_wide, settings.get(f"*/{name}"), settings.get(setting_key(res.path, name)))
            i = m.method_integration
            assert i is not None  # a snapshot holds only methods with integrations (freeze)
            routes.append(
                Route(
                    id=f"{res.id} {name}",
                    method=name,
                    path=res.path,
                    integration=_integration(i),
                    resource_id=res.id,
                    authorization_type=m.authorization_type,
                    authorizer=authorizers.get(m.authorizer_id or ""),
                    authorization_scopes=m.authorization_scopes or (),
                    api_key_required=m.api_key_required,
                    throttle=_throttle(merged),
                    cache=_cache(merged, i.cache_key_parameters),
                    validation=_validation(snap, m),
                )
            )
    responses = tuple(
        deployed.GatewayResponse(
            type=r.response_type,
            status_code=int(r.status_code) if r.status_code else None,
            # as mapped: the data plane sends the static ('quoted') values (gateway_responses._static_headers)
            headers=tuple(
                (k.removeprefix("gatewayresponse.header."), v) for k, v in sorted(r.response_parameters.items())
            ),
            templates=tuple(sorted(r.response_templates.items())),
        )
        for _, r in sorted(snap.gateway_responses.items())
    )
    logs = stage.access_log_settings
    return DeployedApi(
        account_id=account,
        region=region,
        api_id=api_id,
        kind=ApiKind.REST,
        stage=stage.stage_name,
        deployment_id=stage.deployment_id,
        routes=tuple(routes),
        stage_variables=tuple(sorted((stage.variables or {}).items())),
        throttle=_throttle(stage_wide),
        cache=_cache(stage_wide),
        cache_cluster_enabled=stage.cache_cluster_enabled,
        binary_media_types=snap.binary_media_types,
        gateway_responses=responses,
        api_key_source=snap.api_key_source,
        access_log_format=(logs.format or "") if logs else "",
        access_log_destination=(logs.destination_arn or "") if logs else "",
        disable_execute_api_endpoint=snap.disable_execute_api_endpoint,
        api_name=snap.name,
        models=tuple((name, model.schema) for name, model in sorted(snap.models.items()) if model.schema),
    )


TEST_INVOKE_STAGE = "test-invoke-stage"  # the stage TestInvokeMethod's $context.stage names, as on AWS


def test_invoke_api(
    account: str, region: str, api_id: str, d: Definition, resource_id: str, http_method: str,
    variables: dict[str, str], now: float,
) -> DeployedApi:  # fmt: skip
    """What TestInvokeMethod runs: the API's working definition of one method (deployed or not), served as if
    by a stage with `variables`. NotFound if there is no such method or it has no integration yet."""
    resources.integration(d, resource_id, http_method)
    res = d.resources[resource_id]
    name = http_method.upper()
    only = dataclasses.replace(res, resource_methods={name: res.resource_methods[name]})
    snap = dataclasses.replace(freeze_all(d), resources={resource_id: only})
    stage = Stage(TEST_INVOKE_STAGE, "test-invoke-deployment-id", now, now, variables=variables)
    return deployed_api(account, region, api_id, stage, snap)
