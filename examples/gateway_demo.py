"""API Gateway in the demo: an HTTP API in front of a function, its stage throttle, a Lambda authorizer.

Run by examples/demo.py against a running Overcast: creates the functions with boto3, puts an
HTTP API in front of them (apigatewayv2 quick create), and calls it with httpx like any web
client, by the path form and by Host, printing what came back.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

HERE = Path(__file__).parent / "api"
ROLE = "arn:aws:iam::000000000000:role/api"


def _package(name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(HERE / f"{name}.py", f"{name}.py")
    return buffer.getvalue()


def _function(lam: Any, name: str, module: str) -> str:
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=ROLE,
        Handler=f"{module}.handler",
        Code={"ZipFile": _package(module)},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return str(created["FunctionArn"])


def _show(label: str, response: httpx.Response) -> None:
    print(f"  {label:<58} -> {response.status_code} {response.text}")


class Api:
    """One HTTP API, called as a browser or curl would: `<apiId>.execute-api.localhost:<port>`, or the path form."""

    def __init__(self, url: str, api_id: str, http: httpx.Client) -> None:
        self.url, self.api_id, self.http = url, api_id, http
        self.host = f"{api_id}.execute-api.localhost:{urlsplit(url).port}"

    def by_host(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(f"{self.url}{path}", headers={"host": self.host, **(headers or {})})

    def by_path(self, path: str) -> httpx.Response:
        return self.http.get(f"{self.url}/_aws/execute-api/{self.api_id}{path}")


def run(url: str, lam: Any, v2: Any, step: Any) -> None:
    with httpx.Client(timeout=30) as http:
        step("API Gateway: an HTTP API in front of a function (apigatewayv2 quick create)")
        greet = _function(lam, "greet", "app")
        made = v2.create_api(Name="greetings", ProtocolType="HTTP", Target=greet)
        api = Api(url, made["ApiId"], http)
        print(f"  ApiId={made['ApiId']}  ApiEndpoint={made['ApiEndpoint']}  stage $default (auto-deploy)")
        _show(f"GET {url}/_aws/execute-api/{api.api_id}/hello?name=path", api.by_path("/hello?name=path"))
        _show(f"GET http://{api.host}/hello?name=host", api.by_host("/hello?name=host"))

        step("Throttling: the $default stage allows 2 requests/s with a burst of 5; 20 requests back to back")
        v2.update_stage(
            ApiId=api.api_id,
            StageName="$default",
            DefaultRouteSettings={"ThrottlingRateLimit": 2.0, "ThrottlingBurstLimit": 5},
        )
        responses = [api.by_host("/hello") for _ in range(20)]
        statuses = Counter(r.status_code for r in responses)
        throttled = next(r for r in responses if r.status_code == 429)
        print(f"  {statuses[200]} answered 200, {statuses[429]} answered 429 {throttled.text}")

        step("A Lambda authorizer (REQUEST, simple responses) on a second HTTP API")
        check = _function(lam, "check-token", "authorizer")
        secured = v2.create_api(Name="private-greetings", ProtocolType="HTTP", Target=greet)["ApiId"]
        authorizer = v2.create_authorizer(
            ApiId=secured,
            Name="token-check",
            AuthorizerType="REQUEST",
            AuthorizerUri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{check}/invocations",
            AuthorizerPayloadFormatVersion="2.0",
            EnableSimpleResponses=True,
            IdentitySource=["$request.header.Authorization"],
        )["AuthorizerId"]
        route = v2.get_routes(ApiId=secured)["Items"][0]["RouteId"]
        v2.update_route(ApiId=secured, RouteId=route, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
        private = Api(url, secured, http)
        print(f"  ApiId={secured}  route $default -> authorizer {authorizer} (identity: the Authorization header)")
        _show("GET /hello, no Authorization header", private.by_host("/hello"))
        _show("GET /hello, Authorization: Bearer guess", private.by_host("/hello", {"authorization": "Bearer guess"}))
        _show(
            "GET /hello?name=me, Authorization: Bearer let-me-in",
            private.by_host("/hello?name=me", {"authorization": "Bearer let-me-in"}),
        )
