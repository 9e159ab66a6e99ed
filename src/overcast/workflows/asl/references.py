"""The workflow variables each state of a definition reads: DescribeStateMachine's `variableReferences`.

AWS documents the member as "a map of state name to a list of variables referenced by that state.
States that do not use variable references will not be shown in the response"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html), and
variables as `$name` in JSONata expressions and in JSONPath paths, payload templates and intrinsic
function arguments (https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html).

What AWS does not document, and this module chooses: states inside Parallel branches and Map
processors are listed by their own names (ASL makes state names unique in the whole machine); each
list holds a name once, in the order the definition first reads it; the reserved `$states`, JSONata's
and Step Functions' functions, and names an expression binds itself (`$x := ...`, lambda parameters)
are not workflow variables and are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from overcast.workflows.asl.expressions import is_jsonata
from overcast.workflows.asl.model import JSONATA, JSONPATH

RESERVED = "states"
# Step Functions' own JSONata functions (transforming-data.html), beside JSONata's library.
_STEP_FUNCTIONS = {"partition", "range", "hash", "random", "uuid", "parse"}
# The fields of a state that hold other states, read as machines of their own.
_NESTED = {"Branches", "ItemProcessor", "Iterator"}
# AST members of jsonata-python's parser that hold sub-expressions.
_CHILDREN = (
    "expression", "steps", "procedure", "arguments", "body", "predicate", "stages", "group", "lhs", "rhs",
    "terms", "condition", "then", "_else", "expressions", "pattern", "update", "delete", "expr",
)  # fmt: skip


def variable_references(definition: str) -> dict[str, list[str]]:
    """{state name: the variables it reads} for every state that reads one; {} if the text is not a machine."""
    try:
        doc = json.loads(definition)
    except ValueError:
        return {}
    found: dict[str, list[str]] = {}
    if isinstance(doc, dict):
        for name, state, language in states(doc, JSONPATH):
            names = list(dict.fromkeys(_read(state, language)))
            if names:
                found[name] = names
    return found


def states(machine: dict[str, Any], inherited: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(name, state, query language) of every state of a machine's document, nested machines' too."""
    language = machine.get("QueryLanguage", inherited)
    children = machine.get("States")
    if not isinstance(children, dict):
        return
    for name, state in children.items():
        if not isinstance(state, dict):
            continue
        own = state.get("QueryLanguage", language)
        yield name, state, own
        for key in _NESTED & state.keys():
            nested = state[key]
            for machine_doc in nested if isinstance(nested, list) else [nested]:
                if isinstance(machine_doc, dict):
                    yield from states(machine_doc, own)


def _read(state: dict[str, Any], language: str) -> Iterator[str]:
    for key, value in state.items():
        if key not in _NESTED:
            yield from (_jsonata(value) if language == JSONATA else _jsonpath(key, value))


def _jsonpath(key: str, value: Any) -> Iterator[str]:
    """A JSONPath state's field: paths (`*Path`, a Choice rule's `Variable`, `key.$` values) and templates."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _jsonpath(k, v)
    elif isinstance(value, list):
        for item in value:
            yield from _jsonpath(key, item)
    elif isinstance(value, str) and (key.endswith(".$") or key.endswith("Path") or key == "Variable"):
        yield from _path_or_call(value)


def _path_or_call(text: str) -> Iterator[str]:
    from overcast.workflows.asl.intrinsics import Call, IntrinsicError, PathArg, parse_intrinsic
    from overcast.workflows.asl.paths import PathError, compile_path

    if text.startswith("States."):
        try:
            call = parse_intrinsic(text)
        except IntrinsicError:
            return
        pending: list[Any] = [call]
        while pending:
            arg = pending.pop(0)
            if isinstance(arg, Call):
                pending[:0] = arg.args
            elif isinstance(arg, PathArg):
                yield from _path_or_call(arg.text)
        return
    try:
        path = compile_path(text)
    except PathError:
        return
    if path.is_variable:
        yield path.root[1:]


def _jsonata(value: Any) -> Iterator[str]:
    """Every `{% %}` expression in a JSONata state's field."""
    if isinstance(value, dict):
        for v in value.values():
            yield from _jsonata(v)
    elif isinstance(value, list):
        for item in value:
            yield from _jsonata(item)
    elif is_jsonata(value):
        yield from _expression_variables(value[2:-2].strip())


def _expression_variables(text: str) -> Iterator[str]:
    from overcast.workflows.asl import jsonata as jn

    try:
        expression = jn.compile_expression(text)
    except jn.ExpressionSyntaxError:
        return
    read: list[str] = []
    bound: set[str] = set()
    _walk(expression.ast, read, bound)
    functions = set(type(expression).static_frame.bindings) | _STEP_FUNCTIONS
    yield from (name for name in read if name and name not in bound | functions and name != RESERVED)


def _walk(node: Any, read: list[str], bound: set[str]) -> None:
    if isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, read, bound)
        return
    kind = getattr(node, "type", None)
    if kind is None:
        return
    if kind == "variable":
        read.append(str(node.value))
    elif kind == "bind" and getattr(node.lhs, "type", None) == "variable":
        bound.add(str(node.lhs.value))
    elif kind == "lambda":
        bound.update(str(arg.value) for arg in node.arguments or [] if getattr(arg, "type", None) == "variable")
    for name in ("focus", "index"):  # `@$v` and `#$i` bindings
        if isinstance(getattr(node, name, None), str):
            bound.add(getattr(node, name))
    for attribute in _CHILDREN:
        child = getattr(node, attribute, None)
        if attribute == "procedure" and getattr(child, "type", None) == "variable":
            continue  # the function a call names
        if child is not None:
            _walk(child, read, bound)
