"""`Fn::ForEach` of the AWS::LanguageExtensions transform: a loop in Resources, Outputs or Conditions, expanded.

`Fn::ForEach::<LoopName>: [Identifier, Collection, {OutputKey: OutputValue}]` makes one OutputKey per item of
Collection (a list, or a Ref to a list parameter), `${Identifier}` or `&{Identifier}` (the item without its
non-alphanumeric characters) in the key naming the item; in the value, `Ref: Identifier` and `${Identifier}`
in strings are the item. Loops may nest
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html).

The quotas apply to the template a loop makes, and nested loops multiply, so the expansion is bounded
while it runs, not after: a section may not grow past its quota (500 resources, 200 outputs;
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html), and all loops
together may not write more than `MAX_NODES` values (a 1 MB template, the largest CloudFormation reads,
holds fewer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from overcast.templates.document import check_quota
from overcast.templates.errors import template_error
from overcast.templates.intrinsics import Scope, resolve

PREFIX = "Fn::ForEach::"
SECTIONS = ("Resources", "Outputs", "Conditions")  # Conditions have no quota of their own: MAX_NODES bounds them
MAX_NODES = 1_000_000  # values (objects, lists, scalars) all loops of a template may write together


@dataclass(slots=True)
class _Expansion:
    """What one template's loops may still write."""

    scope: Scope
    section: str
    nodes: int = MAX_NODES

    def spend(self, count: int) -> None:
        self.nodes -= count
        if self.nodes < 0:
            raise template_error(f"Fn::ForEach makes more than {MAX_NODES} values; the template would be too large")

    def check(self, entries: int) -> None:
        check_quota(self.section, entries)


def expand(template: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The template with every Fn::ForEach of its sections expanded."""
    out = dict(template)
    budget = MAX_NODES
    for section in SECTIONS:
        if isinstance(template.get(section), dict):
            expansion = _Expansion(scope, section, budget)
            out[section] = _section(template[section], expansion)
            budget = expansion.nodes
    return out


def _section(entries: dict[str, Any], expansion: _Expansion) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in entries.items():
        if not key.startswith(PREFIX):
            out[key] = value
            continue
        for made_key, made in _loop(key, value, expansion).items():
            if made_key in out or made_key in entries:
                raise template_error(f"{key} makes {made_key}, which the template already has")  # (a guess)
            out[made_key] = made
        expansion.check(len(out))
    expansion.check(len(out))
    return out


def _loop(name: str, value: Any, expansion: _Expansion) -> dict[str, Any]:
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
        raise template_error(f"{name} must be a list of an identifier, a collection and a fragment")  # (a guess)
    identifier, collection, fragment = value
    items = resolve(collection, expansion.scope)
    if not isinstance(items, list):
        raise template_error(f"{name}'s collection must be a list")  # (a guess at the text)
    out: dict[str, Any] = {}
    for item in items:
        text = str(item)
        made = _substitute(fragment, identifier, text, expansion)
        out.update(_section(made, expansion))  # loops nested in the fragment
        expansion.check(len(out))
    return out


def _substitute(value: Any, identifier: str, item: str, expansion: _Expansion) -> Any:
    expansion.spend(1)
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {_text(key, identifier, item): _substitute(v, identifier, item, expansion) for key, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, identifier, item, expansion) for v in value]
    if isinstance(value, str):
        return _text(value, identifier, item)
    return value


def _text(text: str, identifier: str, item: str) -> str:
    text = text.replace("${" + identifier + "}", item)
    return text.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", item))
