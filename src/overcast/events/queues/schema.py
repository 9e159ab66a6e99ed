"""The SQS tables (one schema on SQLite and PostgreSQL): queue definitions; messages live on the bus."""

from __future__ import annotations

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
]
