"""LogStore on both engines: groups, streams, ordered events, retention, isolation by account and region."""

from __future__ import annotations

import asyncio
import re

import pytest

from overcast.clock import FakeClock
from overcast.observe.errors import LogsResourceAlreadyExists, LogsResourceNotFound
from overcast.observe.log_schema import STEPS
from overcast.observe.logs import DAY_MS, LogEvent, LogStore, StreamEvents, lambda_stream_name
from overcast.store import Conflict, Store

A, B, R = "111111111111", "222222222222", "us-east-1"
T0 = 1_767_225_600_000  # the FakeClock's start, in ms


def events(*pairs: tuple[int, str]) -> list[LogEvent]:
    return [LogEvent(T0 + offset, message) for offset, message in pairs]


async def test_put_events_creates_group_and_stream_and_reads_in_order(logs: LogStore) -> None:
    await logs.put_events(A, R, "/aws/lambda/f", "s1", events((5, "c"), (1, "a"), (3, "b")))
    await logs.put_events(A, R, "/aws/lambda/f", "s1", events((3, "b2"), (9, "d")))
    read = await logs.read_stream(A, R, "/aws/lambda/f", "s1", from_head=True)
    assert [e.message for e in read] == ["a", "b", "b2", "c", "d"]  # by time, then by arrival
    assert [e.seq for e in read] == [1, 2, 3, 0, 4]
    assert all(e.ingestion_ms == T0 for e in read)
    stream = await logs.stream(A, R, "/aws/lambda/f", "s1")
    assert (stream.first_event_ms, stream.last_event_ms, stream.last_ingestion_ms) == (T0 + 1, T0 + 9, T0)
    assert stream.stored_bytes == 6 + 5 * 26
    group = await logs.group(A, R, "/aws/lambda/f")
    assert group.stored_bytes == stream.stored_bytes and group.retention_days is None
    assert group.arn == f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f"
    assert stream.arn == f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:s1"


async def test_read_stream_windows_and_cursors(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events(*((i, f"m{i}") for i in range(10))))
    tail = await logs.read_stream(A, R, "g", "s", limit=3)
    assert [e.message for e in tail] == ["m7", "m8", "m9"]
    head = await logs.read_stream(A, R, "g", "s", from_head=True, limit=3)
    assert [e.message for e in head] == ["m0", "m1", "m2"]
    after = await logs.read_stream(A, R, "g", "s", after=(head[-1].timestamp_ms, head[-1].seq), limit=2)
    assert [e.message for e in after] == ["m3", "m4"]
    before = await logs.read_stream(A, R, "g", "s", before=(tail[0].timestamp_ms, tail[0].seq), limit=2)
    assert [e.message for e in before] == ["m5", "m6"]
    window = await logs.read_stream(A, R, "g", "s", start_ms=T0 + 2, end_ms=T0 + 5, from_head=True)
    assert [e.message for e in window] == ["m2", "m3", "m4"]


async def test_filter_events_across_streams(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "b", events((2, "ERROR two"), (4, "four")))
    await logs.put_events(A, R, "g", "a", events((1, "one"), (2, "ERROR also two"), (3, "three")))
    found, cursor = await logs.filter_events(A, R, "g")
    assert [(e.stream, e.message) for e in found] == [
        ("a", "one"),
        ("a", "ERROR also two"),
        ("b", "ERROR two"),
        ("a", "three"),
        ("b", "four"),
    ]
    assert cursor is None
    errors, _ = await logs.filter_events(A, R, "g", match=lambda m: "ERROR" in m)
    assert [e.message for e in errors] == ["ERROR also two", "ERROR two"]
    first, cursor = await logs.filter_events(A, R, "g", limit=2)
    rest, end = await logs.filter_events(A, R, "g", after=cursor)
    assert [e.message for e in first + rest] == [e.message for e in found] and end is None
    only_b, _ = await logs.filter_events(A, R, "g", streams=["b"], start_ms=T0 + 3)
    assert [e.message for e in only_b] == ["four"]
    by_prefix, _ = await logs.filter_events(A, R, "g", stream_prefix="a", end_ms=T0 + 2)
    assert [e.message for e in by_prefix] == ["one"]
    sparse, cursor = await logs.filter_events(A, R, "g", match=lambda m: m == "four", scan_limit=2)
    assert sparse == [] and cursor is not None  # scanned two, found none yet, more to come
    later, _ = await logs.filter_events(A, R, "g", match=lambda m: m == "four", after=cursor)
    assert [e.message for e in later] == ["four"]


