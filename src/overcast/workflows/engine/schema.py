"""The Step Functions tables (one schema on SQLite and PostgreSQL); steps never change once released.

JSON-valued columns hold JSON text. Executions keep a copy of the config they run (what
DescribeStateMachineForExecution reports). `sfn_journal` holds each effect result of a Standard
execution by its deterministic key, so a replay after a crash never re-runs a completed effect.
"""

from __future__ import annotations

STEPS: list[str] = [
    """
    CREATE TABLE sfn_machines (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        revision_id TEXT NOT NULL,
        next_version BIGINT NOT NULL
    );
    CREATE INDEX sfn_machines_scope ON sfn_machines (account, region, name);
    CREATE TABLE sfn_versions (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        version BIGINT NOT NULL,
        config TEXT NOT NULL,
        revision_id TEXT NOT NULL,
        description TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX sfn_versions_machine ON sfn_versions (machine_arn, version);
    CREATE TABLE sfn_aliases (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT NOT NULL,
        routing TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX sfn_aliases_machine ON sfn_aliases (machine_arn, name);
    CREATE TABLE sfn_tags (
        resource_arn TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        tag_value TEXT NOT NULL,
        PRIMARY KEY (resource_arn, tag_key)
    );
    CREATE TABLE sfn_activities (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL
    );
    CREATE TABLE sfn_executions (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        start_date DOUBLE PRECISION NOT NULL,
        config TEXT NOT NULL,
        version_arn TEXT,
        alias_arn TEXT,
        output TEXT,
        error TEXT,
        cause TEXT,
        stop_date DOUBLE PRECISION,
        trace_header TEXT,
        redrive_count BIGINT NOT NULL,
        redrive_date DOUBLE PRECISION,
        seq BIGINT NOT NULL
    );
    CREATE INDEX sfn_executions_machine ON sfn_executions (machine_arn, seq);
    CREATE INDEX sfn_executions_status ON sfn_executions (status);
    CREATE TABLE sfn_history (
        execution_arn TEXT NOT NULL,
        id BIGINT NOT NULL,
        type TEXT NOT NULL,
        ts DOUBLE PRECISION NOT NULL,
        previous_id BIGINT NOT NULL,
        details TEXT,
        PRIMARY KEY (execution_arn, id)
    );
    CREATE TABLE sfn_journal (
        execution_arn TEXT NOT NULL,
        effect_key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (execution_arn, effect_key)
    );
    CREATE TABLE sfn_tasks (
        token TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        effect_key TEXT NOT NULL,
        activity_arn TEXT,
        input TEXT,
        status TEXT NOT NULL,
        created DOUBLE PRECISION NOT NULL,
        worker TEXT,
        result TEXT
    );
    CREATE INDEX sfn_tasks_activity ON sfn_tasks (activity_arn, status, created);
    CREATE INDEX sfn_tasks_execution ON sfn_tasks (execution_arn)
    """,
    # The last SendTaskHeartbeat of a waiting task, so a replay keeps counting HeartbeatSeconds from it.
    """
    ALTER TABLE sfn_tasks ADD COLUMN beat DOUBLE PRECISION
    """,
    # Tags move to the kit's table, shared by every service (its component, "tags", migrates first).
    """
    INSERT INTO resource_tags (arn, tag_key, tag_value) SELECT resource_arn, tag_key, tag_value FROM sfn_tags;
    DROP TABLE sfn_tags
    """,
    # An activity's EncryptionConfiguration (JSON; NULL: AWS owned key).
    """
    ALTER TABLE sfn_activities ADD COLUMN encryption TEXT
    """,
    # The revision an execution runs and when it was made (DescribeStateMachineForExecution's revisionId
    # and updateDate; NULL revision_id: the state machine's first revision).
    """
    ALTER TABLE sfn_executions ADD COLUMN revision_id TEXT;
    ALTER TABLE sfn_executions ADD COLUMN revised DOUBLE PRECISION
    """,
    # Distributed Map runs (DescribeMapRun, ListMapRuns): settings UpdateMapRun may change, the counts of their
    # child executions and items by how they ended (e_*: executions, i_*: items), and the redrive count of the
    # parent execution the run last (re)started in. A STANDARD child is an execution of its own, tied to its
    # Map Run with the number of items its input holds.
    """
    CREATE TABLE sfn_map_runs (
        arn TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        machine_arn TEXT NOT NULL,
        execution_type TEXT NOT NULL,
        status TEXT NOT NULL,
        start_date DOUBLE PRECISION NOT NULL,
        stop_date DOUBLE PRECISION,
        max_concurrency BIGINT NOT NULL,
        tolerated_percentage DOUBLE PRECISION,
        tolerated_count BIGINT,
        executions_total BIGINT NOT NULL,
        items_total BIGINT NOT NULL,
        e_succeeded BIGINT NOT NULL DEFAULT 0,
        e_failed BIGINT NOT NULL DEFAULT 0,
        e_timed_out BIGINT NOT NULL DEFAULT 0,
        e_aborted BIGINT NOT NULL DEFAULT 0,
        i_succeeded BIGINT NOT NULL DEFAULT 0,
        i_failed BIGINT NOT NULL DEFAULT 0,
        i_timed_out BIGINT NOT NULL DEFAULT 0,
        i_aborted BIGINT NOT NULL DEFAULT 0,
        redrive_count BIGINT NOT NULL DEFAULT 0,
        redrive_date DOUBLE PRECISION,
        parent_redrives BIGINT NOT NULL,
        seq BIGINT NOT NULL
    );
    CREATE INDEX sfn_map_runs_execution ON sfn_map_runs (execution_arn, seq);
    ALTER TABLE sfn_executions ADD COLUMN map_run_arn TEXT;
    ALTER TABLE sfn_executions ADD COLUMN item_count BIGINT;
    CREATE INDEX sfn_executions_map_run ON sfn_executions (map_run_arn, seq)
    """,
]
