"""Mapping for WebSocket APIs' non-proxy integrations (AWS, HTTP, MOCK): a message into the integration request,
and the backend's answer into what a two-way route sends back.

Request: the integration's template selection expression (`${request.body.jsonPath}` or a static key such as
`\\$default`) picks a request template, `$default` being the catch-all; without one the passthrough behavior
passes the message through or refuses it. Request parameters map the route request (the `$connect`
handshake's headers and query string, the message body), context and stage variables and static values into
an HTTP integration's headers, query string and path.
Response: the integration response whose key (`/regex/`) matches the whole of a Lambda function's
errorMessage, or the HTTP (or MOCK) status code, else the `$default` one; its template selection expression
(`${integration.response.statuscode}`, `${integration.response.header.name}`, `${request.body.jsonPath}` or
static) picks a response template, `$default` the catch-all; without one the answer passes through.
Templates are the Velocity templates REST APIs run (`templates.render`), with `$context` the WebSocket
request context. https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-transformations.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/websocket-api-data-mapping.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-websocket-api-integration-responses.html
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from overcast.apis.httpapi import records as rec
from overcast.apis.httpapi.websockets import SocketRoute, body_value, evaluated
from overcast.apis.restapi import selection
from overcast.gateway.integrations import HOP_BY_HOP, substitute_stage_variables
from overcast.gateway.mapping import NoIntegrationResponse, UnsupportedMediaType, context_value
from overcast.gateway.socket_events import Handshake
from overcast.gateway.templates import Input, TemplateFailure, render

DEFAULT = "$default"
_JSON = "application/json"  # the content type of an HTTP integration request (Overcast's choice: AWS names none)


class Exchange:
    """One message (or `$connect`, `$disconnect`) through a route's non-proxy integration: what its templates,
    selection expressions and parameter mappings read."""

    def __init__(
        self,
        route: SocketRoute,
        context: dict[str, Any],
        message: str | bytes,
        stage_variables: Mapping[str, str],
        handshake: Handshake | None = None,  # `$connect`'s: its headers and query string are the route request's
    ) -> None:
        self.route = route
        self.integration = route.integration
        self.context = context
        self.message = _converted(message, route.content_handling)
        self.stage_variables = dict(stage_variables)
        self.handshake = handshake

    @functools.cached_property
    def body(self) -> Any:
        """The message as JSON (None when it is not)."""
        try:
            return json.loads(self.message)
        except ValueError:
            return None

    @functools.cached_property
    def params(self) -> dict[str, dict[str, str]]:
        """`$input.params()`: the handshake's headers and query string on `$connect`, else none."""
        shake = self.handshake
        return {
            "path": {},
            "querystring": dict(shake.query) if shake else {},
            "header": dict(shake.headers) if shake else {},
        }

    def _render(self, template: str, payload: bytes) -> str:
        return render(template, payload, self.params, self.context, self.stage_variables)

    @property
    def raw(self) -> bytes:
        """The message as bytes (after the integration's content handling)."""
        return self.message.encode() if isinstance(self.message, str) else self.message

    # --- the integration request -----------------------------------------------------------------------

    def request_body(self) -> bytes:
        """The integration request's body: the message mapped by the template its selection expression picks,
        or passed through (UnsupportedMediaType when the passthrough behavior refuses it)."""
        templates = dict(self.integration.request_templates)
        key = evaluated(self.route.template_selection_expression or DEFAULT, self._request_variable)
        template = templates.get(key or DEFAULT, templates.get(DEFAULT))
        if template is not None:
            return self._render(template, self.raw).encode()
        behavior = self.integration.passthrough_behavior
        if behavior == "NEVER" or (behavior == "WHEN_NO_TEMPLATES" and templates):
            raise UnsupportedMediaType(key)
        return self.raw

    def _request_variable(self, name: str) -> str | None:
        return body_value(self.body, name)

    def source(self, expression: str) -> str | None:
        """The value of one request parameter's source (None: it names nothing here)."""
        if len(expression) >= 2 and expression[0] == expression[-1] == "'":
            return expression[1:-1]
        kind, _, name = expression.partition(".")
        if kind == "stageVariables":
            return self.stage_variables.get(name)
        if kind == "context":
            return context_value(self.context, name)
        rest = expression.removeprefix("route.request.")
        if rest.startswith("body."):
            found = Input(self.raw, {}).path("$." + rest.removeprefix("body."))
            return found if found is None or isinstance(found, str) else json.dumps(found)
        where, _, name = rest.partition(".")
        if self.handshake is None:  # headers and the query string are `$connect`'s only
            return None
        pairs = self.handshake.headers if where.endswith("header") else self.handshake.query
        wanted = name.lower() if where.endswith("header") else name
        values = [v for k, v in pairs if k == wanted]
        if not values:
            return None
        return ",".join(values) if where.startswith("multivalue") else values[-1]

    def http_request(self, proxy: bool) -> tuple[str, list[tuple[str, str]]]:
        """An HTTP integration's URL and headers: the request parameters mapped into them (a proxy also passes
        `$connect`'s handshake headers on)."""
        url = substitute_stage_variables(self.integration.uri, self.stage_variables)
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {} if proxy else {"content-type": _JSON}
        if proxy and self.handshake is not None:
            for header, text in self.handshake.headers:
                if header not in HOP_BY_HOP and not header.startswith("sec-websocket-"):
                    headers[header] = text
        for destination, source in self.integration.request_parameters:
            value = self.source(source)
            if value is None:
                continue
            kind, _, name = destination.removeprefix("integration.request.").partition(".")
            if kind == "path":
                url = url.replace("{" + name + "}", quote(value, safe=""))
            elif kind == "querystring":
                query.append((name, value))
            else:
                headers[name.lower()] = value
        if query:
            url += ("&" if "?" in url else "?") + urlencode(query)
        return url, list(headers.items())

    # --- the integration response ----------------------------------------------------------------------

    def chosen(self, selected: str | None) -> rec.IntegrationResponse:
        """The integration response for `selected` (a function's errorMessage, a status code; None for a
        function that succeeded, which only `$default` answers)."""
        default = None
        for response in self.route.responses:
            key = response.integration_response_key
            if key == DEFAULT:
                default = response
            elif selected is not None and selection.matches(key[1:-1], selected):
                return response
        if default is None:
            raise NoIntegrationResponse(selected)
        return default

    def response(
        self, selected: str | None, status: int, payload: bytes, headers: tuple[tuple[str, str], ...] = ()
    ) -> str | bytes:
        """What a two-way route sends back for the backend's answer: mapped by the chosen integration response's
        template, or passed through."""
        chosen = self.chosen(selected)
        templates = chosen.response_templates or {}

        def variable(name: str) -> str | None:
            if name == "integration.response.statuscode":
                return str(status)
            for prefix in ("integration.response.header.", "integration.response.multivalueheader."):
                if name.startswith(prefix):
                    wanted = name.removeprefix(prefix).lower()
                    values = [v for k, v in headers if k.lower() == wanted]
                    return (",".join(values) if "multivalue" in prefix else values[-1]) if values else None
            return self._request_variable(name)

        key = evaluated(chosen.template_selection_expression or DEFAULT, variable)
        template = templates.get(key or DEFAULT, templates.get(DEFAULT))
        out: str | bytes = payload if template is None else self._render(template, payload)
        return _converted(out, chosen.content_handling_strategy, text=True)


def _converted(data: str | bytes, strategy: str | None, *, text: bool = False) -> str | bytes:
    """A payload after its content handling strategy: CONVERT_TO_TEXT makes binary base64 text,
    CONVERT_TO_BINARY decodes base64 text into binary; without one it passes (as text when `text`)."""
    if strategy == "CONVERT_TO_TEXT" and isinstance(data, bytes):
        return base64.b64encode(data).decode("ascii")
    if strategy == "CONVERT_TO_BINARY":
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise TemplateFailure(f"Unable to convert the payload to binary: {exc}") from exc
    if text and isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return data
