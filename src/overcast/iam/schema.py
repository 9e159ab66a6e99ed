"""The iam component's tables, as migration steps for `store.migrate("iam", STEPS)`.

IAM is global: its rows are keyed by account alone, with no region column, so every region of an
account sees one set of roles and policies. Names are unique per account regardless of case (IAM's
rule), so each table keys on `name_key`, the lowercased name, and keeps the name as it was given.
Times are epoch milliseconds. Steps are identified by position: never change a released step.
"""

from __future__ import annotations

STEPS: list[str] = [
    "CREATE TABLE iam_roles (account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, "
    "id TEXT NOT NULL, path TEXT NOT NULL, trust_policy TEXT NOT NULL, description TEXT, "
    "max_session BIGINT NOT NULL, created BIGINT NOT NULL, boundary TEXT, PRIMARY KEY (account, name_key));"
    "CREATE TABLE iam_role_policies (account TEXT NOT NULL, role_key TEXT NOT NULL, name TEXT NOT NULL, "
    "document TEXT NOT NULL, PRIMARY KEY (account, role_key, name));"
    "CREATE TABLE iam_policies (account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, "
    "id TEXT NOT NULL, path TEXT NOT NULL, description TEXT, default_version BIGINT NOT NULL, "
    "next_version BIGINT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL, "
    "PRIMARY KEY (account, name_key));"
    "CREATE TABLE iam_policy_versions (account TEXT NOT NULL, policy_key TEXT NOT NULL, version BIGINT NOT NULL, "
    "document TEXT NOT NULL, created BIGINT NOT NULL, PRIMARY KEY (account, policy_key, version));"
    # policy_arn is an AWS managed policy's ARN or one of the account's own (arn:<partition>:iam::<account>:policy/...)
    "CREATE TABLE iam_role_attachments (account TEXT NOT NULL, role_key TEXT NOT NULL, policy_arn TEXT NOT NULL, "
    "PRIMARY KEY (account, role_key, policy_arn));"
    "CREATE INDEX iam_role_attachments_by_policy ON iam_role_attachments (account, policy_arn, role_key);"
    "CREATE TABLE iam_instance_profiles (account TEXT NOT NULL, name_key TEXT NOT NULL, name TEXT NOT NULL, "
    "id TEXT NOT NULL, path TEXT NOT NULL, created BIGINT NOT NULL, role_key TEXT, "
    "PRIMARY KEY (account, name_key));"
    "CREATE INDEX iam_instance_profiles_by_role ON iam_instance_profiles (account, role_key)",
]
