"""The expressions inside a definition's fields, checked when it is created: JSONPaths, payload
templates (`key.$` fields and intrinsic functions), JSONata `{% %}` strings, and variable names.

Each check adds its findings to a `Findings` and returns nothing: the definition keeps the text,
and the interpreter compiles it (cached) when it runs.
"""

from __future__ import annotations

import re
from typing import Any

from overcast.workflows.asl.diagnostics import Findings
from overcast.workflows.asl.model import JSONATA, JSONPATH

_RESERVED_VARIABLE = "states"
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def check_jsonata(f: Findings, doc: Any, at: str) -> None:
    """INVALID_JSONATA_EXPRESSION for every `{% %}` string in `doc` that does not parse."""
    from overcast.workflows.asl import jsonata as jn

    if isinstance(doc, dict):
        for key, value in doc.items():
            check_jsonata(f, value, f"{at}/{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            check_jsonata(f, value, f"{at}[{i}]")
    elif is_jsonata(doc):
        try:
            jn.compile_expression(jn.expression_text(doc))
        except jn.ExpressionSyntaxError as exc:
            # AWS gives the parser's message without JSONata's code (S0207: ...).
            f.error("INVALID_JSONATA_EXPRESSION", re.sub(r"^[A-Z]\d{4}: ", "", str(exc)), at)


def check_path(f: Findings, value: Any, at: str, *, intrinsic: bool = False) -> None:
    """A JSONPath field (`intrinsic`: or an intrinsic function call, as ErrorPath and CausePath take)."""
    from overcast.workflows.asl.paths import PathError, compile_path

    if not isinstance(value, str):
        f.schema("Expected value of type: String", at)
        return
    if intrinsic and value.startswith("States."):
        return
    try:
        compile_path(value)
    except PathError as exc:
        f.error("INVALID_JSON_PATH", f"Invalid JSONPath: {value} ({exc})", at)


def check_template(f: Findings, doc: Any, at: str) -> None:
    """A payload template: each `key.$` value a JSONPath or an intrinsic function call."""
    from overcast.workflows.asl.intrinsics import IntrinsicError, parse_intrinsic

    if isinstance(doc, dict):
        for key, value in doc.items():
            if key.endswith(".$"):
                if not isinstance(value, str):
                    f.schema("Expected value of type: String", f"{at}/{key}")
                elif value.startswith("States."):
                    try:
                        parse_intrinsic(value)
                    except IntrinsicError as exc:
                        f.schema(f"The value for the field '{key}' must be a valid JSONPath "
                                 f"or a valid intrinsic function call ({exc})", f"{at}/{key}")
                elif value.startswith("$$") or value.startswith("$"):
                    check_path(f, value, f"{at}/{key}")
                else:
                    f.schema(f"The value for the field '{key}' must be a valid JSONPath or a "
                             "valid intrinsic function call", f"{at}/{key}")
            else:
                check_template(f, value, f"{at}/{key}")
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            check_template(f, value, f"{at}[{i}]")


def check_assign(f: Findings, doc: Any, at: str, language: str) -> None:
    """An Assign field: valid variable names (not `states`), and JSONPath templates as values."""
    if language == JSONATA and is_jsonata(doc):
        return
    if not isinstance(doc, dict):
        f.schema("Expected value of type: Object", at)
        return
    for key in doc:
        name = key[:-2] if key.endswith(".$") and language == JSONPATH else key
        if name == _RESERVED_VARIABLE or not _VARIABLE_NAME.match(name):
            f.schema(f"The variable name '{name}' is invalid", f"{at}/{key}")
    if language == JSONPATH:
        check_template(f, doc, at)
