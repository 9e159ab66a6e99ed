"""AsyncDispatch: accepted asynchronous events, run through the synchronous path with Lambda's retries.

https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html and invocation-async-error-handling.html:
an event is queued (`accept`: on disk before the 202) and a dispatcher per function with queued
events takes it off the queue and invokes the function as the Invoke API does (so concurrency and
reserved concurrency hold). A function error is retried MaximumRetryAttempts times (default 2),
about one minute after the first failure and two after the second; a throttle (429) or an error of
the service (5xx), which is not the function's, is retried with a backoff from one second doubling
to five minutes for as long as the event may live; an event older than MaximumEventAgeInSeconds
(default six hours) is not run again. When an event is done its record goes to the OnSuccess or
OnFailure destination of its event invoke config and, failed, the event itself to the function's
dead-letter queue too ("You can configure destinations in addition to or instead of a dead-letter
queue", API_PutFunctionEventInvokeConfig); then it is acknowledged and leaves the queue.
Every wait is on the injected clock.

At least once: an event whose retries were under way when the server died is run again from its
first attempt after the restart (its age still counts from when it was accepted). Events accepted together
share a message (async_queue.py's group commit), acknowledged once the last of them is done: after a crash
each of them runs again, finished or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import AwsError, ResourceNotFound
from overcast.functions import async_metrics as metric
from overcast.functions.async_metrics import AsyncMetrics
from overcast.functions.async_queue import AsyncQueue, FunctionKey
from overcast.functions.destinations import Destinations, FunctionDestinations, Undeliverable
from overcast.functions.event_invoke import EventInvokeConfigs
from overcast.functions.front_door import FrontDoor
from overcast.functions.invocation_records import (
    EVENT_AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    SUCCESS,
    AsyncEvent,
    Attempt,
    invocation_record,
)
from overcast.functions.names import function_arn
from overcast.functions.records import LATEST

if TYPE_CHECKING:
    from overcast.bus.messages import Message
    from overcast.functions.invoke import InvokeService

log = logging.getLogger("overcast.functions.async")

DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600  # seconds: six hours
RETRY_DELAYS = (60.0, 120.0)  # after the first and the second function error
FIRST_BACKOFF, MAX_BACKOFF = 1.0, 300.0  # throttles and service errors
# Messages one function's dispatcher holds at once (their events running or waiting for their next attempt): each
# holds up to MAX_GROUP_EVENTS events and at most about MAX_EVENT_BYTES of payloads.
MAX_IN_FLIGHT = 256
# Invocations one function's dispatcher runs at once: AWS's pollers scale a function's concurrency up gradually,
# and a burst of accepted events starting dozens of instances at once would cost more than it drains.
MAX_RUNNING = 8
POLL_SECONDS = 1.0  # how long an idle dispatcher waits for an event before it stops
DLQ_MESSAGE_BYTES = 1024  # ErrorMessage: "the first 1 KB of the error message"


@dataclass(frozen=True, slots=True)
class Policy:
    """An event's retry and destination settings: its event invoke config, AWS's defaults where unset."""

    retries: int = DEFAULT_RETRIES
    max_age: int = DEFAULT_MAX_AGE
    on_success: str | None = None
    on_failure: str | None = None


@dataclass(slots=True, eq=False)
class _Held:
    """A message taken off the queue, with how many of its events are still to finish."""

    message: Message
    left: int
    taken: float  # FrontDoor.now() when it was taken off the queue
    failed: bool = False  # an event failed unexpectedly: the message stays unacknowledged, to run again


class _Dispatcher:
    def __init__(self, max_running: int) -> None:
        self.kicked = True
        self.task: asyncio.Task[None] | None = None
        self.running = asyncio.Semaphore(max_running)
        self.held: set[_Held] = set()  # messages taken and not yet done
        self.room = asyncio.Event()  # set when a held message is done: the pump may take more

    def done(self, held: _Held) -> None:
        self.held.discard(held)
        self.room.set()


class AsyncDispatch:
    """Accepts events for asynchronous invocation and runs them; `resume` restarts what a crash left queued."""

    def __init__(
        self,
        queue: AsyncQueue,
        invoker: InvokeService,
        configs: EventInvokeConfigs,
        clock: Clock,
        destinations: Destinations | None = None,
        *,
        metrics: AsyncMetrics | None = None,
        front_door: FrontDoor | None = None,
        max_in_flight: int = MAX_IN_FLIGHT,
        max_running: int = MAX_RUNNING,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.queue = queue
        self.invoker = invoker
        self.configs = configs
        self.clock = clock
        self.destinations = FunctionDestinations(self._invoke_event, destinations)
        self.metrics = metrics or AsyncMetrics()
        self.front_door = front_door or FrontDoor()
        self.max_in_flight = max_in_flight
        self.max_running = max_running
        self.poll_seconds = poll_seconds
        self.waiting = 0  # events waiting on the clock for their next attempt
        self._dispatchers: dict[FunctionKey, _Dispatcher] = {}
        self._closed = False

    async def accept(self, event: AsyncEvent, *, from_api: bool = False) -> None:
        """Queue the event durably, and make sure its function's dispatcher runs. `from_api`: a caller of the
        Invoke API sent it (while several are under way at once, the runs give way: front_door.py)."""
        with self.front_door.accepting() if from_api else contextlib.nullcontext():
            await self.queue.put(event)
        self.metrics.count((event.account, event.region, event.function_name), metric.RECEIVED)
        self._kick(FunctionKey(event.account, event.region, event.function_name))

    async def forget(self, account: str, region: str, name: str) -> None:
        """A function deleted: its dispatcher stopped, its queued events dropped and its numbers forgotten."""
        key = FunctionKey(account, region, name)
        dispatcher = self._dispatchers.pop(key, None)
        if dispatcher is not None and dispatcher.task is not None:
            dispatcher.task.cancel()
            await asyncio.gather(dispatcher.task, return_exceptions=True)
        self.metrics.forget((account, region, name))
        try:
            await self.queue.drop(key)
        except AwsError as error:  # the function is deleted already: its events are dropped when they come up
            log.warning("could not drop the queued asynchronous events of %s: %s", name, error.message)

    async def resume(self) -> int:
        """Start a dispatcher for every function with queued events (at start); how many were started."""
        queued = await self.queue.queued()
        for key in queued:
            self._kick(key)
        return len(queued)

    async def close(self) -> None:
        """Stop the dispatchers; events they held stay on the queue, unacknowledged, for the next start."""
        self._closed = True
        tasks = [d.task for d in self._dispatchers.values() if d.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def running(self) -> int:
        """Dispatchers running now."""
        return len(self._dispatchers)

    def _kick(self, key: FunctionKey) -> None:
        if self._closed:
            return
        dispatcher = self._dispatchers.get(key)
        if dispatcher is not None:
            dispatcher.kicked = True
            return
        dispatcher = self._dispatchers[key] = _Dispatcher(self.max_running)
        dispatcher.task = asyncio.get_running_loop().create_task(self._pump(key, dispatcher))

    async def _pump(self, key: FunctionKey, dispatcher: _Dispatcher) -> None:
        """Take the function's events off the queue while there are any, up to max_in_flight at once."""
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                dispatcher.kicked = False
                room = self.max_in_flight - len(dispatcher.held)
                if room <= 0:
                    # Woken by a message done, not by asyncio.wait over every running event: that registered and
                    # removed a callback on each of up to max_in_flight * MAX_GROUP_EVENTS tasks at every wake-up.
                    dispatcher.room.clear()
                    await dispatcher.room.wait()
                    continue
                try:
                    taken = await self.queue.fetch(key, room, self.poll_seconds)
                except AwsError as error:  # the bus is down or restarting: try again shortly
                    log.warning("cannot take %s's asynchronous events: %s", key.name, error.message)
                    await self.clock.sleep(1.0)
                    continue
                # The event invoke config is read once for the events taken together (each reading it cost a
                # store transaction per event: a third of the throughput of accepting them).
                policies: dict[str | None, asyncio.Future[Policy]] = {}
                now = self.front_door.now()
                for message, events in taken:
                    held = _Held(message, len(events), now)
                    dispatcher.held.add(held)
                    for event in events:
                        if event.qualifier not in policies:
                            policies[event.qualifier] = asyncio.ensure_future(self._policy(event))
                        task = asyncio.get_running_loop().create_task(
                            self._deliver(held, event, policies[event.qualifier], dispatcher)
                        )
                        running.add(task)
                        task.add_done_callback(running.discard)
                if not taken and not running and not dispatcher.kicked:
                    return
        finally:
            if self._dispatchers.get(key) is dispatcher:
                del self._dispatchers[key]
            for task in running:
                task.cancel()

    async def _policy(self, event: AsyncEvent) -> Policy:
        ctx = RequestContext(account_id=event.account, region=event.region)
        settings = await self.configs.settings(ctx, event.function_name, event.qualifier)
        return Policy(
            DEFAULT_RETRIES if settings.maximum_retry_attempts is None else settings.maximum_retry_attempts,
            DEFAULT_MAX_AGE if settings.maximum_event_age_in_seconds is None else settings.maximum_event_age_in_seconds,
            settings.on_success or None,
            settings.on_failure or None,
        )

    async def _wait(self, seconds: float) -> None:
        self.waiting += 1
        try:
            await self.clock.sleep(seconds)
        finally:
            self.waiting -= 1

    async def _deliver(
        self, held: _Held, event: AsyncEvent, policy: asyncio.Future[Policy], dispatcher: _Dispatcher
    ) -> None:
        try:
            await self._run(event, await policy, dispatcher.running, held.taken)
        except Exception:  # one event's failure must not stop its function's others; its message stays queued
            log.exception("asynchronous event %s of %s failed to run", event.request_id, event.function_name)
            held.failed = True
        held.left -= 1
        if not held.left:
            dispatcher.done(held)
        if held.left or held.failed:  # the message is acknowledged once, when its last event is done
            return
        try:
            await held.message.ack()
        except AwsError as error:  # the bus is gone: the events run again once it is back (at least once)
            log.warning("could not acknowledge asynchronous event %s: %s", event.request_id, error.message)

    async def _run(self, event: AsyncEvent, policy: Policy, running: asyncio.Semaphore, taken: float) -> None:
        function = (event.account, event.region, event.function_name)
        ctx = RequestContext(account_id=event.account, region=event.region, request_id=event.request_id)
        invokes, last, backoff = 0, None, FIRST_BACKOFF
        while True:
            now = self.clock.now()
            left = event.received + policy.max_age - now
            if left < 0:
                condition = EVENT_AGE_EXCEEDED
                break
            try:
                async with running:
                    await self.front_door.turn(taken)
                    # AsyncEventAge: from queueing to this attempt, the waits for a slot and for a burst included.
                    self.metrics.age(function, (self.clock.now() - event.received) * 1000)
                    out = await self.invoker.invoke(
                        ctx, event.function_name, event.payload, qualifier=event.qualifier, trace_id=event.trace_id,
                        json_payload=True,
                    )  # fmt: skip
            except AwsError as error:
                if error.status == 429 or error.status >= 500:  # not the function's error: back off, try again
                    await self._wait(min(backoff, left + 0.001))
                    backoff = min(backoff * 2, MAX_BACKOFF)
                    continue
                # The function (or its version or alias) is gone, or can no longer be invoked: nothing to retry.
                log.warning("dropped asynchronous event %s of %s: %s", event.request_id, event.function_name, error)
                self.metrics.count(function, metric.DROPPED)
                return
            invokes += 1
            last = Attempt(out.status_code, out.executed_version, out.function_error, out.payload)
            if out.function_error is None:
                condition = SUCCESS
                break
            if invokes > policy.retries:
                condition = RETRIES_EXHAUSTED
                break
            await self._wait(min(RETRY_DELAYS[invokes - 1], left + 0.001))
        await self._finish(ctx, event, policy, condition, invokes, last)

    async def _finish(
        self, ctx: RequestContext, event: AsyncEvent, policy: Policy, condition: str, invokes: int, last: Attempt | None
    ) -> None:
        function = (event.account, event.region, event.function_name)
        arn = function_arn(event.account, event.region, event.function_name, event.qualifier or LATEST)
        destination = policy.on_success if condition == SUCCESS else policy.on_failure
        if condition != SUCCESS:
            self.metrics.count(function, metric.DROPPED)
        if destination is not None:
            record = invocation_record(event, arn, condition, invokes, last, self.clock.now())
            try:
                await self.destinations.send(ctx, destination, json.dumps(record))
            except (Undeliverable, AwsError) as exc:
                log.warning("could not deliver the record of %s to %s: %s", event.request_id, destination, exc)
                self.metrics.count(function, metric.DESTINATION_FAILURES)
        if condition == SUCCESS:
            return
        dead_letters = await self._dead_letter_target(ctx, event, last)
        if dead_letters is None:
            return
        attributes = {"RequestID": event.request_id, **_error_attributes(condition, last)}
        try:
            await self.destinations.send(ctx, dead_letters, event.payload.decode(errors="replace"), attributes)
        except (Undeliverable, AwsError) as exc:
            log.warning("could not send %s to its dead-letter queue %s: %s", event.request_id, dead_letters, exc)
            self.metrics.count(function, metric.DEAD_LETTER_ERRORS)

    async def _dead_letter_target(self, ctx: RequestContext, event: AsyncEvent, last: Attempt | None) -> str | None:
        qualifier = last.executed_version if last is not None else event.qualifier
        try:
            version = await self.invoker.version_of(ctx, event.function_name, qualifier)
        except ResourceNotFound:
            return None
        return version.config.dead_letter_target

    async def _invoke_event(self, ctx: RequestContext, arn: str, payload: bytes) -> object:
        # An invocation of its own (its own request id), in the account of the function whose record it is.
        ctx = RequestContext(account_id=ctx.account_id, region=ctx.region)
        return await self.invoker.invoke(ctx, arn, payload, invocation_type="Event", json_payload=True)


def _error_attributes(condition: str, last: Attempt | None) -> dict[str, str]:
    """A dead letter's ErrorCode (the three-digit status code) and ErrorMessage (the first 1 KB of the error's
    message): https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq."""
    if last is None:
        return {"ErrorCode": "429", "ErrorMessage": condition}
    message = last.payload.decode(errors="replace")
    try:
        document = json.loads(last.payload)
        if isinstance(document, dict) and isinstance(document.get("errorMessage"), str):
            message = document["errorMessage"]
    except (ValueError, UnicodeDecodeError):
        pass
    return {"ErrorCode": str(last.status_code), "ErrorMessage": message[:DLQ_MESSAGE_BYTES] or condition}
