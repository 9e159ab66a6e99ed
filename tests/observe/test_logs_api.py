"""The CloudWatch Logs API through boto3 against a real server: groups, streams, events, tokens, AWS's errors."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import ClientFactory


@pytest.fixture
def logs(aws: ClientFactory) -> Any:
    return aws("logs")


def unique(prefix: str = "/test/") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def now_ms() -> int:
    return int(time.time() * 1000)


def test_groups_create_describe_paginate_delete(logs: Any) -> None:
    base = unique()
    for suffix in ["/c", "/a", "/b"]:
        logs.create_log_group(logGroupName=base + suffix)
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=base + "/a")
    assert error_of(exc) == ("ResourceAlreadyExistsException", "The specified log group already exists")
    first = logs.describe_log_groups(logGroupNamePrefix=base, limit=2)
    assert [g["logGroupName"] for g in first["logGroups"]] == [base + "/a", base + "/b"]
    rest = logs.describe_log_groups(logGroupNamePrefix=base, limit=2, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == [base + "/c"] and "nextToken" not in rest
    group = first["logGroups"][0]
    assert group["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{base}/a:*"
    assert group["logGroupArn"] == group["arn"][:-2]
    assert abs(group["creationTime"] - now_ms()) < 60_000 and group["storedBytes"] == 0
    assert "retentionInDays" not in group
    logs.put_retention_policy(logGroupName=base + "/a", retentionInDays=7)
    described = logs.describe_log_groups(logGroupNamePattern=base[6:].upper())["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in described] == [
        (base + "/a", 7),
        (base + "/b", None),
        (base + "/c", None),
    ]
    logs.delete_retention_policy(logGroupName=base + "/a")
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=base + "/a")["logGroups"][0]
    logs.delete_log_group(logGroupName=base + "/a")
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=base + "/a")
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_invalid_parameters(logs: Any) -> None:
    group = unique()
    logs.create_log_group(logGroupName=group)
    cases = [
        lambda: logs.create_log_group(logGroupName="has spaces"),
        lambda: logs.put_retention_policy(logGroupName=group, retentionInDays=2),
        lambda: logs.describe_log_groups(logGroupNamePrefix="/a", logGroupNamePattern="b"),
        lambda: logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="x"),
        lambda: logs.get_log_events(logGroupName=group, logStreamName="s", nextToken="garbage"),
        lambda: logs.filter_log_events(logGroupName=group, filterPattern="{ $.a = 1 }"),
    ]
    for case in cases:
        with pytest.raises(ClientError) as exc:
            case()
        assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=unique(), retentionInDays=1)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_put_and_get_events_with_tokens(logs: Any) -> None:
    group = unique()
    logs.create_log_group(logGroupName=group)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "x"}])
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log stream does not exist.")
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert error_of(exc)[0] == "ResourceAlreadyExistsException"
    t0 = now_ms() - 60_000
    batch = [{"timestamp": t0 + i, "message": f"m{i}"} for i in range(7)]
    assert "rejectedLogEventsInfo" not in logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=batch)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=list(reversed(batch[:2])))
    assert error_of(exc) == (
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
    )

    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in tail["events"]] == ["m4", "m5", "m6"]
    assert tail["events"][0]["timestamp"] == t0 + 4 and "ingestionTime" in tail["events"][0]
    back = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["m1", "m2", "m3"]
    back2 = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, nextToken=back["nextBackwardToken"])
    assert [e["message"] for e in back2["events"]] == ["m0"]
    # At the end, AWS hands back the token it was given.
    end = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert end["events"] == [] and end["nextForwardToken"] == tail["nextForwardToken"]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t0 + 10, "message": "new"}])
    more = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=end["nextForwardToken"])
    assert [e["message"] for e in more["events"]] == ["new"]

    head = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=2)
    assert [e["message"] for e in head["events"]] == ["m0", "m1"]
    fwd = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2, nextToken=head["nextForwardToken"])
    assert [e["message"] for e in fwd["events"]] == ["m2", "m3"]
    window = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=t0 + 2, endTime=t0 + 4, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["m2", "m3"]  # endTime is exclusive
    by_arn = logs.get_log_events(
        logGroupIdentifier=f"arn:aws:logs:us-east-1:000000000000:log-group:{group}", logStreamName="s", limit=1
    )
    assert [e["message"] for e in by_arn["events"]] == ["new"]

    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [(s["logStreamName"], s["firstEventTimestamp"], s["lastEventTimestamp"]) for s in streams] == [
        ("s", t0, t0 + 10)
    ]
    assert streams[0]["arn"].endswith(f":log-group:{group}:log-stream:s")


def test_rejected_events(logs: Any) -> None:
    group = unique()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()
    events = [
        {"timestamp": now - 14 * 86_400_000 - 600_000, "message": "too old"},
        {"timestamp": now - 14 * 86_400_000 - 300_000, "message": "too old too"},
        {"timestamp": now - 14 * 86_400_000 + 600_000, "message": "fine"},
    ]
    out = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=events)
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    future = [{"timestamp": now, "message": "ok"}, {"timestamp": now + 3 * 3600_000, "message": "too new"}]
    out = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=future)
    assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    stored = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    assert [e["message"] for e in stored] == ["fine", "ok"]


def test_filter_events_and_stream_order(logs: Any) -> None:
    group = unique("/aws/lambda/")
    logs.create_log_group(logGroupName=group)
    t0 = now_ms() - 60_000
    for stream, offsets in [("b", [1, 4]), ("a", [2, 3])]:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[
                {"timestamp": t0 + o, "message": f"{'ERROR' if o % 2 else 'INFO'} {stream}{o}"} for o in offsets
            ],
        )
    everything = logs.filter_log_events(logGroupName=group)
    assert [(e["logStreamName"], e["message"]) for e in everything["events"]] == [
        ("b", "ERROR b1"),
        ("a", "INFO a2"),
        ("a", "ERROR a3"),
        ("b", "INFO b4"),
    ]
    assert len({e["eventId"] for e in everything["events"]}) == 4 and "nextToken" not in everything
    errors = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")
    assert [e["message"] for e in errors["events"]] == ["ERROR b1", "ERROR a3"]
    page = logs.filter_log_events(logGroupName=group, limit=3)
    rest = logs.filter_log_events(logGroupName=group, limit=3, nextToken=page["nextToken"])
    assert [e["message"] for e in page["events"] + rest["events"]] == [e["message"] for e in everything["events"]]
    windowed = logs.filter_log_events(logGroupName=group, logStreamNames=["a"], startTime=t0 + 3, endTime=t0 + 4)
    assert [e["message"] for e in windowed["events"]] == ["ERROR a3"]
    paginator = logs.get_paginator("filter_log_events")
    pages = list(paginator.paginate(logGroupName=group, PaginationConfig={"PageSize": 1}))
    assert [e["message"] for p in pages for e in p["events"]] == [e["message"] for e in everything["events"]]

    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True, limit=1)
    assert [s["logStreamName"] for s in by_time["logStreams"]] == ["b"]
    after = logs.describe_log_streams(
        logGroupName=group, orderBy="LastEventTime", descending=True, limit=1, nextToken=by_time["nextToken"]
    )
    assert [s["logStreamName"] for s in after["logStreams"]] == ["a"]
    assert [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]] == ["a", "b"]
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=unique())
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.")


def test_accounts_are_isolated(aws: ClientFactory) -> None:
    group = unique()
    one = aws("logs", aws_access_key_id="111111111111", aws_secret_access_key="x")
    two = aws("logs", aws_access_key_id="222222222222", aws_secret_access_key="x")
    one.create_log_group(logGroupName=group)
    two.create_log_group(logGroupName=group)  # the same name in another account is another group
    one.delete_log_group(logGroupName=group)
    assert [g["logGroupName"] for g in two.describe_log_groups(logGroupNamePrefix=group)["logGroups"]] == [group]
    assert one.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
