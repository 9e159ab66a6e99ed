"""CloudFormation through boto3 against a real server: log group stacks created, updated, rolled back, deleted."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError

FAST = {"Delay": 0.05, "MaxAttempts": 400}  # the waiters' polls: operations here take milliseconds


def unique(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def body(resources: dict[str, Any], **sections: Any) -> str:
    return json.dumps({"Resources": resources, **sections})


def group(**properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::Logs::LogGroup", "Properties": properties}


def wait(cf: Any, name: str, waiter: str) -> dict[str, Any]:
    """The stack once `waiter` is done with it (read by id: a deleted stack is found by its id only)."""
    stack_id = name if name.startswith("arn:") else stack_named(cf, name)
    with contextlib.suppress(WaiterError):  # a failure state: the caller asserts the status it expects
        cf.get_waiter(waiter).wait(StackName=stack_id, WaiterConfig=FAST)
    stack: dict[str, Any] = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
    return stack


def stack_named(cf: Any, name: str) -> str:
    """The id of the newest stack named `name`, deleted or not (a deletion may be over already)."""
    summaries = cf.list_stacks()["StackSummaries"]
    return str(next(s["StackId"] for s in summaries if s["StackName"] == name))


def groups(logs: Any, prefix: str) -> dict[str, int | None]:
    found = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    return {g["logGroupName"]: g.get("retentionInDays") for g in found}


def statuses(cf: Any, name: str) -> list[tuple[str, str]]:
    """The stack's events oldest first: (logical id, status)."""
    events = cf.describe_stack_events(StackName=name)["StackEvents"]
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events)]


def test_a_log_group_stack_is_created_described_exported_and_deleted(cf: Any, logs: Any) -> None:
    name = unique()
    template = body(
        {
            "Logs": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-logs"}, RetentionInDays={"Ref": "Days"}),
            "Other": group(Tags=[{"Key": "team", "Value": {"Ref": "AWS::Region"}}]),
        },
        Parameters={
            "Days": {"Type": "Number", "Default": 7, "AllowedValues": [7, 14]},
            "Secret": {"Type": "String", "NoEcho": True},
        },
        Outputs={
            "Arn": {"Value": {"Fn::GetAtt": ["Logs", "Arn"]}, "Export": {"Name": f"{name}-arn"}},
            "Other": {"Value": {"Ref": "Other"}, "Description": "the generated name"},
            "Where": {"Value": {"Fn::Join": [":", [{"Ref": "AWS::AccountId"}, {"Ref": "AWS::Partition"}]]}},
        },
        Description="two groups",
    )
    stack_id = cf.create_stack(
        StackName=name, TemplateBody=template, Parameters=[{"ParameterKey": "Secret", "ParameterValue": "hush"}],
        Tags=[{"Key": "app", "Value": "demo"}],
    )["StackId"]  # fmt: skip
    assert stack_id.startswith(f"arn:aws:cloudformation:us-east-1:000000000000:stack/{name}/")
    stack = wait(cf, name, "stack_create_complete")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["Description"] == "two groups" and stack["Tags"] == [{"Key": "app", "Value": "demo"}]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]} == {"Days": "7", "Secret": "****"}
    outputs = {o["OutputKey"]: o for o in stack["Outputs"]}
    assert outputs["Arn"]["OutputValue"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}-logs:*"
    assert outputs["Arn"]["ExportName"] == f"{name}-arn"
    assert outputs["Other"]["OutputValue"].startswith(f"{name}-Other-")
    assert outputs["Other"]["Description"] == "the generated name"
    assert outputs["Where"]["OutputValue"] == "000000000000:aws"
    made = groups(logs, name)
    assert made == {f"{name}-logs": 7, outputs["Other"]["OutputValue"]: None}
    assert logs.list_tags_log_group(logGroupName=outputs["Other"]["OutputValue"])["tags"] == {"team": "us-east-1"}

    exports = {e["Name"]: e for e in cf.list_exports()["Exports"]}
    assert exports[f"{name}-arn"]["ExportingStackId"] == stack_id
    events = statuses(cf, name)
    assert events[0] == (name, "CREATE_IN_PROGRESS") and events[-1] == (name, "CREATE_COMPLETE")
    assert events.index(("Logs", "CREATE_IN_PROGRESS")) < events.index(("Logs", "CREATE_COMPLETE"))
    resource = cf.describe_stack_resource(StackName=name, LogicalResourceId="Logs")["StackResourceDetail"]
    assert (resource["PhysicalResourceId"], resource["ResourceStatus"]) == (f"{name}-logs", "CREATE_COMPLETE")
    listed = cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert sorted(r["LogicalResourceId"] for r in listed) == ["Logs", "Other"]
    described = cf.describe_stack_resources(StackName=name, LogicalResourceId="Other")["StackResources"]
    assert [r["PhysicalResourceId"] for r in described] == [outputs["Other"]["OutputValue"]]
    by_physical = cf.describe_stack_resources(PhysicalResourceId=f"{name}-logs")["StackResources"]
    assert {r["StackId"] for r in by_physical} == {stack_id} and len(by_physical) == 2
    assert dict(cf.get_template(StackName=name)["TemplateBody"]) == json.loads(template)

    cf.delete_stack(StackName=stack_id)
    gone = wait(cf, stack_id, "stack_delete_complete")
    assert gone["StackStatus"] == "DELETE_COMPLETE" and "DeletionTime" in gone
    assert groups(logs, name) == {}
    assert f"{name}-arn" not in {e["Name"] for e in cf.list_exports()["Exports"]}
    with pytest.raises(ClientError, match="does not exist"):
        cf.describe_stacks(StackName=name)  # by name: only live stacks
    deleted = cf.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
    assert stack_id in {s["StackId"] for s in deleted}


