"""Log formats of AWS's Python runtime: the text records of its logging handler, or JSON ones (LoggingConfig).

With LogFormat JSON, Lambda sets AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL (the function's
ApplicationLogLevel), and the runtime's root logger writes one JSON object per record at that level
(https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html#python-logging-advanced):

    {"timestamp": "2023-10-27T19:17:45.586Z", "level": "INFO", "message": "Inside the handler function",
     "logger": "root", "requestId": "79b4f56e-95b1-4643-9700-2807f4e68189"}

plus errorType, errorMessage, stackTrace and location when the record carries an exception, and the
record's `extra` fields. print() output stays plain text, as on AWS. The runtime's own record of an
unhandled error is JSON as well (`error_record`).
"""

from __future__ import annotations

import json
import logging
import time
import traceback
from typing import Any

TEXT_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"

# ApplicationLogLevel -> the `logging` level the root logger is set to (Python has no TRACE; FATAL is CRITICAL).
LEVELS = {"TRACE": logging.DEBUG, "DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARN": logging.WARNING,
          "ERROR": logging.ERROR, "FATAL": logging.CRITICAL}  # fmt: skip

# A LogRecord's own attributes (and what formatting and the runtime's filter add): whatever else it has came
# from `extra` and is written as a field.
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__).union(
    {"message", "asctime", "aws_request_id"}
)


def root_level(name: str | None) -> int | None:
    """The root logger's level for AWS_LAMBDA_LOG_LEVEL (None: leave it as it is)."""
    if not name:
        return None
    level = LEVELS.get(name.upper()) or logging.getLevelName(name.upper())  # the level's number, for a name it knows
    return level if isinstance(level, int) else None


def timestamp(epoch: float) -> str:
    millis = int(epoch * 1000)
    return time.strftime(DATE_FORMAT, time.gmtime(millis // 1000)) + f".{millis % 1000:03d}Z"


class JsonFormatter(logging.Formatter):
    """One line of JSON per record, with the fields AWS's Python runtime writes."""

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "timestamp": timestamp(record.created),
            "level": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
        }
        if record.exc_info and record.exc_info[0] is not None:
            kind, error, tb = record.exc_info
            document["stackTrace"] = traceback.format_tb(tb)
            document["errorType"] = kind.__name__
            document["errorMessage"] = str(error)
            document["location"] = f"{record.pathname}:{record.funcName}:{record.lineno}"
        request_id = getattr(record, "aws_request_id", "")
        if request_id:
            document["requestId"] = request_id
        for key, value in record.__dict__.items():
            if key not in _RECORD_FIELDS and key not in document:
                document[key] = value
        return json.dumps(document, default=str)


def error_record(document: dict[str, Any]) -> str:
    """The runtime's JSON record of an unhandled error: the error document under a time and an ERROR level."""
    return json.dumps({"timestamp": time.strftime(DATE_FORMAT + "Z", time.gmtime()), "log_level": "ERROR", **document})
