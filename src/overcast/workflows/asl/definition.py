"""Definition text -> StateMachine, with AWS's validation diagnostics (InvalidDefinition).

AWS reports every problem as `CODE: message at /json/pointer`, joined by ", " inside
`Invalid State Machine Definition: '...'`; ValidateStateMachineDefinition returns the same
findings as diagnostics (severity, code, message, location).
https://docs.aws.amazon.com/step-functions/latest/apireference/API_ValidateStateMachineDefinitionDiagnostic.html
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from overcast.errors import AwsError
from overcast.workflows.asl import model as m
from overcast.workflows.asl.model import ABSENT, JSONATA, JSONPATH

_TYPES = {
    "Pass": m.PassState,
    "Task": m.TaskState,
    "Choice": m.ChoiceState,
    "Wait": m.WaitState,
    "Succeed": m.SucceedState,
    "Fail": m.FailState,
    "Parallel": m.ParallelState,
    "Map": m.MapState,
}
_TERMINAL = {"Succeed", "Fail"}
_COMMON = {"Type", "Comment", "QueryLanguage"}
_FLOW = {"Next", "End"}
_PATHS = {"InputPath", "OutputPath"}
_JSONATA_IO = {"Output", "Assign"}
# The fields each state type accepts, per query language.
# https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html
_FIELDS: dict[str, dict[str, set[str]]] = {
    "Pass": {
        JSONPATH: _FLOW | _PATHS | {"Parameters", "ResultPath", "Result", "Assign"},
        JSONATA: _FLOW | _JSONATA_IO,
    },
    "Task": {
        JSONPATH: _FLOW
        | _PATHS
        | {"Resource", "Parameters", "ResultPath", "ResultSelector", "Retry", "Catch"}
        | {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"}
        | {"Credentials", "Assign"},
        JSONATA: _FLOW
        | _JSONATA_IO
        | {"Resource", "Arguments", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds"}
        | {"Credentials"},
    },
    "Choice": {
        JSONPATH: _PATHS | {"Choices", "Default", "Assign"},
        JSONATA: _JSONATA_IO | {"Choices", "Default"},
    },
    "Wait": {
        JSONPATH: _FLOW | _PATHS | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath", "Assign"},
        JSONATA: _FLOW | _JSONATA_IO | {"Seconds", "Timestamp"},
    },
    "Succeed": {JSONPATH: _PATHS, JSONATA: {"Output"}},
    "Fail": {
        JSONPATH: {"Error", "ErrorPath", "Cause", "CausePath"},
        JSONATA: {"Error", "Cause"},
    },
    "Parallel": {
        JSONPATH: _FLOW
        | _PATHS
        | {"Branches", "Parameters", "ResultPath", "ResultSelector", "Retry", "Catch", "Assign"},
        JSONATA: _FLOW | _JSONATA_IO | {"Branches", "Arguments", "Retry", "Catch"},
    },
    "Map": {
        JSONPATH: _FLOW
        | _PATHS
        | {"ItemProcessor", "Iterator", "ItemsPath", "ItemSelector", "Parameters", "ItemReader"}
        | {"ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "Label"}
        | {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"}
        | {"ToleratedFailureCount", "ToleratedFailureCountPath"}
        | {"ResultPath", "ResultSelector", "Retry", "Catch", "Assign"},
        JSONATA: _FLOW
        | _JSONATA_IO
        | {"ItemProcessor", "Iterator", "Items", "ItemSelector", "ItemReader", "ItemBatcher"}
        | {"ResultWriter", "MaxConcurrency", "Label", "ToleratedFailurePercentage"}
        | {"ToleratedFailureCount", "Arguments", "Retry", "Catch"},
    },
}
_STATE_NAME_MAX = 80
# The errors Step Functions itself raises; a custom error may not take a `States.` name of its own.
# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
_STATES_ERRORS = frozenset({
    "States.ALL",
    "States.DataLimitExceeded",
    "States.ExceedToleratedFailureThreshold",
    "States.HeartbeatTimeout",
    "States.Http.Socket",
    "States.IntrinsicFailure",
    "States.ItemReaderFailed",
    "States.NoChoiceMatched",
    "States.ParameterPathFailure",
    "States.Permissions",
    "States.QueryEvaluationError",
    "States.ResultPathMatchFailure",
    "States.ResultWriterFailed",
    "States.Runtime",
    "States.TaskFailed",
    "States.Timeout",
    "States.BranchFailed",
})
# Fields whose strings may hold `{% %}` JSONata expressions (checked when the definition is created).
_JSONATA_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "Seconds", "Timestamp", "TimeoutSeconds",
    "HeartbeatSeconds", "Error", "Cause", "MaxConcurrency", "ToleratedFailurePercentage",
    "ToleratedFailureCount", "Credentials",
)
_RESERVED_VARIABLE = "states"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, as ValidateStateMachineDefinition reports it."""

    code: str
    message: str
    location: str = "/"
    severity: Literal["ERROR", "WARNING"] = "ERROR"

    def __str__(self) -> str:
        return f"{self.code}: {self.message} at {self.location}"


