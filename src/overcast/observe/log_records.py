"""Log records: events, stored events, log groups and streams, their ARNs, and the names Lambda gives them."""

from __future__ import annotations

import secrets
import time
import zlib
from dataclasses import dataclass

from overcast.arn import format_arn
from overcast.clock import Clock
from overcast.store import Row


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One event to store. `ingestion_ms` 0 means: the time it is stored."""

    timestamp_ms: int
    message: str
    ingestion_ms: int = 0


@dataclass(frozen=True, slots=True)
class StoredEvent:
    stream: str
    seq: int
    timestamp_ms: int
    ingestion_ms: int
    message: str

    @property
    def event_id(self) -> str:
        """A 56-digit id, unique in the group, as long as AWS's."""
        return f"{self.timestamp_ms:020d}{zlib.crc32(self.stream.encode()):010d}{self.seq:026d}"


@dataclass(frozen=True, slots=True)
class LogGroup:
    account: str
    region: str
    name: str
    created_ms: int
    retention_days: int | None
    stored_bytes: int

    @property
    def arn(self) -> str:
        """The group's ARN without the trailing `:*` (DescribeLogGroups' logGroupArn)."""
        return group_arn(self.account, self.region, self.name)


@dataclass(frozen=True, slots=True)
class LogStream:
    account: str
    region: str
    group: str
    name: str
    created_ms: int
    first_event_ms: int | None
    last_event_ms: int | None
    last_ingestion_ms: int | None
    stored_bytes: int

    @property
    def arn(self) -> str:
        return format_arn("logs", self.region, self.account, f"log-group:{self.group}:log-stream:{self.name}")


@dataclass(frozen=True, slots=True)
class EventPage:
    """One page of a stream's events (GetLogEvents), oldest first, and where to read on in each direction."""

    events: list[StoredEvent]
    forward_token: str
    backward_token: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """The events of a PutLogEvents batch that were not stored, by index (None: none of that kind)."""

    too_new_start: int | None = None
    too_old_end: int | None = None
    expired_end: int | None = None


def group_arn(account: str, region: str, name: str) -> str:
    return format_arn("logs", region, account, f"log-group:{name}")


def lambda_stream_name(clock: Clock, version: str) -> str:
    """A Lambda instance's log stream name, e.g. `2026/01/01/[$LATEST]` + 32 hex digits
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html)."""
    day = time.strftime("%Y/%m/%d", time.gmtime(clock.now()))
    return f"{day}/[{version}]{secrets.token_hex(16)}"


def lambda_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def group_from_row(row: Row) -> LogGroup:
    retention = row["retention_days"]
    return LogGroup(
        row["account"],
        row["region"],
        row["name"],
        int(row["created"]),
        None if retention is None else int(retention),
        int(row["stored_bytes"]),
    )


def stream_from_row(row: Row) -> LogStream:
    def opt(key: str) -> int | None:
        return None if row[key] is None else int(row[key])

    return LogStream(
        row["account"],
        row["region"],
        row["grp"],
        row["name"],
        int(row["created"]),
        opt("first_event"),
        opt("last_event"),
        opt("last_ingestion"),
        int(row["stored_bytes"]),
    )


def event_from_row(row: Row) -> StoredEvent:
    return StoredEvent(row["stream"], int(row["seq"]), int(row["ts"]), int(row["ingestion"]), row["message"])
