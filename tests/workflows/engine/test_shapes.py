"""Every Step Functions answer, checked member by member against botocore's output shape: through boto3
against a real server, each raw JSON body (before botocore drops what it does not model) must hold the
shape's required members, only members of the shape, each of the shape's type, enum and limits; every
error code must be one AWS lists for the operation. A scenario drives every operation of Overcast's
table, so an operation added without coverage here fails the suite.

Also here: the request parameters that shape the answers (includedData), and the members that depend on
the definition (variableReferences) or on the ARN asked about (label).
https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import Shape

from overcast.api.services.stepfunctions import HANDLERS
from tests.workflows.engine.conftest import finish

ROLE = "arn:aws:iam::000000000000:role/sfn"
MODEL = botocore.session.get_session().get_service_model("stepfunctions")
# Errors any operation may answer besides those its model lists
# (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html).
COMMON_ERRORS = {"ValidationException", "AccessDeniedException", "ThrottlingException", "InternalFailure"}


def _definition(states: dict[str, Any], start: str, **top: Any) -> str:
    return json.dumps({"StartAt": start, "States": states, **top})


PASS = _definition({"P": {"Type": "Pass", "End": True}}, "P")
FAIL = _definition({"F": {"Type": "Fail", "Error": "Boom", "Cause": "it broke"}}, "F")
WAIT = _definition({"W": {"Type": "Wait", "Seconds": 3600, "End": True}}, "W")


def problems(shape: Shape, value: Any, at: str = "") -> list[str]:
    """Where `value` (JSON as the json protocol writes it) departs from `shape`."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{at}: {type(value).__name__}, not an object"]
        found = [f"{at}.{k}: not in {shape.name}" for k in value if k not in shape.members]
        found += [f"{at}.{k}: required, missing" for k in shape.required_members if k not in value]
        for key, member in shape.members.items():
            if key in value:
                found += problems(member, value[key], f"{at}.{key}")
        return found
    if kind == "list":
        if not isinstance(value, list):
            return [f"{at}: {type(value).__name__}, not a list"]
        return [p for i, item in enumerate(value) for p in problems(shape.member, item, f"{at}[{i}]")]
    if kind == "map":
        if not isinstance(value, dict):
            return [f"{at}: {type(value).__name__}, not a map"]
        return [p for k, item in value.items() for p in problems(shape.value, item, f"{at}[{k}]")]
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "timestamp": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    }
    if not checks[kind](value):
        return [f"{at}: {value!r} is not a {kind}"]
    limits = shape.metadata
    if kind == "string":
        found = [f"{at}: {value!r} not one of {shape.enum}"] if shape.enum and value not in shape.enum else []
        if len(value) < limits.get("min", 0) or len(value) > limits.get("max", len(value)):
            found.append(f"{at}: length {len(value)} outside {limits.get('min')}..{limits.get('max')}")
        return found
    if kind in ("integer", "long") and ("min" in limits and value < limits["min"]):
        return [f"{at}: {value} below {limits['min']}"]
    return []


class Recorder:
    """What every answer of one client held: the shape problems per operation, and the error codes."""

    def __init__(self) -> None:
        self.answered: set[str] = set()
        self.problems: list[str] = []
        self.errors: list[str] = []

    def __call__(self, http_response: Any, model: Any, **_: Any) -> None:
        body = json.loads(http_response.content or b"{}")
        if http_response.status_code >= 300:
            code = str(body.get("__type", "")).rpartition("#")[2]
            if code not in {e.name for e in model.error_shapes} | COMMON_ERRORS:
                self.errors.append(f"{model.name}: {code} is not an error AWS lists for it")
            return
        self.answered.add(model.name)
        self.problems += [f"{model.name}{p}" for p in problems(model.output_shape, body)]


