"""A REST API's documentation: its parts, their import, and versions (snapshots of the parts).

A part documents one entity of the API, named by its location: the type, and the path, method,
status code and name that type takes (https://docs.aws.amazon.com/apigateway/latest/api/API_DocumentationPartLocation.html).
A field the type does not take is refused, one it takes gets its default ("/", "*", "*"), a name is
required where the type takes one, and one location holds at most one part. Its properties are a JSON
object.

Parts are imported from the `x-amazon-apigateway-documentation` extension of an OpenAPI definition,
merged into the API's parts (a part at an existing location replaces its properties) or overwriting
them all. A documentation version is a named snapshot of the parts at the time it is made; a stage
names the version it publishes (`documentationVersion`), and GetExport with
`extensions=documentation` writes that snapshot back as the same extension
(https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-documenting-api-quick-start-import-export.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-documenting-api-quick-start-publishing.html).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


@dataclass(frozen=True, slots=True)
class DocumentationVersion:
    """A snapshot of an API's documentation parts, as they were when it was made."""

    version: str
    created_date: float
    description: str | None = None
    parts: tuple[DocumentationPart, ...] = ()


EXTENSION = "x-amazon-apigateway-documentation"
IMPORT_MODES = ("merge", "overwrite")


def part_not_found(part_id: str) -> NotFound:
    return NotFound("Invalid Documentation part identifier specified")


def version_not_found(version: str) -> NotFound:
    return NotFound("Invalid Documentation version identifier specified")


def check_version(version: str | None) -> str:
    """A version's identifier: any non-blank text (the CloudFormation resource's minimum length is 1)."""
    if not version or not version.strip():
        raise BadRequest("Documentation version must be specified")
    return version


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


def imported(spec: dict[str, Any], fail_on_warnings: bool) -> tuple[list[tuple[Location, str]], list[str]]:
    """The parts an OpenAPI definition's documentation extension holds, as (location, properties text), and
    the warnings for entries it skips (an error instead under `failOnWarnings`)."""
    found = spec.get(EXTENSION)
    if not isinstance(found, dict) or not isinstance(found.get("documentationParts"), list):
        raise BadRequest(f"Invalid documentation import: the definition has no {EXTENSION}.documentationParts")
    parts: list[tuple[Location, str]] = []
    warnings: list[str] = []
    for index, entry in enumerate(found["documentationParts"]):
        try:
            parts.append(_entry(entry))
        except BadRequest as refused:
            if fail_on_warnings:
                raise
            warnings.append(f"documentationParts[{index}]: {refused.message}")
    locations = [at for at, _ in parts]
    if len(set(locations)) != len(locations):
        raise BadRequest("Invalid documentation import: two documentation parts have the same location")
    return parts, warnings


def _entry(entry: Any) -> tuple[Location, str]:
    if not isinstance(entry, dict) or not isinstance(entry.get("location"), dict):
        raise BadRequest("Invalid documentation part: a location is required")
    where = entry["location"]
    at = location(
        str(where.get("type")), where.get("path"), where.get("method"), where.get("statusCode"), where.get("name")
    )
    properties = entry.get("properties")
    text = properties if isinstance(properties, str) else json.dumps(properties, separators=(",", ":"))
    return at, check_properties(text)


def exported(version: DocumentationVersion) -> dict[str, Any]:
    """A documentation version as GetExport's `x-amazon-apigateway-documentation` writes it."""
    created = datetime.datetime.fromtimestamp(version.created_date, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": version.version,
        "createdDate": created,
        "documentationParts": [
            {"location": _location_out(part.location), "properties": json.loads(part.properties)}
            for part in version.parts
        ],
    }


def _location_out(at: Location) -> dict[str, str]:
    found = {"type": at.type, "path": at.path, "method": at.method, "statusCode": at.status_code, "name": at.name}
    return {k: v for k, v in found.items() if v is not None}


def merged(
    existing: Sequence[DocumentationPart], incoming: list[tuple[Location, str]], mode: str, new_id: Callable[[], str]
) -> tuple[list[DocumentationPart], list[str]]:
    """The parts an import leaves (`overwrite`: only the incoming ones; `merge`: the existing ones too, a part at
    an incoming location taking its new properties and keeping its id), and the imported parts' ids."""
    if mode not in IMPORT_MODES:
        raise BadRequest(f"Invalid import mode specified. Must be one of: [{', '.join(IMPORT_MODES)}]")
    kept = {} if mode == "overwrite" else {part.location: part for part in existing}
    ids: list[str] = []
    for at, properties in incoming:
        before = kept.get(at)
        part = DocumentationPart(before.id if before is not None else new_id(), at, properties)
        kept[at] = part
        ids.append(part.id)
    return list(kept.values()), ids
