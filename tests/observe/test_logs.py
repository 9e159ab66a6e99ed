"""LogStore on both engines: groups, streams, ordered events, pages and tokens, tags, retention, isolation."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest

from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.observe.errors import (
    LogsInvalidParameter,
    LogsResourceAlreadyExists,
    LogsResourceNotFound,
    LogsTooManyTags,
)
from overcast.observe.log_schema import STEPS
from overcast.observe.logs import (
    DAY_MS,
    LogEvent,
    LogStore,
    Rejected,
    StreamEvents,
    group_name,
    lambda_stream_name,
)
from overcast.store import Conflict, Store

A, B, R = "111111111111", "222222222222", "us-east-1"
CA, CB, CA_WEST = RequestContext(A, R), RequestContext(B, R), RequestContext(A, "eu-west-1")
T0 = 1_767_225_600_000  # the FakeClock's start, in ms
BAD_TOKEN = r"The specified nextToken is invalid\."


def events(*pairs: tuple[int, str]) -> list[LogEvent]:
    return [LogEvent(T0 + offset, message) for offset, message in pairs]


async def messages(logs: LogStore, ctx: RequestContext, group: str, stream: str, **kwargs: Any) -> list[str]:
    return [e.message for e in (await logs.stream_events(ctx, group, stream, **kwargs)).events]


async def filtered(logs: LogStore, ctx: RequestContext, group: str, **kwargs: Any) -> list[str]:
    return [e.message for e in (await logs.filter_events(ctx, group, **kwargs))[0]]


async def test_put_events_creates_group_and_stream_and_reads_in_order(logs: LogStore) -> None:
    await logs.put_events(A, R, "/aws/lambda/f", "s1", events((5, "c"), (1, "a"), (3, "b")))
    await logs.put_events(A, R, "/aws/lambda/f", "s1", events((3, "b2"), (9, "d")))
    read = (await logs.stream_events(CA, "/aws/lambda/f", "s1", from_head=True)).events
    assert [e.message for e in read] == ["a", "b", "b2", "c", "d"]  # by time, then by arrival
    assert [e.seq for e in read] == [1, 2, 3, 0, 4]
    assert all(e.ingestion_ms == T0 for e in read)
    stream = await logs.stream(CA, "/aws/lambda/f", "s1")
    assert (stream.first_event_ms, stream.last_event_ms, stream.last_ingestion_ms) == (T0 + 1, T0 + 9, T0)
    assert stream.stored_bytes == 6 + 5 * 26
    group = await logs.group(CA, "/aws/lambda/f")
    assert group.stored_bytes == stream.stored_bytes and group.retention_days is None
    assert group.arn == f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f"
    assert stream.arn == f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:s1"
    await logs.put_events(A, "cn-north-1", "g", "s", events((1, "x")))
    china = RequestContext(A, "cn-north-1")
    assert (await logs.group(china, "g")).arn == f"arn:aws-cn:logs:cn-north-1:{A}:log-group:g"  # its partition


async def test_stream_pages_read_both_ways_and_hand_back_the_token_at_an_end(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events(*((i, f"m{i}") for i in range(10))))
    tail = await logs.stream_events(CA, "g", "s", limit=3)
    assert [e.message for e in tail.events] == ["m7", "m8", "m9"]
    before = await logs.stream_events(CA, "g", "s", limit=2, token=tail.backward_token)
    assert [e.message for e in before.events] == ["m5", "m6"]
    head = await logs.stream_events(CA, "g", "s", from_head=True, limit=3)
    assert [e.message for e in head.events] == ["m0", "m1", "m2"]
    after = await logs.stream_events(CA, "g", "s", limit=2, token=head.forward_token)
    assert [e.message for e in after.events] == ["m3", "m4"]
    window = await logs.stream_events(CA, "g", "s", start_ms=T0 + 2, end_ms=T0 + 5, from_head=True)
    assert [e.message for e in window.events] == ["m2", "m3", "m4"]
    end = await logs.stream_events(CA, "g", "s", token=tail.forward_token)
    assert end.events == [] and end.forward_token == tail.forward_token
    start = await logs.stream_events(CA, "g", "s", token=head.backward_token)
    assert start.events == [] and start.backward_token == head.backward_token
    await logs.put_events(A, R, "g", "s", events((20, "new")))
    assert await messages(logs, CA, "g", "s", token=end.forward_token) == ["new"]
    empty = await logs.stream_events(CA, "g", "s", start_ms=T0 + 100)  # nothing in the window: read on from the start
    assert await messages(logs, CA, "g", "s", token=empty.forward_token) == [f"m{i}" for i in range(10)] + ["new"]


async def test_a_page_of_events_holds_at_most_one_megabyte(logs: LogStore) -> None:
    big = "x" * 200_000
    await logs.put_events(A, R, "g", "s", events(*((i, f"{i}{big}") for i in range(12))))
    first = await logs.stream_events(CA, "g", "s", from_head=True)
    assert len(first.events) == 5  # 5 x 200,027 bytes fit in 1 MB, 6 do not
    rest = await logs.stream_events(CA, "g", "s", token=first.forward_token)
    assert [e.message[:2] for e in rest.events] == ["5x", "6x", "7x", "8x", "9x"]
    newest = await logs.stream_events(CA, "g", "s")
    assert [e.message[:2] for e in newest.events] == ["7x", "8x", "9x", "10", "11"]
    page, token = await logs.filter_events(CA, "g")
    assert len(page) == 5 and token is not None


async def test_stream_tokens_are_refused_elsewhere(logs: LogStore) -> None:
    for ctx_account, ctx_region in [(A, R), (B, R), (A, "eu-west-1")]:
        await logs.put_events(ctx_account, ctx_region, "g", "s", events((1, "a"), (2, "b")))
    await logs.put_events(A, R, "g", "other", events((1, "a")))
    await logs.put_events(A, R, "h", "s", events((1, "a")))
    token = (await logs.stream_events(CA, "g", "s", limit=1, from_head=True)).forward_token
    assert await messages(logs, CA, "g", "s", token=token) == ["b"]
    for ctx, group, stream in [(CB, "g", "s"), (CA_WEST, "g", "s"), (CA, "g", "other"), (CA, "h", "s")]:
        with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):
            await logs.stream_events(ctx, group, stream, token=token)
    for garbage in ["garbage", token[:-2], "f/00000000000000000000000000000000000000/s"]:
        with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):
            await logs.stream_events(CA, "g", "s", token=garbage)
    with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):  # a GetLogEvents token is no FilterLogEvents token
        await logs.filter_events(CA, "g", token=token)


async def test_filter_events_across_streams(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "b", events((2, "ERROR two"), (4, "four")))
    await logs.put_events(A, R, "g", "a", events((1, "one"), (2, "ERROR also two"), (3, "three")))
    found, token = await logs.filter_events(CA, "g")
    assert [(e.stream, e.message) for e in found] == [
        ("a", "one"),
        ("a", "ERROR also two"),
        ("b", "ERROR two"),
        ("a", "three"),
        ("b", "four"),
    ]
    assert token is None
    assert await filtered(logs, CA, "g", pattern="ERROR") == ["ERROR also two", "ERROR two"]
    first, token = await logs.filter_events(CA, "g", limit=2)
    rest, end = await logs.filter_events(CA, "g", token=token)
    assert [e.message for e in first + rest] == [e.message for e in found] and end is None
    assert await filtered(logs, CA, "g", streams=["b"], start_ms=T0 + 3) == ["four"]
    assert await filtered(logs, CA, "g", stream_prefix="a", end_ms=T0 + 2) == ["one", "ERROR also two"]  # inclusive
    sparse, token = await logs.filter_events(CA, "g", pattern="four", scan_limit=2)
    assert sparse == [] and token is not None  # scanned two, found none yet, more to come
    assert await filtered(logs, CA, "g", pattern="four", token=token) == ["four"]
    newest, token = await logs.filter_events(CA, "g", from_head=False, limit=2)
    assert [e.message for e in newest] == ["four", "three"]
    # The token's direction wins over startFromHead (API_FilterLogEvents.html).
    assert await filtered(logs, CA, "g", from_head=True, token=token) == ["ERROR two", "ERROR also two", "one"]
    with pytest.raises(LogsInvalidParameter, match="2024"):
        await logs.filter_events(CA, "g", from_head=False, start_ms=1_700_000_000_000)
    with pytest.raises(LogsInvalidParameter, match="mutually exclusive"):
        await logs.filter_events(CA, "g", streams=["a"], stream_prefix="a")


async def test_filter_tokens_are_bound_to_their_filter(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((1, "ERROR a"), (2, "ERROR b"), (3, "ok")))
    await logs.put_events(B, R, "g", "s", events((1, "ERROR a"), (2, "ERROR b")))
    _, token = await logs.filter_events(CA, "g", pattern="ERROR", limit=1)
    assert await filtered(logs, CA, "g", pattern="ERROR", token=token) == ["ERROR b"]
    for ctx, kwargs in [
        (CA, {"pattern": "ok"}),
        (CA, {}),
        (CA, {"pattern": "ERROR", "streams": ["s"]}),
        (CA, {"pattern": "ERROR", "start_ms": T0}),
        (CB, {"pattern": "ERROR"}),
    ]:
        with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):
            await logs.filter_events(ctx, "g", token=token, **kwargs)


async def test_accounts_and_regions_are_isolated(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((1, "a-east")))
    await logs.put_events(B, R, "g", "s", events((1, "b-east")))
    await logs.put_events(A, "eu-west-1", "g", "s", events((1, "a-west")))
    for ctx, message in [(CA, "a-east"), (CB, "b-east"), (CA_WEST, "a-west")]:
        assert await messages(logs, ctx, "g", "s") == [message]
    await logs.delete_group(CA, "g")
    with pytest.raises(LogsResourceNotFound, match=r"The specified log group does not exist\."):
        await logs.stream_events(CA, "g", "s")
    assert await messages(logs, CB, "g", "s") == ["b-east"]


def test_a_group_arn_names_a_group_of_the_callers_account_and_region_only() -> None:
    arn = f"arn:aws:logs:{R}:{A}:log-group:/my/group"
    assert group_name(CA, None, arn) == "/my/group" == group_name(CA, None, arn + ":*")
    assert group_name(CA, "/my/group", None) == "/my/group" == group_name(CA, None, "/my/group")
    for ctx in (CB, CA_WEST):
        with pytest.raises(LogsResourceNotFound, match=r"The specified log group does not exist\."):
            group_name(ctx, None, arn)
    for name, identifier in [(None, None), ("a", "a"), (None, f"arn:aws:logs:{R}:{A}:destination:d")]:
        with pytest.raises(LogsInvalidParameter):
            group_name(CA, name, identifier)


async def test_groups_streams_and_errors(logs: LogStore, clock: FakeClock) -> None:
    for name in ["app-b", "app-a", "other", "Other-app"]:
        await logs.create_group(CA, name)
    with pytest.raises(LogsResourceAlreadyExists):
        await logs.create_group(CA, "app-a")
    with pytest.raises(LogsInvalidParameter, match="logGroupName"):
        await logs.create_group(CA, "has spaces")
    page, token = await logs.groups(CA, prefix="app", limit=1)
    assert [g.name for g in page] == ["app-a"] and token is not None
    page, token = await logs.groups(CA, prefix="app", token=token, limit=1)
    assert [g.name for g in page] == ["app-b"] and token is None
    # logGroupNamePattern: a case-sensitive substring (API_DescribeLogGroups.html).
    assert [g.name for g in (await logs.groups(CA, pattern="ther"))[0]] == ["Other-app", "other"]
    assert [g.name for g in (await logs.groups(CA, pattern="Other"))[0]] == ["Other-app"]
    with pytest.raises(LogsResourceNotFound, match="log group"):
        await logs.create_stream(CA, "missing", "s")
    await logs.create_stream(CA, "app-a", "s2")
    await clock.advance(1)
    await logs.create_stream(CA, "app-a", "s1")
    await logs.create_stream(CA, "app-a", "s3")
    with pytest.raises(LogsResourceAlreadyExists):
        await logs.create_stream(CA, "app-a", "s1")
    with pytest.raises(LogsResourceNotFound, match=r"The specified log stream does not exist\."):
        await logs.stream_events(CA, "app-a", "nope")
    await logs.put_log_events(CA, "app-a", "s2", events((50, "late")))
    await logs.put_log_events(CA, "app-a", "s1", events((10, "early")))
    with pytest.raises(LogsResourceNotFound, match="log stream"):
        await logs.put_log_events(CA, "app-a", "nope", events((1, "x")))
    by_name, _ = await logs.streams(CA, "app-a")
    assert [s.name for s in by_name] == ["s1", "s2", "s3"]
    newest, token = await logs.streams(CA, "app-a", by_last_event=True, descending=True, limit=1)
    assert [s.name for s in newest] == ["s2"] and token is not None
    rest, token = await logs.streams(CA, "app-a", by_last_event=True, descending=True, token=token, limit=1)
    assert [s.name for s in rest] == ["s1"] and token is not None
    rest, token = await logs.streams(CA, "app-a", by_last_event=True, descending=True, token=token)
    assert [s.name for s in rest] == ["s3"] and token is None  # no events: last
    with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):  # another order, another list
        await logs.streams(CA, "app-a", token=(await logs.streams(CA, "app-a", by_last_event=True, limit=1))[1])
    with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):  # another group
        await logs.streams(CA, "app-b", token=(await logs.streams(CA, "app-a", limit=1))[1])
    with pytest.raises(LogsInvalidParameter, match=BAD_TOKEN):  # a DescribeLogStreams token is no group list's
        await logs.groups(CA, token=(await logs.streams(CA, "app-a", limit=1))[1])
    await logs.delete_stream(CA, "app-a", "s2")
    assert (await logs.group(CA, "app-a")).stored_bytes == len("early") + 26


async def test_put_log_events_rejects_the_events_aws_rejects(logs: LogStore) -> None:
    await logs.create_group(CA, "g")
    await logs.create_stream(CA, "g", "s")
    hour = 3_600_000
    await logs.put_retention(CA, "g", 1)
    for batch, rejected in [
        (events((-30 * hour, "expired"), (-20 * hour, "kept")), Rejected(expired_end=1)),
        (events((-15 * DAY_MS, "too old"), (-15 * DAY_MS + hour, "too")), Rejected(too_old_end=2, expired_end=2)),
        (events((0, "now"), (3 * hour, "too new")), Rejected(too_new_start=1)),
    ]:
        assert await logs.put_log_events(CA, "g", "s", batch) == rejected
    assert await messages(logs, CA, "g", "s") == ["kept", "now"]
    for bad in [list(reversed(events((1, "a"), (2, "b")))), events((0, "a"), (DAY_MS + 1, "b"))]:
        with pytest.raises(LogsInvalidParameter):
            await logs.put_log_events(CA, "g", "s", bad)


async def test_retention_hides_then_expire_deletes(logs: LogStore, clock: FakeClock) -> None:
    await logs.put_events(A, R, "g", "s", events((0, "old"), (3 * DAY_MS, "new")))
    await clock.advance(3 * 86400 + 1)
    await logs.put_retention(CA, "g", 1)
    assert await messages(logs, CA, "g", "s") == ["new"]
    assert await filtered(logs, CA, "g") == ["new"]
    assert await logs.expire() == 1
    await logs.put_retention(CA, "g", None)
    assert await messages(logs, CA, "g", "s") == ["new"]
    with pytest.raises(LogsResourceNotFound):
        await logs.put_retention(CA, "missing", 1)
    with pytest.raises(LogsInvalidParameter, match="retentionInDays"):
        await logs.put_retention(CA, "g", 2)


async def test_many_events_in_one_batch(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", [LogEvent(T0 + i // 7, f"e{i}") for i in range(1203)])
    assert await messages(logs, CA, "g", "s", from_head=True) == [f"e{i}" for i in range(1203)]


async def test_tags_by_name_and_by_arn_in_the_callers_account(logs: LogStore) -> None:
    arn = f"arn:aws:logs:{R}:{A}:log-group:g"
    await logs.create_group(CA, "g", {"team": "a", "env": "dev"})
    await logs.create_group(CB, "g")
    assert await logs.tags_by_name.tags(CA, "g") == {"env": "dev", "team": "a"}
    await logs.tags_by_arn.tag(CA, arn, {"env": "prod", "cost": "1"})
    await logs.tags_by_name.untag(CA, "g", ["team", "absent"])
    assert await logs.tags_by_arn.tags(CA, arn) == {"cost": "1", "env": "prod"}
    assert await logs.tags_by_name.tags(CB, "g") == {}  # the same name in another account: another group
    for ctx in (CB, CA_WEST):  # another account's or region's ARN reaches nothing
        with pytest.raises(LogsResourceNotFound, match=r"The specified log group does not exist\."):
            await logs.tags_by_arn.tag(ctx, arn, {"x": "y"})
    with pytest.raises(LogsResourceNotFound):
        await logs.tags_by_arn.tags(CA, f"arn:aws:logs:{R}:{A}:destination:d")
    with pytest.raises(LogsInvalidParameter):
        await logs.tags_by_arn.tags(CA, "not-an-arn")
    with pytest.raises(LogsTooManyTags) as too_many:
        await logs.tags_by_arn.tag(CA, arn, {f"k{i}": "v" for i in range(49)})
    assert too_many.value.fields == {"resourceName": arn}
    with pytest.raises(LogsInvalidParameter, match="50 tags"):  # TagLogGroup knows no TooManyTagsException
        await logs.tags_by_name.tag(CA, "g", {f"k{i}": "v" for i in range(49)})
    with pytest.raises(LogsInvalidParameter, match="reserved"):
        await logs.tags_by_arn.tag(CA, arn, {"aws:owner": "me"})
    with pytest.raises(LogsInvalidParameter, match="reserved"):
        await logs.create_group(CA, "h", {"aws:owner": "me"})
    with pytest.raises(LogsResourceNotFound):  # refused whole: no half-made group
        await logs.group(CA, "h")
    await logs.delete_group(CA, "g")  # DeleteLogGroup drops its tags: a new group of that name has none
    await logs.create_group(CA, "g")
    assert await logs.tags_by_arn.tags(CA, arn) == {}
    assert await logs.tags_by_name.tags(CB, "g") == {}


def test_lambda_stream_name() -> None:
    name = lambda_stream_name(FakeClock(), "$LATEST")
    assert re.fullmatch(r"2026/01/01/\[\$LATEST\][0-9a-f]{32}", name)
    assert lambda_stream_name(FakeClock(), "3").startswith("2026/01/01/[3]")


async def test_put_many_writes_several_streams_in_the_callers_transaction(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "old", events((1, "first")))
    batches = [
        StreamEvents(A, R, "g", "old", events((2, "second"), (3, "third"))),
        StreamEvents(A, R, "g2", "new", events((1, "created with its group"))),
        StreamEvents(A, R, "g", "empty", []),  # nothing to store: no stream either
    ]
    async with logs.store.transaction() as tx:
        await logs.put_many(batches, tx)
    old = (await logs.stream_events(CA, "g", "old", from_head=True)).events
    assert [(e.seq, e.message) for e in old] == [(0, "first"), (1, "second"), (2, "third")]
    assert [e.message for e in (await logs.stream_events(CA, "g2", "new")).events] == ["created with its group"]
    assert [s.name for s in (await logs.streams(CA, "g"))[0]] == ["old"]
    assert (await logs.stream(CA, "g", "old")).stored_bytes == sum(len(m) + 26 for m in ("first", "second", "third"))


async def test_put_many_recreates_a_deleted_stream(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((1, "before")))
    await logs.delete_stream(CA, "g", "s")
    await logs.put_many([StreamEvents(A, R, "g", "s", events((2, "after")))])
    assert [e.message for e in (await logs.stream_events(CA, "g", "s")).events] == ["after"]
    assert (await logs.group(CA, "g")).stored_bytes == len("after") + 26


async def test_concurrent_appenders_number_a_stream_without_gaps_or_collisions(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((0, "first")))

    async def writer(n: int) -> None:
        for i in range(5):
            if i % 2:
                await logs.put_log_events(CA, "g", "s", events((i, f"w{n}-{i}")))
            else:
                await logs.put_many([StreamEvents(A, R, "g", "s", events((i, f"w{n}-{i}a"), (i, f"w{n}-{i}b")))])

    await asyncio.gather(*(writer(n) for n in range(4)))
    read = (await logs.stream_events(CA, "g", "s", from_head=True)).events
    assert sorted(e.seq for e in read) == list(range(1 + 4 * 8))
    for n in range(4):  # one writer's events keep their order
        mine = [e.message for e in sorted(read, key=lambda e: e.seq) if e.message.startswith(f"w{n}-")]
        assert mine == [f"w{n}-0a", f"w{n}-0b", f"w{n}-1", f"w{n}-2a", f"w{n}-2b", f"w{n}-3", f"w{n}-4a", f"w{n}-4b"]
    stream = await logs.stream(CA, "g", "s")
    assert stream.stored_bytes == sum(len(e.message) + 26 for e in read)
    assert (await logs.group(CA, "g")).stored_bytes == stream.stored_bytes


async def test_put_statements_share_one_batch_with_other_writes(logs: LogStore) -> None:
    await logs.store.execute("CREATE TABLE other (k TEXT PRIMARY KEY)")
    statements = logs.put_statements(
        [
            StreamEvents(A, R, "g", "s2", events((1, "b"))),
            StreamEvents(A, R, "g", "s1", events((1, "a"))),
            StreamEvents(A, R, "g", "s2", events((2, "c"))),  # the same stream twice: kept in order
            StreamEvents(B, R, "g", "s1", events((1, "other account"))),
        ]
    )
    await logs.store.execute_batch([*statements, ("INSERT INTO other (k) VALUES (?)", ("x",))])
    assert [(e.seq, e.message) for e in (await logs.stream_events(CA, "g", "s2")).events] == [(0, "b"), (1, "c")]
    assert [e.message for e in (await logs.stream_events(CA, "g", "s1")).events] == ["a"]
    assert [e.message for e in (await logs.stream_events(CB, "g", "s1")).events] == ["other account"]
    assert (await logs.group(CA, "g")).stored_bytes == 3 + 3 * 26
    assert logs.put_statements([StreamEvents(A, R, "g", "s", [])]) == []
    # A failing batch stores none of its log events.
    with pytest.raises(Conflict):
        await logs.store.execute_batch(
            [
                *logs.put_statements([StreamEvents(A, R, "g", "s1", events((3, "lost")))]),
                ("INSERT INTO other (k) VALUES (?)", ("x",)),
            ]
        )
    assert [e.message for e in (await logs.stream_events(CA, "g", "s1")).events] == ["a"]
    assert (await logs.group(CA, "g")).stored_bytes == 3 + 3 * 26


async def test_events_stored_before_the_integer_ids_survive_the_migration(store: Store, clock: FakeClock) -> None:
    await store.migrate("logs", STEPS[:1])  # the first layout: events keyed by four text columns
    for account, group, stream, messages in [
        (A, "g", "s1", ["a", "b"]),
        (A, "g", "s2", ["c"]),
        (B, "g", "s1", ["other account"]),
        (A, "h", "s1", ["other group"]),
    ]:
        await store.execute(
            "INSERT INTO log_groups (account, region, name, created, retention_days, stored_bytes) "
            "VALUES (?, ?, ?, 0, NULL, 0) ON CONFLICT (account, region, name) DO NOTHING",
            account,
            R,
            group,
        )
        await store.execute(
            "INSERT INTO log_streams (account, region, grp, name, created, stored_bytes, next_seq) "
            "VALUES (?, ?, ?, ?, 0, 0, ?)",
            account,
            R,
            group,
            stream,
            len(messages),
        )
        for seq, message in enumerate(messages):
            await store.execute(
                "INSERT INTO log_events (account, region, grp, stream, seq, ts, ingestion, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                account,
                R,
                group,
                stream,
                seq,
                T0 + 1,
                T0,
                message,
            )
    logs = LogStore(store, clock)
    await logs.start()
    assert [(e.seq, e.message) for e in (await logs.stream_events(CA, "g", "s1")).events] == [(0, "a"), (1, "b")]
    found, _ = await logs.filter_events(CA, "g")
    assert [(e.stream, e.message) for e in found] == [("s1", "a"), ("s1", "b"), ("s2", "c")]
    assert [e.message for e in (await logs.filter_events(CB, "g"))[0]] == ["other account"]
    await logs.put_events(A, R, "g", "s1", events((2, "after")))
    await logs.put_events(A, R, "g", "new", events((2, "new stream")))
    assert [(e.seq, e.message) for e in (await logs.stream_events(CA, "g", "s1")).events][-1] == (2, "after")
    found, _ = await logs.filter_events(CA, "g")
    assert [e.message for e in found] == ["a", "b", "c", "new stream", "after"]
    await logs.delete_group(CA, "g")
    assert [e.message for e in (await logs.filter_events(CA, "h"))[0]] == ["other group"]
    assert [e.message for e in (await logs.filter_events(CB, "g"))[0]] == ["other account"]


async def test_put_log_events_takes_an_event_as_large_as_a_whole_batch_and_no_larger(logs: LogStore) -> None:
    """PutLogEvents counts an event as its UTF-8 bytes plus 26 and a batch as at most 1,048,576 bytes: the
    largest message is 1,048,550 bytes, which is where Lambda's log cuts a long line (logbudget.py)."""
    await logs.create_group(CA, "g")
    await logs.create_stream(CA, "g", "s")
    with pytest.raises(LogsInvalidParameter, match="Upload too large: 1048577 bytes exceeds limit of 1048576"):
        await logs.put_log_events(CA, "g", "s", events((0, "é" * 524_275 + "x")))
    assert await logs.put_log_events(CA, "g", "s", events((0, "é" * 524_275))) == Rejected()
    assert [len(m.encode()) for m in await messages(logs, CA, "g", "s")] == [1_048_550]