@pytest.fixture(scope="module")
def recorded(aws: Any) -> Iterator[tuple[Any, Recorder]]:
    # StartSyncExecution's model has the host prefix "sync-": a client for a local endpoint turns it off.
    sfn = aws("stepfunctions", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    recorder = Recorder()
    sfn.meta.events.register("after-call.sfn", recorder)
    yield sfn, recorder


@pytest.fixture(scope="module")
def sfn(recorded: tuple[Any, Recorder]) -> Any:
    return recorded[0]


@pytest.fixture(autouse=True)
def every_answer_checked(recorded: tuple[Any, Recorder]) -> Iterator[None]:
    """Each test's answers, too, hold to their shapes, and its errors are codes AWS lists for the operation."""
    recorder = recorded[1]
    recorder.problems.clear()
    recorder.errors.clear()
    yield
    assert recorder.problems == []
    assert recorder.errors == []


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _machine(sfn: Any, definition: str = PASS, **kwargs: Any) -> str:
    arn: str = sfn.create_state_machine(name=_name("shape"), definition=definition, roleArn=ROLE, **kwargs)[
        "stateMachineArn"
    ]
    return arn


def _body(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _machines_and_executions(sfn: Any) -> None:
    sfn.validate_state_machine_definition(definition=PASS)
    sfn.validate_state_machine_definition(definition=_definition({"P": {"Type": "Pass"}}, "P"))
    created = sfn.create_state_machine(
        name=_name("shape"), definition=PASS, roleArn=ROLE, publish=True, versionDescription="first",
        tags=[{"key": "team", "value": "a"}],
    )  # fmt: skip
    arn, version = created["stateMachineArn"], created["stateMachineVersionArn"]
    sfn.describe_state_machine(stateMachineArn=arn)
    sfn.describe_state_machine(stateMachineArn=version)
    sfn.list_state_machines(maxResults=1)
    sfn.update_state_machine(stateMachineArn=arn, tracingConfiguration={"enabled": True}, publish=True)
    second = sfn.publish_state_machine_version(stateMachineArn=arn, description="again")["stateMachineVersionArn"]
    sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=1)
    alias = sfn.create_state_machine_alias(
        name="live", description="d", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="e")
    sfn.list_state_machine_aliases(stateMachineArn=arn)
    for target in (arn, version, alias):
        execution = sfn.start_execution(stateMachineArn=target, input='{"a": 1}', traceHeader="Root=1-a-b")
        finish(sfn, execution["executionArn"])
        sfn.describe_state_machine_for_execution(executionArn=execution["executionArn"])
        sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=2)
        sfn.get_execution_history(executionArn=execution["executionArn"], includeExecutionData=False)
    sfn.list_executions(stateMachineArn=arn, maxResults=1)
    sfn.list_executions(stateMachineArn=version)
    sfn.list_executions(stateMachineArn=alias, statusFilter="SUCCEEDED")

    failing = _machine(sfn, FAIL)
    failed = sfn.start_execution(stateMachineArn=failing)["executionArn"]
    finish(sfn, failed)
    sfn.redrive_execution(executionArn=failed)
    finish(sfn, failed)
    sfn.list_executions(stateMachineArn=failing)
    sfn.get_execution_history(executionArn=failed, reverseOrder=True)

    waiting = sfn.start_execution(stateMachineArn=_machine(sfn, WAIT))["executionArn"]
    sfn.describe_execution(executionArn=waiting)
    sfn.stop_execution(executionArn=waiting, error="E", cause="c")
    sfn.describe_execution(executionArn=waiting)

    express = _machine(sfn, PASS, type="EXPRESS")
    sfn.start_sync_execution(stateMachineArn=express, input="{}")
    sfn.start_execution(stateMachineArn=express)
    sfn.start_sync_execution(stateMachineArn=_machine(sfn, FAIL, type="EXPRESS"))

    sfn.test_state(definition=json.dumps({"Type": "Pass", "End": True}), roleArn=ROLE, input="{}")
    sfn.test_state(
        definition=json.dumps({"Type": "Pass", "Result": 1, "Next": "X"}), roleArn=ROLE, inspectionLevel="DEBUG"
    )
    sfn.test_state(definition=json.dumps({"Type": "Fail", "Error": "E"}), roleArn=ROLE, inspectionLevel="TRACE")

    sfn.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    sfn.list_tags_for_resource(resourceArn=arn)
    sfn.untag_resource(resourceArn=arn, tagKeys=["k"])
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_version(stateMachineVersionArn=second)
    sfn.delete_state_machine(stateMachineArn=arn)


