"""API Gateway v1's member names: a template's PascalCase properties as the apigateway API's camelCase members."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from overcast.templates.providers.operated import Properties
from overcast.templates.providers.tags import tag_map


def lower(name: str) -> str:
    return name[:1].lower() + name[1:]


def nested(value: Any) -> Any:
    """A structure of the template's (EndpointConfiguration, Throttle ...) in the API's member names. Only for
    structures whose keys are all member names: maps of the user's (Variables, RequestTemplates) keep theirs."""
    if isinstance(value, Mapping):
        return {lower(key): nested(item) for key, item in value.items()}
    if isinstance(value, list):
        return [nested(item) for item in value]
    return value


def members(p: Properties, names: tuple[str, ...], structures: tuple[str, ...] = ()) -> dict[str, Any]:
    """The given properties among `names` as the API's members; those in `structures` converted all through."""
    return {lower(name): nested(p[name]) if name in structures else p[name] for name in names if name in p}


def tags_of(p: Properties) -> dict[str, Any]:
    return {"tags": tag_map(p["Tags"])} if p.get("Tags") else {}


def document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