async def test_accounts_and_regions_are_isolated(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((1, "a-east")))
    await logs.put_events(B, R, "g", "s", events((1, "b-east")))
    await logs.put_events(A, "eu-west-1", "g", "s", events((1, "a-west")))
    for account, region, message in [(A, R, "a-east"), (B, R, "b-east"), (A, "eu-west-1", "a-west")]:
        read = await logs.read_stream(account, region, "g", "s")
        assert [e.message for e in read] == [message]
    await logs.delete_group(A, R, "g")
    with pytest.raises(LogsResourceNotFound, match=r"The specified log group does not exist\."):
        await logs.read_stream(A, R, "g", "s")
    assert [e.message for e in await logs.read_stream(B, R, "g", "s")] == ["b-east"]


async def test_groups_streams_and_errors(logs: LogStore, clock: FakeClock) -> None:
    for name in ["app-b", "app-a", "other"]:
        await logs.create_group(A, R, name)
    with pytest.raises(LogsResourceAlreadyExists):
        await logs.create_group(A, R, "app-a")
    page, after = await logs.groups(A, R, prefix="app", limit=1)
    assert [g.name for g in page] == ["app-a"] and after == "app-a"
    page, after = await logs.groups(A, R, prefix="app", after=after, limit=1)
    assert [g.name for g in page] == ["app-b"] and after is None
    assert [g.name for g in (await logs.groups(A, R, pattern="THE"))[0]] == ["other"]
    with pytest.raises(LogsResourceNotFound, match="log group"):
        await logs.create_stream(A, R, "missing", "s")
    await logs.create_stream(A, R, "app-a", "s2")
    await clock.advance(1)
    await logs.create_stream(A, R, "app-a", "s1")
    with pytest.raises(LogsResourceAlreadyExists):
        await logs.create_stream(A, R, "app-a", "s1")
    with pytest.raises(LogsResourceNotFound, match=r"The specified log stream does not exist\."):
        await logs.read_stream(A, R, "app-a", "nope")
    await logs.append(A, R, "app-a", "s2", events((50, "late")))
    await logs.append(A, R, "app-a", "s1", events((10, "early")))
    with pytest.raises(LogsResourceNotFound, match="log stream"):
        await logs.append(A, R, "app-a", "nope", events((1, "x")))
    by_name, _ = await logs.streams(A, R, "app-a")
    assert [s.name for s in by_name] == ["s1", "s2"]
    newest, key = await logs.streams(A, R, "app-a", by_last_event=True, descending=True, limit=1)
    assert [s.name for s in newest] == ["s2"] and key == (T0 + 50, "s2")
    rest, key = await logs.streams(A, R, "app-a", by_last_event=True, descending=True, after=key, limit=1)
    assert [s.name for s in rest] == ["s1"] and key is None
    await logs.delete_stream(A, R, "app-a", "s2")
    assert (await logs.group(A, R, "app-a")).stored_bytes == len("early") + 26


async def test_retention_hides_then_expire_deletes(logs: LogStore, clock: FakeClock) -> None:
    await logs.put_events(A, R, "g", "s", events((0, "old"), (3 * DAY_MS, "new")))
    await clock.advance(3 * 86400 + 1)
    await logs.put_retention(A, R, "g", 1)
    assert [e.message for e in await logs.read_stream(A, R, "g", "s")] == ["new"]
    assert [e.message for e in (await logs.filter_events(A, R, "g"))[0]] == ["new"]
    assert await logs.expire() == 1
    await logs.put_retention(A, R, "g", None)
    assert [e.message for e in await logs.read_stream(A, R, "g", "s")] == ["new"]
    with pytest.raises(LogsResourceNotFound):
        await logs.put_retention(A, R, "missing", 1)


