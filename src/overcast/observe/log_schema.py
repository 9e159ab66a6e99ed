"""The logs component's tables, as migration steps for `store.migrate("logs", STEPS)`.

Steps are identified by position: never change a released step, append new ones. Times are
epoch milliseconds.
"""

from __future__ import annotations

STEPS: list[str] = [
    "CREATE TABLE log_groups (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "created BIGINT NOT NULL, retention_days BIGINT, stored_bytes BIGINT NOT NULL, "
    "PRIMARY KEY (account, region, name));"
    # next_seq numbers the stream's events in the order they were stored.
    "CREATE TABLE log_streams (account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, "
    "name TEXT NOT NULL, created BIGINT NOT NULL, first_event BIGINT, last_event BIGINT, "
    "last_ingestion BIGINT, stored_bytes BIGINT NOT NULL, next_seq BIGINT NOT NULL, "
    "PRIMARY KEY (account, region, grp, name));"
    "CREATE TABLE log_events (account TEXT NOT NULL, region TEXT NOT NULL, grp TEXT NOT NULL, "
    "stream TEXT NOT NULL, seq BIGINT NOT NULL, ts BIGINT NOT NULL, ingestion BIGINT NOT NULL, "
    "message TEXT NOT NULL, PRIMARY KEY (account, region, grp, stream, seq));"
    # GetLogEvents reads one stream by time; FilterLogEvents reads a whole group by time.
    "CREATE INDEX log_events_stream_time ON log_events (account, region, grp, stream, ts, seq);"
    "CREATE INDEX log_events_group_time ON log_events (account, region, grp, ts, stream, seq)",
]
