"""AWS services: what a REST API's non-proxy `AWS` integration asks of an AWS service, through Overcast's own APIs.

The integration URI names the service and what to ask it, in one of two forms
(https://docs.aws.amazon.com/apigateway/latest/developerguide/integration-request-basic-setup.html,
https://docs.aws.amazon.com/apigateway/latest/api/API_Integration.html, `uri`):

- `arn:aws:apigateway:{region}:{service}:action/{Action}` (optionally `&{name}={value}...`), for services
  with an action API: a JSON protocol service (Step Functions, CloudWatch Logs) gets the mapped body with its
  `X-Amz-Target` and Content-Type; a query protocol one (STS) gets `Action` and `Version` in the query string;
- `arn:aws:apigateway:{region}:{service}:path/{path}`, for REST-style services (Lambda's
  `lambda:path/2015-03-31/functions/{name}`): the integration's HTTP method on that path.

`{service}` is the name the service's endpoints and signatures use (`states`, `lambda`, `logs`, `sts`), with an
optional `{subdomain}.` before it. The request (the mapped body, the query string and headers requestParameters
set) goes to the dispatcher that answers Overcast's AWS APIs, in-process, signed for the API's account and the
URI's Region. The service's answer, error or not, is what the integration responses select from by its HTTP
status. A service Overcast does not serve (or an operation it does not implement) is an integration failure
(500), as AWS answers a backend it cannot reach.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode

from overcast.arn import new_request_id, parse_arn

if TYPE_CHECKING:
    from overcast.api.local_calls import ServiceApis

log = logging.getLogger("overcast.gateway")


_MESSAGE = re.compile(rb"<Message>(.*?)</Message>", re.S)


class ServiceUnavailable(Exception):
    """The integration's service (or the operation it asks for) is not one Overcast serves."""


@dataclass(frozen=True, slots=True)
class ServiceCall:
    """What an AWS integration's URI asks: an action or a path of a service, in a Region."""

    region: str
    service: str  # as the URI names it: the service's signing name ("states", "lambda", "sts")
    action: str | None  # the action form's Action; None for the path form
    path: str  # the path form's path, from "/"; "/" for an action
    parameters: tuple[tuple[str, str], ...] = ()  # `action/{Action}&{name}={value}` parameters

    @property
    def what(self) -> str:
        """How the access log names the call: `states:action/StartExecution`, `lambda:path/...`."""
        return f"{self.service}:action/{self.action}" if self.action else f"{self.service}:path{self.path}"


def service_call(uri: str) -> ServiceCall | None:
    """The call an AWS integration URI names (stage variables already resolved), or None if it names none."""
    arn = parse_arn(uri)
    if arn is None or arn.service != "apigateway" or not arn.account:
        return None
    service = arn.account.rsplit(".", 1)[-1]  # `{subdomain}.{service}`
    kind, _, rest = arn.resource.partition("/")
    if kind == "path" and rest:
        return ServiceCall(arn.region, service, None, "/" + rest)
    if kind == "action" and rest:
        action, _, parameters = rest.partition("&")
        return ServiceCall(arn.region, service, action, "/", tuple(parse_qsl(parameters, keep_blank_values=True)))
    return None


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class AwsServices:
    """Calls Overcast's own AWS APIs as an API's AWS integrations ask."""

    def __init__(self, apis: ServiceApis) -> None:
        self.apis = apis

    async def call(
        self,
        call: ServiceCall,
        account_id: str,
        epoch_ms: int,
        method: str,
        query: list[tuple[str, str]],
        headers: list[tuple[str, str]],
        body: bytes,
    ) -> ServiceAnswer:
        """The service's answer to `call` made by `account_id` (the API's account) at `epoch_ms` with the integration
        request's method, query string, headers and mapped body. ServiceUnavailable for a service Overcast does not
        serve."""
        from overcast.api.protocols.http import HttpRequest
        from overcast.api.routing import SIGNING_NAMES

        names = SIGNING_NAMES.get(call.service, ())
        if not names or not any(self.apis.serves(name) for name in names):
            raise ServiceUnavailable(f"{call.what}: the service {call.service} is not implemented in Overcast yet")
        sent = {k.lower(): v for k, v in headers}
        # The credential scope names the account (a 12-digit key id), the Region and the service; the signature is
        # not checked (IAM enforcement comes later).
        day = time.strftime("%Y%m%d", time.gmtime(epoch_ms / 1000))
        sent["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={account_id}/{day}/{call.region}/{call.service}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
        query = [*call.parameters, *query]
        if call.action is not None:
            query = self._action(call, names[0], sent, query)
        request = HttpRequest(method, call.path, urlencode(query), sent, body)
        answer = await self.apis.dispatch(request, new_request_id())
        payload = answer.body
        if answer.stream is not None:
            async for part in answer.stream:
                payload += part
        if answer.status == 501:  # NotImplemented: Overcast has no such service or operation yet
            raise ServiceUnavailable(f"{call.what}: {_message(payload) or 'not implemented in Overcast'}")
        return ServiceAnswer(answer.status, tuple(answer.headers), payload)

    @staticmethod
    def _action(
        call: ServiceCall, name: str, headers: dict[str, str], query: list[tuple[str, str]]
    ) -> list[tuple[str, str]]:
        """The action form's protocol for the service botocore calls `name`: X-Amz-Target and the JSON
        Content-Type, or the query protocol's Action and Version."""
        from overcast.api.protocols.models import load_service, protocols_of

        model = load_service(name)
        protocols = protocols_of(model)
        if "json" in protocols:
            headers.setdefault("x-amz-target", f"{model.metadata['targetPrefix']}.{call.action}")
            headers["content-type"] = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
            return query
        return [("Action", str(call.action)), ("Version", model.metadata["apiVersion"]), *query]


def _message(payload: bytes) -> str:
    """An AWS error's message, from a JSON or an XML error body."""
    try:
        value = json.loads(payload)
        if isinstance(value, dict):
            return str(value.get("message") or value.get("Message") or "")
    except ValueError:
        found = _MESSAGE.search(payload)
        if found:
            return found.group(1).decode("utf-8", "replace")
    return ""
