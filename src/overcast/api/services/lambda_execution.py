"""Lambda's execution operations: Invoke (the generic path; see lambda_invoke.py for the fast one) and concurrency."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from overcast.api.services import Output, Params, Unbound
from overcast.api.services.lambda_functions import lambda_time, listed
from overcast.context import RequestContext
from overcast.errors import ValidationException
from overcast.functions.concurrency import Concurrency, ProvisionedConfig
from overcast.functions.invoke import InvokeOutput, InvokeService, RequestTooLargeException
from overcast.functions.streams import QueueSink

INVOKE_ASYNC_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class Execution:
    """What the execution operations call: the invoke service and its concurrency limits."""

    invoker: InvokeService
    concurrency: Concurrency


def provisioned_out(config: ProvisionedConfig, with_arn: bool = False) -> Output:
    out: Output = {
        "RequestedProvisionedConcurrentExecutions": config.requested,
        "AvailableProvisionedConcurrentExecutions": config.available,
        "AllocatedProvisionedConcurrentExecutions": config.allocated,
        "Status": config.status.value,
        "LastModified": lambda_time(config.last_modified),
    }
    if config.status_reason:
        out["StatusReason"] = config.status_reason
    if with_arn:
        out = {"FunctionArn": config.arn, **out}
    return out


async def invoke(s: Execution, ctx: RequestContext, p: Params) -> Output:
    result = await s.invoker.invoke(
        ctx,
        p["FunctionName"],
        p.get("Payload") or b"",
        qualifier=p.get("Qualifier"),
        invocation_type=p.get("InvocationType") or "RequestResponse",
        log_type=p.get("LogType") or "None",
        client_context=p.get("ClientContext"),
    )
    if result.status_code == 202:  # accepted for asynchronous invocation: no version ran yet, no payload
        return {"StatusCode": 202, "Payload": b""}
    out: Output = {"StatusCode": result.status_code, "ExecutedVersion": result.executed_version}
    if result.status_code != 204:
        out["Payload"] = result.payload
    if result.function_error is not None:
        out["FunctionError"] = result.function_error
    if result.log_result is not None:
        out["LogResult"] = result.log_result
    return out


async def invoke_with_response_stream(s: Execution, ctx: RequestContext, p: Params) -> Output:
    """InvokeWithResponseStream: the response as an event stream, each chunk passed on as the runtime
    streams it (`awslambda.streamifyResponse`, a custom runtime's streaming mode); a function that
    does not stream answers in one chunk, as on AWS
    (https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html)."""
    invocation_type = p.get("InvocationType") or "RequestResponse"
    if invocation_type not in ("RequestResponse", "DryRun"):
        raise ValidationException(
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [RequestResponse, DryRun]"
        )
    chunks = QueueSink(s.invoker.clock)
    run = asyncio.ensure_future(
        s.invoker.invoke(
            ctx,
            p["FunctionName"],
            p.get("Payload") or b"",
            qualifier=p.get("Qualifier"),
            invocation_type=invocation_type,
            log_type=p.get("LogType") or "None",
            client_context=p.get("ClientContext"),
            stream=chunks,
        )
    )
    run.add_done_callback(lambda _: chunks.end())
    first = await chunks.get()  # the first chunk, or the end: errors before any answer are the API's
    if first is None:
        result = run.result()
        if result.status_code == 204:
            return {"StatusCode": 204, "ExecutedVersion": result.executed_version}
        version = result.executed_version
    else:
        version = chunks.executed_version
    return {
        "StatusCode": 200,
        "ExecutedVersion": version,
        "ResponseStreamContentType": "application/vnd.amazon.eventstream",
        "EventStream": _response_events(first, chunks, run),
    }


async def _response_events(
    first: bytes | None, chunks: QueueSink, run: asyncio.Future[InvokeOutput]
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    chunk = first
    while chunk is not None:
        if chunk:
            yield "PayloadChunk", {"Payload": chunk}
        chunk = await chunks.get()
    result = await run
    complete: dict[str, Any] = {}
    if result.function_error is not None:
        complete["ErrorCode"], complete["ErrorDetails"] = _stream_error(result.payload, result.function_error)
    elif result.payload:  # not streamed: the whole response in one chunk
        yield "PayloadChunk", {"Payload": result.payload}
    if result.log_result is not None:
        complete["LogResult"] = result.log_result
    yield "InvokeComplete", complete


def _stream_error(payload: bytes, function_error: str) -> tuple[str, str]:
    """InvokeComplete's ErrorCode and ErrorDetails for a failed invocation: the error document's type and
    message when it is one, else the function error and the payload."""
    try:
        document = json.loads(payload)
    except ValueError:
        document = None
    if isinstance(document, dict) and isinstance(document.get("errorType"), str):
        return document["errorType"], str(document.get("errorMessage", ""))
    return function_error, payload.decode(errors="replace")


async def invoke_async(s: Execution, ctx: RequestContext, p: Params) -> Output:
    """InvokeAsync (deprecated): Invoke with InvocationType Event, its payload limited to 256 KB
    (https://docs.aws.amazon.com/lambda/latest/api/API_InvokeAsync.html), answered 202 {"Status": 202}."""
    body = p.get("InvokeArgs") or b""
    if len(body) > INVOKE_ASYNC_BYTES:
        raise RequestTooLargeException(
            f"Request must be smaller than {INVOKE_ASYNC_BYTES} bytes for the InvokeFunction operation"
        )
    await s.invoker.invoke(ctx, p["FunctionName"], body, invocation_type="Event")
    return {"Status": 202}


async def put_function_concurrency(s: Execution, ctx: RequestContext, p: Params) -> Output:
    reserved = await s.concurrency.put_reserved(ctx, p["FunctionName"], p["ReservedConcurrentExecutions"])
    return {"ReservedConcurrentExecutions": reserved}


async def get_function_concurrency(s: Execution, ctx: RequestContext, p: Params) -> Output:
    reserved = await s.concurrency.get_reserved(ctx, p["FunctionName"])
    return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}


async def delete_function_concurrency(s: Execution, ctx: RequestContext, p: Params) -> Output:
    await s.concurrency.delete_reserved(ctx, p["FunctionName"])
    return {}


async def put_provisioned_concurrency_config(s: Execution, ctx: RequestContext, p: Params) -> Output:
    config = await s.concurrency.put_provisioned(
        ctx, p["FunctionName"], p.get("Qualifier"), p["ProvisionedConcurrentExecutions"]
    )
    return provisioned_out(config)


async def get_provisioned_concurrency_config(s: Execution, ctx: RequestContext, p: Params) -> Output:
    return provisioned_out(await s.concurrency.get_provisioned(ctx, p["FunctionName"], p.get("Qualifier")))


async def delete_provisioned_concurrency_config(s: Execution, ctx: RequestContext, p: Params) -> Output:
    await s.concurrency.delete_provisioned(ctx, p["FunctionName"], p.get("Qualifier"))
    return {}


async def list_provisioned_concurrency_configs(s: Execution, ctx: RequestContext, p: Params) -> Output:
    found, marker = await s.concurrency.list_provisioned(ctx, p["FunctionName"], p.get("Marker"), p.get("MaxItems"))
    return listed("ProvisionedConcurrencyConfigs", [provisioned_out(c, with_arn=True) for c in found], marker)


HANDLERS: Mapping[str, Unbound[Execution]] = {
    "Invoke": invoke,
    "InvokeWithResponseStream": invoke_with_response_stream,
    "InvokeAsync": invoke_async,
    "PutFunctionConcurrency": put_function_concurrency,
    "GetFunctionConcurrency": get_function_concurrency,
    "DeleteFunctionConcurrency": delete_function_concurrency,
    "PutProvisionedConcurrencyConfig": put_provisioned_concurrency_config,
    "GetProvisionedConcurrencyConfig": get_provisioned_concurrency_config,
    "DeleteProvisionedConcurrencyConfig": delete_provisioned_concurrency_config,
    "ListProvisionedConcurrencyConfigs": list_provisioned_concurrency_configs,
}
