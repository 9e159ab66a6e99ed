"""The seam between the interpreter and the engine: execution context, effects, history events.

The interpreter is a pure function of (definition, input, context, effect results). Everything
that touches the world goes through `Effects`, which the engine implements. That is what makes
Standard executions durable: the engine journals each effect's result under its `key` and,
after a crash, REPLAYS `run_execution` from the start; journaled effects answer at once from
the journal and the interpreter walks the same path again, without repeating completed work
(the Temporal approach).

## Effect keys

Every effect call carries a `key` that is deterministic and unique per occurrence::

    key   := scope "/" StateName "#" entry [ "/" suffix ]
    scope := ""                                  (the top level)
           | scope "/" ParallelName "#" entry [ "." attempt ] "/b" branchIndex
           | scope "/" MapName "#" entry [ "." attempt ] "/i" itemIndex
                                  (".attempt" only for a retried Parallel / Map, attempt >= 1)
    entry := how many times this scope had entered that state before (0, 1, ...: loops)
    suffix:= "a" attempt        task(): attempt 0 is the first try, n the n-th retry
           | "retry" attempt    wait_until(): the backoff before retry `attempt` (1-based)
           | "jitter" attempt   random(): the FULL jitter draw for that backoff
           | "maprun"           uuid(): a distributed Map run's id (its iterations: the engine's child
                                executions, each with its own journal and keys; asl/distributed.py)
           | "wait"             wait_until(): a Wait state
           | "rnd" n | "uuid" n random()/uuid(): the n-th draw (0-based) in that state entry
           | "token" attempt    task_token(): the callback token of one attempt
    execution timeout: wait_until("execution/timeout", start + TimeoutSeconds); after the n-th redrive
                       wait_until("execution/timeout/r<n>", redrive time + TimeoutSeconds)

e.g. `/Loop#2/a1` (second try of the third entry into Loop), `/Fan#0/b1/Work#0/a0`,
`/Each#0/i17/Step#0/retry2`. Each scope runs sequentially, so entry counts do not depend on how
concurrent branches interleave.

## History events

The interpreter emits AWS's event types (ExecutionStarted, PassStateEntered/Exited,
TaskStateEntered/Exited, ChoiceStateEntered/Exited, WaitStateEntered/Exited, FailStateEntered,
SucceedStateEntered/Exited, ParallelStateEntered/Started/Succeeded/Failed/Exited,
MapStateEntered/Started/Succeeded/Failed/Exited, MapIterationStarted/Succeeded/Failed/Aborted,
MapRunStarted/Redriven/Succeeded/Failed, EvaluationFailed, ExecutionSucceeded/Failed/TimedOut) with
details as AWS's GetExecutionHistory writes them
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html).
The task events between TaskStateEntered and TaskStateExited (TaskScheduled/Started/Succeeded/
Failed/TimedOut, LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut, ActivityScheduled...)
are the engine's: it knows what the resource is, and emits them inside `Effects.task`, chaining
from `TaskRequest.previous_event_id` and returning its last event id in `TaskResult`.

`emit` returns the event's stamp (id, timestamp). Each event has a deterministic `key` (scope +
per-scope sequence number, e.g. `/Fan#0/b1!3`), so on replay the engine returns the stamp it
persisted for that key and persists only events with new keys; concurrent Parallel branches and
Map iterations may then emit in a different interleaving without changing any id. The
interpreter numbers `previous_event_id` as AWS does: the previous event of the same branch.
State.EnteredTime in the context object is the timestamp of the state's Entered event, so it
replays identically too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class ExecutionContext:
    """What the context object `$$` says about the execution and its state machine."""

    execution_arn: str
    execution_name: str
    state_machine_arn: str
    state_machine_name: str
    role_arn: str
    start_time: float  # epoch seconds
    redrive_count: int = 0
    redrive_time: float | None = None  # epoch seconds of the last redrive: TimeoutSeconds counts from it
    state_machine_version_arn: str | None = None
    state_machine_alias_arn: str | None = None
    partition: str = "aws"
    region: str = "us-east-1"
    account_id: str = "000000000000"


@dataclass(frozen=True, slots=True)
class TaskRequest:
    """One attempt of a Task state, as the engine must perform it.

    `parameters` is the effective payload (JSONPath Parameters after InputPath, or JSONata
    Arguments; the state's input when neither is given). The engine enforces `timeout_seconds`
    (answering States.Timeout) and `heartbeat_seconds` (States.HeartbeatTimeout).
    """

    state_name: str
    resource: str
    parameters: Any
    timeout_seconds: int | None = None
    heartbeat_seconds: int | None = None
    credentials: Any = None
    task_token: str | None = None  # set for `.waitForTaskToken` resources and activities
    attempt: int = 0
    previous_event_id: int = 0


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What a task attempt produced: `output` (JSON) or an `error` (+ `cause`)."""

    output: Any = None
    error: str | None = None
    cause: str | None = None
    last_event_id: int | None = None  # the engine's last history event for this attempt

    @property
    def failed(self) -> bool:
        return self.error is not None


@dataclass(frozen=True, slots=True)
class EventStamp:
    id: int
    timestamp: float


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """A history event: AWS's `type`, the XxxEventDetails members in `details` (wire names)."""

    type: str
    key: str
    previous_event_id: int
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def details_member(self) -> str | None:
        """The HistoryEvent member AWS puts `details` under (e.g. stateEnteredEventDetails)."""
        return details_member(self.type)


_NO_DETAILS = {
    "ParallelStateStarted",
    "ParallelStateSucceeded",
    "ParallelStateFailed",
    "ParallelStateAborted",
    "MapStateSucceeded",
    "MapStateFailed",
    "MapStateAborted",
    "MapRunSucceeded",
    "MapRunAborted",
}


def details_member(event_type: str) -> str | None:
    if event_type in _NO_DETAILS:
        return None
    if event_type.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if event_type.endswith("StateExited"):
        return "stateExitedEventDetails"
    if event_type.startswith("MapIteration"):
        return "mapIterationStartedEventDetails".replace("Started", event_type[len("MapIteration") :])
    return event_type[0].lower() + event_type[1:] + "EventDetails"


class Effects(Protocol):
    """Everything the interpreter needs from the world. The engine implements it."""

    async def task(self, key: str, request: TaskRequest) -> TaskResult:
        """Run one task attempt (Lambda, activity, callback, SDK integration, startExecution)."""
        ...

    async def wait_until(self, key: str, epoch_seconds: float) -> None:
        """Return once the engine's clock reaches `epoch_seconds` (a durable timer).

        Persist the deadline on the first call for a key; on replay a fired timer returns at
        once and a pending one keeps its persisted deadline (a Retry backoff's deadline is
        computed from `now()`, which differs on replay).
        """
        ...

    def now(self) -> float:
        """The engine's clock (epoch seconds); used only to compute Retry backoff deadlines."""
        ...

    def random(self, key: str) -> float:
        """A uniform float in [0, 1); the same for the same key on replay."""
        ...

    def uuid(self, key: str) -> str:
        """A random UUID (version 4, canonical text); the same for the same key on replay."""
        ...

    def task_token(self, key: str) -> str:
        """A task token for the callback pattern; the same for the same key on replay."""
        ...

    def emit(self, event: HistoryEvent) -> EventStamp:
        """Record a history event; return its id and timestamp (the persisted ones on replay)."""
        ...


@dataclass(frozen=True, slots=True)
class ExecutionOutcome:
    """How an execution ended. `output` is JSON (SUCCEEDED); `error`/`cause` otherwise."""

    status: Literal["SUCCEEDED", "FAILED", "TIMED_OUT"]
    output: Any = None
    error: str | None = None
    cause: str | None = None

    @property
    def output_text(self) -> str | None:
        return None if self.status != "SUCCEEDED" else to_json(self.output)


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def to_json(value: Any) -> str:
    """JSON text as Step Functions writes it (compact, non-ASCII kept)."""
    return _ENCODER.encode(value)


def as_text(value: Any) -> str:
    """A string as it is, any other value as its JSON text (how AWS quotes values in its messages)."""
    return value if isinstance(value, str) else to_json(value)
