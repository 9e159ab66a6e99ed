"""The sns component's tables, as migration steps for `store.migrate("sns", STEPS)`.

Attributes are JSON objects of what the caller set; the computed ones (Owner, counts, effective
policies) are added when read. Steps are identified by position: never change a released step.
"""

from __future__ import annotations

STEPS: list[str] = [
    "CREATE TABLE sns_topics (arn TEXT NOT NULL PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "name TEXT NOT NULL, attributes TEXT NOT NULL, data_protection TEXT NOT NULL, created DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX sns_topics_by_scope ON sns_topics (account, region, arn);"
    "CREATE TABLE sns_subscriptions (arn TEXT NOT NULL PRIMARY KEY, topic_arn TEXT NOT NULL, account TEXT NOT NULL, "
    "region TEXT NOT NULL, protocol TEXT NOT NULL, endpoint TEXT NOT NULL, attributes TEXT NOT NULL, "
    "token TEXT NOT NULL, confirmed BIGINT NOT NULL, created DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX sns_subscriptions_by_topic ON sns_subscriptions (topic_arn, arn);"
    "CREATE INDEX sns_subscriptions_by_scope ON sns_subscriptions (account, region, arn);"
    "CREATE INDEX sns_subscriptions_by_token ON sns_subscriptions (token)",
    # Publishing: FIFO sequence numbers and deduplication, the bus's use, and finished deliveries.
    "ALTER TABLE sns_topics ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;"
    "CREATE TABLE sns_fifo_dedup (topic_arn TEXT NOT NULL, dedup_id TEXT NOT NULL, message_id TEXT NOT NULL, "
    "sequence TEXT NOT NULL, expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (topic_arn, dedup_id));"
    "CREATE TABLE sns_bus (name TEXT NOT NULL PRIMARY KEY);"
    "CREATE TABLE sns_deliveries (id TEXT NOT NULL PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
    "topic_arn TEXT NOT NULL, subscription_arn TEXT NOT NULL, protocol TEXT NOT NULL, endpoint TEXT NOT NULL, "
    "message_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL, "
    "attempts BIGINT NOT NULL, time DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX sns_deliveries_by_account ON sns_deliveries (account, time)",
]
