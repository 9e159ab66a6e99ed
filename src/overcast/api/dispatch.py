"""Dispatch: one AWS API request from parsed HTTP to handler to serialized answer.

resolve the service -> build the RequestContext -> parse with the service's botocore model ->
call the operation's handler -> serialize the output, or the AwsError, in the protocol the
request used. Anything unexpected becomes an AWS-shaped InternalFailure (never a traceback).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from overcast.api.protocols.http import HttpRequest, HttpResponse
from overcast.api.protocols.models import load_service
from overcast.api.protocols.parse import parse_request, request_protocol
from overcast.api.protocols.serialize import serialize_error, serialize_response
from overcast.api.routing import resolve
from overcast.api.services import OperationTable
from overcast.arn import new_request_id
from overcast.context import RequestContext, account_for_access_key
from overcast.errors import AwsError, InternalFailure, NotImplementedOperation

log = logging.getLogger("overcast.api")



@dataclass(frozen=True, slots=True)
class Dispatcher:
    tables: Mapping[str, OperationTable]
    default_account: str
    default_region: str

    def resolves(self, request: HttpRequest) -> bool:
        return resolve(request).service is not None

    async def dispatch(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id()
        scope = resolve(request)
        if scope.service is None:
            return _unresolved(request_id)
        service = load_service(scope.service)
        # Errors, even those found while parsing, answer in the protocol the request used.
        protocol = request_protocol(scope.service, request)
        try:
            parsed = parse_request(scope.service, request)
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
        except Exception:
            log.exception("request %s to %s failed", request_id, scope.service)
            failure = InternalFailure("An internal error occurred. The request id names it in the Overcast log.")
            return serialize_error(service, failure, protocol, request_id)


def _unresolved(request_id: str) -> HttpResponse:
    body = (
        b'{"__type":"UnknownServiceException","message":"The request names no AWS service Overcast knows:'
        b' sign it with SigV4 or send X-Amz-Target."}'
    )
    return HttpResponse(
        400,
        [
            ("content-type", "application/json"),
            ("x-amzn-requestid", request_id),
            ("x-amzn-errortype", "UnknownServiceException"),
        ],
        body,
    )
