"""CloudFormation's wire shapes shared by its operation modules: the services object, requests, absent members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from overcast.api.services import Output, Params
from overcast.kit import tags
from overcast.templates.change_sets import ChangeSets
from overcast.templates.errors import TemplateValidationError
from overcast.templates.stacks import Request, Stacks

NOT_CHECKED = {"StackResourceDriftStatus": "NOT_CHECKED"}


@dataclass(frozen=True)
class Services:
    stacks: Stacks
    change_sets: ChangeSets


def present(out: dict[str, Any]) -> Output:
    """The members that have a value (the query protocol leaves absent ones out)."""
    return {key: value for key, value in out.items() if value is not None}


def request_of(p: Params) -> Request:
    given: dict[str, str | None] = {}
    for item in p.get("Parameters") or []:
        key = item["ParameterKey"]
        given[key] = None if item.get("UsePreviousValue") else str(item.get("ParameterValue", ""))
    if p.get("TemplateURL"):
        raise TemplateValidationError("TemplateURL needs object storage, which Overcast does not have yet: pass "
                                      "TemplateBody")  # fmt: skip
    notifications = p.get("NotificationARNs")
    return Request(
        template_body=p.get("TemplateBody"),
        use_previous_template=bool(p.get("UsePreviousTemplate")),
        parameters=given,
        tags=None if p.get("Tags") is None else tags.from_pairs(p["Tags"]),
        capabilities=tuple(p.get("Capabilities") or ()),
        notification_arns=None if notifications is None else tuple(notifications),
        disable_rollback=bool(p.get("DisableRollback")) or p.get("OnFailure") in ("DO_NOTHING",),
    )


def parameters_out(shown: dict[str, str]) -> list[dict[str, str]]:
    return [{"ParameterKey": key, "ParameterValue": value} for key, value in shown.items()]
