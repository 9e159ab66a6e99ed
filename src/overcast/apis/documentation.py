"""Documentation parts of a REST API: stored and returned, with the location rules AWS checks.

A part documents one entity of the API, named by its location: the type, and the path, method,
status code and name that type takes (https://docs.aws.amazon.com/apigateway/latest/api/API_DocumentationPartLocation.html).
A field the type does not take is refused, one it takes gets its default ("/", "*", "*"), a name is
required where the type takes one, and one location holds at most one part. Its properties are a JSON
object. Documentation versions and the parts' export are not implemented yet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from overcast.apis.errors import NotFound
from overcast.errors import BadRequest

TYPES = (
    "API", "AUTHORIZER", "MODEL", "RESOURCE", "METHOD", "PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER",
    "REQUEST_BODY", "RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY",
)  # fmt: skip
_METHOD_LEVEL = ("PATH_PARAMETER", "QUERY_PARAMETER", "REQUEST_HEADER", "REQUEST_BODY")
_RESPONSE_LEVEL = ("RESPONSE", "RESPONSE_HEADER", "RESPONSE_BODY")
# Which types take each location field (API_DocumentationPartLocation).
TAKES_PATH = ("RESOURCE", "METHOD", *_METHOD_LEVEL, *_RESPONSE_LEVEL)
TAKES_METHOD = ("METHOD", *_METHOD_LEVEL, *_RESPONSE_LEVEL)
TAKES_STATUS = _RESPONSE_LEVEL
TAKES_NAME = ("AUTHORIZER", "MODEL", *_METHOD_LEVEL, "RESPONSE_HEADER")


@dataclass(frozen=True, slots=True)
class Location:
    type: str
    path: str | None = None
    method: str | None = None
    status_code: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentationPart:
    id: str
    location: Location
    properties: str


def part_not_found(part_id: str) -> NotFound:
    return NotFound("Invalid Documentation part identifier specified")


def location(kind: str, path: str | None, method: str | None, status_code: str | None, name: str | None) -> Location:
    """The location as API Gateway keeps it: checked against its type, defaults filled in."""
    if kind not in TYPES:
        raise BadRequest(f"Invalid documentation part type: {kind}")
    for value, takes, field in (
        (path, TAKES_PATH, "path"),
        (method, TAKES_METHOD, "method"),
        (status_code, TAKES_STATUS, "statusCode"),
        (name, TAKES_NAME, "name"),
    ):
        if value is not None and kind not in takes:
            raise BadRequest(f"Invalid location: '{field}' is not a valid field for the type {kind}")
    if kind in TAKES_NAME and not name:
        raise BadRequest(f"Invalid location: 'name' is required for the type {kind}")
    if path is not None and not path.startswith("/"):
        raise BadRequest(f"Invalid location path: {path}")
    return Location(
        kind,
        path=(path or "/") if kind in TAKES_PATH else None,
        method=(method or "*").upper() if kind in TAKES_METHOD else None,
        status_code=(status_code or "*") if kind in TAKES_STATUS else None,
        name=name if kind in TAKES_NAME else None,
    )


def check_properties(properties: str) -> str:
    """A part's properties: a JSON object, kept as the text given."""
    try:
        parsed = json.loads(properties)
    except ValueError:
        raise BadRequest("Invalid documentation content: properties must be a JSON object") from None
    if not isinstance(parsed, dict):
        raise BadRequest("Invalid documentation content: properties must be a JSON object")
    return properties
