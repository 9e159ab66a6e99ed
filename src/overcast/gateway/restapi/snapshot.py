"""Deployment snapshots, and the DeployedApi the data plane serves from a stage's snapshot.

A deployment freezes what a stage serves: resources with their methods and integrations,
authorizers, gateway responses, binary media types and the API key source. Stage settings
(variables, method settings, cache cluster, access logs) are the stage's own and apply at once.
https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-deploy-api.html
"""

from __future__ import annotations

import copy
from typing import Any

from overcast.errors import BadRequest
from overcast.gateway.deployed import (
    ApiKind,
    Authorizer,
    CacheSettings,
    DeployedApi,
    GatewayResponse,
    Integration,
    Route,
    Throttle,
)
from overcast.gateway.restapi.resources import LAMBDA_URI
from overcast.gateway.restapi.stages import setting_key

Doc = dict[str, Any]


def freeze(doc: Doc) -> Doc:
    """What a new deployment of this API document serves."""
    if not any(r["resourceMethods"] for r in doc["resources"].values()):
        raise BadRequest("The REST API doesn't contain any methods")
    for res in doc["resources"].values():
        for name, m in res["resourceMethods"].items():
            if "methodIntegration" not in m:
                raise BadRequest(f"No integration defined for method {name} {res['path']}")
    return {
        "resources": copy.deepcopy(doc["resources"]),
        "authorizers": copy.deepcopy(doc["authorizers"]),
        "gatewayResponses": copy.deepcopy(doc["gatewayResponses"]),
        "binaryMediaTypes": list(doc["api"].get("binaryMediaTypes") or []),
        "apiKeySource": doc["api"].get("apiKeySource", "HEADER"),
        "disableExecuteApiEndpoint": bool(doc["api"].get("disableExecuteApiEndpoint")),
        # the name REST APIs' CloudWatch metrics are dimensioned by (ApiName)
        "name": doc["api"].get("name", ""),
    }


def api_summary(frozen: Doc) -> dict[str, dict[str, Doc]]:
    """Deployment.apiSummary: path -> method -> {authorizationType, apiKeyRequired}."""
    summary: dict[str, dict[str, Doc]] = {}
    for res in frozen["resources"].values():
        for name, m in res["resourceMethods"].items():
            summary.setdefault(res["path"], {})[name] = {
                "authorizationType": m["authorizationType"],
                "apiKeyRequired": m.get("apiKeyRequired", False),
            }
    return summary


def function_arn(uri: str) -> str:
    """The Lambda function ARN inside an invocations URI (the URI itself when it is not one)."""
    match = LAMBDA_URI.fullmatch(uri)
    return match["function"] if match else uri


def _integration(i: Doc) -> Integration:
    responses = []
    for code, r in sorted((i.get("integrationResponses") or {}).items()):
        templates = r.get("responseTemplates") or {}
        body = templates.get("application/json", next(iter(templates.values()), ""))
        headers = tuple(
            (dest.removeprefix("method.response.header."), src.strip("'"))
            for dest, src in sorted((r.get("responseParameters") or {}).items())
            if dest.startswith("method.response.header.")
        )
        responses.append((r.get("selectionPattern", ""), int(code), headers, body or ""))
    uri = i.get("uri", "")
    return Integration(
        type=i["type"],
        uri=function_arn(uri) if i["type"] in ("AWS_PROXY", "AWS") else uri,
        http_method=i.get("httpMethod", "ANY"),
        timeout_ms=i.get("timeoutInMillis", 29_000),
        request_parameters=tuple(sorted((i.get("requestParameters") or {}).items())),
        request_templates=tuple(sorted((i.get("requestTemplates") or {}).items())),
        responses=tuple(responses),
    )


