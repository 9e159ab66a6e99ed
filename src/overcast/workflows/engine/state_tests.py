"""State tests: TestState — one state's definition run with an input, Tasks through the real integrations.

The definition is a single state (its Next / Default / Catch targets need not exist) or a whole
state machine with `stateName` naming the state to run. Nothing is persisted: the run uses a
non-durable Journal, as an Express execution does.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.workflows.asl import ExecutionContext, validate_definition
from overcast.workflows.asl.definition import Diagnostic, InvalidDefinition
from overcast.workflows.asl.inspection import Inspection, Mock, Unsupported, inspect
from overcast.workflows.asl.model import AnyState, StateMachine
from overcast.workflows.engine import names
from overcast.workflows.engine.errors import InvalidExecutionInput, ValidationException
from overcast.workflows.engine.integrations import Integrations
from overcast.workflows.engine.journal import Journal

MACHINE_NAME = "TestStateStateMachine"
DEFAULT_STATE = "TestState"


def _targets(doc: dict[str, Any]) -> set[str]:
    names = {doc.get("Next"), doc.get("Default")}
    for key in ("Choices", "Catch"):
        items = doc.get(key)
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                names.add(item.get("Next"))
    return {n for n in names if isinstance(n, str)}


def parse(definition: str, state_name: str | None) -> tuple[StateMachine, AnyState]:
    """The machine to run in, and the state under test (InvalidDefinition as AWS words it)."""
    try:
        doc = json.loads(definition)
    except ValueError as exc:
        raise InvalidDefinition([Diagnostic("INVALID_JSON_DESCRIPTION", str(exc))]) from None
    if isinstance(doc, dict) and "States" in doc:
        machine = validate_definition(definition)
        name = state_name or machine.start_at
        if name not in machine.states:
            raise ValidationException(f"State '{name}' does not exist in the definition.")
        return machine, machine.states[name]
    if not isinstance(doc, dict):
        raise InvalidDefinition([Diagnostic("SCHEMA_VALIDATION_FAILED", "Expected value of type: Object")])
    name = state_name or DEFAULT_STATE
    states: dict[str, Any] = {target: {"Type": "Succeed"} for target in _targets(doc) if target != name}
    states[name] = doc
    machine = validate_definition(json.dumps({"StartAt": name, "States": states}))
    return machine, machine.states[name]


async def run_test_state(
    ctx: RequestContext,
    clock: Clock,
    integrations: Integrations,
    definition: str,
    role_arn: str,
    input_text: str | None,
    *,
    state_name: str | None = None,
    variables: str | None = None,
    retry_count: int = 0,
    mock: Mock | None = None,
) -> Inspection:
    machine, state = parse(definition, state_name)
    try:
        data = json.loads(input_text or "{}")
    except ValueError:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{input_text}'") from None
    try:
        assigned = json.loads(variables) if variables else {}
    except ValueError:
        raise ValidationException(f"Invalid variables: '{variables}'") from None
    name = str(uuid.uuid4())
    machine_arn = names.machine_arn(ctx, MACHINE_NAME)
    execution_arn = names.execution_arn(machine_arn, name)
    context = ExecutionContext(
        execution_arn=execution_arn,
        execution_name=name,
        state_machine_arn=machine_arn,
        state_machine_name=MACHINE_NAME,
        role_arn=role_arn,
        start_time=clock.now(),
        region=ctx.region,
        account_id=ctx.account_id,
    )
    journal = Journal(None, clock, execution_arn, integrations.run, durable=False, role_arn=role_arn)
    try:
        return await inspect(
            machine, state, data, context, journal, variables=assigned, retry_count=retry_count, mock=mock
        )
    except Unsupported as exc:
        raise ValidationException(str(exc)) from None
