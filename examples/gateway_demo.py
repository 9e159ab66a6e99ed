"""The greeting API in the demo, as `overcast deploy` made it from examples/api/template.yaml.

Run by examples/demo.py against a running Overcast: calls the HTTP API with httpx like any web
client, by Host and by the path form, without a token, with a wrong one and with the one the Lambda
authorizer lets in, then back to back until the stage throttle answers 429, printing what came back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

TOKEN = {"authorization": "Bearer let-me-in"}


def _show(label: str, response: httpx.Response) -> None:
    print(f"  {label:<62} -> {response.status_code} {response.text}")


class Api:
    """One HTTP API, called as a browser or curl would: `<apiId>.execute-api.localhost:<port>`, or the path form."""

    def __init__(self, url: str, api_id: str, stage: str, http: httpx.Client) -> None:
        self.url, self.api_id, self.stage, self.http = url, api_id, stage, http
        self.host = f"{api_id}.execute-api.localhost:{urlsplit(url).port}"

    def by_host(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(f"{self.url}/{self.stage}{path}", headers={"host": self.host, **(headers or {})})

    def by_path(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.http.get(f"{self.url}/_aws/execute-api/{self.api_id}/{self.stage}{path}", headers=headers)


def run(url: str, api_id: str, step: Callable[[str], None]) -> None:
    with httpx.Client(timeout=30) as http:
        api = Api(url, api_id, "prod", http)
        step("Call the greeting API with httpx: its Lambda authorizer lets one bearer token in")
        print(f"  by Host: http://{api.host}/prod/...   by path: {url}/_aws/execute-api/{api_id}/prod/...")
        _show("GET /prod/hello, no Authorization header", api.by_host("/hello"))
        _show("GET /prod/hello, Authorization: Bearer guess", api.by_host("/hello", {"authorization": "Bearer guess"}))
        _show("GET /prod/hello?name=me, Authorization: Bearer let-me-in", api.by_host("/hello?name=me", TOKEN))
        _show("GET (path form) /prod/hello?name=path, Bearer let-me-in", api.by_path("/hello?name=path", TOKEN))

        step("The prod stage's throttle (10 requests/s, a burst of 5): 30 requests back to back")
        responses = [api.by_host("/hello", TOKEN) for _ in range(30)]
        statuses = Counter(r.status_code for r in responses)
        throttled = next((r for r in responses if r.status_code == 429), None)
        print(f"  {statuses[200]} answered 200, {statuses[429]} answered 429", end=" ")
        print(throttled.text if throttled is not None else "")
