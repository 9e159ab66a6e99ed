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
]