def _activities(sfn: Any) -> None:
    activity = sfn.create_activity(name=_name("act"), tags=[{"key": "k", "value": "v"}])["activityArn"]
    sfn.describe_activity(activityArn=activity)
    sfn.list_activities(maxResults=1)
    task = {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 600, "End": True}
    machine = _machine(sfn, _definition({"T": task}, "T"))
    for outcome in ("success", "failure"):
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        token = sfn.get_activity_task(activityArn=activity, workerName="w")["taskToken"]
        sfn.send_task_heartbeat(taskToken=token)
        if outcome == "success":
            sfn.send_task_success(taskToken=token, output='{"ok": true}')
        else:
            sfn.send_task_failure(taskToken=token, error="E", cause="c")
        finish(sfn, execution)
        sfn.describe_execution(executionArn=execution)
    sfn.delete_activity(activityArn=activity)


def _map_runs(sfn: Any) -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "W",
        "States": {"W": {"Type": "Pass", "End": True}},
    }
    fan = {"Type": "Map", "ItemProcessor": processor, "ToleratedFailurePercentage": 10, "End": True}
    execution = sfn.start_execution(stateMachineArn=_machine(sfn, _definition({"M": fan}, "M")), input="[1, 2, 3]")
    finish(sfn, execution["executionArn"])
    (run,) = sfn.list_map_runs(executionArn=execution["executionArn"], maxResults=1)["mapRuns"]
    sfn.describe_map_run(mapRunArn=run["mapRunArn"])
    sfn.update_map_run(mapRunArn=run["mapRunArn"], maxConcurrency=2, toleratedFailureCount=1)
    children = sfn.list_executions(mapRunArn=run["mapRunArn"], maxResults=2)["executions"]
    sfn.describe_execution(executionArn=children[0]["executionArn"])
    sfn.describe_state_machine_for_execution(executionArn=children[0]["executionArn"])


def test_every_answer_matches_its_botocore_shape(recorded: tuple[Any, Recorder]) -> None:
    sfn, recorder = recorded
    _machines_and_executions(sfn)
    _activities(sfn)
    _map_runs(sfn)
    assert set(HANDLERS) - recorder.answered == set(), "operations no answer of this scenario covered"


def test_metadata_only_leaves_out_the_data_a_key_encrypts(sfn: Any) -> None:
    reads = _definition({"P": {"Type": "Pass", "Parameters": {"a.$": "$x"}, "End": True}}, "P")
    arn = _machine(sfn, reads)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"secret": 1}')["executionArn"]
    assert finish(sfn, execution)["status"] == "FAILED"  # $x is not assigned: States.Runtime
    done = _machine(sfn, PASS)
    succeeded = sfn.start_execution(stateMachineArn=done, input='{"secret":2}')["executionArn"]
    full = finish(sfn, succeeded)
    assert (full["input"], full["inputDetails"]) == ('{"secret":2}', {"included": True})
    assert (full["output"], full["outputDetails"]) == ('{"secret":2}', {"included": True})
    assert _body(sfn.describe_execution(executionArn=succeeded, includedData="ALL_DATA")) == _body(full)
    # API_DescribeExecution.html: METADATA_ONLY is the way to an answer without the encrypted data.
    metadata = sfn.describe_execution(executionArn=succeeded, includedData="METADATA_ONLY")
    assert "input" not in metadata and "output" not in metadata
    assert metadata["inputDetails"] == metadata["outputDetails"] == {"included": False}
    data = ("input", "output", "inputDetails", "outputDetails")
    assert {k: v for k, v in _body(metadata).items() if k not in data} == {
        k: v for k, v in _body(full).items() if k not in data
    }

    # API_DescribeStateMachine.html: "If called with includedData = METADATA_ONLY, the returned definition
    # will be {}"; the same parameter of DescribeStateMachineForExecution withholds the same definition.
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["definition"] == reads and described["variableReferences"] == {"P": ["x"]}
    for answer in (
        sfn.describe_state_machine(stateMachineArn=arn, includedData="METADATA_ONLY"),
        sfn.describe_state_machine_for_execution(executionArn=execution, includedData="METADATA_ONLY"),
    ):
        assert answer["definition"] == "{}" and "variableReferences" not in answer
        assert answer["roleArn"] == ROLE and answer["loggingConfiguration"] == {
            "level": "OFF",
            "includeExecutionData": False,
        }
    for_execution = sfn.describe_state_machine_for_execution(executionArn=execution, includedData="ALL_DATA")
    assert for_execution["definition"] == reads and for_execution["variableReferences"] == {"P": ["x"]}


