"""Handlers: find a function's handler by AWS's rules, and AWS's error documents for failures.

Rules and messages follow the AWS Python runtime (awslambdaric's bootstrap), e.g.
https://docs.aws.amazon.com/lambda/latest/dg/python-handler.html and
https://docs.aws.amazon.com/lambda/latest/dg/python-exceptions.html
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Callable
from typing import Any

IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
MARSHAL_ERROR = "Runtime.MarshalError"
UNMARSHAL_ERROR = "Runtime.UnmarshalError"


class Fault(Exception):
    """A failure the runtime itself reports, with AWS's error type."""

    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace or []


def error_document(message: str, error_type: str, trace: list[str], request_id: str = "") -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": trace}


def load(handler: str) -> Callable[..., Any]:
    """`module.function`, where the module part may use dots or slashes for packages."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as exc:
        raise Fault(MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {exc}") from None
    try:
        if module_name.split(".")[0] in sys.builtin_module_names:
            raise Fault(BUILT_IN_MODULE_CONFLICT, f"Cannot use built-in module {module_name} as a handler module")
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as exc:
        raise Fault(IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {exc}") from None
    except SyntaxError as exc:
        trace = [f'  File "{exc.filename}" Line {exc.lineno}\n    {exc.text}']
        raise Fault(USER_CODE_SYNTAX_ERROR, f"Syntax error in module '{module_name}': {exc}", trace) from None
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise Fault(HANDLER_NOT_FOUND, f"Handler '{function_name}' missing on module '{module_name}'") from None


def user_trace(tb: Any) -> list[str]:
    """The traceback of the user's code: frames of this runtime are dropped from the top."""
    frames = traceback.extract_tb(tb)
    here = __file__.rsplit("/", 1)[0]
    index = 0
    while index < len(frames) and frames[index].filename.startswith(here):
        index += 1
    return traceback.format_list(frames[index:] or frames)


def exception_document(exc: BaseException, request_id: str = "") -> dict[str, Any]:
    if isinstance(exc, Fault):
        return error_document(exc.message, exc.error_type, exc.trace, request_id)
    return error_document(str(exc), type(exc).__name__, user_trace(exc.__traceback__), request_id)


def log_record(document: dict[str, Any]) -> str:
    """The `[ERROR] Type: message` record the runtime writes to the function's log."""
    text = "[ERROR]"
    if document.get("errorType"):
        text += " " + document["errorType"]
    if document.get("errorMessage"):
        text += (":" if document.get("errorType") else "") + " " + document["errorMessage"]
    lines = [text, "Traceback (most recent call last):"]
    for element in document.get("stackTrace") or []:
        lines.extend(element.splitlines() or [""])
    return "\n".join(lines)
