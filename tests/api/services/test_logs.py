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
    described = logs.describe_log_groups(logGroupNamePrefix=base)["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in described] == [
        (base + "/a", 7),
        (base + "/b", None),
        (base + "/c", None),
    ]
    # logGroupNamePattern: a case-sensitive substring, and only arn, creationTime and logGroupName
    # (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html).
    matched = logs.describe_log_groups(logGroupNamePattern=base[6:])["logGroups"]
    assert [g["logGroupName"] for g in matched] == [base + "/a", base + "/b", base + "/c"]
    assert set(matched[0]) == {"logGroupName", "creationTime", "arn"}
    assert logs.describe_log_groups(logGroupNamePattern=base[6:].upper())["logGroups"] == []
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


BAD_TOKEN = ("InvalidParameterException", "The specified nextToken is invalid.")


def test_pages_hold_aws_defaults_and_paginators_walk_them(logs: Any) -> None:
    base = unique()
    for i in range(52):
        logs.create_log_group(logGroupName=f"{base}/{i:02d}")
    first = logs.describe_log_groups(logGroupNamePrefix=base)  # "the default is up to 50 items"
    assert len(first["logGroups"]) == 50
    rest = logs.describe_log_groups(logGroupNamePrefix=base, nextToken=first["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == [f"{base}/50", f"{base}/51"] and "nextToken" not in rest
    with pytest.raises(ClientError):  # limit is 1-50
        logs.describe_log_groups(logGroupNamePrefix=base, limit=51)
    pages = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=base, PaginationConfig={"PageSize": 7}
    )
    assert [g["logGroupName"] for p in pages for g in p["logGroups"]] == [f"{base}/{i:02d}" for i in range(52)]
    group = f"{base}/00"
    for i in range(5):
        logs.create_log_stream(logGroupName=group, logStreamName=f"s{i}")
    pages = logs.get_paginator("describe_log_streams").paginate(
        logGroupName=group, descending=True, PaginationConfig={"PageSize": 2}
    )
    assert [s["logStreamName"] for p in pages for s in p["logStreams"]] == ["s4", "s3", "s2", "s1", "s0"]


def test_tokens_are_refused_for_another_group_stream_filter_account_or_region(aws: ClientFactory) -> None:
    one = aws("logs", aws_access_key_id="111111111111", aws_secret_access_key="x")
    two = aws("logs", aws_access_key_id="222222222222", aws_secret_access_key="x")
    one_west = aws("logs", aws_access_key_id="111111111111", aws_secret_access_key="x", region_name="eu-west-1")
    group, other = unique(), unique()
    t0 = now_ms() - 60_000
    for client in (one, two, one_west):
        for name in (group, other):
            client.create_log_group(logGroupName=name)
            for stream in ("s1", "s2"):
                client.create_log_stream(logGroupName=name, logStreamName=stream)
                client.put_log_events(
                    logGroupName=name,
                    logStreamName=stream,
                    logEvents=[
                        {"timestamp": t0 + i, "message": f"{'ERROR' if i % 2 else 'INFO'} {i}"} for i in range(4)
                    ],
                )
    groups = one.describe_log_groups(logGroupNamePrefix="/test/", limit=1)["nextToken"]
    streams = one.describe_log_streams(logGroupName=group, limit=1)["nextToken"]
    events = one.get_log_events(logGroupName=group, logStreamName="s1", limit=1, startFromHead=True)
    filtered = one.filter_log_events(logGroupName=group, filterPattern="ERROR", limit=1)["nextToken"]
    # Each token reads on in its own list...
    assert one.describe_log_groups(logGroupNamePrefix="/test/", limit=1, nextToken=groups)["logGroups"]
    assert [
        s["logStreamName"] for s in one.describe_log_streams(logGroupName=group, nextToken=streams)["logStreams"]
    ] == ["s2"]
    forward = events["nextForwardToken"]
    assert [
        e["message"] for e in one.get_log_events(logGroupName=group, logStreamName="s1", nextToken=forward)["events"]
    ] == [
        "ERROR 1",
        "INFO 2",
        "ERROR 3",
    ]
    page = one.filter_log_events(logGroupName=group, filterPattern="ERROR", nextToken=filtered)
    assert [(e["logStreamName"], e["message"]) for e in page["events"]] == [
        ("s2", "ERROR 1"),
        ("s1", "ERROR 3"),
        ("s2", "ERROR 3"),
    ]
    # ... and nowhere else: another account or region, group, stream or filter.
    elsewhere = [
        lambda c: c.describe_log_groups(logGroupNamePrefix="/test/", limit=1, nextToken=groups),
        lambda c: c.describe_log_streams(logGroupName=group, nextToken=streams),
        lambda c: c.get_log_events(logGroupName=group, logStreamName="s1", nextToken=forward),
        lambda c: c.filter_log_events(logGroupName=group, filterPattern="ERROR", nextToken=filtered),
    ]
    for call in elsewhere:
        for client in (two, one_west):
            with pytest.raises(ClientError) as exc:
                call(client)
            assert error_of(exc) == BAD_TOKEN
    for call in [
        lambda: one.describe_log_groups(logGroupNamePrefix=group, limit=1, nextToken=groups),
        lambda: one.describe_log_streams(logGroupName=other, nextToken=streams),
        lambda: one.describe_log_streams(logGroupName=group, orderBy="LastEventTime", nextToken=streams),
        lambda: one.get_log_events(logGroupName=group, logStreamName="s2", nextToken=forward),
        lambda: one.get_log_events(logGroupName=other, logStreamName="s1", nextToken=forward),
        lambda: one.filter_log_events(logGroupName=group, filterPattern="INFO", nextToken=filtered),
        lambda: one.filter_log_events(logGroupName=other, filterPattern="ERROR", nextToken=filtered),
        lambda: one.filter_log_events(
            logGroupName=group, filterPattern="ERROR", logStreamNames=["s1"], nextToken=filtered
        ),
        lambda: one.filter_log_events(logGroupName=group, nextToken=forward),
    ]:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == BAD_TOKEN


def test_filter_log_events_newest_first(logs: Any) -> None:
    group = unique()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t0 = now_ms() - 60_000
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t0 + i, "message": f"m{i}"} for i in range(5)]
    )
    newest = logs.filter_log_events(logGroupName=group, startTime=t0, startFromHead=False, limit=2)
    assert [e["message"] for e in newest["events"]] == ["m4", "m3"]
    # "On subsequent requests, the nextToken determines the sort direction" (API_FilterLogEvents.html).
    older = logs.filter_log_events(logGroupName=group, startTime=t0, startFromHead=True, nextToken=newest["nextToken"])
    assert [e["message"] for e in older["events"]] == ["m2", "m1", "m0"] and "nextToken" not in older
    with pytest.raises(ClientError) as exc:  # newest first only from 2024 on
        logs.filter_log_events(logGroupName=group, startTime=1_600_000_000_000, startFromHead=False)
    assert error_of(exc)[0] == "InvalidParameterException"