def test_variable_references_name_what_each_state_reads(sfn: Any) -> None:
    # workflow-variables.html: `$name` in JSONata expressions, and in JSONPath paths, templates and
    # intrinsic function arguments; states that read none are not listed.
    jsonata = {
        "QueryLanguage": "JSONata",
        "StartAt": "Keep",
        "States": {
            "Keep": {"Type": "Pass", "Assign": {"total": "{% $states.input.n %}", "seen": 0}, "Next": "Sum"},
            "Sum": {
                "Type": "Pass",
                "Output": "{% ($local := $total + $seen; $map($items, function($i) { $i * $factor })) %}",
                "Next": "Pick",
            },
            "Pick": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $total > $limit %}", "Next": "Each"}],
                "Default": "Each",
            },
            "Each": {
                "Type": "Map",
                "Items": "{% $items %}",
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Output": "{% $states.input & $suffix %}", "End": True}},
                },
                "End": True,
            },
        },
    }
    arn = _machine(sfn, json.dumps(jsonata))
    assert sfn.describe_state_machine(stateMachineArn=arn)["variableReferences"] == {
        "Sum": ["total", "seen", "items", "factor"],
        "Pick": ["total", "limit"],
        "Each": ["items"],
        "Inner": ["suffix"],
    }
    jsonpath = _definition(
        {
            "Set": {"Type": "Pass", "Assign": {"a.$": "$.in", "b": 1}, "Next": "Use"},
            "Use": {
                "Type": "Pass",
                "Parameters": {"x.$": "$a.deep", "y.$": "States.Format('{} {}', $b, $.in)", "z.$": "$$.Execution.Id"},
                "Next": "Test",
            },
            "Test": {
                "Type": "Choice",
                "Choices": [{"Variable": "$a", "NumericGreaterThanPath": "$b", "Next": "End"}],
                "Default": "End",
            },
            "End": {"Type": "Succeed", "InputPath": "$.x"},
        },
        "Set",
    )
    version = sfn.create_state_machine(name=_name("refs"), definition=jsonpath, roleArn=ROLE, publish=True)
    expected = {"Use": ["a", "b"], "Test": ["a", "b"]}
    assert sfn.describe_state_machine(stateMachineArn=version["stateMachineArn"])["variableReferences"] == expected
    assert (
        sfn.describe_state_machine(stateMachineArn=version["stateMachineVersionArn"])["variableReferences"] == expected
    )
    assert "variableReferences" not in sfn.describe_state_machine(stateMachineArn=_machine(sfn, PASS))


def test_a_distributed_map_states_arn_describes_its_processor_with_its_label(sfn: Any) -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Work",
        "States": {"Work": {"Type": "Pass", "Parameters": {"v.$": "$limit"}, "End": True}},
    }
    unlabelled = {**processor, "States": {"Other": {"Type": "Pass", "End": True}}, "StartAt": "Other"}
    states = {
        "Fan": {"Type": "Map", "Label": "fanout", "ItemProcessor": processor, "Next": "Plain"},
        "Plain": {"Type": "Map", "ItemProcessor": unlabelled, "Next": "Inline"},
        "Inline": {
            "Type": "Map",
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
            "End": True,
        },
    }
    arn = _machine(sfn, _definition(states, "Fan"))
    name = arn.rpartition(":")[2]
    # API_DescribeStateMachine.html: arn:partition:states:region:account-id:stateMachine:myStateMachine/mapStateLabel;
    # `label` only for such a qualified ARN; METADATA_ONLY "will not apply" to it.
    for included in ("ALL_DATA", "METADATA_ONLY"):
        described = sfn.describe_state_machine(stateMachineArn=f"{arn}/fanout", includedData=included)
        assert described["stateMachineArn"] == f"{arn}/fanout" and described["label"] == "fanout"
        assert json.loads(described["definition"]) == processor
        assert described["name"] == name and described["roleArn"] == ROLE
        assert described["variableReferences"] == {"Work": ["limit"]}
    # A Distributed Map without a Label is labelled by its state name, as its Map Run ARNs are.
    plain = sfn.describe_state_machine(stateMachineArn=f"{arn}/Plain")
    assert (plain["label"], json.loads(plain["definition"])) == ("Plain", unlabelled)
    assert "label" not in sfn.describe_state_machine(stateMachineArn=arn)
    for missing in (f"{arn}/Inline", f"{arn}/nothing", arn.replace(name, "absent") + "/fanout"):
        assert _error(sfn.describe_state_machine, stateMachineArn=missing) == (
            "StateMachineDoesNotExist",
            f"State Machine Does Not Exist: '{missing}'",
        )


