"""AWS::Lambda::EventSourceMapping's Tags, MetricsConfig and KMSKeyArn through a real stack: set on create, changed
in place on update (a tag or setting the template drops is removed), as Lambda's API keeps them."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

from botocore.exceptions import WaiterError

from tests.conftest import ClientFactory
from tests.events.mappings.test_mapping_extras import KEY
from tests.functions.hostile import create

FAST = {"Delay": 0.05, "MaxAttempts": 400}


def _deploy(cf: Any, name: str, template: dict[str, Any], *, update: bool = False) -> dict[str, str]:
    (cf.update_stack if update else cf.create_stack)(StackName=name, TemplateBody=json.dumps(template))
    waiter = "stack_update_complete" if update else "stack_create_complete"
    with contextlib.suppress(WaiterError):
        cf.get_waiter(waiter).wait(StackName=name, WaiterConfig=FAST)
    stack = cf.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == waiter.removeprefix("stack_").upper(), stack.get("StackStatusReason")
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


def _template(function: str, mapping: dict[str, Any]) -> dict[str, Any]:
    return {
        "Resources": {
            "Work": {"Type": "AWS::SQS::Queue"},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Work", "Arn"]},
                    "FunctionName": function,
                    "Enabled": False,
                    **mapping,
                },
            },
        },
        "Outputs": {
            "Id": {"Value": {"Ref": "Mapping"}},
            "Arn": {"Value": {"Fn::GetAtt": ["Mapping", "EventSourceMappingArn"]}},
        },
    }


def test_a_stacks_mapping_keeps_its_tags_metrics_and_key(aws: ClientFactory, lam: Any) -> None:
    cf, name = aws("cloudformation"), f"esm-{uuid.uuid4().hex[:8]}"
    function = create(lam, "python3.12", {"index.py": "def handler(event, context):\n    return None\n"}, prefix="cfn")
    first = {
        "Tags": [{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "dev"}],
        "MetricsConfig": {"Metrics": ["EventCount"]}, "KMSKeyArn": KEY,
    }  # fmt: skip
    out = _deploy(cf, name, _template(function, first))
    try:
        got = lam.get_event_source_mapping(UUID=out["Id"])
        assert got["MetricsConfig"] == {"Metrics": ["EventCount"]} and got["KMSKeyArn"] == KEY
        assert lam.list_tags(Resource=out["Arn"])["Tags"] == {"team": "red", "env": "dev"}
        out = _deploy(cf, name, _template(function, {"Tags": [{"Key": "team", "Value": "blue"}]}), update=True)
        got = lam.get_event_source_mapping(UUID=out["Id"])
        assert got["MetricsConfig"] == {"Metrics": []} and "KMSKeyArn" not in got
        assert lam.list_tags(Resource=out["Arn"])["Tags"] == {"team": "blue"}
    finally:
        cf.delete_stack(StackName=name)
        with contextlib.suppress(WaiterError):
            cf.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=FAST)
    assert lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"] == []
