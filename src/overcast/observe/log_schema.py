"""The logs component's tables, as migration steps for `store.migrate("logs", STEPS)`, and the columns it reads.

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
    # Integer ids for groups and streams, so that each event's keys hold two integers instead of four
    # text columns (account, region, group, stream) in every index entry: storing an event cost about
    # half as much and its rows and index entries a third of the space. Rows that exist get ids by
    # rank (1, 2, ...); new ones get random ids in [2**62, 2**63) from LogStore.
    "ALTER TABLE log_groups ADD COLUMN id BIGINT;"
    "ALTER TABLE log_streams ADD COLUMN id BIGINT;"
    "UPDATE log_groups SET id = (SELECT COUNT(*) FROM log_groups g "
    "WHERE (g.account, g.region, g.name) <= (log_groups.account, log_groups.region, log_groups.name));"
    "UPDATE log_streams SET id = (SELECT COUNT(*) FROM log_streams s WHERE (s.account, s.region, s.grp, s.name) "
    "<= (log_streams.account, log_streams.region, log_streams.grp, log_streams.name));"
    "CREATE UNIQUE INDEX log_groups_id ON log_groups (id);"
    "CREATE UNIQUE INDEX log_streams_id ON log_streams (id);"
    # gid and sid are the ids of the event's group and stream; stream is the stream's name, which
    # FilterLogEvents returns and orders by (timestamp, stream name, sequence).
    "CREATE TABLE log_events_v2 (gid BIGINT NOT NULL, sid BIGINT NOT NULL, seq BIGINT NOT NULL, "
    "ts BIGINT NOT NULL, ingestion BIGINT NOT NULL, stream TEXT NOT NULL, message TEXT NOT NULL, "
    "PRIMARY KEY (sid, ts, seq));"
    "INSERT INTO log_events_v2 (gid, sid, seq, ts, ingestion, stream, message) "
    "SELECT g.id, s.id, e.seq, e.ts, e.ingestion, e.stream, e.message FROM log_events e "
    "JOIN log_streams s ON s.account = e.account AND s.region = e.region AND s.grp = e.grp AND s.name = e.stream "
    "JOIN log_groups g ON g.account = e.account AND g.region = e.region AND g.name = e.grp;"
    "DROP TABLE log_events;"
    "ALTER TABLE log_events_v2 RENAME TO log_events;"
    # GetLogEvents reads one stream by time (the primary key); FilterLogEvents and retention a group.
    "CREATE INDEX log_events_by_group ON log_events (gid, ts, stream, seq)",
]

GROUP_COLUMNS = "account, region, name, created, retention_days, stored_bytes"
STREAM_COLUMNS = "account, region, grp, name, created, first_event, last_event, last_ingestion, stored_bytes"
EVENT_COLUMNS = "stream, seq, ts, ingestion, message"
