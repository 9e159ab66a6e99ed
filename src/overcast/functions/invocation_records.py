"""Invocation records: what asynchronous invocation queues (AsyncEvent) and what it sends to destinations.

The record's shape is AWS's, from "Capturing records of Lambda asynchronous invocations"
(https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html): `version` "1.0",
`timestamp`, `requestContext` (`requestId`, `functionArn` with the qualifier invoked, `condition`
Success / RetriesExhausted / EventAgeExceeded, `approximateInvokeCount`), `requestPayload`,
`responseContext` (`statusCode`, `executedVersion`, `functionError`) and `responsePayload`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"

# Headers of a queued event on the bus (its payload is the message's data, as the caller sent it).
_REQUEST_ID, _NAME, _QUALIFIER, _RECEIVED, _TRACE = (
    "Lambda-Request-Id", "Lambda-Function", "Lambda-Qualifier", "Lambda-Received", "Lambda-Trace-Id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class AsyncEvent:
    """An event accepted for asynchronous invocation: what the queue holds for the function it names."""

    request_id: str
    account: str  # the function's own account (the caller's may differ, under the function's policy)
    region: str
    function_name: str
    qualifier: str | None  # as the caller named it: the record's functionArn carries it
    payload: bytes
    received: float  # epoch seconds on the injected clock: MaximumEventAgeInSeconds counts from here
    trace_id: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {
            _REQUEST_ID: self.request_id,
            _NAME: self.function_name,
            _RECEIVED: repr(self.received),
        }
        if self.qualifier is not None:
            headers[_QUALIFIER] = self.qualifier
        if self.trace_id is not None:
            headers[_TRACE] = self.trace_id
        return headers

    @classmethod
    def of(cls, account: str, region: str, headers: dict[str, str] | Any, payload: bytes) -> AsyncEvent:
        return cls(
            request_id=headers[_REQUEST_ID],
            account=account,
            region=region,
            function_name=headers[_NAME],
            qualifier=headers.get(_QUALIFIER),
            payload=payload,
            received=float(headers[_RECEIVED]),
            trace_id=headers.get(_TRACE),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the last run of an event answered (None before any run, e.g. throttled until it expired)."""

    status_code: int
    executed_version: str | None
    function_error: str | None
    payload: bytes


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data.decode(errors="replace")


def timestamp(epoch: float) -> str:
    """ISO 8601 with milliseconds and Z, as the records show ("2019-11-14T18:16:05.568Z")."""
    when = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def invocation_record(
    event: AsyncEvent, function_arn: str, condition: str, invoke_count: int, last: Attempt | None, now: float
) -> dict[str, Any]:
    """The record sent to an OnSuccess or OnFailure destination."""
    response: dict[str, Any] = {"statusCode": last.status_code if last else 0}
    if last is not None and last.executed_version is not None:
        response["executedVersion"] = last.executed_version
    if last is not None and last.function_error is not None:
        response["functionError"] = last.function_error
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": _json_or_text(event.payload),
        "responseContext": response,
    }
    if last is not None and last.payload:
        record["responsePayload"] = _json_or_text(last.payload)
    return record
