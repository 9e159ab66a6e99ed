"""What a message may contain: its body's characters, its attributes' names and types, and its size.

https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html and
https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
(at most 10 attributes; names of up to 256 alphanumerics, `-`, `_` and `.`, not starting with `AWS.` or
`Amazon.`, no `..`; the body, names, types and values all count toward MaximumMessageSize).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from overcast.events.queues.errors import InvalidMessageContents, InvalidParameterValue, MissingParameter
from overcast.events.queues.records import MessageAttribute

MOST_ATTRIBUTES = 10
_BAD_CHARACTER = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_TYPE = re.compile(r"^(String|Number|Binary)(\.[^\s]{1,256})?$")


def check_body(body: str) -> None:
    if not body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if _BAD_CHARACTER.search(body):
        raise InvalidMessageContents(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF"
        )


def check_attributes(attributes: Mapping[str, MessageAttribute], kind: str = "user") -> None:
    if len(attributes) > MOST_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MOST_ATTRIBUTES}]."
        )
    for name, attribute in attributes.items():
        lowered = name.lower()
        if not _NAME.match(name) or ".." in name or name.startswith(".") or name.endswith("."):
            raise InvalidParameterValue(f"Message ({kind}) attribute name '{name}' is invalid.")
        if kind == "user" and (lowered.startswith("aws.") or lowered.startswith("amazon.")):
            raise InvalidParameterValue(f"Message ({kind}) attribute name '{name}' is reserved for use by AWS.")
        if not _TYPE.match(attribute.data_type or ""):
            raise InvalidParameterValue(
                f"The type of message ({kind}) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        binary = attribute.data_type.startswith("Binary")
        value = attribute.binary_value if binary else attribute.string_value
        if not value:
            base = attribute.data_type.split(".", 1)[0]
            raise InvalidParameterValue(
                f"Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base}'."
            )
        if attribute.data_type.startswith("Number"):
            try:
                float(attribute.string_value or "")
            except ValueError:
                raise InvalidParameterValue(
                    f"Could not cast message ({kind}) attribute '{name}' value to number."
                ) from None
        elif not binary and _BAD_CHARACTER.search(attribute.string_value or ""):
            raise InvalidParameterValue(f"Message ({kind}) attribute '{name}' contains invalid characters.")


def size_of(body: str, attributes: Mapping[str, MessageAttribute]) -> int:
    size = len(body.encode())
    for name, attribute in attributes.items():
        size += len(name.encode()) + len(attribute.data_type.encode())
        size += len(attribute.binary_value or b"") + len((attribute.string_value or "").encode())
    return size


def check_size(body: str, attributes: Mapping[str, MessageAttribute], most: int) -> None:
    if size_of(body, attributes) > most:
        raise InvalidParameterValue(
            f"One or more parameters are invalid. Reason: Message must be shorter than {most} bytes."
        )
