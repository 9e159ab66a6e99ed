"""Mapping: how a REST API's non-proxy integrations (AWS, HTTP, MOCK) turn a method request into an integration
request, and the backend's answer into the method response.

Request: the template for the request's Content-Type (application/json when it has none) maps the body;
without one the passthrough behavior passes the body through or refuses it with 415 Unsupported Media Type
(https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-passthrough-behaviors.html).
requestParameters map method request parameters, stage variables, context variables and 'static' values into
the integration request's path, query string and headers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/request-response-data-mappings.html).
Response: the integration response whose selectionPattern (a Java regex) matches the whole of a Lambda
function's errorMessage, or of the HTTP status code, else the default one (no pattern); none at all is a
configuration error that answers 500. Its template for the client's Accept (else application/json, else its
first) maps the body, its responseParameters set the method response's headers, and `$context.responseOverride`
may override the status and headers
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-integration-settings-integration-response.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-override-request-response-parameters.html).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from overcast.apis.deployed import Integration, IntegrationResponse
from overcast.apis.restapi import selection
from overcast.gateway.encodings import request_payload, response_payload
from overcast.gateway.events import proxy_event_v1
from overcast.gateway.integrations import substitute_stage_variables
from overcast.gateway.request import GatewayRequest, RouteMatch
from overcast.gateway.responses import GatewayResult
from overcast.gateway.templates import Input, render

_DEFAULT_TYPE = "application/json"
_STATUS_IN_TEMPLATE = re.compile(r'"statusCode"\s*:\s*(\d{3})')


class UnsupportedMediaType(Exception):
    """The passthrough behavior refuses a body no template maps (AWS's 415)."""


class NoIntegrationResponse(Exception):
    """No integration response matches and there is no default one (AWS's 500, a configuration error)."""


def _content_type(value: str | None) -> str:
    return (value or _DEFAULT_TYPE).split(";")[0].strip().lower() or _DEFAULT_TYPE


def _unquoted(value: str) -> str | None:
    """A mapping expression's static value ('text'), or None if it is no static value."""
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == "'" else None


def mock_status(mapped: bytes) -> int:
    """The statusCode a MOCK's mapped request template writes (200 without one)."""
    text = mapped.decode("utf-8", "replace")
    try:
        value = json.loads(text)
        if isinstance(value, dict) and isinstance(value.get("statusCode"), int):
            return int(value["statusCode"])
    except ValueError:
        pass
    found = _STATUS_IN_TEMPLATE.search(text)
    return int(found.group(1)) if found else 200


def context_value(context: Mapping[str, Any], name: str) -> str | None:
    """A mapping's `context.<name>` ("identity.sourceIp"): None when it names nothing, or an object."""
    value: Any = context
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return None if value is None or isinstance(value, Mapping) else str(value)


def error_message(payload: bytes) -> str:
    """A failed function's errorMessage, which selection patterns (WebSocket APIs: integration response keys) match."""
    try:
        value = json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")
    return str(value.get("errorMessage", "")) if isinstance(value, dict) else str(value)


class Exchange:
    """One request through a non-proxy integration: the parameters and `$context` its templates see."""

    def __init__(
        self,
        match: RouteMatch,
        request: GatewayRequest,
        *,
        authorizer: Mapping[str, Any] | None = None,
        api_key_id: str | None = None,
        api_key: str | None = None,
    ) -> None:
        self.match, self.request = match, request
        self.integration: Integration = match.route.integration
        self.stage_variables = dict(match.api.stage_variables)
        self._identity = (authorizer, api_key_id, api_key)
        self._context: dict[str, Any] | None = None

    @functools.cached_property
    def headers(self) -> dict[str, str]:
        return {k: v for k, v in self.request.headers}  # the last of a repeated header, as AWS's params()

    @functools.cached_property
    def query(self) -> dict[str, str]:
        return dict(self.request.query())

    @functools.cached_property
    def params(self) -> dict[str, dict[str, str]]:
        """`$input.params()`: by kind, made when a template or a mapping first needs them."""
        return {"path": dict(self.match.path_parameters), "querystring": self.query, "header": self.headers}

    @property
    def context(self) -> dict[str, Any]:
        """`$context`: the proxy event's requestContext, made when a template or a mapping first needs it."""
        if self._context is None:
            authorizer, api_key_id, api_key = self._identity
            event = proxy_event_v1(
                self.match, self.request, authorizer=authorizer, api_key_id=api_key_id, api_key=api_key
            )  # fmt: skip
            self._context = event["requestContext"]
            self._context["authorizer"] = dict(authorizer or {})
            self._context["responseOverride"] = {"header": {}}
        return self._context

    def _render(self, template: str, body: bytes) -> str:
        if "$" not in template and "#" not in template:
            return template  # static text (a MOCK's {"statusCode": 200}): no engine, parameters or context
        return render(template, body, self.params, lambda: self.context, self.stage_variables)

    # --- the integration request -----------------------------------------------------------------------

    def request_body(self) -> tuple[bytes, str]:
        """(the integration request's body, its content type): mapped by a template, or passed through."""
        given = self.request.header("content-type")
        wanted = _content_type(given)
        templates = self.integration.request_templates
        template = next((t for content_type, t in templates if content_type.lower() == wanted), None)
        behavior = self.integration.passthrough_behavior
        if template is None and (behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates)):
            raise UnsupportedMediaType(wanted)
        payload = request_payload(
            self.request.body, content_type=given, binary_media_types=self.match.api.binary_media_types,
            handling=self.integration.content_handling,
        )  # fmt: skip
        if template is not None:
            return self._render(template, payload).encode(), wanted
        return payload, wanted

    def mock_status(self) -> int:
        """A MOCK's status: the statusCode its request template writes (200 without one).
        https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-mock-integration.html"""
        body, _ = self.request_body()
        return mock_status(body) if self.integration.request_templates else 200

    def _source(self, source: str, body: bytes, backend_headers: Mapping[str, list[str]]) -> str | None:
        """The value of one mapping expression (None: it names nothing)."""
        static = _unquoted(source)
        if static is not None:
            return static
        kind, _, name = source.partition(".")
        if kind == "stageVariables":
            return self.stage_variables.get(name)
        if kind == "context":
            return context_value(self.context, name)
        for prefix, where in (("method.request.", "request"), ("integration.response.", "response")):
            if not source.startswith(prefix):
                continue
            rest = source.removeprefix(prefix)
            if rest == "body" or rest.startswith("body."):
                payload = self.request.body if where == "request" else body
                if rest == "body":
                    return payload.decode("utf-8", "replace")
                found = Input(payload, self.params).path("$." + rest.removeprefix("body."))
                return found if found is None or isinstance(found, str) else json.dumps(found)
            kind, _, name = rest.partition(".")
            if where == "request":
                return self._request_value(kind, name)
            values = backend_headers.get(name.lower(), [])
            if kind == "header":
                return values[-1] if values else None
            if kind == "multivalueheader":
                return ",".join(values) if values else None
        return None

    def _request_value(self, kind: str, name: str) -> str | None:
        if kind == "path":
            return self.match.path_parameters.get(name)
        if kind == "querystring":
            return self.query.get(name)
        if kind == "multivaluequerystring":
            values = [v for k, v in self.request.query() if k == name]
            return ",".join(values) if values else None
        if kind == "header":
            return self.headers.get(name.lower())
        if kind == "multivalueheader":
            values = self.request.header_values(name)
            return ",".join(values) if values else None
        return None

    def http_request(self, content_type: str) -> tuple[str, list[tuple[str, str]]]:
        """An HTTP integration's URL and headers: the URI's `{name}` filled by path parameters, the query
        string and headers only as requestParameters map them (a non-proxy integration forwards nothing else)."""
        url = substitute_stage_variables(self.integration.uri, self.stage_variables)
        query: list[tuple[str, str]] = []
        headers = [("content-type", content_type)]
        for destination, source in self.integration.request_parameters:
            value = self._source(source, b"", {})
            if value is None or not destination.startswith("integration.request."):
                continue
            kind, _, name = destination.removeprefix("integration.request.").partition(".")
            if kind == "path":
                url = url.replace("{" + name + "}", quote(value, safe="")).replace("{" + name + "+}", quote(value))
            elif kind in ("querystring", "multivaluequerystring"):
                query.extend((name, v) for v in (value.split(",") if kind.startswith("multi") else [value]))
            elif kind in ("header", "multivalueheader"):
                headers = [(k, v) for k, v in headers if k != name.lower()] + [(name.lower(), value)]
        for name, value in self.match.path_parameters.items():  # unmapped {name}s take the method's own
            url = url.replace("{" + name + "}", quote(value, safe="")).replace("{" + name + "+}", quote(value))
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        return url, headers

    # --- the integration response ----------------------------------------------------------------------

    def chosen(self, selected: str | None) -> IntegrationResponse:
        """The integration response for `selected` (a function's errorMessage, an HTTP status; None for a
        function that succeeded, which only the default response answers)."""
        default = None
        for response in self.integration.responses:
            if not response.pattern:
                default = default or response
            elif selected is not None and selection.matches(response.pattern, selected):
                return response
        if default is None:
            raise NoIntegrationResponse(selected)
        return default

    def response(
        self,
        selected: str | None,
        body: bytes,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> GatewayResult:
        """The method response for the backend's answer (`headers`: an HTTP backend's)."""
        chosen = self.chosen(selected)
        backend: dict[str, list[str]] = {}
        for k, v in headers:
            backend.setdefault(k.lower(), []).append(v)
        content_type = backend.get("content-type", [_DEFAULT_TYPE])[-1]
        body = response_payload(
            body, content_type=content_type, accept=self.request.header("accept"),
            binary_media_types=self.match.api.binary_media_types, handling=chosen.content_handling,
        )  # fmt: skip
        templates = dict(chosen.templates)
        if templates:
            wanted = self._response_type(templates)
            content_type, mapped = wanted, self._render(templates[wanted], body).encode()
        else:
            mapped = body
        out: dict[str, tuple[str, str]] = {"content-type": ("content-type", content_type)}
        for name, source in chosen.parameters:
            value = self._source(source, body, backend)
            if value is not None:
                out[name.lower()] = (name, value)
        override = (self._context or {}).get("responseOverride") or {}
        for name, value in (override.get("header") or {}).items():
            out[str(name).lower()] = (str(name), str(value))
        status = override.get("status")
        return GatewayResult(int(status) if status else chosen.status, list(out.values()), mapped)

    def _response_type(self, templates: dict[str, str]) -> str:
        """The response template's content type: the first of the client's Accept types that has one, else
        application/json, else the first."""
        for part in (self.request.header("accept") or "").split(","):
            wanted = part.split(";")[0].strip().lower()
            if wanted in templates:
                return wanted
        return _DEFAULT_TYPE if _DEFAULT_TYPE in templates else next(iter(templates))