def _authorizer(a: Doc) -> Authorizer:
    sources = tuple(s.strip() for s in (a.get("identitySource") or "").split(",") if s.strip())
    return Authorizer(
        id=a["id"],
        name=a["name"],
        type=a["type"],
        function_arn=function_arn(a.get("authorizerUri", "")) if a.get("authorizerUri") else "",
        identity_sources=sources,
        result_ttl_seconds=a.get("authorizerResultTtlInSeconds", 300),
        identity_validation_expression=a.get("identityValidationExpression", ""),
    )


def _throttle(settings: Doc) -> Throttle | None:
    if "throttlingRateLimit" not in settings and "throttlingBurstLimit" not in settings:
        return None
    return Throttle(
        float(settings.get("throttlingRateLimit", 10000.0)), int(settings.get("throttlingBurstLimit", 5000))
    )


def _cache(settings: Doc, key_parameters: tuple[str, ...] = ()) -> CacheSettings:
    return CacheSettings(
        enabled=bool(settings.get("cachingEnabled", False)),
        ttl_seconds=int(settings.get("cacheTtlInSeconds", 300)),
        key_parameters=key_parameters,
        require_authorization_for_invalidation=bool(settings.get("requireAuthorizationForCacheControl", True)),
    )


def deployed_api(account: str, region: str, api_id: str, stage: Doc, frozen: Doc) -> DeployedApi:
    """The stage as the data plane serves it. A method's throttle and cache are its own method
    settings over the stage's `*/*` (which, as on AWS, limit each method separately)."""
    settings = stage.get("methodSettings") or {}
    stage_wide = settings.get("*/*", {})
    authorizers = {a["id"]: _authorizer(a) for a in frozen["authorizers"].values()}
    routes = []
    for res in sorted(frozen["resources"].values(), key=lambda r: r["path"]):
        for name, m in sorted(res["resourceMethods"].items()):
            merged = {**stage_wide, **settings.get(f"*/{name}", {}), **settings.get(setting_key(res["path"], name), {})}
            integration = m["methodIntegration"]
            routes.append(
                Route(
                    id=f"{res['id']} {name}",
                    method=name,
                    path=res["path"],
                    integration=_integration(integration),
                    resource_id=res["id"],
                    authorization_type=m["authorizationType"],
                    authorizer=authorizers.get(m.get("authorizerId") or ""),
                    authorization_scopes=tuple(m.get("authorizationScopes") or ()),
                    api_key_required=bool(m.get("apiKeyRequired", False)),
                    throttle=_throttle(merged),
                    cache=_cache(merged, tuple(integration.get("cacheKeyParameters") or ())),
                )
            )
    responses = tuple(
        GatewayResponse(
            type=r["responseType"],
            status_code=int(r["statusCode"]) if r.get("statusCode") else None,
            headers=tuple(
                (k.removeprefix("gatewayresponse.header."), v.strip("'"))
                for k, v in sorted((r.get("responseParameters") or {}).items())
            ),
            templates=tuple(sorted((r.get("responseTemplates") or {}).items())),
        )
        for _, r in sorted(frozen["gatewayResponses"].items())
    )
    logs = stage.get("accessLogSettings") or {}
    return DeployedApi(
        account_id=account,
        region=region,
        api_id=api_id,
        kind=ApiKind.REST,
        stage=stage["stageName"],
        deployment_id=stage["deploymentId"],
        routes=tuple(routes),
        stage_variables=tuple(sorted((stage.get("variables") or {}).items())),
        throttle=_throttle(stage_wide),
        cache=_cache(stage_wide),
        cache_cluster_enabled=bool(stage.get("cacheClusterEnabled", False)),
        binary_media_types=tuple(frozen["binaryMediaTypes"]),
        gateway_responses=responses,
        api_key_source=frozen["apiKeySource"],
        access_log_format=logs.get("format", ""),
        access_log_destination=logs.get("destinationArn", ""),
        disable_execute_api_endpoint=frozen["disableExecuteApiEndpoint"],
        api_name=frozen.get("name", ""),
    )
