"""`Fn::ForEach` of the AWS::LanguageExtensions transform: a loop in Resources, Outputs or Conditions, expanded.

`Fn::ForEach::<LoopName>: [Identifier, Collection, {OutputKey: OutputValue}]` makes one OutputKey per item of
Collection (a list, or a Ref to a list parameter), `${Identifier}` or `&{Identifier}` (the item without its
non-alphanumeric characters) in the key naming the item; in the value, `Ref: Identifier` and `${Identifier}`
in strings are the item. Loops may nest
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-foreach.html).
"""

from __future__ import annotations

import re
from typing import Any

from overcast.templates.errors import template_error
from overcast.templates.intrinsics import Scope, resolve

PREFIX = "Fn::ForEach::"
SECTIONS = ("Resources", "Outputs", "Conditions")


def expand(template: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """The template with every Fn::ForEach of its sections expanded."""
    out = dict(template)
    for section in SECTIONS:
        if isinstance(template.get(section), dict):
            out[section] = _section(template[section], scope)
    return out


def _section(entries: dict[str, Any], scope: Scope) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in entries.items():
        if not key.startswith(PREFIX):
            out[key] = value
            continue
        for made_key, made in _loop(key, value, scope).items():
            if made_key in out or made_key in entries:
                raise template_error(f"{key} makes {made_key}, which the template already has")  # (a guess)
            out[made_key] = made
    return out


def _loop(name: str, value: Any, scope: Scope) -> dict[str, Any]:
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
        raise template_error(f"{name} must be a list of an identifier, a collection and a fragment")  # (a guess)
    identifier, collection, fragment = value
    items = resolve(collection, scope)
    if not isinstance(items, list):
        raise template_error(f"{name}'s collection must be a list")  # (a guess at the text)
    out: dict[str, Any] = {}
    for item in items:
        text = str(item)
        expanded = _section(_substitute(fragment, identifier, text), scope)  # loops nested in the fragment
        out.update(expanded)
    return out


def _substitute(value: Any, identifier: str, item: str) -> Any:
    if isinstance(value, dict):
        if value == {"Ref": identifier}:
            return item
        return {_text(key, identifier, item): _substitute(v, identifier, item) for key, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, identifier, item) for v in value]
    if isinstance(value, str):
        return _text(value, identifier, item)
    return value


def _text(text: str, identifier: str, item: str) -> str:
    text = text.replace("${" + identifier + "}", item)
    return text.replace("&{" + identifier + "}", re.sub(r"[^A-Za-z0-9]", "", item))
