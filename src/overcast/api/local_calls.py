"""Local calls: an AWS API operation called in-process as an SDK would call it, for Overcast's own services.

Step Functions' service integrations (`arn:aws:states:::sqs:sendMessage`, `sns:publish`) ask another service
for an operation with its parameters as the API names them. `LocalCalls.call` serializes them with botocore's
own client serializer for the service's protocol, hands the request to the edge's dispatcher (so the service's
part is built on its first call, and the call is answered exactly as a client's would be), signed for the
caller's account and Region, and reads the answer back with botocore's parser. A service's error comes back as
`ServiceCallFailed` with its code, message and status; one Overcast does not serve as `ServiceNotServed`.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from overcast.api.protocols.http import HttpRequest, HttpResponse
from overcast.arn import new_request_id
from overcast.context import RequestContext
from overcast.errors import AwsError


class ServiceApis(Protocol):
    """Overcast's own AWS APIs, as the composition root hands them to whoever calls them in-process."""

    def serves(self, service: str) -> bool:
        """Whether Overcast serves the service botocore names `service` (now, or once its part is built)."""
        ...

    async def dispatch(self, request: HttpRequest, request_id: str) -> HttpResponse:
        """The answer of api.dispatch.Dispatcher (or of the edge's stand-in that builds a service's part on its
        first request) to an AWS API request."""
        ...


class ServiceCallFailed(AwsError):
    """The service answered the call with an error: its own code, message and status (set per instance), and
    `shape`, the error shape the service's model gives that code (None if it names none)."""

    shape: str | None = None


class ServiceNotServed(AwsError):
    code, status = "ServiceUnavailable", 503


class LocalCalls:
    def __init__(self, apis: ServiceApis) -> None:
        self.apis = apis

    async def call(self, ctx: RequestContext, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """`operation` of `service` (botocore's names: "sqs", "SendMessage") with `params` as its API names them,
        made by `ctx`'s account in its Region; its output as botocore parses it, with ResponseMetadata."""
        from botocore.parsers import create_parser
        from botocore.serialize import create_serializer

        from overcast.api.protocols.models import load_service

        model = load_service(service)
        signing = model.signing_name or service
        if not self.apis.serves(signing) and not self.apis.serves(service):
            raise ServiceNotServed(f"The service {service} is not implemented in Overcast yet")
        try:
            op = model.operation_model(operation)
        except Exception:  # botocore's OperationNotFoundError
            raise ServiceNotServed(f"{service} has no operation {operation}") from None
        protocol = model.metadata["protocol"]
        # Not validated here: the service checks the parameters and answers its own errors, as it would a client's.
        serialized = create_serializer(protocol, include_validation=False).serialize_to_request(params, op)
        headers = {k.lower(): str(v) for k, v in serialized["headers"].items()}
        day = time.strftime("%Y%m%d", time.gmtime())
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={ctx.account_id}/{day}/{ctx.region}/{signing}/aws4_request, "
            "SignedHeaders=host, Signature=0"
        )
        body = serialized["body"]
        if isinstance(body, dict):  # the query protocol hands its form as a dict
            from urllib.parse import urlencode

            body = urlencode(body).encode()
            headers.setdefault("content-type", "application/x-www-form-urlencoded; charset=utf-8")
        elif isinstance(body, str):
            body = body.encode()
        query = serialized.get("query_string") or ""
        if isinstance(query, dict):
            from urllib.parse import urlencode

            query = urlencode(query, doseq=True)
        request = HttpRequest(serialized["method"], serialized["url_path"] or "/", query, headers, body or b"")
        answer = await self.apis.dispatch(request, ctx.request_id or new_request_id())
        payload = answer.body
        if answer.stream is not None:
            async for part in answer.stream:
                payload += part
        response_headers: dict[str, str] = {}
        for name, value in answer.headers:
            response_headers[name.lower()] = value
        parsed: dict[str, Any] = create_parser(protocol).parse(
            {"status_code": answer.status, "headers": response_headers, "body": payload}, op.output_shape
        )
        if answer.status >= 300:
            error = parsed.get("Error") or {}
            code = str(error.get("Code") or ("ServiceUnavailable" if answer.status == 501 else "ServiceError"))
            failed = ServiceCallFailed(str(error.get("Message") or ""), code=code, status=answer.status)
            failed.shape = next((e.name for e in op.error_shapes if code in (e.name, e.error_code)), None)
            raise failed
        return parsed