def test_a_log_group_arn_of_another_account_reaches_nothing(aws: ClientFactory) -> None:
    one = aws("logs", aws_access_key_id="111111111111", aws_secret_access_key="x")
    two = aws("logs", aws_access_key_id="222222222222", aws_secret_access_key="x")
    group = unique()
    for client, message in [(one, "one's secret"), (two, "two's own")]:  # the same name in both accounts
        client.create_log_group(logGroupName=group, tags={"owner": message})
        client.create_log_stream(logGroupName=group, logStreamName="s")
        client.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": message}]
        )
    arn = one.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    assert arn == f"arn:aws:logs:us-east-1:111111111111:log-group:{group}"
    assert [e["message"] for e in one.get_log_events(logGroupIdentifier=arn, logStreamName="s")["events"]] == [
        "one's secret"
    ]
    for call in [
        lambda: two.get_log_events(logGroupIdentifier=arn, logStreamName="s"),
        lambda: two.filter_log_events(logGroupIdentifier=arn),
        lambda: two.describe_log_streams(logGroupIdentifier=arn),
        lambda: two.list_tags_for_resource(resourceArn=arn),
        lambda: two.tag_resource(resourceArn=arn, tags={"taken": "yes"}),
        lambda: two.untag_resource(resourceArn=arn, tagKeys=["owner"]),
    ]:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.")
    assert one.list_tags_for_resource(resourceArn=arn)["tags"] == {"owner": "one's secret"}


def test_tags_in_both_api_styles(logs: Any) -> None:
    group = unique()
    logs.create_log_group(logGroupName=group, tags={"team": "core", "env": "dev"})
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev", "team": "core"}
    logs.tag_resource(resourceArn=arn, tags={"env": "prod", "cost-center": "42"})
    logs.untag_log_group(logGroupName=group, tags=["team", "not-there"])
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"cost-center": "42", "env": "prod"}
    logs.tag_log_group(logGroupName=group, tags={"team": "web"})
    logs.untag_resource(resourceArn=arn, tagKeys=["cost-center"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "prod", "team": "web"}
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(49)})
    assert error_of(exc) == ("TooManyTagsException", "A resource can have no more than 50 tags.")
    assert exc.value.response["resourceName"] == arn
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={"aws:cloudformation:stack-name": "x"})
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.list_tags_log_group(logGroupName=unique())
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.")
    logs.delete_log_group(logGroupName=group)  # DeleteLogGroup drops the group's tags
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn=arn)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    logs.create_log_group(logGroupName=group)
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {}
