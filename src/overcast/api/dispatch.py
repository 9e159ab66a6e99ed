"""Dispatch: one AWS API request from parsed HTTP to handler to serialized answer.

resolve the service -> build the RequestContext -> parse with the service's botocore model ->
call the operation's handler -> serialize the output, or the AwsError, in the protocol the
request used. A request for a service Overcast does not serve gets `NotImplemented` in that
service's own protocol. Anything unexpected propagates to the edge, the one boundary of the AWS
APIs, which answers `internal_failure` instead (and logs the traceback, never sending it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from overcast.api.catalog import operation_named
from overcast.api.protocols.http import HttpRequest, HttpResponse
from overcast.api.protocols.models import load_service
from overcast.api.protocols.parse import DEFAULT_MAX_DECODED_BYTES, ServiceParser, parse_request, request_protocol
from overcast.api.protocols.serialize import serialize_error, serialize_response
from overcast.api.routing import Scope, resolve
from overcast.api.services import OperationTable
from overcast.arn import new_request_id
from overcast.context import RequestContext, account_for_access_key
from overcast.errors import AwsError, InternalFailure, NotImplementedOperation

log = logging.getLogger("overcast.api")

# AWS's words for InternalFailure (https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html),
# and where to look: the traceback is in Overcast's log under the request id, never in the answer.
INTERNAL_FAILURE_MESSAGE = (
    "The request processing has failed because of an unknown error, exception or failure."
    " Overcast's log has the details under this request id."
)


@dataclass(frozen=True, slots=True)
class Dispatcher:
    tables: Mapping[str, OperationTable]
    default_account: str
    default_region: str
    max_request_bytes: int = DEFAULT_MAX_DECODED_BYTES  # also the most a compressed body decompresses to

    async def dispatch(self, request: HttpRequest, request_id: str | None = None) -> HttpResponse:
        """The answer to `request`: its operation's output, or the AwsError it raised, in the
        request's protocol. Other exceptions propagate (see `internal_failure`)."""
        request_id = request_id or new_request_id()
        scope = resolve(request)
        if scope.service is None:
            return _unserved(scope, request, request_id)
        service = load_service(scope.service)
        # Errors, even those found while parsing, answer in the protocol the request used.
        protocol = request_protocol(scope.service, request)
        try:
            parsed = parse_request(scope.service, request, self.max_request_bytes)
            operation = parsed.operation
            context = RequestContext(
                account_id=account_for_access_key(scope.access_key_id, self.default_account),
                region=scope.region or self.default_region,
                request_id=request_id,
                access_key_id=scope.access_key_id,
                service=scope.service,
                operation=operation.name,
            )
            handler = self.tables.get(scope.service, {}).get(operation.name)
            if handler is None:
                raise NotImplementedOperation(
                    f"The operation {operation.name} of service {scope.service} is not implemented in Overcast yet"
                )
            output = await handler(context, parsed.params)
            return serialize_response(operation, output, protocol, request_id)
        except AwsError as error:
            return serialize_error(service, error, protocol, request_id)


def internal_failure(request: HttpRequest, request_id: str) -> HttpResponse:
    """`InternalFailure` (500) for a request whose answer failed unexpectedly, in the protocol the
    request used, so its client raises the error with this request id. JSON when even the request's
    service cannot be told (it never raises)."""
    failure = InternalFailure(INTERNAL_FAILURE_MESSAGE)
    try:
        scope = resolve(request)
        if scope.service is not None:
            protocol = request_protocol(scope.service, request)
            return serialize_error(load_service(scope.service), failure, protocol, request_id)
    except Exception:
        log.exception("request %s: its InternalFailure could not be written in its protocol", request_id)
    body = {"__type": failure.code, "message": failure.message}
    return _json_error(failure.status, body, request_id)


def _unserved(scope: Scope, request: HttpRequest, request_id: str) -> HttpResponse:
    """NotImplemented in the protocol of the service the request names; or, when it names none, a 400."""
    entry = scope.unserved
    if entry is None:
        if scope.signing_name:
            message = f"The request is signed for '{scope.signing_name}', which names no AWS service Overcast knows."
        else:
            message = (
                "The request names no AWS service: sign it with SigV4 (its credential scope names the service)"
                " or send X-Amz-Target."
            )
        return _json_error(400, {"__type": "UnknownServiceException", "message": message}, request_id)
    model = entry.model()
    operation = operation_named(request)
    if operation:
        message = f"The operation {operation} of service {entry.name} is not implemented in Overcast yet"
    else:
        message = f"The service {entry.name} is not implemented in Overcast yet"
    # 501 NotImplemented in the service's own protocol (botocore's model says which), so that its
    # client shows the message rather than failing to parse the answer.
    protocol = ServiceParser(model).protocol_of(request)
    return serialize_error(model, NotImplementedOperation(message), protocol, request_id)


def _json_error(status: int, body: dict[str, str], request_id: str) -> HttpResponse:
    headers = [
        ("content-type", "application/json"),
        ("x-amzn-requestid", request_id),
        ("x-amzn-errortype", body["__type"]),
    ]
    return HttpResponse(status, headers, json.dumps(body).encode())
