"""Asynchronous invocation: retries on the clock, event age, destinations' records, through boto3.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html,
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from overcast.context import RequestContext
from overcast.functions.async_queue import STREAM
from overcast.functions.front_door import FrontDoor
from tests.functions.hostile import ROLE, create
from tests.functions.live import Live, call, live_server, until
from tests.functions.zips import make_zip

FAILS = "def handler(event, context):\n    raise ValueError('always ' + str(event.get('n')))\n"
ECHO = "def handler(event, context):\n    return event\n"
SINK = "import json\n\ndef handler(event, context):\n    print('RECORD ' + json.dumps(event))\n    return 'kept'\n"


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[Live]:
    async with live_server(tmp_path) as server:
        yield server


async def _function(live: Live, source: str, prefix: str) -> tuple[str, str]:
    lam = live.client("lambda")
    name = await asyncio.to_thread(create, lam, "python3.12", {"index.py": source}, prefix=prefix)
    arn = (await call(lam, "get_function", FunctionName=name))["Configuration"]["FunctionArn"]
    return name, arn


async def _log(live: Live, name: str) -> list[tuple[int, str]]:
    """(timestamp on the server's clock, message) of the function's log so far."""
    assert live.system.invoker is not None
    await live.system.invoker.flush()
    logs = live.client("logs")
    try:
        found = await call(logs, "filter_log_events", logGroupName=f"/aws/lambda/{name}")
    except ClientError as error:
        if error.response["Error"]["Code"] == "ResourceNotFoundException":
            return []
        raise
    return [(event["timestamp"], event["message"]) for event in found["events"]]


async def _starts(live: Live, name: str) -> list[int]:
    return [ts for ts, message in await _log(live, name) if message.startswith("START RequestId")]


async def _records(live: Live, sink: str) -> list[dict[str, Any]]:
    lines = [message for _, message in await _log(live, sink) if message.startswith("RECORD ")]
    return [json.loads(line.removeprefix("RECORD ")) for line in lines]


async def _drained(live: Live) -> bool:
    """Whether no event is queued, running or not: an event leaves the queue once it and its destinations are done."""
    assert live.system.async_dispatch is not None
    bus = await live.system.async_dispatch.queue.bus()
    return (await bus.stream_state(STREAM)).messages == 0


def _waiting(live: Live) -> int:
    assert live.system.async_dispatch is not None
    return live.system.async_dispatch.waiting


async def test_a_failing_function_is_tried_three_times_one_and_two_minutes_apart_then_one_on_failure_record(
    live: Live,
) -> None:
    fails, fails_arn = await _function(live, FAILS, "fails")
    sink, sink_arn = await _function(live, SINK, "sink")
    lam, sqs = live.client("lambda"), live.client("sqs")
    dead = (await call(sqs, "create_queue", QueueName="dead-letters"))["QueueUrl"]
    dead_arn = (await call(sqs, "get_queue_attributes", QueueUrl=dead, AttributeNames=["QueueArn"]))["Attributes"]
    await call(
        lam, "update_function_configuration", FunctionName=fails, DeadLetterConfig={"TargetArn": dead_arn["QueueArn"]}
    )
    await until(lambda: _updated(lam, fails), "the update")
    await call(
        lam, "put_function_event_invoke_config", FunctionName=fails,
        DestinationConfig={"OnFailure": {"Destination": sink_arn}},
    )  # fmt: skip
    answer = await call(lam, "invoke", FunctionName=fails, InvocationType="Event", Payload=b'{"n": 7}')
    assert answer["StatusCode"] == 202
    request_id = answer["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert answer["Payload"].read() == b""

    for attempts, wait in ((1, 60), (2, 120)):
        await until(lambda n=attempts: _attempted(live, fails, n), f"attempt {attempts}")
        await live.clock.advance(wait)
    records = await until(lambda: _records(live, sink), "the OnFailure record")
    starts = await _starts(live, fails)
    assert len(starts) == 3
    assert [later - earlier for earlier, later in itertools.pairwise(starts)] == [60_000, 120_000]

    assert len(records) == 1
    record = records[0]
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": fails_arn + ":$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "always 7"
    # The dead-letter queue gets the event itself, as well as the destination its record
    # (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
    letters = await until(lambda: _received(sqs, dead), "the dead letter")
    assert len(letters) == 1
    assert json.loads(letters[0]["Body"]) == {"n": 7}
    attributes = {name: value["StringValue"] for name, value in letters[0]["MessageAttributes"].items()}
    assert attributes["RequestID"] == request_id
    assert attributes["ErrorCode"] == "200"
    assert "always 7" in attributes["ErrorMessage"]
    await live.clock.advance(600)  # nothing more comes
    assert len(await _starts(live, fails)) == 3
    assert len(await _records(live, sink)) == 1


async def _received(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = await call(sqs, "receive_message", QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)
    return list(got.get("Messages") or ())


async def _attempted(live: Live, name: str, count: int) -> bool:
    return _waiting(live) == 1 and len(await _starts(live, name)) == count


async def test_a_success_sends_its_record_to_on_success(live: Live) -> None:
    echo, echo_arn = await _function(live, ECHO, "echo")
    sink, sink_arn = await _function(live, SINK, "sink")
    lam = live.client("lambda")
    await call(
        lam, "put_function_event_invoke_config", FunctionName=echo, Qualifier="$LATEST",
        DestinationConfig={"OnSuccess": {"Destination": sink_arn}},
    )  # fmt: skip
    await call(lam, "invoke", FunctionName=echo, InvocationType="Event", Payload=b'{"hello": "world"}')
    records = await until(lambda: _records(live, sink), "the OnSuccess record")
    assert records[0]["requestContext"]["condition"] == "Success"
    assert records[0]["requestContext"]["approximateInvokeCount"] == 1
    assert records[0]["requestContext"]["functionArn"] == echo_arn + ":$LATEST"
    assert records[0]["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert records[0]["requestPayload"] == records[0]["responsePayload"] == {"hello": "world"}


async def test_an_event_runs_with_the_config_as_it_is_when_the_event_is_taken(live: Live) -> None:
    echo, _ = await _function(live, ECHO, "echo")
    sink, sink_arn = await _function(live, SINK, "sink")
    lam = live.client("lambda")
    await call(lam, "invoke", FunctionName=echo, InvocationType="Event", Payload=b'{"n": 1}')
    await until(lambda: _starts(live, echo), "the event run without a config")  # its settings read (and kept)
    await call(
        lam, "put_function_event_invoke_config", FunctionName=echo,
        DestinationConfig={"OnSuccess": {"Destination": sink_arn}},
    )  # fmt: skip
    await call(lam, "invoke", FunctionName=echo, InvocationType="Event", Payload=b'{"n": 2}')
    records = await until(lambda: _records(live, sink), "the OnSuccess record of the second event")
    assert [record["requestPayload"] for record in records] == [{"n": 2}]
    await call(lam, "delete_function_event_invoke_config", FunctionName=echo)
    await call(lam, "invoke", FunctionName=echo, InvocationType="Event", Payload=b'{"n": 3}')
    await until(lambda: _drained(live), "the third event done (acknowledged after its destination's turn)")
    assert len(await _starts(live, echo)) == 3
    assert len(await _records(live, sink)) == 1  # no destination any more


async def test_maximum_retry_attempts_zero_fails_after_one_attempt(live: Live) -> None:
    fails, _ = await _function(live, FAILS, "fails")
    sink, sink_arn = await _function(live, SINK, "sink")
    lam = live.client("lambda")
    await call(
        lam, "put_function_event_invoke_config", FunctionName=fails, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": sink_arn}},
    )  # fmt: skip
    await call(lam, "invoke", FunctionName=fails, InvocationType="Event", Payload=b'{"n": 1}')
    records = await until(lambda: _records(live, sink), "the OnFailure record")  # no clock moved
    assert records[0]["requestContext"]["condition"] == "RetriesExhausted"
    assert records[0]["requestContext"]["approximateInvokeCount"] == 1
    assert len(await _starts(live, fails)) == 1


async def test_a_throttled_event_is_retried_with_backoff_until_its_age_is_exceeded(live: Live) -> None:
    echo, _ = await _function(live, ECHO, "echo")
    sink, sink_arn = await _function(live, SINK, "sink")
    lam = live.client("lambda")
    await call(lam, "put_function_concurrency", FunctionName=echo, ReservedConcurrentExecutions=0)
    await call(
        lam, "put_function_event_invoke_config", FunctionName=echo, MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": sink_arn}},
    )  # fmt: skip
    await call(lam, "invoke", FunctionName=echo, InvocationType="Event", Payload=b'{"n": 2}')
    waits = 0
    while not await _records(live, sink):
        await until(lambda: _waiting(live) == 1 or _records(live, sink), "a throttled retry's wait")
        if _waiting(live):
            waits += 1
            await live.clock.advance(1)
        assert live.clock.monotonic() < 120, "retried past its age"
    records = await _records(live, sink)
    assert waits >= 5  # 1, 2, 4, 8, 16, then what was left of the 60 s
    assert records[0]["requestContext"]["condition"] == "EventAgeExceeded"
    assert records[0]["requestContext"]["approximateInvokeCount"] == 0
    assert records[0]["requestPayload"] == {"n": 2}
    assert await _starts(live, echo) == []  # throttled every time: it never ran
    assert live.system.async_dispatch is not None
    counted = live.system.async_dispatch.metrics.snapshot(("000000000000", "us-east-1", echo))
    assert counted["AsyncEventsReceived"] == 1 and counted["AsyncEventsDropped"] == 1
    assert counted["AsyncEventAge.SampleCount"] >= 5


async def test_a_dead_letter_queue_that_cannot_be_reached_is_counted_not_pretended(live: Live) -> None:
    fails, _ = await _function(live, FAILS, "fails")
    lam = live.client("lambda")
    queue = "arn:aws:sqs:us-east-1:000000000000:deleted-already"  # no such queue
    await call(lam, "update_function_configuration", FunctionName=fails, DeadLetterConfig={"TargetArn": queue})
    await until(lambda: _updated(lam, fails), "the update")
    got = await call(lam, "get_function_configuration", FunctionName=fails)
    assert got["DeadLetterConfig"] == {"TargetArn": queue}
    await call(lam, "put_function_event_invoke_config", FunctionName=fails, MaximumRetryAttempts=0)
    await call(lam, "invoke", FunctionName=fails, InvocationType="Event", Payload=b'{"n": 3}')
    assert live.system.async_dispatch is not None
    metrics = live.system.async_dispatch.metrics
    counted = await until(
        lambda: metrics.snapshot(("000000000000", "us-east-1", fails))["DeadLetterErrors"], "the dead letter's failure"
    )
    assert counted == 1
    assert metrics.snapshot(("000000000000", "us-east-1", fails))["AsyncEventsDropped"] == 1


async def _updated(lam: Any, name: str) -> bool:
    got = await call(lam, "get_function_configuration", FunctionName=name)
    return bool(got.get("LastUpdateStatus") == "Successful")


async def test_a_deleted_functions_queued_events_go_with_it(live: Live) -> None:
    """AWS drops a deleted function's queued events: its queue on the bus (events and consumer) and its numbers go,
    and a function made again with its name runs none of the old ones."""
    name, _ = await _function(live, ECHO, "deleted")
    lam = live.client("lambda")
    await call(lam, "put_function_concurrency", FunctionName=name, ReservedConcurrentExecutions=0)  # kept queued
    for n in range(3):
        await call(lam, "invoke", FunctionName=name, InvocationType="Event", Payload=json.dumps({"n": n}).encode())
    assert live.system.bus is not None and live.system.async_dispatch is not None
    bus = await live.system.bus.get()
    durable = f"000000000000_us-east-1_{name}"
    assert durable in {c.name for c in await bus.consumers(STREAM)}
    await call(lam, "delete_function", FunctionName=name)
    assert durable not in {c.name for c in await bus.consumers(STREAM)}
    assert (await bus.stream_state(STREAM)).messages == 0
    assert live.system.async_dispatch.metrics.snapshot(("000000000000", "us-east-1", name))["AsyncEventsReceived"] == 0

    await call(
        lam, "create_function", FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": ECHO})},
    )  # fmt: skip
    await until(lambda: _active(lam, name), "the function made again")
    await call(lam, "invoke", FunctionName=name, InvocationType="Event", Payload=b'{"n": "new"}')
    await until(lambda: _starts(live, name), "the new event's run")
    await until(lambda: _drained(live), "the queue drained")
    assert len(await _starts(live, name)) == 1


async def _active(lam: Any, name: str) -> bool:
    got = await call(lam, "get_function_configuration", FunctionName=name)
    return bool(got.get("State") == "Active")


async def test_only_the_apis_accepts_make_the_runs_give_way(live: Live) -> None:
    """Invoke's and InvokeAsync's accepts make a burst the runs give way to (functions/front_door.py); an event
    Overcast queues itself (a destination's, an SNS delivery's) does not, or it would hold back the runs that make
    such events."""
    name, arn = await _function(live, ECHO, "door")
    dispatch = live.system.async_dispatch
    assert dispatch is not None and live.system.invoker is not None

    def door() -> FrontDoor:  # one accept a burst, over an hour after it ends, holding nothing back (no window)
        dispatch.front_door = FrontDoor(window=0.0, busy=1, quiet=3600.0)
        return dispatch.front_door

    watched = door()
    await live.system.invoker.invoke(RequestContext(), arn, b'{"n": 0}', invocation_type="Event")
    assert watched.idle
    lam = live.client("lambda")
    await call(lam, "invoke", FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    assert not watched.idle
    watched = door()
    await call(lam, "invoke_async", FunctionName=name, InvokeArgs=b'{"n": 2}')
    assert not watched.idle
    await until(lambda: _ran(live, name, 3), "the three runs")


async def _ran(live: Live, name: str, count: int) -> bool:
    return len(await _starts(live, name)) == count
