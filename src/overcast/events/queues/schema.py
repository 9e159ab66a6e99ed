"""The SQS tables (one schema on SQLite and PostgreSQL): queue definitions and message move tasks; messages live
on the bus."""

from __future__ import annotations

from overcast.store import Queries
from overcast.store.migrations import version

STEPS: list[str] = [
    """
    CREATE TABLE sqs_queues (
        arn TEXT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        modified DOUBLE PRECISION NOT NULL
    );
    CREATE UNIQUE INDEX sqs_queues_scope ON sqs_queues (account, region, name)
    """,
    """
    CREATE TABLE sqs_deduplication (
        queue_id TEXT NOT NULL,
        dedup_key TEXT NOT NULL,
        answer TEXT NOT NULL,
        expires DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (queue_id, dedup_key)
    )
    """,
    """
    CREATE TABLE sqs_move_tasks (
        handle TEXT PRIMARY KEY,
        source_arn TEXT NOT NULL,
        ordinal INTEGER NOT NULL,
        destination_arn TEXT,
        rate INTEGER,
        to_move INTEGER NOT NULL,
        started BIGINT NOT NULL,
        moved INTEGER NOT NULL,
        status TEXT NOT NULL,
        failure TEXT
    );
    CREATE UNIQUE INDEX sqs_move_tasks_order ON sqs_move_tasks (source_arn, ordinal);
    CREATE UNIQUE INDEX sqs_move_tasks_active ON sqs_move_tasks (source_arn) WHERE status IN ('RUNNING', 'CANCELLING')
    """,
]
MOVE_TASKS_STEP = 3  # the schema version from which sqs_move_tasks exists


async def moves_left_running(store: Queries) -> bool:
    """Whether an earlier run left a message move task running (read without building SQS: at start, once
    `components` has found SQS's tables)."""
    if await version(store, "sqs") < MOVE_TASKS_STEP:
        return False
    return await store.fetch_one("SELECT handle FROM sqs_move_tasks WHERE status = ? LIMIT 1", "RUNNING") is not None
