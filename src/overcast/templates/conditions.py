"""A template's Conditions: each evaluated once, before any resource, from parameters, mappings and other conditions.

A condition may name another (`Condition: Other`) but not a resource, and not itself through others
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/conditions-section-structure.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from overcast.templates.errors import format_error, template_error
from overcast.templates.intrinsics import Scope, resolve


class _NoResources:
    """Conditions cannot name resources: there are none yet when they are evaluated."""

    def ref(self, logical_id: str) -> Any:
        raise template_error(
            f"Unresolved dependencies [{logical_id}]. "
            "Cannot reference resources in the Conditions block of the template"
        )

    def get_att(self, logical_id: str, attribute: str) -> Any:
        return self.ref(logical_id)


class _Evaluated(Mapping[str, bool]):
    """The conditions, each evaluated the first time it is asked for (by the template or by another condition)."""

    def __init__(self, declared: Mapping[str, Any], scope: Scope) -> None:
        self.declared = declared
        self.scope = dataclasses.replace(scope, conditions=self, resources=_NoResources())
        self.known: dict[str, bool] = {}
        self.visiting: list[str] = []

    def __getitem__(self, name: str) -> bool:
        if name in self.known:
            return self.known[name]
        if name not in self.declared:
            raise KeyError(name)
        if name in self.visiting:
            cycle = self.visiting[self.visiting.index(name) :]
            raise format_error(f"Circular dependency between conditions: [{', '.join(cycle)}]")
        self.visiting.append(name)
        try:
            value = resolve(self.declared[name], self.scope)
        finally:
            self.visiting.pop()
        if not isinstance(value, bool):
            raise format_error("Conditions can only be boolean operations on parameters and other conditions")
        self.known[name] = value
        return value

    def __contains__(self, name: object) -> bool:
        return name in self.declared

    def __iter__(self) -> Iterator[str]:
        return iter(self.declared)

    def __len__(self) -> int:
        return len(self.declared)


def evaluate(declared: Mapping[str, Any], scope: Scope) -> dict[str, bool]:
    """Every condition's truth, in the scope of the template's parameters and mappings."""
    evaluated = _Evaluated(declared, scope)
    return {name: evaluated[name] for name in declared}