def test_an_arn_of_another_resource_type_is_an_invalid_arn_naming_the_type(sfn: Any) -> None:
    machine = _machine(sfn, PASS)
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    activity = sfn.create_activity(name=_name("act"))["activityArn"]
    # AWS's InvalidArn texts: "Invalid Arn: '<arn>'" for what is no ARN of the service, and "Invalid Arn:
    # 'Resource type not valid in this context: <type>'" for one of another resource type.
    calls = [
        (sfn.describe_state_machine, "stateMachineArn", machine),
        (sfn.update_state_machine, "stateMachineArn", machine),
        (sfn.delete_state_machine, "stateMachineArn", machine),
        (sfn.start_execution, "stateMachineArn", machine),
        (sfn.list_executions, "stateMachineArn", machine),
        (sfn.list_state_machine_versions, "stateMachineArn", machine),
        (sfn.list_state_machine_aliases, "stateMachineArn", machine),
        (sfn.publish_state_machine_version, "stateMachineArn", machine),
        (sfn.describe_execution, "executionArn", execution),
        (sfn.describe_state_machine_for_execution, "executionArn", execution),
        (sfn.get_execution_history, "executionArn", execution),
        (sfn.stop_execution, "executionArn", execution),
        (sfn.redrive_execution, "executionArn", execution),
        (sfn.describe_activity, "activityArn", activity),
        (sfn.delete_activity, "activityArn", activity),
        (sfn.get_activity_task, "activityArn", activity),
    ]
    for call, parameter, right in calls:
        extra = {"definition": PASS} if call == sfn.update_state_machine else {}
        assert _error(call, **{parameter: "not-an-arn"}, **extra) == ("InvalidArn", "Invalid Arn: 'not-an-arn'"), call
        wrong, kind = (activity, "activity") if right != activity else (machine, "stateMachine")
        assert _error(call, **{parameter: wrong}, **extra) == (
            "InvalidArn",
            f"Invalid Arn: 'Resource type not valid in this context: {kind}'",
        ), call


def test_executions_are_started_and_listed_only_for_what_exists(sfn: Any) -> None:
    processor = {
        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
        "StartAt": "W",
        "States": {"W": {"Type": "Pass", "End": True}},
    }
    arn = _machine(sfn, _definition({"M": {"Type": "Map", "ItemProcessor": processor, "End": True}}, "M"))
    # API_StartExecution.html: "If you provide a qualified state machine ARN that refers to a Distributed Map
    # state, the request fails with ValidationException."
    assert _error(sfn.start_execution, stateMachineArn=f"{arn}/M")[0] == "ValidationException"
    # API_ListExecutions.html: "You can specify either a mapRunArn or a stateMachineArn, but not both"; an
    # alias or version ARN lists that alias's or version's executions (one that does not exist: ResourceNotFound).
    map_run = arn.replace(":stateMachine:", ":mapRun:") + "/M:0c6f2f43-1a5a-4c43-a5a6-7b34f0d7a0b2"
    assert _error(sfn.list_executions)[0] == "ValidationException"
    assert _error(sfn.list_executions, stateMachineArn=arn, mapRunArn=map_run)[0] == "ValidationException"
    assert _error(sfn.list_executions, mapRunArn=map_run)[0] == "ResourceNotFound"
    for absent in (f"{arn}:7", f"{arn}:nope"):
        assert _error(sfn.list_executions, stateMachineArn=absent) == (
            "ResourceNotFound",
            f"Resource not found: '{absent}'",
        )
    version = sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"]
    assert sfn.list_executions(stateMachineArn=version)["executions"] == []