async def test_many_events_in_one_batch(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", [LogEvent(T0 + i // 7, f"e{i}") for i in range(1203)])
    read = await logs.read_stream(A, R, "g", "s", from_head=True)
    assert [e.message for e in read] == [f"e{i}" for i in range(1203)]


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
    old = await logs.read_stream(A, R, "g", "old", from_head=True)
    assert [(e.seq, e.message) for e in old] == [(0, "first"), (1, "second"), (2, "third")]
    assert [e.message for e in await logs.read_stream(A, R, "g2", "new")] == ["created with its group"]
    assert [s.name for s in (await logs.streams(A, R, "g"))[0]] == ["old"]
    assert (await logs.stream(A, R, "g", "old")).stored_bytes == sum(len(m) + 26 for m in ("first", "second", "third"))


async def test_put_many_recreates_a_deleted_stream(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((1, "before")))
    await logs.delete_stream(A, R, "g", "s")
    await logs.put_many([StreamEvents(A, R, "g", "s", events((2, "after")))])
    assert [e.message for e in await logs.read_stream(A, R, "g", "s")] == ["after"]
    assert (await logs.group(A, R, "g")).stored_bytes == len("after") + 26


async def test_concurrent_appenders_number_a_stream_without_gaps_or_collisions(logs: LogStore) -> None:
    await logs.put_events(A, R, "g", "s", events((0, "first")))

    async def writer(n: int) -> None:
        for i in range(5):
            if i % 2:
                await logs.append(A, R, "g", "s", events((i, f"w{n}-{i}")))
            else:
                await logs.put_many([StreamEvents(A, R, "g", "s", events((i, f"w{n}-{i}a"), (i, f"w{n}-{i}b")))])

    await asyncio.gather(*(writer(n) for n in range(4)))
    read = await logs.read_stream(A, R, "g", "s", from_head=True)
    assert sorted(e.seq for e in read) == list(range(1 + 4 * 8))
    for n in range(4):  # one writer's events keep their order
        mine = [e.message for e in sorted(read, key=lambda e: e.seq) if e.message.startswith(f"w{n}-")]
        assert mine == [f"w{n}-0a", f"w{n}-0b", f"w{n}-1", f"w{n}-2a", f"w{n}-2b", f"w{n}-3", f"w{n}-4a", f"w{n}-4b"]
    stream = await logs.stream(A, R, "g", "s")
    assert stream.stored_bytes == sum(len(e.message) + 26 for e in read)
    assert (await logs.group(A, R, "g")).stored_bytes == stream.stored_bytes


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
    assert [(e.seq, e.message) for e in await logs.read_stream(A, R, "g", "s2")] == [(0, "b"), (1, "c")]
    assert [e.message for e in await logs.read_stream(A, R, "g", "s1")] == ["a"]
    assert [e.message for e in await logs.read_stream(B, R, "g", "s1")] == ["other account"]
    assert (await logs.group(A, R, "g")).stored_bytes == 3 + 3 * 26
    assert logs.put_statements([StreamEvents(A, R, "g", "s", [])]) == []
    # A failing batch stores none of its log events.
    with pytest.raises(Conflict):
        await logs.store.execute_batch(
            [
                *logs.put_statements([StreamEvents(A, R, "g", "s1", events((3, "lost")))]),
                ("INSERT INTO other (k) VALUES (?)", ("x",)),
            ]
        )
    assert [e.message for e in await logs.read_stream(A, R, "g", "s1")] == ["a"]
    assert (await logs.group(A, R, "g")).stored_bytes == 3 + 3 * 26


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
    assert [(e.seq, e.message) for e in await logs.read_stream(A, R, "g", "s1")] == [(0, "a"), (1, "b")]
    found, _ = await logs.filter_events(A, R, "g")
    assert [(e.stream, e.message) for e in found] == [("s1", "a"), ("s1", "b"), ("s2", "c")]
    assert [e.message for e in (await logs.filter_events(B, R, "g"))[0]] == ["other account"]
    await logs.put_events(A, R, "g", "s1", events((2, "after")))
    await logs.put_events(A, R, "g", "new", events((2, "new stream")))
    assert [(e.seq, e.message) for e in await logs.read_stream(A, R, "g", "s1")][-1] == (2, "after")
    found, _ = await logs.filter_events(A, R, "g")
    assert [e.message for e in found] == ["a", "b", "c", "new stream", "after"]
    await logs.delete_group(A, R, "g")
    assert [e.message for e in (await logs.filter_events(A, R, "h"))[0]] == ["other group"]
    assert [e.message for e in (await logs.filter_events(B, R, "g"))[0]] == ["other account"]
