"""The cross-account matrix through the real server: account B names account A's resources in every operation
of every service, gets AWS's answer for someone else's resource, and A finds everything as it was.

Two 12-digit access key ids are the two accounts (overcast.context). The cases are in
cross_account_cases.py, A's resources in cross_account_world.py. Every operation of every table the
composition root assembles must have its cases or be listed as naming no resource, so an operation
added later without an entry fails here.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.session import get_session

from overcast.api.services import OperationTable
from tests.api.services.cross_account_cases import MATRIX, NAMELESS, Case
from tests.api.services.cross_account_world import REGION, SERVICES, A, B, Clients, Resources, build, snapshot
from tests.conftest import start_server


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    """This module's own server: the two accounts' lists hold only what this module made."""
    with tempfile.TemporaryDirectory(prefix="overcast-matrix-") as tmp:
        running = start_server(Path(tmp) / "data")
        try:
            yield running.url
        finally:
            running.stop()


def _clients(url: str, account: str) -> Clients:
    # GetActivityTask long-polls; StartSyncExecution's host prefix ("sync-") names no host here.
    config = Config(retries={"max_attempts": 1}, read_timeout=70, inject_host_prefix=False)
    return {
        service: boto3.client(
            service,
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id=account,
            aws_secret_access_key="x",
            config=config,
        )
        for service in SERVICES
    }


@pytest.fixture(scope="module")
def a(url: str) -> Clients:
    return _clients(url, A)


@pytest.fixture(scope="module")
def b(url: str) -> Clients:
    return _clients(url, B)


@pytest.fixture(scope="module")
def world(a: Clients) -> tuple[Resources, dict[str, Any]]:
    """A's resources, and A's reading of them before B does anything."""
    r = build(a)
    return r, {service: snapshot(a, r, service) for service in SERVICES}


Served = dict[str, set[str]]


@pytest.fixture(scope="module")
def served(tables: dict[str, OperationTable]) -> Served:
    """The operations of each service Overcast serves, as the composition root assembles its tables."""
    return {service: set(table) for service, table in tables.items()}


def _method(client: Any, operation: str) -> Any:
    return getattr(client, xform_name(operation))


def _as_b(value: Any) -> Any:
    """The same parameters with every ARN of A's account naming B's."""
    if isinstance(value, str):
        return value.replace(f":{A}:", f":{B}:")
    if isinstance(value, dict):
        return {key: _as_b(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_b(item) for item in value]
    return value


def _answer(client: Any, operation: str, params: dict[str, Any]) -> str:
    """The error code B gets, or 'succeeded' (with what it got, to show what leaked)."""
    try:
        got = _method(client, operation)(**params)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    got.pop("ResponseMetadata", None)
    return f"succeeded: {str(got)[:300]}"


def _cases() -> Iterator[Any]:
    for service, table in MATRIX.items():
        for operation, cases in table.items():
            for n, case in enumerate(cases):
                marks = [pytest.mark.xfail(reason=case.gap, strict=True)] if case.gap else []
                yield pytest.param(service, operation, case, id=f"{service}.{operation}.{n}", marks=marks)


@pytest.mark.parametrize(("service", "operation", "case"), list(_cases()))
def test_b_is_answered_as_aws_answers_for_someone_elses_resource(
    service: str, operation: str, case: Case, b: Clients, world: tuple[Resources, dict[str, Any]], served: Served
) -> None:
    if operation not in served[service]:
        pytest.skip(f"{service} {operation} is not served yet: its cases run once it is")
    r, _ = world
    params = case.params(r)
    assert _answer(b[service], operation, params) == case.code, params
    if case.own is not None:
        own = _as_b(params)
        assert own != params, "no ARN of A's account in the parameters"
        assert _answer(b[service], operation, own) == case.own, own


def _identifiers(r: Resources) -> set[str]:
    """What would betray A's resources in an answer to B: A's account id, and the ids that name no account."""
    ids = {r[k] for k in ("rest_api", "api_key", "usage_plan", "http_api", "rest_deployment", "http_deployment")}
    return {A, *ids}


@pytest.mark.parametrize(
    ("service", "operation"),
    [
        (service, operation)
        for service, table in NAMELESS.items()
        for operation, params in table.items()
        if params is not None
    ],
)
def test_what_b_lists_holds_nothing_of_as(
    service: str, operation: str, b: Clients, world: tuple[Resources, dict[str, Any]]
) -> None:
    r, _ = world
    got = _method(b[service], operation)(**(NAMELESS[service][operation] or {}))
    got.pop("ResponseMetadata", None)
    text = json.dumps(got, default=str)
    assert not [found for found in _identifiers(r) if found in text], text[:500]
    if operation == "GetCallerIdentity":
        assert got["Account"] == B


def test_every_operation_of_every_table_is_in_the_matrix(tables: dict[str, OperationTable]) -> None:
    """Each operation Overcast serves either has its cross-account cases or is listed as naming no resource."""
    missing = {
        service: sorted(set(table) - set(MATRIX.get(service, {})) - set(NAMELESS.get(service, {})))
        for service, table in tables.items()
    }
    assert not {s: ops for s, ops in missing.items() if ops}, missing
    session = get_session()  # an entry for an operation not served yet waits for it; one of no model is a typo
    stale = {
        service: sorted(
            (set(MATRIX.get(service, {})) | set(NAMELESS.get(service, {})))
            - set(session.get_service_model(service).operation_names)
        )
        for service in set(MATRIX) | set(NAMELESS)
    }
    assert not {s: ops for s, ops in stale.items() if ops}, f"entries for operations of no model: {stale}"
    assert set(SERVICES) == set(tables), "the world builds resources of every service served"


def test_bs_execution_schedules_nothing_on_as_activity(b: Clients, world: tuple[Resources, dict[str, Any]]) -> None:
    """A state machine of B naming A's activity fails its task: A's workers are never handed B's input."""
    r, _ = world
    sfn = b["stepfunctions"]
    definition = json.dumps(
        {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": r["activity_arn"], "End": True}}}
    )
    machine = sfn.create_state_machine(
        name="b-" + r["activity"], definition=definition, roleArn=f"arn:aws:iam::{B}:role/r"
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"secret": "b"}')["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution never ended"
        time.sleep(0.02)
    assert (described["status"], described["error"]) == ("FAILED", "States.Runtime")
    events = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
    assert "ActivityScheduleFailed" in events and "ActivityScheduled" not in events


@pytest.mark.parametrize("service", SERVICES)
def test_a_finds_its_resources_as_they_were(service: str, a: Clients, world: tuple[Resources, dict[str, Any]]) -> None:
    """Run after the matrix (it is later in this module): nothing B did changed anything of A's."""
    r, before = world
    assert snapshot(a, r, service) == before[service]
