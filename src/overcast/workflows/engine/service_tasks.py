"""Service tasks: Step Functions' optimized integrations that call another service's API (sqs:sendMessage, sns:publish).

A Task whose resource is `arn:aws:states:::<service>:<action>` (optionally `.waitForTaskToken`) calls the API
operation with the task's parameters, which Step Functions writes in the API's own PascalCase names
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-parameters.html). A parameter that carries a
message (SQS's MessageBody, SNS's Message) may be a JSON object: it is sent as its JSON text
(https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html, connect-sns.html). The task's output is
the operation's answer with `SdkHttpMetadata` and `SdkResponseMetadata`, as Step Functions' own SDK reports them;
a service error fails the task with `<Service>.<the SDK's exception name>` (for example
`SQS.QueueDoesNotExistException`, or `SQS.AmazonSQSException` for an error the service's model does not name)
and the SDK's cause text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any, Protocol

from overcast.context import RequestContext
from overcast.errors import AwsError


class ServiceCalls(Protocol):
    """An AWS API operation called in-process as an SDK would (api/local_calls.py at the composition root).

    A service's error is raised as an AwsError with the service's code, message and status, and `shape`: the
    name of the error shape the service's model gives that code, if any."""

    async def call(
        self, ctx: RequestContext, service: str, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ServiceTask:
    """One optimized integration: the API operation it calls and how Step Functions names its errors."""

    service: str  # botocore's name for the service
    operation: str
    error_prefix: str  # "SQS" in "SQS.QueueDoesNotExistException"
    sdk_name: str  # the service as the SDK's error causes name it: "AmazonSQS"
    message_field: str | None = None  # a parameter sent as JSON text when the task gives an object


# (resource's service, action) -> the task. https://docs.aws.amazon.com/step-functions/latest/dg/integrate-optimized.html
SERVICE_TASKS = {
    ("sqs", "sendMessage"): ServiceTask("sqs", "SendMessage", "SQS", "AmazonSQS", "MessageBody"),
    ("sns", "publish"): ServiceTask("sns", "Publish", "SNS", "AmazonSNS", "Message"),
}


class ServiceTaskFailed(Exception):
    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


async def run(
    calls: ServiceCalls | None, ctx: RequestContext, task: ServiceTask, params: dict[str, Any], now: float
) -> dict[str, Any]:
    """The task's output (the answer with the SDK's metadata); ServiceTaskFailed with its error and cause."""
    if calls is None:
        raise ServiceTaskFailed("States.Runtime", f"Overcast cannot call {task.sdk_name} from Step Functions here.")
    sent = dict(params)
    if task.message_field is not None and not isinstance(sent.get(task.message_field, ""), str):
        sent[task.message_field] = json.dumps(sent[task.message_field], separators=(",", ":"), ensure_ascii=False)
    try:
        answer = await calls.call(ctx, task.service, task.operation, sent)
    except AwsError as error:
        raise ServiceTaskFailed(
            f"{task.error_prefix}.{exception_name(task, getattr(error, 'shape', None))}",
            f"{error.message} (Service: {task.sdk_name}; Status Code: {error.status}; Error Code: {error.code}; "
            f"Request ID: {ctx.request_id}; Proxy: null)",
        ) from None
    metadata = answer.pop("ResponseMetadata", {}) or {}
    request_id = str(metadata.get("RequestId") or ctx.request_id)
    headers = {
        "Content-Type": "text/xml" if task.service == "sns" else "application/x-amz-json-1.0",
        "Date": formatdate(now, usegmt=True),
        "x-amzn-RequestId": request_id,
    }
    return {
        **answer,
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": int(metadata.get("HTTPStatusCode") or 200),
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def exception_name(task: ServiceTask, shape: str | None) -> str:
    """The SDK's exception for an error: its modeled shape (SQS's AWS.SimpleQueueService.NonExistentQueue is its
    QueueDoesNotExist shape) with the SDK's "Exception" suffix; Amazon<Service>Exception for one the model does
    not name."""
    if not shape:
        return f"{task.sdk_name}Exception"
    return shape if shape.endswith("Exception") else f"{shape}Exception"
