"""A change set's diff: what an update would do to each resource, as DescribeChangeSet shows it.

Each resource is Added, Removed or Modified; a Modify says whether it replaces the resource (True when a
changed property is create-only in the type's schema, Conditional when a property that references a
replaced resource is) and, in Details, which properties change and why: directly (Static) or because a
resource they reference may get a new id (Dynamic, ResourceReference)
(https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChange.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from overcast.errors import AwsError
from overcast.templates import graph, schemas
from overcast.templates.intrinsics import NO_VALUE, resolve
from overcast.templates.live import Live
from overcast.templates.plan import Plan
from overcast.templates.providers.base import Made
from overcast.templates.records import Change, Detail, StackResource


class _Unknown:
    """The value of a resource that does not exist yet."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.text


def _property(value: Any, plan: Plan, made: Mapping[str, Made]) -> Any:
    scope = dataclasses.replace(plan.scope, resources=Live(made, plan.networking))
    try:
        return resolve(value, scope)
    except AwsError:
        return _Unknown("{{dynamic}}")


def diff(plan: Plan, rows: Sequence[StackResource], before: Mapping[str, Any] | None = None) -> tuple[Change, ...]:
    """The changes `plan` makes to a stack holding `rows` and made from the template `before` (for a new stack,
    nothing but Adds)."""
    declared_before = (before or {}).get("Resources") or {}
    current = {row.logical_id: row for row in rows if row.physical_id is not None}
    made = {lid: Made(row.physical_id or "", dict(row.attributes)) for lid, row in current.items()}
    for lid in plan.active:
        if lid not in current:
            made[lid] = Made(f"{{{{{lid}}}}}", _Any(lid))
    changes: dict[str, Change] = {}
    replaced: set[str] = set()
    for wave in plan.waves:
        for lid in wave:
            kind = plan.type_of(lid)
            if lid not in current:
                changes[lid] = Change("Add", lid, kind)
                continue
            row = current[lid]
            declared = plan.resource(lid).get("Properties") or {}
            details: list[Detail] = []
            create_only = schemas.create_only(kind)
            for key in sorted(set(declared) | set(row.properties)):
                new = NO_VALUE if key not in declared else _property(declared[key], plan, made)
                references = sorted(set(graph.names(declared.get(key))) & replaced)
                if references:
                    recreation = "Conditional" if key in create_only else "Never"
                    for name in references:
                        details.append(Detail(key, recreation, "Dynamic", "ResourceReference", f"{name}.Ref"))
                elif row.properties.get(key, NO_VALUE) != new:
                    recreation = "Always" if key in create_only else "Never"
                    old = (declared_before.get(lid) or {}).get("Properties") or {}
                    parameters = sorted(set(graph.names(declared.get(key))) & set(plan.parameters))
                    if key in old and old[key] == declared.get(key) and parameters:  # the same text, a new value
                        details += [Detail(key, recreation, "Static", "ParameterReference", p) for p in parameters]
                    else:
                        details.append(Detail(key, recreation, "Static", "DirectModification"))
            if kind != row.type:
                details.append(Detail("Type", "Always", "Static", "DirectModification"))
            if not details:
                continue
            recreations = {d.recreation for d in details}
            replacement = (
                "True" if "Always" in recreations else "Conditional" if "Conditional" in recreations else "False"
            )
            if replacement != "False":
                replaced.add(lid)
            changes[lid] = Change("Modify", lid, kind, row.physical_id, replacement, tuple(details))
    for lid, row in current.items():
        if lid not in plan.active:
            changes[lid] = Change("Remove", lid, row.type, row.physical_id)
    order = {lid: n for n, lid in enumerate(plan.template["Resources"])}
    return tuple(sorted(changes.values(), key=lambda c: order.get(c.logical_id, len(order))))


class _Any(Mapping[str, Any]):
    """The attributes of a resource not made yet: each unknown."""

    def __init__(self, logical_id: str) -> None:
        self.logical_id = logical_id

    def __getitem__(self, name: str) -> Any:
        return _Unknown(f"{{{{{self.logical_id}.{name}}}}}")

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __contains__(self, name: object) -> bool:
        return True
