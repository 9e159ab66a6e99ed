"""Tags as templates give them: CloudFormation's list of {Key, Value}, or a map (AWS::ApiGatewayV2's Tags)."""

from __future__ import annotations

from typing import Any


def tag_map(given: Any) -> dict[str, str]:
    """`[{"Key": k, "Value": v}, ...]` or `{k: v}` as `{k: v}`; nothing given, no tags."""
    if isinstance(given, dict):
        return {str(k): str(v) for k, v in given.items()}
    return {str(tag["Key"]): str(tag.get("Value", "")) for tag in given or ()}


def removed(old: Any, new: Any) -> list[str]:
    """The keys of `old` tags that `new` no longer has, in order."""
    return sorted(set(tag_map(old)) - set(tag_map(new)))
