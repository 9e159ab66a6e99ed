"""The runtime loop of a Python instance: init (import the handler), then invocations over the channel.

Output written through sys.stdout/sys.stderr (print, logging) is captured line by line with its
timestamp and sent back with the invocation's result, so every line lands in the right invocation.
"""

from __future__ import annotations

import base64
import decimal
import json
import logging
import os
import resource
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from . import frames, handlers, logformat
from .lambdacontext import LambdaContext
from .logbudget import LogBudget, PipeLines, utf8


class LineSink:
    """A text stream that turns writes into timestamped lines (AWS's runtime is unbuffered), within the
    invocation's log budget."""

    encoding = "utf-8"
    errors = "strict"
    SLICE = 1 << 20  # a huge write is taken this many characters at a time, so it is never copied whole

    def __init__(self, budget: LogBudget) -> None:
        self.budget = budget
        self._pipe = PipeLines(budget)

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        now = int(time.time() * 1000)
        for start in range(0, len(text), self.SLICE):
            self._pipe.feed(utf8(text[start : start + self.SLICE]), now)
        return len(text)

    def flush(self) -> None:
        """End the line in progress (at the end of an init or an invocation)."""
        pipe = self._pipe
        if pipe.partial or pipe.open:
            pipe.close(int(time.time() * 1000))

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("the Lambda log stream has no file descriptor")

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


class RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = RequestIdFilter.request_id
        return True


def _install_logging(sink: LineSink) -> bool:
    """The root logger handler of AWS's runtime: `[LEVEL]\\t<time>Z\\t<request id>\\t<message>`, or JSON records
    (logformat.py) when AWS_LAMBDA_LOG_FORMAT is JSON. True when it writes JSON."""
    as_json = os.environ.get("AWS_LAMBDA_LOG_FORMAT") == "JSON"
    logging.Formatter.converter = time.gmtime
    handler = logging.StreamHandler(sink)
    text = logging.Formatter(logformat.TEXT_FORMAT, logformat.DATE_FORMAT)
    handler.setFormatter(logformat.JsonFormatter() if as_json else text)
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    level = logformat.root_level(os.environ.get("AWS_LAMBDA_LOG_LEVEL"))
    if level is not None:
        root.setLevel(level)
    return as_json


def _encode_default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json.dumps(response, default=_encode_default, ensure_ascii=...) would build one per call.
_ENCODERS = {flag: json.JSONEncoder(default=_encode_default, ensure_ascii=flag) for flag in (True, False)}


def marshal(response: Any, ensure_ascii: bool) -> bytes:
    if isinstance(response, bytes):
        return response
    try:
        return _ENCODERS[ensure_ascii].encode(response).encode()
    except Exception as exc:  # as AWS: any failure to serialize is a MarshalError
        raise handlers.Fault(handlers.MARSHAL_ERROR, f"Unable to marshal response: {exc}") from None


def _maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _decode_json_header(value: str | None, base64_encoded: bool) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        text = base64.b64decode(value).decode() if base64_encoded else value
        document = json.loads(text)
    except Exception:
        return None
    return document if isinstance(document, dict) else None


def serve(sock: socket.socket, init: dict[str, Any]) -> None:
    """Initialize from the setup frame's `init`, report `ready`, then answer invocations until EOF."""
    started = time.monotonic()
    os.environ.clear()
    os.environ.update(init["environment"])
    sys.path[:0] = [p for p in init["sys_path"] if p not in sys.path]
    budget = LogBudget(*init.get("log_limits", ()))
    for ts, msg in init.get("notices", []):
        budget.note(int(ts), str(msg))
    sink = LineSink(budget)
    sys.stdout = sink
    sys.stderr = sink
    as_json = _install_logging(sink)
    error_record = logformat.error_record if as_json else handlers.log_record
    ensure_ascii = init.get("ensure_ascii", True)
    handler: Callable[..., Any] | None = None
    error: dict[str, Any] | None = None
    try:
        handler = handlers.load(init["handler"])
    except Exception as exc:
        error = handlers.exception_document(exc)
    except BaseException as exc:  # SystemExit or KeyboardInterrupt raised by the module
        error = handlers.exception_document(exc)
    sink.flush()
    if error is not None:
        budget.add(int(time.time() * 1000), error_record(error))
    init_ms = (time.monotonic() - started) * 1000.0
    lines, dropped_lines, dropped_bytes = budget.take()
    ready = {"op": "ready", "init_ms": init_ms, "error": error, "log": lines, "maxrss": _maxrss_bytes()}
    if dropped_lines:
        ready["dropped"] = [dropped_lines, dropped_bytes]
    frames.send(sock, ready)
    if handler is None:
        os._exit(1)  # as AWS's runtime: an init failure ends the runtime
    reader = frames.Reader(sock)
    while True:
        try:
            header, body = reader.next()
        except EOFError:
            os._exit(0)
        _invoke(sock, handler, header, body, sink, ensure_ascii, error_record)


def _invoke(
    sock: socket.socket,
    handler: Callable[..., Any],
    header: dict[str, Any],
    body: bytes,
    sink: LineSink,
    ensure_ascii: bool,
    error_record: Callable[[dict[str, Any]], str],
) -> None:
    request_id = header["request_id"]
    RequestIdFilter.request_id = request_id
    if header.get("trace_id"):
        os.environ["_X_AMZN_TRACE_ID"] = header["trace_id"]
    elif "_X_AMZN_TRACE_ID" in os.environ:
        del os.environ["_X_AMZN_TRACE_ID"]
    error: dict[str, Any] | None = None
    result = b""
    try:
        context = LambdaContext(
            request_id,
            int(header["deadline_ms"]),
            header["invoked_function_arn"],
            _decode_json_header(header.get("client_context"), True),
            _decode_json_header(header.get("cognito_identity"), False),
        )
        try:
            event = json.loads(body.decode()) if body else None
        except ValueError as exc:  # UnicodeDecodeError included
            raise handlers.Fault(handlers.UNMARSHAL_ERROR, f"Unable to unmarshal input: {exc}") from None
        result = marshal(handler(event, context), ensure_ascii)
    except Exception as exc:
        error = handlers.exception_document(exc, request_id)
    except SystemExit as exc:  # sys.exit() in a handler ends the runtime, as on AWS
        sink.flush()
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        os._exit(code)
    sink.flush()
    if error is not None:
        sink.budget.add(int(time.time() * 1000), error_record(error))
        result = json.dumps(error).encode()
    lines, dropped_lines, dropped_bytes = sink.budget.take()
    error_type = error["errorType"] if error else None
    sock.sendall(frames.encode_result(error_type, lines, _maxrss_bytes(), result, dropped_lines, dropped_bytes))