def test_the_state_machine_for_an_execution_is_the_revision_it_ran(sfn: Any) -> None:
    arn = _machine(sfn, PASS)
    created = sfn.describe_state_machine(stateMachineArn=arn)["creationDate"]
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    # API_DescribeStateMachineForExecution.html: updateDate "for a newly created state machine, this is the
    # creation date"; "The first revision ID when you create the state machine is null."
    answer = sfn.describe_state_machine_for_execution(executionArn=first)
    assert answer["updateDate"] == created and "revisionId" not in answer
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=WAIT, publish=True)
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    answer = sfn.describe_state_machine_for_execution(executionArn=second)
    assert (answer["revisionId"], answer["updateDate"], answer["definition"]) == (
        updated["revisionId"],
        updated["updateDate"],
        WAIT,
    )
    version = sfn.describe_state_machine(stateMachineArn=updated["stateMachineVersionArn"])
    on_version = sfn.start_execution(stateMachineArn=version["stateMachineArn"])["executionArn"]
    assert sfn.describe_state_machine_for_execution(executionArn=on_version)["revisionId"] == version["revisionId"]
    before = sfn.describe_state_machine_for_execution(executionArn=first)
    assert before["updateDate"] == created and before["definition"] == PASS and "revisionId" not in before
    for execution in (second, on_version):
        sfn.stop_execution(executionArn=execution)


def test_an_execution_names_the_version_and_alias_it_started_through(sfn: Any) -> None:
    created = sfn.create_state_machine(name=_name("va"), definition=PASS, roleArn=ROLE, publish=True)
    arn, version = created["stateMachineArn"], created["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="prod", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    # API_DescribeExecution.html: stateMachineVersionArn is null for an execution started on the unqualified
    # ARN; stateMachineAliasArn is null unless an alias started it.
    expected = {arn: (None, None), version: (version, None), alias: (version, alias)}
    for target, (version_arn, alias_arn) in expected.items():
        execution = sfn.start_execution(stateMachineArn=target)["executionArn"]
        described = finish(sfn, execution)
        assert described["stateMachineArn"] == arn
        assert (described.get("stateMachineVersionArn"), described.get("stateMachineAliasArn")) == (
            version_arn,
            alias_arn,
        )
        item = next(
            i for i in sfn.list_executions(stateMachineArn=target)["executions"] if i["executionArn"] == execution
        )
        assert (item.get("stateMachineVersionArn"), item.get("stateMachineAliasArn")) == (version_arn, alias_arn)


def test_redrive_members_say_whether_and_how_often_an_execution_was_redriven(sfn: Any) -> None:
    # API_DescribeExecution.html: redriveCount is 0 until a redrive; redriveDate is null until then;
    # redriveStatusReason only when redriveStatus is NOT_REDRIVABLE.
    failed = sfn.start_execution(stateMachineArn=_machine(sfn, FAIL))["executionArn"]
    described = finish(sfn, failed)
    assert (described["status"], described["redriveCount"], described["redriveStatus"]) == ("FAILED", 0, "REDRIVABLE")
    assert "redriveDate" not in described and "redriveStatusReason" not in described
    redriven = sfn.redrive_execution(executionArn=failed)["redriveDate"]
    described = finish(sfn, failed)
    assert (described["redriveCount"], described["redriveDate"]) == (1, redriven)
    succeeded = finish(sfn, sfn.start_execution(stateMachineArn=_machine(sfn, PASS))["executionArn"])
    assert (succeeded["redriveStatus"], succeeded["redriveStatusReason"]) == (
        "NOT_REDRIVABLE",
        "Execution is SUCCEEDED and cannot be redriven",
    )
