"""Lambda's Invoke on its own path through the edge: the hottest request, answered without the generic model walk.

The generic dispatcher parses any operation from botocore's model, which for a warm Invoke cost
more of the server's CPU than everything else Overcast does for it (Architecture, "Performance
budgets": a warm invoke is budgeted at 2.5 minimal HTTP round trips). This path takes the plain
Invoke only (synchronous, or InvocationType Event) — `POST /2015-03-31/functions/<name>/invocations`, an optional
`Qualifier`, `X-Amz-Log-Type`, a SigV4 scope for Lambda or none — and calls InvokeService
directly. Anything else it declines (returns None) and the generic path answers, so every
validation error keeps coming from the model. Errors raised by the invocation are serialized by
the generic serializer; anything unexpected is left to the edge's boundary, which answers it as it
answers every AWS API (InternalFailure, tests/api/test_internal_failure.py).
tests/api/services/test_lambda_invoke.py checks that both paths answer alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from overcast.api.protocols.http import HttpResponse
from overcast.api.protocols.models import load_service
from overcast.api.protocols.serialize import serialize_error
from overcast.context import RequestContext, account_for_access_key
from overcast.errors import AwsError
from overcast.functions.invoke import InvokeService

PREFIX = "/2015-03-31/functions/"
SUFFIX = "/invocations"
# Plain function names only (an ARN in the path is percent-encoded: the generic path decodes it).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_QUALIFIER = re.compile(r"Qualifier=(\$LATEST|%24LATEST|[A-Za-z0-9_-]{1,128})")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]*)/\d{8}/([^/]+)/([^/]+)/aws4_request")
# Headers that change what Invoke does beyond this path's cases; their presence sends the request
# the generic way (where they are validated).
_DECLINED = frozenset((b"x-amz-client-context", b"x-amz-durable-execution-name"))
# Invocation types this path takes (DryRun and anything else go the generic way).
_TYPES = {b"RequestResponse": "RequestResponse", b"Event": "Event"}


class InvokePath:
    def __init__(self, invoker: InvokeService, default_account: str, default_region: str) -> None:
        self.invoker = invoker
        self.default_account = default_account
        self.default_region = default_region

    async def answer(
        self, path: str, query: bytes, headers: Iterable[tuple[bytes, bytes]], body: bytes, request_id: str
    ) -> HttpResponse | None:
        """The answer to a plain synchronous Invoke, or None to send the request the generic way."""
        if not (path.startswith(PREFIX) and path.endswith(SUFFIX)):
            return None
        name = path[len(PREFIX) : -len(SUFFIX)]
        if _NAME.fullmatch(name) is None:
            return None
        qualifier: str | None = None
        if query:
            match = _QUALIFIER.fullmatch(query.decode("latin-1"))
            if match is None:
                return None
            qualifier = "$LATEST" if match.group(1) == "%24LATEST" else match.group(1)
        authorization = log_type = ""
        invocation_type = "RequestResponse"
        for key, value in headers:
            lowered = key.lower()
            if lowered == b"authorization":
                authorization = value.decode("latin-1")
            elif lowered == b"x-amz-log-type":
                log_type = value.decode("latin-1")
                if log_type not in ("None", "Tail"):
                    return None
            elif lowered == b"x-amz-invocation-type":
                chosen = _TYPES.get(value)
                if chosen is None:
                    return None
                invocation_type = chosen
            elif lowered in _DECLINED:
                return None
        access_key, region = "", self.default_region
        if authorization:
            scope = _CREDENTIAL.search(authorization)
            if scope is None or scope.group(3) != "lambda":
                return None
            access_key, region = scope.group(1), scope.group(2)
        ctx = RequestContext(
            account_id=account_for_access_key(access_key, self.default_account),
            region=region,
            request_id=request_id,
            access_key_id=access_key,
            service="lambda",
            operation="Invoke",
        )
        try:
            result = await self.invoker.invoke(
                ctx, name, body, qualifier=qualifier, invocation_type=invocation_type, log_type=log_type or "None"
            )
        except AwsError as error:
            return serialize_error(load_service("lambda"), error, "rest-json", request_id)
        if result.status_code == 202:  # queued for asynchronous invocation: no version ran yet, no payload
            return HttpResponse(202, [("x-amzn-requestid", request_id), ("content-type", "application/json")], b"")
        response_headers = [("x-amzn-requestid", request_id), ("x-amz-executed-version", result.executed_version)]
        if result.function_error is not None:
            response_headers.append(("x-amz-function-error", result.function_error))
        if result.log_result is not None:
            response_headers.append(("x-amz-log-result", result.log_result))
        response_headers.append(("content-type", "application/octet-stream"))
        return HttpResponse(result.status_code, response_headers, result.payload)
