"""Event source mappings' tables, as migration steps for `store.migrate("mappings", STEPS)`; never change a step."""

from __future__ import annotations

from overcast.store import MigrationStep

STEPS: list[MigrationStep] = [
    # One row per mapping; settings is records.Settings as JSON. A queue and a function are mapped at most once.
    "CREATE TABLE event_source_mappings (uuid TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "event_source_arn TEXT NOT NULL, function_arn TEXT NOT NULL, enabled BIGINT NOT NULL, state TEXT NOT NULL, "
    "reason TEXT NOT NULL, settings TEXT NOT NULL, last_modified DOUBLE PRECISION NOT NULL, "
    "last_result TEXT NOT NULL);"
    "CREATE UNIQUE INDEX event_source_mappings_pair ON event_source_mappings "
    "(account, region, event_source_arn, function_arn)",
]
