"""API Gateway (v1) wire shapes: the REST API control plane's records as AWS's members, and back.

Records name their fields after AWS's members in snake_case, so a record goes out as the camelCase
of its field names (`_SPELLED` lists the member AWS spells otherwise), fields that are None left
out, and a structure of a request comes in through `codec.load` under the same names. The views
here are where an answer is not the record as it is (a resource's methods unless embedded, a
key's value unless asked, tags from the kit's table).
https://docs.aws.amazon.com/apigateway/latest/api/API_Types.html
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from overcast.api.services import Output, Params
from overcast.apis.restapi import codec
from overcast.apis.restapi.patch import PatchOperation, operations
from overcast.apis.restapi.records import ApiKey, Deployment, Resource, Snapshot

R = TypeVar("R")
_SPELLED = {"provider_arns": "providerARNs"}


def member(field: str) -> str:
    """The AWS member a record field holds."""
    return _SPELLED.get(field) or codec.camel(field)


def out(record: Any) -> Output:
    """A record as AWS's structure: camelCase members, unset (None) ones left out."""
    found: Output = {}
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if value is not None:
            found[member(f.name)] = _value(value)
    return found


def _value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return out(value)
    if isinstance(value, tuple):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def into(cls: type[R], data: Mapping[str, Any]) -> R:
    """A record of `cls` from a request's structure (members it does not know are ignored)."""
    return codec.load(cls, dict(data), member)


def ops(p: Params) -> list[PatchOperation]:
    return operations(p.get("patchOperations"))


def page(items: list[Output], position: str | None, key: str = "items") -> Output:
    found: Output = {key: items}
    if position:
        found["position"] = position
    return found


def tagged(record: Any, tags: Mapping[str, str], **extra: Any) -> Output:
    """A taggable record's structure, with its tags when it has any."""
    found = out(record)
    if tags:
        found["tags"] = dict(tags)
    found.update({k: v for k, v in extra.items() if v})
    return found


def resource(res: Resource, embed_methods: bool) -> Output:
    """A resource as GetResource(s) show it: its methods' names only, unless `embed=methods`."""
    found = out(dataclasses.replace(res, resource_methods={}))
    del found["resourceMethods"]
    if res.resource_methods:
        found["resourceMethods"] = {name: out(m) if embed_methods else {} for name, m in res.resource_methods.items()}
    return found


def embeds(p: Params, what: str) -> bool:
    return what in [e.lower() for e in p.get("embed") or []]


def deployment(dep: Deployment, frozen: Snapshot | None = None) -> Output:
    """A deployment, with its apiSummary (path -> method -> authorization) when given its snapshot."""
    found = out(dep)
    if frozen is not None:
        summary: dict[str, dict[str, Output]] = {}
        for res in frozen.resources.values():
            for name, m in res.resource_methods.items():
                summary.setdefault(res.path, {})[name] = {
                    "authorizationType": m.authorization_type,
                    "apiKeyRequired": m.api_key_required,
                }
        found["apiSummary"] = summary
    return found


def api_key(key: ApiKey, tags: Mapping[str, str], include_value: bool) -> Output:
    found = tagged(key, tags)
    if not include_value:
        del found["value"]
    return found


def plan_key(key: ApiKey) -> Output:
    """A UsagePlanKey: the key as a plan holds it."""
    found: Output = {"id": key.id, "type": "API_KEY", "value": key.value}
    if key.name is not None:
        found["name"] = key.name
    return found
