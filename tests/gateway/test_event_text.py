"""Event text: the JSON written straight from a request is, byte for byte, the event dict encoded."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from overcast.apis.deployed import ApiKind, DeployedApi, Integration, Route
from overcast.gateway.event_text import event_json, event_json_v1, event_json_v2
from overcast.gateway.events import proxy_event_v1, proxy_event_v2
from overcast.gateway.request import GatewayRequest, RouteMatch

TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
NAMES = st.sampled_from(
    ["host", "user-agent", "content-type", "cookie", "accept", "x-api-key", "x-custom-thing", "x-forwarded-for"]
)
HEADERS = st.lists(st.tuples(NAMES, TEXT), max_size=8).map(tuple)
QUERIES = st.sampled_from(["", "a=1", "a=1&a=2&b=", "q=caf%C3%A9&x", "%E2%9C%93=%22quoted%22"])
BODIES = st.one_of(st.just(b""), st.binary(max_size=20), TEXT.map(str.encode))
STAGE_VARIABLES = st.sampled_from([(), (("env", "prod"),), (("a", "1"), ("b", 'quote"d'))])
PATH_PARAMETERS = st.sampled_from([{}, {"id": "42"}, {"proxy": "a/b/c", "x": "é"}])


def api(kind: ApiKind, stage: str, stage_variables: tuple[tuple[str, str], ...], route: Route) -> DeployedApi:
    return DeployedApi(
        "123456789012",
        "us-east-1",
        "abc123defg",
        kind,
        stage,
        "dep1",
        (route,),
        stage_variables=stage_variables,
        binary_media_types=("image/png", "application/octet-stream"),
    )


def request(headers: tuple[tuple[str, str], ...], query: str, body: bytes, host: str) -> GatewayRequest:
    return GatewayRequest(
        "POST", "/pets/42", query, headers, body, "10.1.2.3", host, "c0a8e3c4-1111-4222-8333-444455556666",
        1_767_225_600_123, "/prod",
    )  # fmt: skip


HOSTS = st.sampled_from(["abc123defg.execute-api.localhost:4566", "localhost", "[::1]:4566", ""])


@settings(max_examples=200)
@given(HEADERS, QUERIES, BODIES, STAGE_VARIABLES, PATH_PARAMETERS, HOSTS, st.sampled_from(["prod", "v 1"]))
def test_rest_event_text_is_the_v1_event_encoded(
    headers: tuple[tuple[str, str], ...],
    query: str,
    body: bytes,
    stage_variables: tuple[tuple[str, str], ...],
    path_parameters: dict[str, str],
    host: str,
    stage: str,
) -> None:
    route = Route("r1 POST", "POST", "/pets/{id}", Integration("AWS_PROXY", "fn"), resource_id="r1")
    match = RouteMatch(api(ApiKind.REST, stage, stage_variables, route), route, path_parameters)
    req = request(headers, query, body, host)
    text = event_json_v1(match, req, authorizer=None)
    assert text == event_json(proxy_event_v1(match, req, authorizer=None))
    assert json.loads(text) == proxy_event_v1(match, req, authorizer=None)


@settings(max_examples=200)
@given(
    HEADERS,
    QUERIES,
    BODIES,
    STAGE_VARIABLES,
    PATH_PARAMETERS,
    HOSTS,
    st.sampled_from(["$default", "prod"]),
    st.sampled_from(["$default", "/pets/{id}"]),
)
def test_http_api_event_text_is_the_v2_event_encoded(
    headers: tuple[tuple[str, str], ...],
    query: str,
    body: bytes,
    stage_variables: tuple[tuple[str, str], ...],
    path_parameters: dict[str, str],
    host: str,
    stage: str,
    path: str,
) -> None:
    route = Route("rt1", "ANY", path, Integration("AWS_PROXY", "fn", payload_format_version="2.0"))
    match = RouteMatch(api(ApiKind.HTTP, stage, stage_variables, route), route, path_parameters)
    req = request(headers, query, body, host)
    text = event_json_v2(match, req, authorizer=None)
    assert text == event_json(proxy_event_v2(match, req, authorizer=None))


def test_authorizers_api_keys_and_payload_1_0_on_http_apis_take_the_dict() -> None:
    route = Route("r1 GET", "GET", "/pets", Integration("AWS_PROXY", "fn"), resource_id="r1")
    req = request((("x-api-key", "k"),), "", b"", "h")
    rest = RouteMatch(api(ApiKind.REST, "prod", (), route), route, {})
    authorizer = {"principalId": "me", "integrationLatency": 3}
    assert json.loads(event_json_v1(rest, req, authorizer=authorizer, api_key_id="id1", api_key="k")) == (
        proxy_event_v1(rest, req, authorizer=authorizer, api_key_id="id1", api_key="k")
    )
    http = RouteMatch(api(ApiKind.HTTP, "$default", (), route), route, {})
    assert event_json_v1(http, req, authorizer=None) == event_json(proxy_event_v1(http, req, authorizer=None))
    v2 = {"lambda": {"user": "me"}}
    assert event_json_v2(http, req, authorizer=v2) == event_json(proxy_event_v2(http, req, authorizer=v2))