class InvalidDefinition(AwsError):
    code, status = "InvalidDefinition", 400

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        text = ", ".join(str(d) for d in diagnostics)
        super().__init__(f"Invalid State Machine Definition: '{text}'")


def validate_definition(text: str) -> m.StateMachine:
    """Parse and validate definition text; raise InvalidDefinition with AWS's diagnostics."""
    machine, diagnostics = analyse(text)
    errors = [d for d in diagnostics if d.severity == "ERROR"]
    if errors or machine is None:
        raise InvalidDefinition(errors)
    return machine


def analyse(text: str) -> tuple[m.StateMachine | None, list[Diagnostic]]:
    """Every diagnostic for a definition (errors and warnings), and the machine when valid."""
    if not text or not text.strip():
        return None, [Diagnostic("MISSING_DESCRIPTION", "Received a null or empty workflow input.")]
    try:
        document = json.loads(text)
    except ValueError as exc:
        return None, [Diagnostic("INVALID_JSON_DESCRIPTION", str(exc))]
    parser = _Parser()
    machine = parser.machine(document, "", JSONPATH, top=True)
    if any(d.severity == "ERROR" for d in parser.diagnostics):
        return None, parser.diagnostics
    return machine, parser.diagnostics


class _Parser:
    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []

    def error(self, code: str, message: str, location: str) -> None:
        self.diagnostics.append(Diagnostic(code, message, location or "/"))

    def schema(self, message: str, location: str) -> None:
        self.error("SCHEMA_VALIDATION_FAILED", message, location)

    # -- machines -------------------------------------------------------------------------

    def machine(
        self, doc: Any, at: str, inherited: str, *, top: bool = False
    ) -> m.StateMachine | None:
        if not isinstance(doc, dict):
            self.schema("Expected value of type: Object", at or "/")
            return None
        allowed = {"StartAt", "States", "Comment", "QueryLanguage"}
        if top:
            allowed |= {"Version", "TimeoutSeconds"}
        else:
            allowed |= {"ProcessorConfig"}
        for key in doc:
            if key not in allowed:
                self.schema(f"Field '{key}' is not supported", f"{at}/{key}" if at else "/")
        language = self.language(doc, at, inherited)
        start_at = doc.get("StartAt")
        states_doc = doc.get("States")
        if start_at is None:
            self.schema("Missing required property 'StartAt'", at or "/")
        elif not isinstance(start_at, str):
            self.schema("Expected value of type: String", f"{at}/StartAt")
        if states_doc is None:
            self.schema("Missing required property 'States'", at or "/")
            return None
        if not isinstance(states_doc, dict) or not states_doc:
            self.schema("Expected value of type: non-empty Object", f"{at}/States")
            return None
        states: dict[str, m.AnyState] = {}
        for name, sdoc in states_doc.items():
            state = self.state(name, sdoc, f"{at}/States/{name}", language)
            if state is not None:
                states[name] = state
        if isinstance(start_at, str) and start_at not in states_doc:
            self.error(
                "MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start_at}", f"{at}/StartAt"
            )
        self.transitions(states, at, start_at if isinstance(start_at, str) else None)
        timeout = doc.get("TimeoutSeconds")
        if timeout is not None and (not _is_int(timeout) or timeout < 0):
            self.schema("Expected value of type: Integer >= 0", f"{at}/TimeoutSeconds")
        return m.StateMachine(
            start_at=start_at if isinstance(start_at, str) else "",
            states=states,
            query_language=language,  # type: ignore[arg-type]
            comment=doc.get("Comment"),
            timeout_seconds=timeout if _is_int(timeout) else None,
            version=doc.get("Version"),
            definition=doc,
        )

    def language(self, doc: dict[str, Any], at: str, inherited: str) -> str:
        value = doc.get("QueryLanguage", inherited)
        if value not in (JSONPATH, JSONATA):
            self.schema(
                f"Value is not one of the allowed values [JSONPath, JSONata]: {value}",
                f"{at}/QueryLanguage",
            )
            return inherited
        if inherited == JSONATA and value == JSONPATH:
            self.schema(
                "A JSONPath state cannot be used in a JSONata state machine",
                f"{at}/QueryLanguage",
            )
        return str(value)

    def transitions(self, states: dict[str, m.AnyState], at: str, start_at: str | None) -> None:
        terminal = False
        reachable: set[str] = set()
        frontier = [start_at] if start_at in states else []
        edges: dict[str, list[tuple[str, str]]] = {}
        for name, state in states.items():
            targets: list[tuple[str, str]] = []
            if state.next is not None:
                targets.append((state.next, f"{at}/States/{name}/Next"))
            if isinstance(state, m.ChoiceState):
                for i, rule in enumerate(state.choices):
                    targets.append((rule.next, f"{at}/States/{name}/Choices[{i}]/Next"))
                if state.default is not None:
                    targets.append((state.default, f"{at}/States/{name}/Default"))
            for i, catcher in enumerate(getattr(state, "catch", ())):
                targets.append((catcher.next, f"{at}/States/{name}/Catch[{i}]/Next"))
            for target, where in targets:
                if target not in states:
                    what = where.rsplit("/", 1)[1]
                    what = "Next" if what.endswith("Next") else what
                    self.error("MISSING_TRANSITION_TARGET", f"Missing '{what}' target: {target}", where)
            edges[name] = targets
            if state.end or state.type in _TERMINAL:
                terminal = True
        while frontier:
            name = frontier.pop()
            if name in reachable:
                continue
            reachable.add(name)
            frontier.extend(t for t, _ in edges.get(name, ()) if t in states)
        if start_at in states:
            for name in states:
                if name not in reachable:
                    self.error(
                        "MISSING_TRANSITION_TARGET",
                        f'State "{name}" is not reachable.',
                        f"{at}/States/{name}",
                    )
        if not terminal and states:
            self.error("MISSING_END_STATE", "Workflow has no terminal state", at or "/")

    # -- states ---------------------------------------------------------------------------

    def state(self, name: str, doc: Any, at: str, inherited: str) -> m.AnyState | None:
        if len(name) > _STATE_NAME_MAX or not name:
            self.error("INVALID_STATE_NAME", f"State name '{name}' is invalid", at)
        if not isinstance(doc, dict):
            self.schema("Expected value of type: Object", at)
            return None
        kind = doc.get("Type")
        if kind is None:
            self.schema("These fields are required: [Type]", at)
            return None
        if kind not in _TYPES:
            self.schema(f"Value is not one of the allowed values {list(_TYPES)}: {kind}", f"{at}/Type")
            return None
        language = self.language(doc, at, inherited)
        allowed = _COMMON | _FIELDS[kind][language]
        for key in doc:
            if key not in allowed:
                self.schema(f"Field '{key}' is not supported", f"{at}/{key}")
        common = self.common(name, kind, doc, at, language)
        if common is None:
            return None
        build = getattr(self, f"_{kind.lower()}")
        result: m.AnyState | None = build(doc, at, language, common)
        if language == JSONATA:
            for key in _JSONATA_FIELDS:
                if key in doc:
                    self.jsonata(doc[key], f"{at}/{key}")
            for list_key, fields in (("Choices", ("Condition", "Output", "Assign")), ("Catch", ("Output", "Assign"))):
                items = doc.get(list_key)
                for i, item in enumerate(items if isinstance(items, list) else []):
                    for key in fields:
                        if isinstance(item, dict) and key in item:
                            self.jsonata(item[key], f"{at}/{list_key}[{i}]/{key}")
        return result

    def common(
        self, name: str, kind: str, doc: dict[str, Any], at: str, language: str
    ) -> dict[str, Any] | None:
        nxt, end = doc.get("Next"), doc.get("End", False)
        if kind not in _TERMINAL and kind != "Choice":
            if nxt is None and end is not True:
                self.schema("These fields are required: [End, Next]", at)
            if nxt is not None and end is True:
                self.schema("Only one of the following fields may be set: [End, Next]", at)
        if nxt is not None and not isinstance(nxt, str):
            self.schema("Expected value of type: String", f"{at}/Next")
            nxt = None
        fields: dict[str, Any] = {
            "name": name,
            "type": kind,
            "query_language": language,
            "comment": doc.get("Comment"),
            "next": nxt,
            "end": end is True,
        }
        for key, attr in (
            ("InputPath", "input_path"),
            ("OutputPath", "output_path"),
            ("ResultPath", "result_path"),
        ):
            if key in doc:
                value = doc[key]
                if value is not None and not isinstance(value, str):
                    self.schema("Expected value of type: String", f"{at}/{key}")
                fields[attr] = value
                if isinstance(value, str):
                    self.path(value, f"{at}/{key}", reference=key == "ResultPath")
        for key, attr in (
            ("Parameters", "parameters"),
            ("ResultSelector", "result_selector"),
            ("Arguments", "arguments"),
            ("Output", "output"),
        ):
            if key in doc and not (kind == "Map" and key == "Parameters"):
                fields[attr] = doc[key]
                if language == JSONPATH:
                    self.template(doc[key], f"{at}/{key}")
        if "Assign" in doc:
            fields["assign"] = doc["Assign"]
            self.assign(doc["Assign"], f"{at}/Assign", language)
        return fields

    def _pass(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        return m.PassState(result=doc.get("Result", ABSENT), **c)

    def _succeed(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        return m.SucceedState(**c)

    def _fail(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        for a, b in (("Error", "ErrorPath"), ("Cause", "CausePath")):
            if a in doc and b in doc:
                self.schema(f"Only one of the following fields may be set: [{a}, {b}]", at)
            if b in doc:
                self.path(doc[b], f"{at}/{b}", intrinsic=True)
        error = doc.get("Error")
        if isinstance(error, str) and not _is_jsonata(error):
            self.error_name(error, f"{at}/Error")
        return m.FailState(
            error=doc.get("Error", ABSENT),
            error_path=doc.get("ErrorPath"),
            cause=doc.get("Cause", ABSENT),
            cause_path=doc.get("CausePath"),
            **c,
        )

    def _wait(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in doc]
        if len(given) != 1:
            self.schema(
                "Exactly one of the following fields must be set: "
                "[Seconds, Timestamp, SecondsPath, TimestampPath]",
                at,
            )
        seconds = doc.get("Seconds", ABSENT)
        if seconds is not ABSENT and not _is_jsonata(seconds) and (not _is_int(seconds) or seconds < 0):
            self.schema("Expected value of type: Integer >= 0", f"{at}/Seconds")
        for key in ("SecondsPath", "TimestampPath"):
            if key in doc:
                self.path(doc[key], f"{at}/{key}")
        return m.WaitState(
            seconds=seconds,
            timestamp=doc.get("Timestamp", ABSENT),
            seconds_path=doc.get("SecondsPath"),
            timestamp_path=doc.get("TimestampPath"),
            **c,
        )

    def _task(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        resource = doc.get("Resource")
        if not isinstance(resource, str):
            self.schema("These fields are required: [Resource]", at)
            resource = ""
        elif not resource.startswith("arn:"):
            self.error("INVALID_RESOURCE", f"Invalid resource: {resource}", f"{at}/Resource")
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            value = doc.get(key)
            if value is not None and not _is_jsonata(value) and (not _is_int(value) or value <= 0):
                self.schema("Expected value of type: Integer > 0", f"{at}/{key}")
            if key in doc and f"{key}Path" in doc:
                self.schema(f"Only one of the following fields may be set: [{key}, {key}Path]", at)
        return m.TaskState(
            resource=resource,
            timeout_seconds=doc.get("TimeoutSeconds", ABSENT),
            timeout_seconds_path=doc.get("TimeoutSecondsPath"),
            heartbeat_seconds=doc.get("HeartbeatSeconds", ABSENT),
            heartbeat_seconds_path=doc.get("HeartbeatSecondsPath"),
            credentials=doc.get("Credentials", ABSENT),
            retry=self.retriers(doc.get("Retry"), f"{at}/Retry"),
            catch=self.catchers(doc.get("Catch"), f"{at}/Catch", language),
            **c,
        )

    def _parallel(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        branches_doc = doc.get("Branches")
        if not isinstance(branches_doc, list) or not branches_doc:
            self.schema("These fields are required: [Branches]", at)
            branches_doc = []
        branches = []
        for i, bdoc in enumerate(branches_doc):
            branch = self.machine(bdoc, f"{at}/Branches[{i}]", language)
            if branch is not None:
                branches.append(branch)
        return m.ParallelState(
            branches=tuple(branches),
            retry=self.retriers(doc.get("Retry"), f"{at}/Retry"),
            catch=self.catchers(doc.get("Catch"), f"{at}/Catch", language),
            **c,
        )

    def _map(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        key = "ItemProcessor" if "ItemProcessor" in doc else "Iterator"
        pdoc = doc.get(key)
        if pdoc is None:
            self.schema("These fields are required: [ItemProcessor]", at)
            return None  # type: ignore[return-value]
        processor = self.machine(pdoc, f"{at}/{key}", language)
        config = pdoc.get("ProcessorConfig", {}) if isinstance(pdoc, dict) else {}
        mode = config.get("Mode", "INLINE") if isinstance(config, dict) else "INLINE"
        if mode not in ("INLINE", "DISTRIBUTED"):
            self.schema(f"Value is not one of the allowed values [INLINE, DISTRIBUTED]: {mode}",
                        f"{at}/{key}/ProcessorConfig/Mode")
            mode = "INLINE"
        selector = doc.get("ItemSelector", doc.get("Parameters", ABSENT))
        if selector is not ABSENT and language == JSONPATH:
            self.template(selector, f"{at}/ItemSelector")
        if "ItemsPath" in doc and isinstance(doc["ItemsPath"], str):
            self.path(doc["ItemsPath"], f"{at}/ItemsPath")
        if processor is None:
            return None  # type: ignore[return-value]
        return m.MapState(
            processor=processor,
            mode="DISTRIBUTED" if mode == "DISTRIBUTED" else "INLINE",
            execution_type=config.get("ExecutionType") if isinstance(config, dict) else None,
            items_path=doc.get("ItemsPath", "$"),
            items=doc.get("Items", ABSENT),
            item_selector=selector,
            item_reader=doc.get("ItemReader", ABSENT),
            item_batcher=doc.get("ItemBatcher", ABSENT),
            result_writer=doc.get("ResultWriter", ABSENT),
            max_concurrency=doc.get("MaxConcurrency", 0),
            max_concurrency_path=doc.get("MaxConcurrencyPath"),
            tolerated_failure_percentage=doc.get("ToleratedFailurePercentage", ABSENT),
            tolerated_failure_percentage_path=doc.get("ToleratedFailurePercentagePath"),
            tolerated_failure_count=doc.get("ToleratedFailureCount", ABSENT),
            tolerated_failure_count_path=doc.get("ToleratedFailureCountPath"),
            label=doc.get("Label"),
            retry=self.retriers(doc.get("Retry"), f"{at}/Retry"),
            catch=self.catchers(doc.get("Catch"), f"{at}/Catch", language),
            **c,
        )

    def _choice(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        choices_doc = doc.get("Choices")
        if not isinstance(choices_doc, list) or not choices_doc:
            self.schema("These fields are required: [Choices]", at)
            choices_doc = []
        choices = []
        for i, cdoc in enumerate(choices_doc):
            where = f"{at}/Choices[{i}]"
            if not isinstance(cdoc, dict) or not isinstance(cdoc.get("Next"), str):
                self.schema("These fields are required: [Next]", where)
                continue
            if language == JSONATA:
                if "Condition" not in cdoc:
                    self.schema("These fields are required: [Condition]", where)
                choices.append(
                    m.ChoiceRule(
                        next=cdoc["Next"],
                        condition=cdoc.get("Condition", ABSENT),
                        assign=cdoc.get("Assign", ABSENT),
                        output=cdoc.get("Output", ABSENT),
                        comment=cdoc.get("Comment"),
                    )
                )
                continue
            body = {k: v for k, v in cdoc.items() if k not in ("Next", "Assign", "Comment")}
            rule = self.rule(body, where)
            if "Assign" in cdoc:
                self.assign(cdoc["Assign"], f"{where}/Assign", language)
            choices.append(
                m.ChoiceRule(
                    next=cdoc["Next"], rule=rule, assign=cdoc.get("Assign", ABSENT),
                    comment=cdoc.get("Comment"),
                )
            )
        return m.ChoiceState(choices=tuple(choices), default=doc.get("Default"), **c)

    def rule(self, doc: Any, at: str) -> m.Rule | None:
        from overcast.workflows.asl.choice import OPERATORS

        if not isinstance(doc, dict):
            self.schema("Expected value of type: Object", at)
            return None
        for combinator in ("And", "Or"):
            if combinator in doc:
                subs = doc[combinator]
                if not isinstance(subs, list) or not subs:
                    self.schema("Expected value of type: non-empty Array", f"{at}/{combinator}")
                    return None
                rules = [self.rule(_strip(s), f"{at}/{combinator}[{i}]") for i, s in enumerate(subs)]
                return m.Combination(combinator, tuple(r for r in rules if r is not None))
        if "Not" in doc:
            sub = self.rule(_strip(doc["Not"]), f"{at}/Not")
            return m.Combination("Not", (sub,) if sub else ())
        variable = doc.get("Variable")
        ops = [k for k in doc if k in OPERATORS]
        unknown = [k for k in doc if k not in OPERATORS and k != "Variable"]
        for k in unknown:
            self.schema(f"Field '{k}' is not supported", f"{at}/{k}")
        if not isinstance(variable, str):
            self.schema("These fields are required: [Variable]", at)
            return None
        if len(ops) != 1:
            self.schema("A choice rule must have exactly one comparison operator", at)
            return None
        self.path(variable, f"{at}/Variable")
        op = ops[0]
        if op.endswith("Path"):
            if not isinstance(doc[op], str):
                self.schema("Expected value of type: String", f"{at}/{op}")
            else:
                self.path(doc[op], f"{at}/{op}")
        return m.Comparison(variable, op, doc[op])

    def retriers(self, doc: Any, at: str) -> tuple[m.Retrier, ...]:
        if doc is None:
            return ()
        if not isinstance(doc, list):
            self.schema("Expected value of type: Array", at)
            return ()
        out = []
        for i, r in enumerate(doc):
            where = f"{at}[{i}]"
            if not isinstance(r, dict):
                self.schema("Expected value of type: Object", where)
                continue
            errors = self.error_equals(r.get("ErrorEquals"), where, last=i == len(doc) - 1, kind="Retrier")
            interval = r.get("IntervalSeconds", 1)
            attempts = r.get("MaxAttempts", 3)
            backoff = r.get("BackoffRate", 2.0)
            max_delay = r.get("MaxDelaySeconds")
            jitter = r.get("JitterStrategy", "NONE")
            if not _is_int(interval) or interval < 1:
                self.schema("Expected value of type: Integer >= 1", f"{where}/IntervalSeconds")
            if not _is_int(attempts) or attempts < 0:
                self.schema("Expected value of type: Integer >= 0", f"{where}/MaxAttempts")
            if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or backoff < 1:
                self.schema("Expected value of type: Number >= 1.0", f"{where}/BackoffRate")
            if max_delay is not None and (not _is_int(max_delay) or max_delay < 1):
                self.schema("Expected value of type: Integer >= 1", f"{where}/MaxDelaySeconds")
            if jitter not in ("FULL", "NONE"):
                self.schema(f"Value is not one of the allowed values [FULL, NONE]: {jitter}",
                            f"{where}/JitterStrategy")
            out.append(
                m.Retrier(errors, interval if _is_int(interval) else 1, attempts if _is_int(attempts) else 3,
                          float(backoff) if isinstance(backoff, (int, float)) else 2.0,
                          max_delay if _is_int(max_delay) else None,
                          jitter if jitter in ("FULL", "NONE") else "NONE")
            )
        return tuple(out)

    def catchers(self, doc: Any, at: str, language: str) -> tuple[m.Catcher, ...]:
        if doc is None:
            return ()
        if not isinstance(doc, list):
            self.schema("Expected value of type: Array", at)
            return ()
        out = []
        for i, cdoc in enumerate(doc):
            where = f"{at}[{i}]"
            if not isinstance(cdoc, dict):
                self.schema("Expected value of type: Object", where)
                continue
            errors = self.error_equals(cdoc.get("ErrorEquals"), where, last=i == len(doc) - 1, kind="Catcher")
            nxt = cdoc.get("Next")
            if not isinstance(nxt, str):
                self.schema("These fields are required: [Next]", where)
                continue
            result_path = cdoc.get("ResultPath", "$")
            if isinstance(result_path, str):
                self.path(result_path, f"{where}/ResultPath", reference=True)
            if "Assign" in cdoc:
                self.assign(cdoc["Assign"], f"{where}/Assign", language)
            out.append(m.Catcher(errors, nxt, result_path, cdoc.get("Assign", ABSENT), cdoc.get("Output", ABSENT)))
        return tuple(out)

    def error_equals(self, doc: Any, at: str, *, last: bool, kind: str) -> tuple[str, ...]:
        if not isinstance(doc, list) or not doc or not all(isinstance(e, str) for e in doc):
            self.schema("These fields are required: [ErrorEquals]", at)
            return ()
        for i, name in enumerate(doc):
            self.error_name(name, f"{at}/ErrorEquals[{i}]")
        if "States.ALL" in doc:
            # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
            if len(doc) != 1:
                self.schema(f"{kind} with 'States.ALL' must not name other errors", f"{at}/ErrorEquals")
            elif not last:
                self.schema(f"{kind} with 'States.ALL' must be the last one", f"{at}/ErrorEquals")
        return tuple(doc)

    def error_name(self, name: str, at: str) -> None:
        """A custom error may not use the `States.` prefix: those names are the service's own."""
        if name.startswith("States.") and name not in _STATES_ERRORS:
            self.schema(f"Custom error names may not start with 'States.': {name}", at)

    # -- expressions ----------------------------------------------------------------------

    def jsonata(self, doc: Any, at: str) -> None:
        """INVALID_JSONATA_EXPRESSION for every `{% %}` string in `doc` that does not parse."""
        from overcast.workflows.asl import jsonata as jn

        if isinstance(doc, dict):
            for key, value in doc.items():
                self.jsonata(value, f"{at}/{key}")
        elif isinstance(doc, list):
            for i, value in enumerate(doc):
                self.jsonata(value, f"{at}[{i}]")
        elif _is_jsonata(doc):
            try:
                jn.compile_expression(jn.expression_text(doc))
            except jn.ExpressionSyntaxError as exc:
                # AWS gives the parser's message without JSONata's code (S0207: ...).
                self.error("INVALID_JSONATA_EXPRESSION", re.sub(r"^[A-Z]\d{4}: ", "", str(exc)), at)

    def path(self, value: Any, at: str, *, reference: bool = False, intrinsic: bool = False) -> None:
        from overcast.workflows.asl.paths import PathError, compile_path

        if not isinstance(value, str):
            self.schema("Expected value of type: String", at)
            return
        if intrinsic and value.startswith("States."):
            return
        try:
            compile_path(value)
        except PathError as exc:
            self.error("INVALID_JSON_PATH", f"Invalid JSONPath: {value} ({exc})", at)

    def template(self, doc: Any, at: str) -> None:
        from overcast.workflows.asl.intrinsics import IntrinsicError, parse_intrinsic

        if isinstance(doc, dict):
            for key, value in doc.items():
                if key.endswith(".$"):
                    if not isinstance(value, str):
                        self.schema("Expected value of type: String", f"{at}/{key}")
                    elif value.startswith("States."):
                        try:
                            parse_intrinsic(value)
                        except IntrinsicError as exc:
                            self.schema(f"The value for the field '{key}' must be a valid JSONPath "
                                        f"or a valid intrinsic function call ({exc})", f"{at}/{key}")
                    elif value.startswith("$$") or value.startswith("$"):
                        self.path(value, f"{at}/{key}")
                    else:
                        self.schema(f"The value for the field '{key}' must be a valid JSONPath or a "
                                    "valid intrinsic function call", f"{at}/{key}")
                else:
                    self.template(value, f"{at}/{key}")
        elif isinstance(doc, list):
            for i, value in enumerate(doc):
                self.template(value, f"{at}[{i}]")

    def assign(self, doc: Any, at: str, language: str) -> None:
        if language == JSONATA and _is_jsonata(doc):
            return
        if not isinstance(doc, dict):
            self.schema("Expected value of type: Object", at)
            return
        for key in doc:
            name = key[:-2] if key.endswith(".$") and language == JSONPATH else key
            if name == _RESERVED_VARIABLE or not _VARIABLE_NAME.match(name):
                self.schema(f"The variable name '{name}' is invalid", f"{at}/{key}")
        if language == JSONPATH:
            self.template(doc, at)


def _strip(doc: Any) -> Any:
    return doc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")
