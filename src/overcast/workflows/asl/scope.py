"""Scopes (the top level, a Parallel branch, a Map iteration) and one state's evaluation frame.

A Scope runs its states one after another, numbers its state entries and history events
(the deterministic keys of overcast.workflows.asl.execution), and owns its variables; a
Frame is one entry into one state: its context object, its random draws, and the
input -> output data flow of both query languages, with AWS's failure causes.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
"""

from __future__ import annotations

import json
from collections import ChainMap
from collections.abc import Callable, Coroutine, MutableMapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from overcast.workflows.asl import errors as e
from overcast.workflows.asl import jsonata as jn
from overcast.workflows.asl.execution import (
    Effects,
    EventStamp,
    ExecutionContext,
    HistoryEvent,
    to_json,
)
from overcast.workflows.asl.intrinsics import IntrinsicFailure
from overcast.workflows.asl.model import ABSENT, JSONATA, AnyState, StateMachine
from overcast.workflows.asl.paths import (
    Env,
    NoMatch,
    ResultPathMismatch,
    TemplateFieldError,
    UndefinedVariable,
    evaluate_template,
    normalised_path,
    put,
    select,
)

if TYPE_CHECKING:
    from overcast.workflows.asl.distributed import MapRuns


def iso_time(epoch: float) -> str:
    """AWS's timestamp text in the context object: 2024-05-06T07:08:09.123Z."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Run:
    """What every scope of one execution shares."""

    def __init__(
        self,
        machine: StateMachine,
        input: Any,
        context: ExecutionContext,
        effects: Effects,
        run_scope: Callable[[Scope, Any], Coroutine[Any, Any, Any]],
        map_runs: MapRuns | None = None,
    ) -> None:
        self.machine = machine
        self.map_runs = map_runs  # None: Distributed Maps run inline, as no engine records them
        self.input = input
        self.context = context
        self.effects = effects
        self.run_scope = run_scope
        self.execution_context = {
            "Id": context.execution_arn,
            "Input": input,
            "StartTime": iso_time(context.start_time),
            "Name": context.execution_name,
            "RoleArn": context.role_arn,
            "RedriveCount": context.redrive_count,
        }
        self.machine_context = {"Id": context.state_machine_arn, "Name": context.state_machine_name}


class Scope:
    """A sequential run of states: entry counts, event numbering, variables."""

    __slots__ = ("branch", "entries", "last_event_id", "machine", "prefix", "run", "seq", "silent", "variables")

    def __init__(
        self,
        run: Run,
        prefix: str,
        machine: StateMachine,
        variables: MutableMapping[str, Any],
        last_event_id: int,
        *,
        silent: bool = False,
        branch: bool = False,
    ) -> None:
        self.run = run
        self.branch = branch  # a Parallel branch: failing states end with {Type}StateAborted
        self.prefix = prefix
        self.machine = machine
        self.variables = variables
        self.entries: dict[str, int] = {}
        self.seq = 0
        self.last_event_id = last_event_id
        self.silent = silent  # distributed Map iterations: their history is a child execution's

    def child(self, prefix: str, machine: StateMachine, *, isolated: bool = False,
              silent: bool = False, branch: bool = False) -> Scope:
        variables: MutableMapping[str, Any] = {} if isolated else ChainMap({}, self.variables)
        return Scope(self.run, prefix, machine, variables, self.last_event_id,
                     silent=silent or self.silent, branch=branch)

    def emit(self, event_type: str, details: dict[str, Any] | None = None) -> EventStamp:
        key = f"{self.prefix}!{self.seq}"
        self.seq += 1
        if self.silent:
            return EventStamp(self.last_event_id, self.run.effects.now())
        stamp = self.run.effects.emit(HistoryEvent(event_type, key, self.last_event_id, details or {}))
        self.last_event_id = stamp.id
        return stamp

    def enter(self, name: str) -> str:
        entry = self.entries.get(name, 0)
        self.entries[name] = entry + 1
        return f"{self.prefix}/{name}#{entry}"


class Frame:
    """One entry into one state: the evaluation environment and the data flow."""

    __slots__ = (
        "assigned",
        "draws",
        "entered",
        "env",
        "input",
        "key",
        "map_item",
        "retry_count",
        "scope",
        "state",
        "task_token",
    )

    def __init__(self, scope: Scope, state: AnyState, key: str, input: Any, entered: EventStamp) -> None:
        self.scope = scope
        self.state = state
        self.key = key
        self.input = input
        self.entered = entered
        self.draws = 0
        self.retry_count: int | None = None
        self.task_token: str | None = None
        self.map_item: dict[str, Any] | None = None
        self.assigned: dict[str, Any] | None = None
        self.env = Env(self.context_object, scope.variables, self.random, self.uuid)

    # -- effects -------------------------------------------------------------------------

    def random(self) -> float:
        n = self.draws
        self.draws += 1
        return self.scope.run.effects.random(f"{self.key}/rnd{n}")

    def uuid(self) -> str:
        n = self.draws
        self.draws += 1
        return self.scope.run.effects.uuid(f"{self.key}/uuid{n}")

    def context_object(self) -> dict[str, Any]:
        run = self.scope.run
        state: dict[str, Any] = {"EnteredTime": iso_time(self.entered.timestamp), "Name": self.state.name}
        if self.retry_count is not None:
            state["RetryCount"] = self.retry_count
        context: dict[str, Any] = {
            "Execution": run.execution_context,
            "StateMachine": run.machine_context,
            "State": state,
        }
        if self.task_token is not None:
            context["Task"] = {"Token": self.task_token}
        if self.map_item is not None:
            context["Map"] = {"Item": self.map_item}
        return context

    def fresh_env(self) -> Env:
        """An environment whose `$$` reflects the frame now (retry count, token, map item)."""
        self.env = Env(self.context_object, self.scope.variables, self.random, self.uuid)
        return self.env

    # -- failures ------------------------------------------------------------------------

    def prefix(self) -> str:
        return (
            f"An error occurred while executing the state '{self.state.name}' "
            f"(entered at the event id #{self.entered.id})."
        )

    def runtime(self, message: str, error: str = e.RUNTIME) -> e.StateFailure:
        return e.StateFailure(error, f"{self.prefix()} {message}")

    def query_failure(self, exc: jn.QueryError, location: str | None = None) -> e.EvaluationFailure:
        """States.QueryEvaluationError; AWS records an EvaluationFailed event first."""
        failure = e.EvaluationFailure(e.QUERY_EVALUATION_ERROR, f"{self.prefix()} {exc.message}", location)
        details: dict[str, Any] = {"error": failure.error, "cause": failure.cause, "state": self.state.name}
        if location is not None:
            details["location"] = location
        self.scope.emit("EvaluationFailed", details)
        return failure

    # -- JSONPath data flow ----------------------------------------------------------------

    @property
    def jsonata(self) -> bool:
        return self.state.query_language == JSONATA

    def path(self, field: str, path: str | None, data: Any) -> Any:
        """InputPath / OutputPath / ItemsPath: None selects {} (null discards the data)."""
        if path is None:
            return {}
        if path == "$":
            return data
        try:
            return select(path, data, self.env)
        except (NoMatch, UndefinedVariable):
            if field in ("InputPath", "OutputPath"):
                # AWS reports its JsonPath's own error here, the path normalised to bracket notation:
                # "Invalid path '$.a.b' : No results for path: $['a']['b']"
                raise self.runtime(f"Invalid path '{path}' : No results for path: {normalised_path(path)}") from None
            raise self.runtime(
                f"The JSONPath '{path}' specified for the field '{field}' could not be found in the "
                f"input '{to_json(data)}'"
            ) from None

    def template(self, template: Any, data: Any) -> Any:
        """Parameters / ResultSelector / ItemSelector with `.$` fields resolved."""
        try:
            return evaluate_template(template, data, self.env)
        except TemplateFieldError as exc:
            raise self.runtime(
                f"The JSONPath '{exc.path}' specified for the field '{exc.field}' could not be found "
                f"in the input '{to_json(data)}'"
            ) from None
        except IntrinsicFailure as exc:
            raise self.runtime(str(exc), e.INTRINSIC_FAILURE) from None
        except (NoMatch, UndefinedVariable) as exc:
            path = getattr(exc, "path", "")
            raise self.runtime(
                f"The JSONPath '{path}' could not be found in the input '{to_json(data)}'"
            ) from None

    def result_path(self, path: str | None, raw_input: Any, result: Any) -> Any:
        if path is None:
            return raw_input
        if path == "$":
            return result
        try:
            return put(path, raw_input, result)
        except ResultPathMismatch:
            raise self.runtime(
                f"Unable to apply ResultPath '{path}' to input '{to_json(raw_input)}'",
                e.RESULT_PATH_MATCH_FAILURE,
            ) from None

    # -- JSONata data flow ------------------------------------------------------------------

    def bindings(self, result: Any = ABSENT, error_output: Any = ABSENT) -> jn.Bindings:
        states: dict[str, Any] = {"input": self.input, "context": self.env.context}
        if result is not ABSENT:
            states["result"] = result
        if error_output is not ABSENT:
            states["errorOutput"] = error_output
        return jn.Bindings(
            states,
            dict(self.scope.variables),
            random=self.random,
            uuid=self.uuid,
            now=self.entered.timestamp,
        )

    def evaluate(self, template: Any, field: str, bindings: jn.Bindings) -> Any:
        try:
            return jn.evaluate_template(template, bindings, field)
        except jn.QueryError as exc:
            raise self.query_failure(exc) from None

    def finish_result(self, result: Any) -> Any:
        """ResultSelector, Assign, ResultPath, OutputPath (JSONPath) or Output, Assign (JSONata)."""
        state = self.state
        if state.query_language == JSONATA:
            bindings = self.bindings(result=result)
            output = result if state.output is ABSENT else self.evaluate(state.output, "Output", bindings)
            self.assign(state.assign, None, bindings)
            return output
        if state.result_selector is not ABSENT:
            result = self.template(state.result_selector, result)
        self.assign(state.assign, result)
        output = self.result_path(state.result_path, self.input, result)
        return self.path("OutputPath", state.output_path, output)

    # -- variables ---------------------------------------------------------------------------

    def assign(self, template: Any, data: Any, bindings: jn.Bindings | None = None) -> None:
        """Evaluate Assign (JSONPath: against `data`; JSONata: with `bindings`); apply later."""
        if template is ABSENT:
            return
        if bindings is not None:
            values = self.evaluate(template, "Assign", bindings)
            if not isinstance(values, dict):
                raise self.query_failure(jn.QueryError(
                    "The value of the field 'Assign' must be an object."))
        else:
            values = self.template(template, data)
        self.assigned = values

    def commit_assignments(self) -> dict[str, Any] | None:
        if self.assigned is None:
            return None
        self.scope.variables.update(self.assigned)
        assigned, self.assigned = self.assigned, None
        return assigned


def enter_state(scope: Scope, state: AnyState, key: str, data: Any) -> Frame:
    """A state entered: its {Type}StateEntered event, and the frame of this entry."""
    stamp = scope.emit(
        f"{state.type}StateEntered",
        {"name": state.name, "input": to_json(data), "inputDetails": {"truncated": False}},
    )
    return Frame(scope, state, key, data, stamp)


def exit_state(frame: Frame, output: Any) -> tuple[str | None, Any]:
    """A state left with `output`: its assignments committed, {Type}StateExited; (the next state or None, output)."""
    assigned = frame.commit_assignments()
    details = exit_details(frame.state.name, output, assigned)
    check_size(frame, details["output"])
    frame.scope.emit(f"{frame.state.type}StateExited", details)
    state = frame.state
    return (None if state.end else state.next), output


def exit_details(name: str, output: Any, assigned: dict[str, Any] | None) -> dict[str, Any]:
    text = to_json(output)
    details: dict[str, Any] = {"name": name, "output": text, "outputDetails": {"truncated": False}}
    if assigned is not None:
        details["assignedVariables"] = {k: to_json(v) for k, v in assigned.items()}
        details["assignedVariablesDetails"] = {"truncated": False}
    return details


def check_size(frame: Frame, text: str) -> None:
    """States.DataLimitExceeded for payloads over 256 KiB."""
    if e.exceeds_payload_limit(text):
        raise e.StateFailure(e.DATA_LIMIT_EXCEEDED, e.data_limit_cause(frame.state.name))


def error_output(error: str | None, cause: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if error is not None:
        out["Error"] = error
    if cause is not None:
        out["Cause"] = cause
    return out


def parse_json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text
