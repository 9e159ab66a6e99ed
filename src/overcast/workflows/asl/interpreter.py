"""The execution semantics of the Amazon States Language: run_execution over a StateMachine."""

from __future__ import annotations

from typing import Any

from overcast.workflows.asl.execution import (
    Effects,
    EventStamp,
    ExecutionContext,
    ExecutionOutcome,
    HistoryEvent,
    TaskRequest,
    TaskResult,
)
from overcast.workflows.asl.model import StateMachine

__all__ = [
    "Effects",
    "EventStamp",
    "ExecutionContext",
    "ExecutionOutcome",
    "HistoryEvent",
    "TaskRequest",
    "TaskResult",
    "run_execution",
]


async def run_execution(
    machine: StateMachine, input: Any, context: ExecutionContext, effects: Effects
) -> ExecutionOutcome:
    """Run one execution to its end and return how it ended.

    `input` is the parsed execution input (JSON). Emits every history event from
    ExecutionStarted to ExecutionSucceeded/Failed/TimedOut through `effects.emit`, performs
    tasks, waits, random draws through `effects` (keys: see overcast.workflows.asl.execution).
    Deterministic given the effects' answers, so the engine can replay it after a crash.
    Cancelling the returned coroutine (StopExecution) stops it without emitting more events:
    the engine records ExecutionAborted.
    """
    raise NotImplementedError
