"""Task tokens and activity tasks on both store engines: SendTask* errors as AWS, long poll by the Clock."""

from __future__ import annotations

import asyncio

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.errors import AwsError
from overcast.workflows.engine.tasks import Outcome, Tasks

ARN = "arn:aws:states:us-east-1:111111111111:execution:sm:e1"
ACTIVITY = "arn:aws:states:us-east-1:111111111111:activity:work"
TOKEN = "ab" * 32
OWNER = RequestContext(account_id="111111111111")


async def test_callback_completes_once(tasks: Tasks) -> None:
    fresh, outcome = await tasks.open(TOKEN, ARN, "/T#0/a0")
    assert fresh and outcome is None
    future = tasks.done_future(TOKEN)
    await tasks.heartbeat(OWNER, TOKEN)
    await tasks.complete(OWNER, TOKEN, Outcome(output='{"ok":true}'))
    assert (await future).output == '{"ok":true}'
    with pytest.raises(AwsError) as late:
        await tasks.complete(OWNER, TOKEN, Outcome(output="{}"))
    assert late.value.code == "TaskTimedOut"
    again, stored = await tasks.open(TOKEN, ARN, "/T#0/a0")  # a replay finds the stored result
    assert not again and stored == Outcome(output='{"ok":true}')


async def test_unknown_and_malformed_tokens(tasks: Tasks) -> None:
    with pytest.raises(AwsError) as malformed:
        await tasks.complete(OWNER, "nope", Outcome(output="{}"))
    assert malformed.value.code == "InvalidToken"
    with pytest.raises(AwsError) as unknown:
        await tasks.heartbeat(OWNER, "cd" * 32)
    assert unknown.value.code == "TaskDoesNotExist"


async def test_a_token_names_no_task_outside_its_executions_account_and_region(tasks: Tasks) -> None:
    await tasks.open(TOKEN, ARN, "/T#0/a0")
    for stranger in (RequestContext(account_id="222222222222"), RequestContext("111111111111", "eu-west-1")):
        with pytest.raises(AwsError) as beat:
            await tasks.heartbeat(stranger, TOKEN)
        with pytest.raises(AwsError) as done:
            await tasks.complete(stranger, TOKEN, Outcome("{}"))
        assert beat.value.code == done.value.code == "TaskDoesNotExist"
    await tasks.complete(OWNER, TOKEN, Outcome(output="{}"))  # still open for its own account


async def test_activity_long_poll_waits_for_work_and_times_out_by_the_clock(tasks: Tasks, clock: FakeClock) -> None:
    poll = asyncio.ensure_future(tasks.next_activity_task(ACTIVITY, "w1"))
    await asyncio.wait_for(clock.sleeping(1), 5)  # the long poll waits on the clock
    assert not poll.done()
    await tasks.open(TOKEN, ARN, "/A#0/a0", ACTIVITY, '{"job":1}')
    assert await asyncio.wait_for(poll, 5) == (TOKEN, '{"job":1}')
    assert await tasks.started_worker(TOKEN) == "w1"
    empty = asyncio.ensure_future(tasks.next_activity_task(ACTIVITY, "w2"))
    await asyncio.wait_for(clock.sleeping(1), 5)
    await clock.advance(60)
    assert await asyncio.wait_for(empty, 5) is None
