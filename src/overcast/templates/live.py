"""The stack's resources as intrinsics see them while a stack operation runs: each one's Ref and Fn::GetAtt values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from overcast.templates.errors import template_error
from overcast.templates.providers.base import Made
from overcast.templates.providers.networking import Attributes


class Live:
    """The scope's view of the stack's resources as they are made: their Ref and Fn::GetAtt values."""

    def __init__(self, made: Mapping[str, Made], networking: Iterable[str]) -> None:
        self.made = made
        self.networking = set(networking)

    def ref(self, logical_id: str) -> Any:
        if logical_id not in self.made:
            raise template_error(f"Unresolved resource dependency {logical_id}")  # (a guess at the text)
        return self.made[logical_id].ref

    def get_att(self, logical_id: str, attribute: str) -> Any:
        self.ref(logical_id)
        attributes = self.made[logical_id].attributes
        if attribute in attributes:
            return attributes[attribute]
        if logical_id in self.networking:
            return Attributes(self.made[logical_id].ref)[attribute]
        raise template_error(f"resource {logical_id} does not support attribute type {attribute} in Fn::GetAtt")
