"""The dependency graph of a template's resources: who names whom (Ref, Fn::GetAtt, Fn::Sub, DependsOn).

CloudFormation creates a resource only after those it depends on, and independent ones at the same
time; it refuses, before any change, a template that names what it does not declare or whose
resources depend on each other in a circle
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-dependson.html).
`waves` gives the order: each wave's resources depend only on earlier waves'.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from overcast.templates.errors import TemplateValidationError, format_error

PSEUDO_PARAMETERS = frozenset(
    (
        "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region", "AWS::StackId",
        "AWS::StackName", "AWS::URLSuffix",
    )
)  # fmt: skip
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def names(value: Any) -> Iterator[str]:
    """Every name `value` refers to by Ref, Fn::GetAtt or Fn::Sub (a resource's logical id, a parameter,
    a pseudo parameter), with repeats."""
    if isinstance(value, list):
        for item in value:
            yield from names(item)
        return
    if not isinstance(value, dict):
        return
    if len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            yield argument
            return
        if key == "Fn::GetAtt":
            if isinstance(argument, str):
                yield argument.partition(".")[0]
            elif isinstance(argument, list) and argument and isinstance(argument[0], str):
                yield argument[0]
                yield from names(argument[1:])
            return
        if key == "Fn::Sub":
            text, local = (argument, {}) if isinstance(argument, str) else (_sub_parts(argument))
            for variable in _SUB_VARIABLE.findall(text):
                name = variable if "::" in variable else variable.partition(".")[0]
                if name not in local:
                    yield name
            yield from names(local)
            return
    for item in value.values():
        yield from names(item)


def _sub_parts(argument: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        return argument[0], argument[1] if isinstance(argument[1], dict) else {}
    return "", {}


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's logical id -> the resources it must wait for. Refuses unknown names and circles."""
    resources: Mapping[str, Any] = template["Resources"]
    parameters = set(template.get("Parameters") or {})
    known = set(resources) | parameters | PSEUDO_PARAMETERS
    graph: dict[str, set[str]] = {}
    unresolved: list[str] = []
    for logical_id, resource in resources.items():
        named = set(names({key: item for key, item in resource.items() if key != "DependsOn"}))
        depends_on = resource.get("DependsOn", [])
        depends_on = [depends_on] if isinstance(depends_on, str) else depends_on
        if not isinstance(depends_on, list) or not all(isinstance(item, str) for item in depends_on):
            raise format_error(f"DependsOn of {logical_id} must be a string or a list of strings")  # (a guess)
        unresolved += sorted(name for name in named | set(depends_on) if name not in known)
        graph[logical_id] = (named | set(depends_on)) & set(resources)
    if unresolved:
        raise format_error(f"Unresolved resource dependencies [{', '.join(dict.fromkeys(unresolved))}] in the "
                           "Resources block of the template")  # fmt: skip
    outputs = template.get("Outputs") or {}
    missing = [name for name in dict.fromkeys(names(outputs)) if name not in known]
    if missing:
        raise format_error(
            f"Unresolved resource dependencies [{', '.join(missing)}] in the Outputs block of the template"
        )
    circular = _in_circles(graph)
    if circular:
        raise TemplateValidationError(f"Circular dependency between resources: [{', '.join(circular)}]")
    return graph


def _in_circles(graph: Mapping[str, set[str]]) -> list[str]:
    """The resources on a circle of dependencies (Tarjan's strongly connected components of 2 or more, or a
    resource that names itself), in the template's order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circular: set[str] = set()
    counter = 0
    for root in graph:
        if root in index:
            continue
        # Iterative DFS: a template may chain hundreds of resources.
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    circular.update(component)
    return [name for name in graph if name in circular]


def waves(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The resources in waves, each depending only on earlier waves' (the graph has no circles)."""
    waiting = {name: set(needs) for name, needs in graph.items()}
    out: list[list[str]] = []
    while waiting:
        ready = [name for name, needs in waiting.items() if not needs]
        if not ready:  # (dependencies() refuses circles; this is not reached)
            raise TemplateValidationError("Circular dependency between resources")
        out.append(ready)
        for name in ready:
            del waiting[name]
        for needs in waiting.values():
            needs.difference_update(ready)
    return out
