"""Small builders for the records authorizers take: a deployed API, a route, a request."""

from __future__ import annotations

from overcast.apis.deployed import ApiKind, Authorizer, DeployedApi, Integration, Route
from overcast.gateway.request import GatewayRequest, RouteMatch

ACCOUNT = "123456789012"
REGION = "us-east-1"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:auth"


def route(
    *,
    method: str = "GET",
    path: str = "/pets/{id}",
    authorization_type: str = "NONE",
    authorizer: Authorizer | None = None,
    scopes: tuple[str, ...] = (),
    payload: str = "2.0",
) -> Route:
    return Route(
        id="r1",
        method=method,
        path=path,
        integration=Integration(type="AWS_PROXY", uri=FUNCTION, payload_format_version=payload),
        resource_id="abc123",
        authorization_type=authorization_type,
        authorizer=authorizer,
        authorization_scopes=scopes,
    )


def match(
    the_route: Route,
    *,
    kind: ApiKind = ApiKind.HTTP,
    stage: str = "prod",
    stage_variables: tuple[tuple[str, str], ...] = (),
    path_parameters: dict[str, str] | None = None,
) -> RouteMatch:
    api = DeployedApi(
        account_id=ACCOUNT,
        region=REGION,
        api_id="a1b2c3d4e5",
        kind=kind,
        stage=stage,
        deployment_id="d1",
        routes=(the_route,),
        stage_variables=stage_variables,
    )
    return RouteMatch(api=api, route=the_route, path_parameters=path_parameters or {"id": "42"})


def request(
    *,
    method: str = "GET",
    path: str = "/pets/42",
    headers: tuple[tuple[str, str], ...] = (),
    query: str = "",
    stage_prefix: str = "/prod",
) -> GatewayRequest:
    return GatewayRequest(
        method=method,
        path=path,
        raw_query=query,
        headers=(("host", "a1b2c3d4e5.execute-api.localhost:4566"), ("user-agent", "curl/8.5"), *headers),
        body=b"",
        source_ip="127.0.0.1",
        host="a1b2c3d4e5.execute-api.localhost:4566",
        request_id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
        time_epoch_ms=1_767_225_600_000,
        stage_prefix=stage_prefix,
    )
