"""The invoke service: synchronous invocation of a function version on a pooled instance, within its concurrency.

`InvokeService.invoke` is what the Lambda Invoke API, Step Functions' Lambda tasks and (later)
event sources call. It resolves the function (name, partial or full ARN, $LATEST, version or
alias, alias weights honoured), checks the payload and the function's state, admits the call
against concurrency (provisioned instances first, then reserved or unreserved concurrency),
runs it on a warm instance or a cold one, and answers like AWS
(https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html). Every invocation's log (START,
the function's lines, END, REPORT) goes to the instance's log stream, and its billable facts to
the Meter; both are written in batches shortly after the response by the Outbox (`flush` writes
them at once), as Lambda delivers its logs asynchronously.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import functools
import json
import logging
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from overcast.billing.metering import Meter
from overcast.clock import Clock
from overcast.context import Caller, RequestContext, account_root
from overcast.errors import AwsError, NotImplementedOperation, ResourceNotFound
from overcast.functions import versions
from overcast.functions.async_queue import MAX_EVENT_BYTES
from overcast.functions.concurrency import Concurrency
from overcast.functions.errors import ResourceConflict, ValidationException
from overcast.functions.instances import Instance, InstanceSpec, Invocation, InvocationResult, ResponseSink
from overcast.functions.invocation_records import AsyncEvent
from overcast.functions.names import AccessDenied, function_arn, parse_function_ref
from overcast.functions.outbox import BatchWriter, Finished, Outbox, StoreWriter
from overcast.functions.packages import Packages
from overcast.functions.policy import INVOKE, allows
from overcast.functions.pool import Lease, Pool, PoolKey
from overcast.functions.provisioning import Provisioner
from overcast.functions.records import LATEST, FunctionVersion
from overcast.functions.registry import Registry
from overcast.observe.logs import LogStore, lambda_log_group, lambda_stream_name

log = logging.getLogger("overcast.functions.invoke")

INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
# The operations whose events are a caller's, not Overcast's own (destinations, SNS deliveries): see front_door.py.
_API_OPERATIONS = ("Invoke", "InvokeAsync")
LOG_TAIL_BYTES = 4096  # X-Amz-Log-Result: "The last 4 KB of the execution log"


class RequestTooLargeException(AwsError):
    code, status = "RequestTooLargeException", 413


class InvalidRequestContent(AwsError):
    code, status = "InvalidRequestContentException", 400


class ResourceNotReady(AwsError):
    code, status = "ResourceNotReadyException", 502
    sender_fault = False


class AsyncEvents(Protocol):
    """Where an accepted asynchronous event goes (functions/async_dispatch.py's AsyncDispatch)."""

    async def accept(self, event: AsyncEvent, *, from_api: bool = False) -> None: ...

    async def forget(self, account: str, region: str, name: str) -> None: ...


@dataclass(frozen=True, slots=True)
class InvokeOutput:
    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed
    executed_version: str
    log_result: str | None  # base64 of the last 4 KB of the invocation's log, with LogType Tail


@dataclass(frozen=True, slots=True)
class Target:
    """What an Invoke's FunctionName and Qualifier resolved to, kept for the calls that name it alike."""

    version: FunctionVersion
    qualifier: str | None  # as resolved from the name and the Qualifier parameter
    invoked_arn: str
    pool_key: PoolKey
    generation: int  # the version cache's generation it was resolved in: stale once that changes
    # Another account's function: the statements of the policy that governs this call, which each caller
    # must satisfy (None for the caller's own function, which its own account may always invoke).
    policy: tuple[dict[str, object], ...] | None = None


# Distinct (account, region, name, qualifier) spellings kept resolved; past it the cache starts over.
MAX_TARGETS = 4096


def check_state(version: FunctionVersion) -> None:
    """Only an Active function runs (https://docs.aws.amazon.com/lambda/latest/dg/functions-states.html)."""
    if version.state == "Active":
        return
    if version.state == "Inactive":
        raise ResourceNotReady(
            "The function is currently in the Inactive state and cannot be invoked. Lambda is restoring the "
            "function's resources; try again shortly."
        )
    raise ResourceConflict(
        f"The operation cannot be performed at this time. The function is currently in the following state: "
        f"{version.state}"
    )


def _denied(caller: Caller, resource: str) -> AccessDenied:
    # IAM's wording when no statement of a function's policy grants a call from another account
    # (https://docs.aws.amazon.com/lambda/latest/dg/permissions-function-cross-account.html: the policy of
    # the qualifier the call names governs it; https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)
    return AccessDenied(
        f"User: {caller.principal} is not authorized to perform: {INVOKE} on resource: {resource} because no "
        f"resource-based policy allows the {INVOKE} action"
    )


def error_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def log_tail(lines: list[str]) -> str:
    data = "".join(line + "\n" for line in lines).encode()
    return base64.b64encode(data[-LOG_TAIL_BYTES:]).decode()


def outcome(result: InvocationResult) -> str:
    if result.function_error is None:
        return "success"
    if result.error_type == "Sandbox.Timedout":
        return "timeout"
    return "crash" if result.instance_lost else "error"


class InvokeService:
    def __init__(
        self,
        registry: Registry,
        pool: Pool,
        concurrency: Concurrency,
        packages: Packages,
        logs: LogStore | None,
        meter: Meter | None,
        clock: Clock,
        *,
        max_payload_bytes: int = 6 * 1024 * 1024,
        random_source: Callable[[], float] | None = None,
        outbox_writer: BatchWriter | None = None,
    ) -> None:
        self.registry = registry
        self.store = registry.store
        self.pool = pool
        self.concurrency = concurrency
        self.packages = packages
        self.logs = logs
        self.meter = meter
        self.clock = clock
        self.max_payload_bytes = max_payload_bytes
        self.random = random_source or random.random
        # Where finished invocations' logs and billing records are made and stored: by default here,
        # on this store; `overcast up` passes a WriterProcess (functions/outbox_process.py).
        self.outbox = Outbox(outbox_writer or StoreWriter(self.store, logs, meter is not None), clock)
        self._targets: dict[tuple[str, str, str, str | None], Target] = {}
        # Asynchronous invocation's queue and dispatchers (set by the composition root; None: not available).
        self.events: AsyncEvents | None = None
        self.provisioner = Provisioner(self.store, concurrency, pool, self._spec)
        concurrency.listener = self.provisioner.changed

    async def start(self) -> None:
        """Start the reaper, and bring provisioned concurrency back up (in the background). The outbox's
        writer starts with the first invocation."""
        self.pool.start()
        self.provisioner.start()

    # --- the invocation ------------------------------------------------------------------------------

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
        json_payload: bool = False,
        caller: Caller | None = None,
        stream: ResponseSink | None = None,
    ) -> InvokeOutput:
        """Invoke as the Invoke API does. `json_payload`: the caller wrote the payload as JSON itself
        (API Gateway's events), so it is not parsed again to check it. `ctx` is the caller's account and
        Region; `caller` who calls from it (by default the account itself, as the Invoke API's callers are):
        another account's function runs only if its policy lets `caller` invoke it, and then in its own
        account (its concurrency, logs and bill). `stream`: where a streamed response goes as it arrives
        (InvokeWithResponseStream); the output's payload is then what was not streamed."""
        if invocation_type not in INVOCATION_TYPES:
            raise ValidationException(
                f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]"
            )
        if log_type not in ("None", "Tail"):
            raise ValidationException(
                f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy constraint: "
                "Member must satisfy enum value set: [None, Tail]"
            )
        if len(payload) > self.max_payload_bytes or (invocation_type == "Event" and len(payload) > MAX_EVENT_BYTES):
            # https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: "For synchronous invocations, the
            # maximum payload size is 6 MB. For asynchronous invocations, the maximum payload size is 1 MB."
            limit = MAX_EVENT_BYTES if invocation_type == "Event" else self.max_payload_bytes
            raise RequestTooLargeException(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            )
        target = self._targets.get((ctx.account_id, ctx.region, function_name, qualifier))
        if target is None or target.generation != self.registry.cache.generation:
            target = await self._target(ctx, function_name, qualifier, caller)
        if target.policy is not None:  # another account's function (one's own needs no policy: no cost here)
            caller = caller or account_root(ctx.account_id, ctx.region)
            if not allows(target.policy, caller, INVOKE):
                raise _denied(caller, target.invoked_arn)
            ctx = dataclasses.replace(ctx, account_id=target.version.account)
        version = target.version
        check_state(version)
        if invocation_type == "DryRun":
            return InvokeOutput(204, b"", None, version.version, None)
        if not payload.strip():
            payload = b"{}"
        elif not json_payload:
            try:
                json.loads(payload.decode())  # text, not bytes: json's encoding detection costs more than the parse
            except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
                reason = (
                    exc if not isinstance(exc, RecursionError) else "Document nesting depth exceeds the maximum allowed"
                )
                raise InvalidRequestContent(
                    f"Could not parse request body into json: Could not parse payload into json: {reason}"
                ) from None
        request_id = ctx.request_id or str(uuid.uuid4())
        if invocation_type == "Event":
            return await self._queue(ctx, target, payload, request_id, trace_id)
        return await self._run(ctx, target, payload, request_id, log_type, client_context, trace_id, stream)

    async def _queue(
        self, ctx: RequestContext, target: Target, payload: bytes, request_id: str, trace_id: str | None
    ) -> InvokeOutput:
        """Accept the event for asynchronous invocation: 202 once it is queued on disk."""
        if self.events is None:
            raise NotImplementedOperation("Asynchronous invocation (InvocationType Event) is not available here.")
        version = target.version
        event = AsyncEvent(
            request_id, ctx.account_id, ctx.region, version.name, target.qualifier, payload, self.clock.now(), trace_id
        )
        await self.events.accept(event, from_api=ctx.operation in _API_OPERATIONS)
        return InvokeOutput(202, b"", None, version.version, None)

    async def function_deleted(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> None:
        """What runs for a deleted function or version goes with it: its instances, its concurrency settings and,
        the whole function deleted, its queued asynchronous events."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier)
        self.pool.retire(ctx.account_id, ctx.region, ref.name, ref.qualifier)
        await self.concurrency.function_deleted(ctx, function_name, qualifier)
        if ref.qualifier is None and self.events is not None:
            await self.events.forget(ctx.account_id, ctx.region, ref.name)

    async def version_of(self, ctx: RequestContext, name: str, qualifier: str | None) -> FunctionVersion:
        """The version a name and qualifier run now (an alias' weights choosing, as for an invocation)."""
        return (await self._resolve(ctx, name, qualifier))[0]

    async def _target(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, caller: Caller | None
    ) -> Target:
        """Resolve a FunctionName and Qualifier; kept for the next calls unless an alias' weights chose
        the version (they choose again every time). Another account's function is looked for only when it
        has a policy for the call (which the caller must then satisfy; see `invoke`)."""
        generation = self.registry.cache.generation
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, qualifier, other_accounts=True)
        policy = None
        if ref.account is not None:  # another account's function, under its policy
            policy = await self.registry.policy(ref.account, ctx.region, ref.name, ref.qualifier)
            if not policy:  # a function that does not exist and one that may not be invoked answer alike
                who = caller or account_root(ctx.account_id, ctx.region)
                raise _denied(who, function_arn(ref.account, ctx.region, ref.name, ref.qualifier))
            ctx = dataclasses.replace(ctx, account_id=ref.account)
        version, weighted = await self._resolve(ctx, ref.name, ref.qualifier)
        pool_key = PoolKey(ctx.account_id, ctx.region, version.name, version.version, version.code.sha256_hex,
                           version.revision_id)  # fmt: skip
        invoked_arn = function_arn(ctx.account_id, ctx.region, ref.name, ref.qualifier)
        target = Target(version, ref.qualifier, invoked_arn, pool_key, generation, policy)
        if not weighted:
            if len(self._targets) >= MAX_TARGETS:
                self._targets.clear()
            self._targets[(ctx.account_id, ctx.region, function_name, qualifier)] = target
        return target

    async def _resolve(self, ctx: RequestContext, name: str, qualifier: str | None) -> tuple[FunctionVersion, bool]:
        """The version to run, and whether an alias' weights picked it between the alias' two versions
        (https://docs.aws.amazon.com/lambda/latest/dg/configuring-alias-routing.html)."""
        if qualifier is None or qualifier == LATEST or qualifier.isdigit():
            try:
                return await self.registry.version(ctx, name, qualifier), False
            except ResourceNotFound:
                # Invoke names what it looked for: an unqualified call looks for $LATEST (as AWS's
                # recorded "Function not found: arn:...:function:name:$LATEST" shows).
                raise versions.not_found(ctx, name, qualifier or LATEST) from None
        alias = await self.registry.alias(ctx, name, qualifier)
        if alias is None:
            raise versions.not_found(ctx, name, qualifier)
        chosen = alias.function_version
        for other, weight in alias.routing.items():
            if self.random() < weight:
                chosen = other
        return await self.registry.version(ctx, name, chosen), bool(alias.routing)

    async def _run(
        self,
        ctx: RequestContext,
        target: Target,
        payload: bytes,
        request_id: str,
        log_type: str,
        client_context: str | None,
        trace_id: str | None,
        stream: ResponseSink | None = None,
    ) -> InvokeOutput:
        version, qualifier = target.version, target.qualifier
        account, region, name = ctx.account_id, ctx.region, version.name
        lease: Lease | None = None
        provisioned = self.concurrency.provisioned_for(account, region, name, qualifier, version.version)
        if provisioned is None and qualifier is not None and not qualifier.isdigit() and qualifier != LATEST:
            self.provisioner.follow_alias(account, region, name, qualifier, version.version)
        if provisioned is not None:
            lease = self.pool.acquire_provisioned(provisioned.key)
        slot = self.concurrency.admit(account, region, name) if lease is None else None
        try:
            if lease is None:
                lease = self.pool.take_idle(target.pool_key, version.last_modified) or await self.pool.acquire(
                    target.pool_key, lambda: self._spec(version), version.last_modified
                )
            started_ms = int(self.clock.now() * 1000)
            invocation = Invocation(
                request_id=request_id,
                payload=payload,
                deadline_ms=started_ms + version.config.timeout * 1000,
                invoked_function_arn=target.invoked_arn,
                trace_id=trace_id,
                client_context=client_context,
                stream=stream,
            )
            if stream is not None:
                stream.running(version.version)
            result = await self._call(lease, invocation)
        finally:
            if slot is not None:
                slot.release()
        return self._answer(ctx, version, lease, result, request_id, started_ms, log_type)

    async def _call(self, lease: Lease, invocation: Invocation) -> InvocationResult:
        """Run on the leased instance; the lease goes back (or the instance is stopped) in every case,
        cancellation included. The instance enforces the invocation's deadline itself (see
        instances.Instance.invoke), so no timer of ours runs beside its own."""
        lost = True
        try:
            result = await lease.instance.invoke(invocation)
            lost = result.instance_lost
            return result
        except Exception:
            log.exception("instance %s failed to run invocation %s", lease.instance.id, invocation.request_id)
            return InvocationResult(
                payload=error_payload(
                    "Runtime.ExitError",
                    f"RequestId: {invocation.request_id} Error: Runtime exited without providing a reason",
                ),
                function_error="Unhandled",
                error_type="Runtime.ExitError",
                duration_ms=0.0,
                max_memory_used_mb=0,
                instance_lost=True,
            )
        finally:
            self.pool.release(lease, lost=lost)

    def _answer(
        self,
        ctx: RequestContext,
        version: FunctionVersion,
        lease: Lease,
        result: InvocationResult,
        request_id: str,
        started_ms: int,
        log_type: str,
    ) -> InvokeOutput:
        """The response. The invocation's record for the outbox is made once the response has left (the
        caller's task sends it before the event loop runs the next callback), unless the log's tail is
        wanted in the response itself."""
        payload, function_error = result.payload, result.function_error
        if result.oversize or len(payload) > self.max_payload_bytes:
            # What Lambda answers for a response over the 6 MB limit (the function did run).
            payload = error_payload(
                "Function.ResponseSizeTooLarge",
                f"Response payload size exceeded maximum allowed payload size ({self.max_payload_bytes} bytes).",
            )
            function_error = "Unhandled"
        end_ms = max(started_ms, int(self.clock.now() * 1000))
        # Read now: the lease goes back to the pool and may be handed out again before the record is made.
        instance, provisioned, cold = lease.instance, lease.group is not None, lease.cold
        finish = functools.partial(
            self._finished, ctx, version, instance, provisioned, cold, result, request_id, started_ms, end_ms
        )
        tail = None
        if log_type == "Tail":
            finished = finish()
            memory = finished.max_memory_mb
            if memory is None:
                memory = instance.max_memory_mb()
            tail = log_tail([line.message for line in finished.lines(memory)])
            self.outbox.add(finished, instance)
        else:
            asyncio.get_running_loop().call_soon(lambda: self.outbox.add(finish(), instance))
        return InvokeOutput(200, payload, function_error, version.version, tail)

    def _finished(
        self,
        ctx: RequestContext,
        version: FunctionVersion,
        instance: Instance,
        provisioned: bool,
        cold: bool,
        result: InvocationResult,
        request_id: str,
        started_ms: int,
        end_ms: int,
    ) -> Finished:
        """The invocation's facts for its log lines and billing record."""
        # Provisioned instances were initialized ahead: no Init Duration, and init is not billed on demand.
        init_ms = None if provisioned else result.init_duration_ms
        billed = (
            self.meter.billed_ms(result.duration_ms, init_ms=init_ms) if self.meter else int(result.duration_ms) + 1
        )
        config = version.config
        return Finished(
            account=ctx.account_id,
            region=ctx.region,
            function_name=version.name,
            version=version.version,
            request_id=request_id,
            log_group=instance.spec.log_group,
            log_stream=instance.spec.log_stream,
            started_ms=started_ms,
            end_ms=end_ms,
            duration_ms=result.duration_ms,
            billed_ms=billed,
            memory_mb=config.memory_size,
            max_memory_mb=result.max_memory_used_mb,
            init_ms=init_ms,
            cold=cold and not provisioned,
            outcome=outcome(result),
            architecture=config.architectures[0] if config.architectures else "x86_64",
            log=tuple((line.timestamp_ms, line.message) for line in result.log) if result.log else (),
            dropped_lines=result.dropped_log_lines,
            dropped_bytes=result.dropped_log_bytes,
            system_level=(config.logging.system_log_level or "INFO") if config.logging.log_format == "JSON" else None,
            error_type=result.error_type,
            application_level=config.logging.application_log_level or "INFO",
        )

    async def _spec(self, version: FunctionVersion) -> InstanceSpec:
        config = version.config
        return InstanceSpec(
            account_id=version.account,
            region=version.region,
            function_name=version.name,
            function_arn=version.function_arn,
            version=version.version,
            runtime=config.runtime,
            handler=config.handler,
            memory_mb=config.memory_size,
            timeout_s=config.timeout,
            code_dir=await self.packages.code_dir(version),
            code_sha256=version.code.sha256_hex,
            log_group=config.logging.log_group or lambda_log_group(version.name),
            log_stream=lambda_stream_name(self.clock, version.version),
            ephemeral_storage_mb=config.ephemeral_storage,
            environment=dict(config.environment),
            layer_dirs=await self.packages.layer_dirs(version),
            architecture=config.architectures[0] if config.architectures else "x86_64",
            log_format=config.logging.log_format,
            log_level=config.logging.application_log_level,
        )

    async def flush(self) -> None:
        """Store the logs and meter records of the invocations so far; wait for the provisioning started so far."""
        await asyncio.sleep(0)  # the records of invocations that have answered are made first (see _answer)
        await self.outbox.flush()
        await self.provisioner.flush()

    async def close(self) -> None:
        await self.flush()
        await self.outbox.close()
        await self.pool.close()
