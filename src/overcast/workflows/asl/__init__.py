"""The Amazon States Language: definitions parsed into a small model and a pure interpreter.

`validate_definition(text) -> StateMachine` parses and validates a definition (raising
`InvalidDefinition` with AWS's messages); `run_execution(machine, input, context, effects)`
runs it, asking `effects` (the engine) for everything that touches the world.
"""

from overcast.workflows.asl.definition import InvalidDefinition, validate_definition
from overcast.workflows.asl.interpreter import (
    Effects,
    EventStamp,
    ExecutionContext,
    ExecutionOutcome,
    HistoryEvent,
    TaskRequest,
    TaskResult,
    run_execution,
)
from overcast.workflows.asl.model import StateMachine

__all__ = [
    "Effects",
    "EventStamp",
    "ExecutionContext",
    "ExecutionOutcome",
    "HistoryEvent",
    "InvalidDefinition",
    "StateMachine",
    "TaskRequest",
    "TaskResult",
    "run_execution",
    "validate_definition",
]
