"""A definition's states: the fields each type accepts per query language, and each type parsed into its record.

Parallel branches and Map's item processor are state machines of their own: `StateParser` hands
them back to the machine parser it was given (definition.py).
https://docs.aws.amazon.com/step-functions/latest/dg/statemachine-structure.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from overcast.workflows.asl import model as m
from overcast.workflows.asl.choice import parse_rule
from overcast.workflows.asl.diagnostics import Findings
from overcast.workflows.asl.error_handling import check_error_name, retry_and_catch
from overcast.workflows.asl.expressions import (
    check_assign,
    check_jsonata,
    check_path,
    check_template,
    is_int,
    is_jsonata,
)
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
TERMINAL = {"Succeed", "Fail"}
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
# Fields whose strings may hold `{% %}` JSONata expressions (checked when the definition is created).
_JSONATA_FIELDS = (
    "Arguments", "Output", "Assign", "Items", "ItemSelector", "Seconds", "Timestamp", "TimeoutSeconds",
    "HeartbeatSeconds", "Error", "Cause", "MaxConcurrency", "ToleratedFailurePercentage",
    "ToleratedFailureCount", "Credentials",
)
# A JSONata Choice rule's fields: https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
_JSONATA_RULE_FIELDS = frozenset({"Condition", "Next", "Assign", "Output", "Comment"})

# (machine document, its location, the query language it inherits) -> the machine, or None
MachineParser = Callable[[Any, str, str], "m.StateMachine | None"]


def query_language(f: Findings, doc: dict[str, Any], at: str, inherited: str) -> str:
    """A machine's or state's QueryLanguage (default: the one it inherits)."""
    value = doc.get("QueryLanguage", inherited)
    if value not in (JSONPATH, JSONATA):
        f.schema(f"Value is not one of the allowed values [JSONPath, JSONata]: {value}", f"{at}/QueryLanguage")
        return inherited
    if inherited == JSONATA and value == JSONPATH:
        f.schema("A JSONPath state cannot be used in a JSONata state machine", f"{at}/QueryLanguage")
    return str(value)


class StateParser:
    """One state document of any type -> its record, its problems added to `findings`."""

    def __init__(self, findings: Findings, machine: MachineParser) -> None:
        self.f = findings
        self.machine = machine  # for Parallel branches and Map's item processor

    def state(self, name: str, doc: Any, at: str, inherited: str) -> m.AnyState | None:
        f = self.f
        if len(name) > _STATE_NAME_MAX or not name:
            f.error("INVALID_STATE_NAME", f"State name '{name}' is invalid", at)
        if not isinstance(doc, dict):
            f.schema("Expected value of type: Object", at)
            return None
        kind = doc.get("Type")
        if kind is None:
            f.schema("These fields are required: [Type]", at)
            return None
        if not isinstance(kind, str) or kind not in _TYPES:  # a list or object is no name (nor hashable)
            f.schema(f"Value is not one of the allowed values {list(_TYPES)}: {kind}", f"{at}/Type")
            return None
        language = query_language(f, doc, at, inherited)
        allowed = _COMMON | _FIELDS[kind][language]
        for key in doc:
            if key not in allowed:
                f.schema(f"Field '{key}' is not supported", f"{at}/{key}")
        common = self.common(name, kind, doc, at, language)
        if common is None:
            return None
        build = getattr(self, f"_{kind.lower()}")
        result: m.AnyState | None = build(doc, at, language, common)
        if language == JSONATA:
            for key in _JSONATA_FIELDS:
                if key in doc:
                    check_jsonata(f, doc[key], f"{at}/{key}")
            for list_key, fields in (("Choices", ("Condition", "Output", "Assign")), ("Catch", ("Output", "Assign"))):
                items = doc.get(list_key)
                for i, item in enumerate(items if isinstance(items, list) else []):
                    for key in fields:
                        if isinstance(item, dict) and key in item:
                            check_jsonata(f, item[key], f"{at}/{list_key}[{i}]/{key}")
        return result

    def common(self, name: str, kind: str, doc: dict[str, Any], at: str, language: str) -> dict[str, Any] | None:
        f = self.f
        nxt, end = doc.get("Next"), doc.get("End", False)
        if kind not in TERMINAL and kind != "Choice":
            if nxt is None and end is not True:
                f.schema("These fields are required: [End, Next]", at)
            if nxt is not None and end is True:
                f.schema("Only one of the following fields may be set: [End, Next]", at)
        if nxt is not None and not isinstance(nxt, str):
            f.schema("Expected value of type: String", f"{at}/Next")
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
                    f.schema("Expected value of type: String", f"{at}/{key}")
                fields[attr] = value
                if isinstance(value, str):
                    check_path(f, value, f"{at}/{key}")
        for key, attr in (
            ("Parameters", "parameters"),
            ("ResultSelector", "result_selector"),
            ("Arguments", "arguments"),
            ("Output", "output"),
        ):
            if key in doc and not (kind == "Map" and key == "Parameters"):
                fields[attr] = doc[key]
                if language == JSONPATH:
                    check_template(f, doc[key], f"{at}/{key}")
        if "Assign" in doc:
            fields["assign"] = doc["Assign"]
            check_assign(f, doc["Assign"], f"{at}/Assign", language)
        return fields

    def _pass(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        return m.PassState(result=doc.get("Result", ABSENT), **c)

    def _succeed(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        return m.SucceedState(**c)

    def _fail(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        for a, b in (("Error", "ErrorPath"), ("Cause", "CausePath")):
            if a in doc and b in doc:
                f.schema(f"Only one of the following fields may be set: [{a}, {b}]", at)
            if b in doc:
                check_path(f, doc[b], f"{at}/{b}", intrinsic=True)
        error = doc.get("Error")
        if isinstance(error, str) and not is_jsonata(error):
            check_error_name(f, error, f"{at}/Error")
        return m.FailState(
            error=doc.get("Error", ABSENT),
            error_path=doc.get("ErrorPath"),
            cause=doc.get("Cause", ABSENT),
            cause_path=doc.get("CausePath"),
            **c,
        )

    def _wait(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in doc]
        if len(given) != 1:
            f.schema(
                "Exactly one of the following fields must be set: [Seconds, Timestamp, SecondsPath, TimestampPath]",
                at,
            )
        seconds = doc.get("Seconds", ABSENT)
        if seconds is not ABSENT and not is_jsonata(seconds) and (not is_int(seconds) or seconds < 0):
            f.schema("Expected value of type: Integer >= 0", f"{at}/Seconds")
        for key in ("SecondsPath", "TimestampPath"):
            if key in doc:
                check_path(f, doc[key], f"{at}/{key}")
        return m.WaitState(
            seconds=seconds,
            timestamp=doc.get("Timestamp", ABSENT),
            seconds_path=doc.get("SecondsPath"),
            timestamp_path=doc.get("TimestampPath"),
            **c,
        )

    def _task(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        resource = doc.get("Resource")
        if not isinstance(resource, str):
            f.schema("These fields are required: [Resource]", at)
            resource = ""
        elif not resource.startswith("arn:"):
            f.error("INVALID_RESOURCE", f"Invalid resource: {resource}", f"{at}/Resource")
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            value = doc.get(key)
            if value is not None and not is_jsonata(value) and (not is_int(value) or value <= 0):
                f.schema("Expected value of type: Integer > 0", f"{at}/{key}")
            if key in doc and f"{key}Path" in doc:
                f.schema(f"Only one of the following fields may be set: [{key}, {key}Path]", at)
        return m.TaskState(
            resource=resource,
            timeout_seconds=doc.get("TimeoutSeconds", ABSENT),
            timeout_seconds_path=doc.get("TimeoutSecondsPath"),
            heartbeat_seconds=doc.get("HeartbeatSeconds", ABSENT),
            heartbeat_seconds_path=doc.get("HeartbeatSecondsPath"),
            credentials=doc.get("Credentials", ABSENT),
            **retry_and_catch(f, doc, at, language),
            **c,
        )

    def _parallel(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        branches_doc = doc.get("Branches")
        if not isinstance(branches_doc, list) or not branches_doc:
            f.schema("These fields are required: [Branches]", at)
            branches_doc = []
        branches = []
        for i, bdoc in enumerate(branches_doc):
            branch = self.machine(bdoc, f"{at}/Branches[{i}]", language)
            if branch is not None:
                branches.append(branch)
        return m.ParallelState(
            branches=tuple(branches),
            **retry_and_catch(f, doc, at, language),
            **c,
        )

    def _map(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        key = "ItemProcessor" if "ItemProcessor" in doc else "Iterator"
        pdoc = doc.get(key)
        if pdoc is None:
            f.schema("These fields are required: [ItemProcessor]", at)
            return None  # type: ignore[return-value]
        processor = self.machine(pdoc, f"{at}/{key}", language)
        config = pdoc.get("ProcessorConfig", {}) if isinstance(pdoc, dict) else {}
        mode = config.get("Mode", "INLINE") if isinstance(config, dict) else "INLINE"
        if mode not in ("INLINE", "DISTRIBUTED"):
            f.schema(f"Value is not one of the allowed values [INLINE, DISTRIBUTED]: {mode}",
                     f"{at}/{key}/ProcessorConfig/Mode")
            mode = "INLINE"
        selector = doc.get("ItemSelector", doc.get("Parameters", ABSENT))
        if selector is not ABSENT and language == JSONPATH:
            check_template(f, selector, f"{at}/ItemSelector")
        if "ItemsPath" in doc and isinstance(doc["ItemsPath"], str):
            check_path(f, doc["ItemsPath"], f"{at}/ItemsPath")
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
            **retry_and_catch(f, doc, at, language),
            **c,
        )

    def _choice(self, doc: dict[str, Any], at: str, language: str, c: dict[str, Any]) -> m.AnyState:
        f = self.f
        choices_doc = doc.get("Choices")
        if not isinstance(choices_doc, list) or not choices_doc:
            f.schema("These fields are required: [Choices]", at)
            choices_doc = []
        choices = []
        for i, cdoc in enumerate(choices_doc):
            where = f"{at}/Choices[{i}]"
            if not isinstance(cdoc, dict) or not isinstance(cdoc.get("Next"), str):
                f.schema("These fields are required: [Next]", where)
                continue
            if "Comment" in cdoc and not isinstance(cdoc["Comment"], str):
                f.schema("Expected value of type: String", f"{where}/Comment")
            if language == JSONATA:
                if "Condition" not in cdoc:
                    f.schema("These fields are required: [Condition]", where)
                for key in cdoc:
                    if key not in _JSONATA_RULE_FIELDS:
                        f.schema(f"Field '{key}' is not supported", f"{where}/{key}")
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
            body = {k: v for k, v in cdoc.items() if k not in ("Next", "Assign")}
            rule = parse_rule(f, body, where)
            if "Assign" in cdoc:
                check_assign(f, cdoc["Assign"], f"{where}/Assign", language)
            choices.append(
                m.ChoiceRule(
                    next=cdoc["Next"], rule=rule, assign=cdoc.get("Assign", ABSENT),
                    comment=cdoc.get("Comment"),
                )
            )
        default = doc.get("Default")
        if default is not None and not isinstance(default, str):
            f.schema("Expected value of type: String", f"{at}/Default")
            default = None
        return m.ChoiceState(choices=tuple(choices), default=default, **c)
