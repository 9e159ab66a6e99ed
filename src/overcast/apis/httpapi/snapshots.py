"""From stored records to the data plane's DeployedApi: a deployment's snapshot plus its stage's live settings.

On AWS a deployment freezes routes, integrations and authorizers; stage settings (variables,
throttling, access logs) apply at once without a new deployment.
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-stages.html
"""

from __future__ import annotations

from overcast.apis import deployed as d
from overcast.apis.httpapi.records import (
    DEFAULT_ROUTE,
    Api,
    Authorizer,
    CorsConfig,
    Deployment,
    Integration,
    RouteSettings,
    Stage,
)
from overcast.apis.httpapi.validation import split_route_key
from overcast.arn import function_in_uri


def throttle(settings: RouteSettings, default: d.Throttle | None = None) -> d.Throttle | None:
    """A route's token bucket: its own limits, each falling back to the stage default's."""
    rate = settings.throttling_rate_limit
    burst = settings.throttling_burst_limit
    if rate is None and burst is None:
        return default
    if default is not None:
        rate = default.rate if rate is None else rate
        burst = default.burst if burst is None else burst
    # A limit set alone leaves the other unlimited (AWS's account-level quota is not enforced here).
    return d.Throttle(
        rate=float(rate if rate is not None else 10_000.0), burst=int(burst if burst is not None else 5_000)
    )


def _integration(i: Integration) -> d.Integration:
    uri = i.integration_uri or ""
    return d.Integration(
        type=i.integration_type,
        uri=function_in_uri(uri) if i.integration_type == "AWS_PROXY" else uri,
        http_method=i.integration_method or "ANY",
        payload_format_version=i.payload_format_version,
        timeout_ms=i.timeout_in_millis,
        request_parameters=tuple(sorted((i.request_parameters or {}).items())),
        response_mappings=tuple(
            (status, tuple(sorted(mapped.items()))) for status, mapped in sorted((i.response_parameters or {}).items())
        ),
    )


def _authorizer(a: Authorizer) -> d.Authorizer:
    return d.Authorizer(
        id=a.authorizer_id,
        name=a.name,
        type=a.authorizer_type,
        function_arn=function_in_uri(a.authorizer_uri or ""),
        identity_sources=a.identity_source,
        # HTTP API Lambda authorizers cache for 300 s unless told otherwise; JWT authorizers do not cache.
        result_ttl_seconds=(a.result_ttl_seconds if a.result_ttl_seconds is not None else 300)
        if a.authorizer_type == "REQUEST"
        else 0,
        payload_format_version=a.payload_format_version or "1.0",
        simple_responses=bool(a.enable_simple_responses),
        jwt_issuer=a.jwt_issuer or "",
        jwt_audiences=a.jwt_audience or (),
    )


def _cors(c: CorsConfig | None) -> d.Cors | None:
    if c is None:
        return None
    return d.Cors(
        allow_origins=c.allow_origins or (),
        allow_methods=c.allow_methods or (),
        allow_headers=c.allow_headers or (),
        expose_headers=c.expose_headers or (),
        max_age=c.max_age,
        allow_credentials=bool(c.allow_credentials),
    )


def deployed_api(api: Api, stage: Stage, deployment: Deployment) -> d.DeployedApi:
    snap = deployment.snapshot
    integrations = {i.integration_id: _integration(i) for i in snap.integrations}
    authorizers = {a.authorizer_id: _authorizer(a) for a in snap.authorizers}
    stage_throttle = throttle(stage.default_route_settings)
    routes = []
    for r in snap.routes:
        integration = integrations.get(r.integration_id or "")
        if integration is None:
            continue  # a route without an integration is not served (AWS answers 404 for it)
        method, path = split_route_key(r.route_key)
        settings = stage.route_settings.get(r.route_key)
        routes.append(
            d.Route(
                id=r.route_id,
                method=method,
                path=path if r.route_key != DEFAULT_ROUTE else DEFAULT_ROUTE,
                integration=integration,
                authorization_type=r.authorization_type,
                authorizer=authorizers.get(r.authorizer_id) if r.authorizer_id else None,
                authorization_scopes=r.authorization_scopes or (),
                throttle=throttle(settings, stage_throttle) if settings is not None else stage_throttle,
            )
        )
    log = stage.access_log
    return d.DeployedApi(
        account_id=api.account,
        region=api.region,
        api_id=api.api_id,
        kind=d.ApiKind.HTTP,
        stage=stage.stage_name,
        deployment_id=deployment.deployment_id,
        routes=tuple(routes),
        stage_variables=tuple(sorted((stage.stage_variables or {}).items())),
        throttle=stage_throttle,
        cors=_cors(snap.cors),
        access_log_format=(log.format or "") if log else "",
        access_log_destination=(log.destination_arn or "") if log else "",
        disable_execute_api_endpoint=api.disable_execute_api_endpoint,
    )
