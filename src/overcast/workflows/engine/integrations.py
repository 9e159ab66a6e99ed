"""Integrations: how a Task state's resource runs — Lambda, activities, callbacks, nested executions.

Each run emits the task events AWS writes between TaskStateEntered and TaskStateExited, chained
from `TaskRequest.previous_event_id`, and reports its last event id in the TaskResult.
- a Lambda function ARN: LambdaFunctionScheduled/Started/Succeeded|Failed|TimedOut, output = the
  function's payload (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html);
- `arn:aws:states:::lambda:invoke`: TaskScheduled/Started/Succeeded|Failed, output = the Invoke
  response {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode};
- `.waitForTaskToken`: the call is made, then the task waits for SendTaskSuccess/Failure
  (https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html);
- an activity ARN: ActivityScheduled/Started/Succeeded|Failed|TimedOut;
- `arn:aws:states:::states:startExecution[.sync|.sync:2]`: a nested execution;
- `arn:aws:states:::sqs:sendMessage`, `sns:publish` (and `.waitForTaskToken`): the API call (service_tasks.py).
A function error becomes the error named by the function's errorType, its cause the error payload.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from email.utils import formatdate
from typing import Any, Protocol

from overcast.arn import format_arn, parse_arn
from overcast.clock import Clock
from overcast.context import Caller, RequestContext
from overcast.errors import AwsError
from overcast.workflows.asl import TaskRequest, TaskResult
from overcast.workflows.asl.errors import DATA_LIMIT_EXCEEDED, data_limit_cause, exceeds_payload_limit
from overcast.workflows.engine.journal import Journal
from overcast.workflows.engine.names import context_of
from overcast.workflows.engine.service_tasks import SERVICE_TASKS, ServiceCalls, ServiceTaskFailed
from overcast.workflows.engine.service_tasks import run as run_service_task
from overcast.workflows.engine.tasks import Outcome, Tasks

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
START_EXECUTION = "arn:aws:states:::states:startExecution"


class Invoker(Protocol):
    async def invoke(
        self,
        ctx: RequestContext,
        function_name: str,
        payload: bytes,
        *,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        log_type: str = "None",
        client_context: str | None = None,
        trace_id: str | None = None,
        caller: Caller | None = None,
    ) -> Any: ...


# (execution arn of the parent, state machine arn, name, input text) -> (child arn, start date)
StartChild = Callable[[str, str, str | None, str], Awaitable[tuple[str, float]]]
# child execution arn -> its finished describe dict (status, output, error, cause ...)
AwaitChild = Callable[[str], Awaitable[dict[str, Any]]]


class _Failed(Exception):
    def __init__(self, error: str, cause: str | None) -> None:
        super().__init__(error)
        self.error, self.cause = error, cause


# Lambda's errors that the SDK Step Functions calls Lambda with does not model: it names them by its generic
# exception, as the task's error shows ("Lambda.AWSLambdaException", the AccessDeniedException in the cause).
# https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html (the Lambda errors to retry)
_SDK_EXCEPTIONS = {"AccessDeniedException": "AWSLambdaException"}


def _execution_role(journal: Journal, ctx: RequestContext) -> Caller | None:
    """Whom a task calls Lambda as: a session of the execution role (arn:aws:sts::<account>:assumed-role/<role>/<id>),
    which a function of another account must let in through its policy; None when the role is not known
    (the account's own then)."""
    role = parse_arn(journal.role_arn)
    if role is None or not role.resource.startswith("role/"):
        return None
    session = journal.execution_arn.rsplit(":", 1)[-1][:64]
    resource = f"assumed-role/{role.resource.rsplit('/', 1)[-1]}/{session}"
    return Caller(ctx.account_id, format_arn("sts", "", ctx.account_id, resource, role.partition))


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Integrations:
    def __init__(self, clock: Clock, tasks: Tasks, invoker: Invoker | None = None) -> None:
        self.clock = clock
        self.tasks = tasks
        self.invoker = invoker
        self.start_child: StartChild | None = None
        self.await_child: AwaitChild | None = None
        self.service_calls: ServiceCalls | None = None  # other services' APIs, for sqs:sendMessage and the like

    async def run(self, journal: Journal, key: str, request: TaskRequest) -> TaskResult:
        resource = request.resource
        base, _, pattern = resource.partition(".")
        arn = parse_arn(base)
        if arn is not None and arn.service == "lambda" and arn.resource.startswith("function:"):
            return await self._lambda_function(journal, key, request)
        if arn is not None and arn.service == "states" and arn.resource.startswith("activity:"):
            return await self._activity(journal, key, request)
        return await self._service_task(journal, key, request, base, pattern)

    # --- the event chain -------------------------------------------------------------------------------

    class _Chain:
        def __init__(self, journal: Journal, key: str, previous: int) -> None:
            self.journal, self.key, self.last, self.n = journal, key, previous, 0

        def add(self, event_type: str, details: dict[str, Any] | None = None) -> None:
            event = self.journal.append_event(f"{self.key}!{self.n}", event_type, self.last, details)
            self.n += 1
            self.last = event.id

    async def _started(self, journal: Journal, key: str, request: TaskRequest) -> float:
        """When this attempt started, journaled (and written at once) when it has a timeout or a
        heartbeat: a replay after a crash keeps counting from it instead of starting over."""
        if not request.timeout_seconds and not request.heartbeat_seconds:
            return self.clock.now()
        fresh = f"timer:{key}/started" not in journal.values
        started = journal.started(key)
        if fresh:
            await journal.flush()
        return started

    async def _timed(
        self,
        work: Coroutine[Any, Any, Any],
        seconds: int | None,
        heartbeat: str | None = None,
        heartbeat_seconds: int | None = None,
        started: float | None = None,
    ) -> Any:
        """Run `work`, failing with States.Timeout / States.HeartbeatTimeout when the Clock says so.

        Both count from `started` (the journaled start of the attempt); a heartbeat period from
        the last SendTaskHeartbeat, whether it arrived before a replay (persisted) or during it."""
        task = asyncio.ensure_future(work)
        timers: list[asyncio.Future[Any]] = []
        try:
            begun = self.clock.now() if started is None else started
            deadline = None if not seconds else begun + seconds
            period_from = begun
            if heartbeat is not None and heartbeat_seconds:
                period_from = max(begun, await self.tasks.last_beat(heartbeat) or begun)
            while True:
                waits: set[asyncio.Future[Any]] = {task}
                limit = None if deadline is None else deadline - self.clock.now()
                # Which limit the sleep below is for: decided here, not by re-reading the clock when
                # it wakes (a loop's timer may fire a hair before the deadline it was given).
                expiry = "States.Timeout"
                beat_event = None
                if heartbeat is not None and heartbeat_seconds:
                    beat_event = self.tasks.heartbeat_event(heartbeat)
                    beat_event.clear()
                    beat = asyncio.ensure_future(beat_event.wait())
                    timers.append(beat)
                    waits.add(beat)
                    beat_left = period_from + heartbeat_seconds - self.clock.now()
                    if limit is None or beat_left < limit:
                        limit, expiry = beat_left, "States.HeartbeatTimeout"
                if limit is not None:
                    sleeper = asyncio.ensure_future(self.clock.sleep(max(0.0, limit)))
                    timers.append(sleeper)
                    waits.add(sleeper)
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
                if task in done:
                    return task.result()
                if beat_event is not None and beat_event.is_set():
                    period_from = self.clock.now()  # a heartbeat arrived: a new heartbeat period
                    continue
                raise _Failed(expiry, "")
        finally:
            for timer in timers:
                timer.cancel()
            if not task.done():
                task.cancel()

    # --- Lambda -------------------------------------------------------------------------------------------

    async def _invoke(
        self,
        journal: Journal,
        function: str,
        payload: bytes,
        qualifier: str | None = None,
        invocation_type: str = "RequestResponse",
        compact: bool = False,
    ) -> tuple[Any, dict[str, Any]]:
        """(response payload parsed, Invoke output as lambda:invoke returns it). Raises _Failed."""
        if self.invoker is None:
            raise _Failed("Lambda.ServiceException", "Overcast runs no Lambda invoke service in this process.")
        parts = parse_arn(journal.execution_arn)
        ctx = RequestContext(
            account_id=parts.account if parts else "",
            region=parts.region if parts else "",
            request_id=str(uuid.uuid4()),
            service="lambda",
            operation="Invoke",
        )
        try:
            out = await self.invoker.invoke(
                ctx, function, payload, qualifier=qualifier, invocation_type=invocation_type,
                caller=_execution_role(journal, ctx),
            )  # fmt: skip
        except AwsError as error:
            cause = (
                f"{error.message} (Service: AWSLambda; Status Code: {error.status}; Error Code: {error.code};"
                f" Request ID: {ctx.request_id}; Proxy: null)"
            )
            raise _Failed(f"Lambda.{_SDK_EXCEPTIONS.get(error.code, error.code)}", cause) from None
        raw = out.payload if isinstance(out.payload, (bytes, bytearray)) else bytes(out.payload or b"")
        text = raw.decode("utf-8", "replace")
        if getattr(out, "function_error", None):
            error_type = "Exception"
            try:
                error_type = str(json.loads(text).get("errorType") or "Exception")
            except (ValueError, AttributeError):
                error_type = "Lambda.Unknown"
            if compact:  # lambda:invoke re-serializes the error payload; a plain function ARN keeps it as is
                with contextlib.suppress(ValueError):
                    text = _text(json.loads(text))
            raise _Failed(error_type, text)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        request_id = ctx.request_id
        headers = {
            "Connection": "keep-alive",
            "Content-Length": str(len(raw)),
            "Content-Type": "application/json",
            "Date": formatdate(self.clock.now(), usegmt=True),
            "X-Amz-Executed-Version": out.executed_version or "$LATEST",
            "x-amzn-Remapped-Content-Length": "0",
            "x-amzn-RequestId": request_id,
            "X-Amzn-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        response = {
            "ExecutedVersion": out.executed_version or "$LATEST",
            "Payload": parsed,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {k: [v] for k, v in headers.items()},
                "HttpHeaders": headers,
                "HttpStatusCode": out.status_code,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": out.status_code,
        }
        return parsed, response

    async def _lambda_function(self, journal: Journal, key: str, request: TaskRequest) -> TaskResult:
        chain = self._Chain(journal, key, request.previous_event_id)
        scheduled: dict[str, Any] = {
            "resource": request.resource,
            "input": _text(request.parameters),
            "inputDetails": {"truncated": False},
        }
        if request.timeout_seconds:
            scheduled["timeoutInSeconds"] = request.timeout_seconds
        chain.add("LambdaFunctionScheduled", scheduled)
        chain.add("LambdaFunctionStarted")
        started = await self._started(journal, key, request)
        try:
            parsed, _ = await self._timed(
                self._invoke(journal, request.resource, _text(request.parameters).encode()),
                request.timeout_seconds,
                started=started,
            )
        except _Failed as failed:
            kind = "LambdaFunctionTimedOut" if failed.error == "States.Timeout" else "LambdaFunctionFailed"
            chain.add(kind, _error_details(failed.error, failed.cause))
            return TaskResult(error=failed.error, cause=failed.cause, last_event_id=chain.last)
        text = _text(parsed)
        if exceeds_payload_limit(text):
            # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
            # (States.DataLimitExceeded: "the output of a connector is larger than payload size quota")
            cause = data_limit_cause("lambda")
            chain.add("LambdaFunctionFailed", _error_details(DATA_LIMIT_EXCEEDED, cause))
            return TaskResult(error=DATA_LIMIT_EXCEEDED, cause=cause, last_event_id=chain.last)
        chain.add("LambdaFunctionSucceeded", {"output": text, "outputDetails": {"truncated": False}})
        return TaskResult(output=parsed, last_event_id=chain.last)

    # --- service integrations (arn:aws:states:::service:action[.pattern]) -----------------------------------

    async def _service_task(
        self, journal: Journal, key: str, request: TaskRequest, base: str, pattern: str
    ) -> TaskResult:
        chain = self._Chain(journal, key, request.previous_event_id)
        arn = parse_arn(base)
        service_action = arn.resource if arn is not None else base
        service, _, action = service_action.partition(":")
        resource = f"{action}{'.' + pattern if pattern else ''}"
        scheduled: dict[str, Any] = {
            "resourceType": service,
            "resource": resource,
            "region": _region(journal.execution_arn),
            "parameters": _text(request.parameters),
        }
        if request.timeout_seconds:
            scheduled["timeoutInSeconds"] = request.timeout_seconds
        if request.heartbeat_seconds:
            scheduled["heartbeatInSeconds"] = request.heartbeat_seconds
        chain.add("TaskScheduled", scheduled)
        chain.add("TaskStarted", {"resourceType": service, "resource": resource})
        names = {"resourceType": service, "resource": resource}
        started = await self._started(journal, key, request)
        try:
            output = await self._timed(
                self._call(journal, key, request, service, action, pattern, chain),
                request.timeout_seconds,
                request.task_token,
                request.heartbeat_seconds,
                started,
            )
        except _Failed as failed:
            if request.task_token:
                await self.tasks.close(request.task_token)
            kind = "TaskTimedOut" if failed.error in ("States.Timeout", "States.HeartbeatTimeout") else "TaskFailed"
            chain.add(kind, {**names, **_error_details(failed.error, failed.cause)})
            return TaskResult(error=failed.error, cause=failed.cause, last_event_id=chain.last)
        text = _text(output)
        if exceeds_payload_limit(text):
            cause = data_limit_cause(service)
            chain.add("TaskFailed", {**names, **_error_details(DATA_LIMIT_EXCEEDED, cause)})
            return TaskResult(error=DATA_LIMIT_EXCEEDED, cause=cause, last_event_id=chain.last)
        chain.add("TaskSucceeded", {**names, "output": text, "outputDetails": {"truncated": False}})
        return TaskResult(output=output, last_event_id=chain.last)

    async def _call(
        self,
        journal: Journal,
        key: str,
        request: TaskRequest,
        service: str,
        action: str,
        pattern: str,
        chain: Integrations._Chain,
    ) -> Any:
        params = request.parameters if isinstance(request.parameters, dict) else {}
        waits = pattern == "waitForTaskToken" and request.task_token is not None
        if waits:
            assert request.task_token is not None
            fresh, outcome = await self.tasks.open(request.task_token, journal.execution_arn, key)
            if outcome is not None:
                return _unwrap(outcome)
            if not fresh:
                return _unwrap(await self.tasks.done_future(request.task_token))
            future = self.tasks.done_future(request.task_token)
        if service == "lambda" and action == "invoke":
            _, response = await self._invoke(
                journal,
                str(params.get("FunctionName", "")),
                _invoke_payload(params.get("Payload")),
                params.get("Qualifier"),
                str(params.get("InvocationType", "RequestResponse")),
                compact=True,
            )
            result: Any = response
        elif service == "states" and action == "startExecution":
            result = await self._start_execution(journal, params, pattern)
        elif (service, action) in SERVICE_TASKS:
            owner = context_of(journal.execution_arn)
            ctx = RequestContext(owner.account_id, owner.region, str(uuid.uuid4()))
            try:
                result = await run_service_task(
                    self.service_calls, ctx, SERVICE_TASKS[service, action], params, self.clock.now()
                )
            except ServiceTaskFailed as failed:
                raise _Failed(failed.error, failed.cause) from None
        else:
            raise _Failed("States.Runtime", f"Overcast does not run the '{service}:{action}' integration yet.")
        if waits:
            return _unwrap(await future)
        return result

    async def _start_execution(self, journal: Journal, params: dict[str, Any], pattern: str) -> Any:
        if self.start_child is None or self.await_child is None:
            raise _Failed("States.Runtime", "Nested executions are not available.")
        raw_input = params.get("Input", {})
        input_text = raw_input if isinstance(raw_input, str) else _text(raw_input)
        try:
            child_arn, start = await self.start_child(
                journal.execution_arn, str(params.get("StateMachineArn", "")), params.get("Name"), input_text
            )
        except AwsError as error:
            raise _Failed(
                f"StepFunctions.{error.code}Exception"
                if not error.code.endswith("Exception")
                else f"StepFunctions.{error.code}",
                error.message,
            ) from None
        if not pattern.startswith("sync"):
            return {"ExecutionArn": child_arn, "StartDate": start}
        child = await self.await_child(child_arn)
        if child["Status"] != "SUCCEEDED":
            raise _Failed("States.TaskFailed", _text(child))
        if pattern == "sync:2" and child.get("Output") is not None:
            child = {**child, "Output": json.loads(child["Output"])}
        return child

    # --- activities -----------------------------------------------------------------------------------------

    async def _activity(self, journal: Journal, key: str, request: TaskRequest) -> TaskResult:
        chain = self._Chain(journal, key, request.previous_event_id)
        owner = context_of(journal.execution_arn)
        activity = parse_arn(request.resource)
        if activity is None or not activity.owned_by(owner.account_id, owner.region):
            # An activity has no resource-based policy, so another account's (or region's) activity is out of
            # the execution's reach: the task is not scheduled (ActivityScheduleFailed,
            # https://docs.aws.amazon.com/step-functions/latest/apireference/API_ActivityScheduleFailedEventDetails.html)
            # and no worker of that account is handed this execution's input.
            error, cause = "States.Runtime", f"The activity '{request.resource}' is not in this execution's account."
            chain.add("ActivityScheduleFailed", {"error": error, "cause": cause})
            return TaskResult(error=error, cause=cause, last_event_id=chain.last)
        token = request.task_token or journal.task_token(key)
        scheduled: dict[str, Any] = {
            "resource": request.resource,
            "input": _text(request.parameters),
            "inputDetails": {"truncated": False},
        }
        if request.timeout_seconds:
            scheduled["timeoutInSeconds"] = request.timeout_seconds
        if request.heartbeat_seconds:
            scheduled["heartbeatInSeconds"] = request.heartbeat_seconds
        chain.add("ActivityScheduled", scheduled)
        await journal.flush()
        _, outcome = await self.tasks.open(
            token, journal.execution_arn, key, request.resource, _text(request.parameters)
        )

        async def work() -> Outcome:
            started = self.tasks.started_future(token)
            worker = await self.tasks.started_worker(token)
            if worker is None and outcome is None:
                worker = await started
            chain.add("ActivityStarted", {"workerName": worker or ""})
            if outcome is not None:
                return outcome
            return await self.tasks.done_future(token)

        try:
            result = await self._timed(
                work(), request.timeout_seconds, token, request.heartbeat_seconds,
                await self._started(journal, key, request),
            )  # fmt: skip
        except _Failed as failed:
            await self.tasks.close(token)
            chain.add("ActivityTimedOut", _error_details(failed.error, failed.cause))
            return TaskResult(error=failed.error, cause=failed.cause, last_event_id=chain.last)
        if result.error is not None:
            chain.add("ActivityFailed", _error_details(result.error, result.cause))
            return TaskResult(error=result.error, cause=result.cause, last_event_id=chain.last)
        output = json.loads(result.output) if isinstance(result.output, str) else result.output
        chain.add("ActivitySucceeded", {"output": _text(output), "outputDetails": {"truncated": False}})
        return TaskResult(output=output, last_event_id=chain.last)


def _invoke_payload(payload: Any) -> bytes:
    """lambda:invoke's Payload as Lambda receives it: a string is sent verbatim (it is Invoke's blob,
    not JSON to serialize), anything else as its JSON text.
    https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html"""
    if isinstance(payload, str):
        return payload.encode("utf-8")
    return _text(payload).encode("utf-8")


def _unwrap(outcome: Outcome) -> Any:
    if outcome.error is not None:
        raise _Failed(outcome.error, outcome.cause)
    return json.loads(outcome.output) if isinstance(outcome.output, str) else outcome.output


def _error_details(error: str | None, cause: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if error is not None:
        out["error"] = error
    if cause is not None:
        out["cause"] = cause
    return out


def _region(execution_arn: str) -> str:
    parts = parse_arn(execution_arn)
    return parts.region if parts else ""
