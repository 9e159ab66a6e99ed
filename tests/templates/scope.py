"""A Scope over fixed values, for evaluating intrinsics without a stack."""

from __future__ import annotations

from typing import Any

from overcast.templates.errors import template_error
from overcast.templates.intrinsics import Scope

PSEUDO = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::StackName": "app",
    "AWS::URLSuffix": "amazonaws.com",
}


class Created:
    """Resources as created: `refs` their Ref values, `atts` their (logical id, attribute) values."""

    def __init__(self, refs: dict[str, Any] | None = None, atts: dict[tuple[str, str], Any] | None = None) -> None:
        self.refs, self.atts = refs or {}, atts or {}

    def ref(self, logical_id: str) -> Any:
        if logical_id not in self.refs:
            raise template_error(f"Unresolved resource dependencies [{logical_id}]")
        return self.refs[logical_id]

    def get_att(self, logical_id: str, attribute: str) -> Any:
        if (logical_id, attribute) not in self.atts:
            raise template_error(f"instance of Fn::GetAtt references undefined resource {logical_id}")
        return self.atts[logical_id, attribute]


def scope(**fields: Any) -> Scope:
    return Scope(
        parameters=fields.pop("parameters", {}),
        pseudo=fields.pop("pseudo", PSEUDO),
        resources=fields.pop("resources", Created()),
        **fields,
    )