def test_an_update_changes_only_what_changed_and_replaces_on_a_create_only_property(cf: Any, logs: Any) -> None:
    name = unique()
    before = {
        "Same": group(LogGroupName=f"{name}-same"),
        "Kept": group(LogGroupName=f"{name}-kept", RetentionInDays=1),
        "Renamed": group(LogGroupName=f"{name}-old"),
        "Dropped": group(LogGroupName=f"{name}-dropped"),
    }
    cf.create_stack(StackName=name, TemplateBody=body(before))
    assert wait(cf, name, "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"
    created_events = len(statuses(cf, name))
    after = {
        "Same": before["Same"],
        "Kept": group(LogGroupName=f"{name}-kept", RetentionInDays=30),
        "Renamed": group(LogGroupName=f"{name}-new"),
        "Added": group(LogGroupName={"Fn::Sub": "${Renamed}-added"}),
    }
    cf.update_stack(StackName=name, TemplateBody=body(after))
    stack = wait(cf, name, "stack_update_complete")
    assert stack["StackStatus"] == "UPDATE_COMPLETE" and "LastUpdatedTime" in stack
    now = groups(logs, name)
    assert now == {f"{name}-same": None, f"{name}-kept": 30, f"{name}-new": None, f"{name}-new-added": None}
    update = statuses(cf, name)[created_events:]
    touched = {logical for logical, _ in update}
    assert "Same" not in touched  # unchanged: no event, no call
    assert ("Renamed", "UPDATE_IN_PROGRESS") in update
    assert ("Renamed", "DELETE_COMPLETE") in update  # the old one, at cleanup
    assert ("Dropped", "DELETE_COMPLETE") in update and ("Added", "CREATE_COMPLETE") in update
    assert (name, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") in update and update[-1] == (name, "UPDATE_COMPLETE")
    resources = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert sorted(resources) == ["Added", "Kept", "Renamed", "Same"]
    assert resources["Renamed"]["PhysicalResourceId"] == f"{name}-new"

    with pytest.raises(ClientError, match="No updates are to be performed"):
        cf.update_stack(StackName=name, TemplateBody=body(after))
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")
    assert groups(logs, name) == {}


def test_a_failure_midway_rolls_the_new_stack_back_and_leaves_nothing(cf: Any, logs: Any) -> None:
    name = unique()
    logs.create_log_group(logGroupName=f"{name}-taken")  # not the stack's: it must survive the rollback
    template = body(
        {
            "First": group(LogGroupName=f"{name}-first"),
            "Second": group(LogGroupName={"Fn::Sub": "${First}-second"}),
            # Kept by a deletion, but not by the rollback of the operation that made it.
            "Fleeting": {**group(LogGroupName=f"{name}-fleeting"), "DeletionPolicy": "RetainExceptOnCreate"},
            "Collides": {**group(LogGroupName=f"{name}-taken"), "DependsOn": "Second"},
        }
    )
    cf.create_stack(StackName=name, TemplateBody=template)
    stack = wait(cf, name, "stack_create_complete")
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cf.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Collides"]
    assert "already exists" in failed[0]["ResourceStatusReason"]
    rollback = next(e for e in events if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"].startswith("The following resource(s) failed to create: [Collides].")
    assert groups(logs, name) == {f"{name}-taken": None}
    # A stack in ROLLBACK_COMPLETE can only be deleted (as on AWS).
    with pytest.raises(ClientError, match="ROLLBACK_COMPLETE state and can not be updated"):
        cf.update_stack(StackName=name, TemplateBody=template)
    with pytest.raises(ClientError, match="already exists"):
        cf.create_stack(StackName=name, TemplateBody=template)
    cf.delete_stack(StackName=name)
    assert wait(cf, stack["StackId"], "stack_delete_complete")["StackStatus"] == "DELETE_COMPLETE"
    logs.delete_log_group(logGroupName=f"{name}-taken")


def test_a_failed_update_rolls_back_to_the_previous_resources_and_properties(cf: Any, logs: Any) -> None:
    name = unique()
    logs.create_log_group(logGroupName=f"{name}-taken")
    before = {"Kept": group(LogGroupName=f"{name}-kept", RetentionInDays=1), "Old": group(LogGroupName=f"{name}-old")}
    cf.create_stack(StackName=name, TemplateBody=body(before))
    wait(cf, name, "stack_create_complete")
    after = {
        "Kept": group(LogGroupName=f"{name}-kept", RetentionInDays=30),
        "Old": group(LogGroupName=f"{name}-renamed"),
        "Collides": {**group(LogGroupName=f"{name}-taken"), "DependsOn": ["Kept", "Old"]},
    }
    cf.update_stack(StackName=name, TemplateBody=body(after))
    stack = wait(cf, name, "stack_update_complete")
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert groups(logs, name) == {f"{name}-kept": 1, f"{name}-old": None, f"{name}-taken": None}
    resources = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert sorted(resources) == ["Kept", "Old"] and resources["Old"]["PhysicalResourceId"] == f"{name}-old"
    assert dict(cf.get_template(StackName=name)["TemplateBody"]) == {"Resources": before}
    # The stack can be updated again after a rollback.
    cf.update_stack(StackName=name, TemplateBody=body({"Kept": before["Kept"]}))
    assert wait(cf, name, "stack_update_complete")["StackStatus"] == "UPDATE_COMPLETE"
    assert groups(logs, name) == {f"{name}-kept": 1, f"{name}-taken": None}
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")
    logs.delete_log_group(logGroupName=f"{name}-taken")


REFUSED = {
    "an unsupported type": (
        body({"Queue": {"Type": "AWS::Widgets::Gadget"}, "Logs": group()}),
        [],
        "Unrecognized resource types: [AWS::Widgets::Gadget] - AWS::Widgets::Gadget (Queue)",
    ),
    "a circular reference": (
        body({"A": group(LogGroupName={"Fn::Sub": "${B}-a"}), "B": group(LogGroupName={"Ref": "A"})}),
        [],
        "Circular dependency between resources: [A, B]",
    ),
    "a reference to nothing": (
        body({"A": group(LogGroupName={"Ref": "Nowhere"})}),
        [],
        "Unresolved resource dependencies [Nowhere] in the Resources block of the template",
    ),
    "a missing parameter": (
        body({"A": group(LogGroupName={"Ref": "Name"})}, Parameters={"Name": {"Type": "String"}}),
        [],
        "Parameters: [Name] must have values",
    ),
    "a parameter outside its allowed values": (
        body(
            {"A": group(RetentionInDays={"Ref": "Days"})},
            Parameters={"Days": {"Type": "Number", "AllowedValues": [1, 3]}},
        ),
        [{"ParameterKey": "Days", "ParameterValue": "2"}],
        "Parameter 'Days' must be one of AllowedValues",
    ),
    "a bad intrinsic": (
        body({"Good": group(), "Bad": group(LogGroupName={"Fn::Join": ["-"]})}),
        [],
        "every Fn::Join object requires two parameters",
    ),
    "a missing mapping key": (
        body({"Bad": group(LogGroupName={"Fn::FindInMap": ["M", "a", "missing"]})}, Mappings={"M": {"a": {"b": "c"}}}),
        [],
        "Unable to get mapping for M::a::missing [Resources/Bad/LogGroupName]",
    ),
    "an import of no export": (
        body({"Bad": group(LogGroupName={"Fn::ImportValue": "no-such-export"})}),
        [],
        "No export named no-such-export found.",
    ),
    "a transform Overcast cannot apply": (
        json.dumps({"Transform": "AWS::Include", "Resources": {"A": group()}}),
        [],
        "No transform named AWS::Include found.",
    ),
    "a SAM template the transform refuses": (
        json.dumps(
            {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": {"Type": "AWS::Serverless::Function"}}}
        ),
        [],
        "Transform AWS::Serverless-2016-10-31 failed with:",
    ),
    "a property its provider does not implement (a durable function)": (
        body(
            {
                "Good": group(),
                "Durable": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Runtime": "python3.13",
                        "Handler": "index.handler",
                        "Role": "arn:aws:iam::000000000000:role/r",
                        "Code": {"ZipFile": "def handler(e, c): return e"},
                        "DurableConfig": {"ExecutionTimeout": 900},
                    },
                },
            }
        ),
        [],
        "Unsupported properties: DurableConfig of AWS::Lambda::Function (Durable): Lambda durable functions",
    ),
    "a value its provider does not implement (an AWS_IAM function URL)": (
        body(
            {
                "Good": group(),
                "Url": {
                    "Type": "AWS::Lambda::Url",
                    "Properties": {
                        "TargetFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                        "AuthType": "AWS_IAM",
                    },
                },
            }
        ),
        [],
        "Unsupported properties: AuthType AWS_IAM of AWS::Lambda::Url (Url): function URLs with AuthType AWS_IAM",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_templates_are_refused_before_any_change_naming_what_is_wrong(cf: Any, logs: Any, case: str) -> None:
    template, parameters, message = REFUSED[case]
    name = unique()
    capabilities = ["CAPABILITY_AUTO_EXPAND"]
    with pytest.raises(ClientError) as refused:
        cf.create_stack(StackName=name, TemplateBody=template, Parameters=parameters, Capabilities=capabilities)
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert message in refused.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="does not exist"):
        cf.describe_stacks(StackName=name)
    with pytest.raises(ClientError) as as_change_set:
        cf.create_change_set(
            StackName=name, ChangeSetName="c", ChangeSetType="CREATE", TemplateBody=template, Parameters=parameters
        )
    assert message in as_change_set.value.response["Error"]["Message"]
    with pytest.raises(ClientError, match="does not exist"):
        cf.describe_stacks(StackName=name)
    assert groups(logs, name) == {}


def test_conditions_networking_placeholders_and_retained_resources(cf: Any, logs: Any) -> None:
    name = unique()
    template = body(
        {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24"}},
            "Made": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-made"}),
            "Skipped": {**group(LogGroupName={"Fn::Sub": "${AWS::StackName}-skipped"}), "Condition": "IsProd"},
            "Kept": {**group(LogGroupName={"Fn::Sub": "${AWS::StackName}-kept"}), "DeletionPolicy": "Retain"},
        },
        Parameters={"Env": {"Type": "String", "Default": "dev"}},
        Conditions={"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        Outputs={"Subnet": {"Value": {"Ref": "Subnet"}}, "Env": {"Value": {"Fn::If": ["IsProd", "p", "d"]}}},
    )
    cf.create_stack(StackName=name, TemplateBody=template)
    stack = wait(cf, name, "stack_create_complete")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert outputs["Subnet"].startswith("subnet-") and outputs["Env"] == "d"
    assert groups(logs, name) == {f"{name}-made": None, f"{name}-kept": None}
    warnings = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=name)["StackEvents"]]
    assert any("Vpc (AWS::EC2::VPC), Subnet (AWS::EC2::Subnet)" in text for text in warnings)
    resources = {r["LogicalResourceId"]: r for r in cf.list_stack_resources(StackName=name)["StackResourceSummaries"]}
    assert sorted(resources) == ["Kept", "Made", "Subnet", "Vpc"]
    assert resources["Vpc"]["PhysicalResourceId"].startswith("vpc-")
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")
    assert groups(logs, name) == {f"{name}-kept": None}
    assert ("Kept", "DELETE_SKIPPED") in statuses(cf, stack["StackId"])
    logs.delete_log_group(logGroupName=f"{name}-kept")


def test_exports_are_unique_and_an_imported_one_cannot_go(cf: Any, logs: Any) -> None:
    exporter, importer, rival = unique("exp"), unique("imp"), unique("rival")
    export = f"{exporter}-name"
    cf.create_stack(
        StackName=exporter,
        TemplateBody=body({"G": group()}, Outputs={"Name": {"Value": {"Ref": "G"}, "Export": {"Name": export}}}),
    )
    exported = wait(cf, exporter, "stack_create_complete")["Outputs"][0]["OutputValue"]
    cf.create_stack(
        StackName=importer,
        TemplateBody=body(
            {"H": group(LogGroupName={"Fn::Sub": ["${N}-imported", {"N": {"Fn::ImportValue": export}}]})}
        ),
    )
    assert wait(cf, importer, "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"
    assert f"{exported}-imported" in groups(logs, exported)
    assert cf.list_imports(ExportName=export)["Imports"] == [importer]

    cf.create_stack(
        StackName=rival,
        TemplateBody=body({"G": group()}, Outputs={"Dup": {"Value": "x", "Export": {"Name": export}}}),
    )
    refused = wait(cf, rival, "stack_create_complete")
    assert refused["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=rival)["StackEvents"]]
    assert any(f"Export with name {export} is already exported by stack {exporter}" in r for r in reasons)
    assert groups(logs, rival) == {}

    cf.update_stack(StackName=exporter, TemplateBody=body({"G": group()}))  # drops the export
    assert wait(cf, exporter, "stack_update_complete")["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=exporter)["StackEvents"]]
    assert any(f"Cannot delete export {export} as it is in use by" in r for r in reasons)
    cf.delete_stack(StackName=exporter)
    failed = wait(cf, exporter, "stack_delete_complete")
    assert failed["StackStatus"] == "DELETE_FAILED"
    assert failed["StackStatusReason"].startswith(f"Export {export} cannot be deleted as it is in use by")
    for name in (importer, rival, exporter):
        cf.delete_stack(StackName=name)
        wait(cf, name, "stack_delete_complete")
    assert groups(logs, exported) == {}


def test_template_summary_and_validation(cf: Any) -> None:
    template = body(
        {"Role": {"Type": "AWS::IAM::Role", "Properties": {}}, "G": group()},
        Parameters={"Days": {"Type": "Number", "Default": 7, "AllowedValues": [7, 14], "Description": "retention"}},
        Description="summary",
    )
    summary = cf.get_template_summary(TemplateBody=template)
    assert summary["ResourceTypes"] == ["AWS::IAM::Role", "AWS::Logs::LogGroup"]
    assert summary["Capabilities"] == ["CAPABILITY_IAM"] and "Role" in summary["CapabilitiesReason"]
    assert summary["Parameters"][0]["ParameterConstraints"] == {"AllowedValues": ["7", "14"]}
    validated = cf.validate_template(TemplateBody=template)
    assert validated["Description"] == "summary"
    assert validated["Parameters"] == [
        {"ParameterKey": "Days", "DefaultValue": "7", "NoEcho": False, "Description": "retention"}
    ]
    with pytest.raises(ClientError, match="Template format error"):
        cf.validate_template(TemplateBody="{not json")
    with pytest.raises(ClientError, match="Circular dependency"):
        cf.validate_template(TemplateBody=body({"A": group(LogGroupName={"Ref": "A"})}))


def test_language_extensions_expand_loops_and_need_auto_expand(cf: Any, logs: Any) -> None:
    name = unique()
    template = json.dumps(
        {
            "Transform": "AWS::LanguageExtensions",
            "Parameters": {"Teams": {"Type": "CommaDelimitedList", "Default": "red,blue-green"}},
            "Resources": {
                "Fn::ForEach::Teams": [
                    "Team",
                    {"Ref": "Teams"},
                    {"Logs&{Team}": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-${Team}"})},
                ]
            },
            "Outputs": {
                "Count": {"Value": {"Fn::Length": {"Ref": "Teams"}}},
                "Json": {"Value": {"Fn::ToJsonString": {"Teams": {"Ref": "Teams"}}}},
            },
        }
    )
    with pytest.raises(ClientError, match=r"Requires capabilities : \[CAPABILITY_AUTO_EXPAND\]"):
        cf.create_stack(StackName=name, TemplateBody=template)
    cf.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    stack = wait(cf, name, "stack_create_complete")
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]} == {
        "Count": "2", "Json": '{"Teams":["red","blue-green"]}',
    }  # fmt: skip
    assert groups(logs, name) == {f"{name}-red": None, f"{name}-blue-green": None}
    listed = cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
    assert sorted(r["LogicalResourceId"] for r in listed) == ["Logsbluegreen", "Logsred"]
    processed = cf.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert sorted(processed["Resources"]) == ["Logsbluegreen", "Logsred"]
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")
    assert groups(logs, name) == {}


def test_the_sam_transform_runs_before_the_template_is_planned(cf: Any, logs: Any) -> None:
    name = unique()
    template = json.dumps(
        {
            "Transform": "AWS::Serverless-2016-10-31",
            "Parameters": {"Days": {"Type": "Number", "Default": 3}},
            "Resources": {
                "Logs": group(LogGroupName={"Fn::Sub": "${AWS::StackName}-sam"}, RetentionInDays={"Ref": "Days"})
            },
        }
    )
    cf.create_stack(StackName=name, TemplateBody=template, Capabilities=["CAPABILITY_AUTO_EXPAND"])
    assert wait(cf, name, "stack_create_complete")["StackStatus"] == "CREATE_COMPLETE"
    assert groups(logs, name) == {f"{name}-sam": 3}
    processed = cf.get_template(StackName=name, TemplateStage="Processed")["TemplateBody"]
    assert "Transform" not in processed and list(processed["Resources"]) == ["Logs"]
    assert cf.get_template(StackName=name)["TemplateBody"]["Transform"] == "AWS::Serverless-2016-10-31"
    cf.delete_stack(StackName=name)
    wait(cf, name, "stack_delete_complete")


def test_list_types_names_the_resource_types_this_overcast_deploys(cf: Any) -> None:
    public = cf.list_types(Visibility="PUBLIC", Type="RESOURCE")["TypeSummaries"]
    names = {t["TypeName"] for t in public}
    assert {"AWS::Lambda::Function", "AWS::Logs::LogGroup", "AWS::IAM::Role"} <= names
    assert "AWS::DynamoDB::Table" not in names  # no provider yet: a template using it is refused before any change
    lambda_ = next(t for t in public if t["TypeName"] == "AWS::Lambda::Function")
    assert lambda_["TypeArn"] == "arn:aws:cloudformation:us-east-1::type/resource/AWS-Lambda-Function"
    assert cf.list_types()["TypeSummaries"] == []  # PRIVATE, the default: the account registered none
