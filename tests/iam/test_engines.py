"""IAM's domain on both store engines: every statement it runs, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from overcast import iam
from overcast.clock import FakeClock
from overcast.context import RequestContext
from overcast.iam.errors import DeleteConflict, NoSuchEntity
from overcast.store import Store

TRUST = json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "x"}, "Action": "sts:AssumeRole"}]})
DOC = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
A = RequestContext(account_id="111111111111")
A_WEST = RequestContext(account_id="111111111111", region="eu-west-1")
B = RequestContext(account_id="222222222222")


@pytest.fixture(params=["sqlite_store", "pg_store"])
def store(request: pytest.FixtureRequest) -> Store:
    found: Store = request.getfixturevalue(request.param)
    return found


async def test_roles_policies_and_profiles_on_each_engine(store: Store) -> None:
    s = await iam.build(store, FakeClock())
    for n in range(3):
        await s.roles.create(A, f"Role{n}", TRUST, path="/a_b/", role_tags={"n": str(n)})
    await s.roles.create(A, "other", TRUST, path="/axb/")  # `_` in a prefix is no wildcard
    first, marker = await s.roles.page(A_WEST, "/a_b/", 2, None)
    rest, end = await s.roles.page(A_WEST, "/a_b/", 2, marker)
    assert [r.name for r in first + rest] == ["Role0", "Role1", "Role2"] and end is None
    assert (await s.roles.page(B, None, None, None))[0] == []
    await s.roles.update(A, "role1", "described", 7200)
    await s.roles.update_trust(A, "ROLE1", TRUST)
    got = await s.roles.get(A, "Role1")
    assert (got.description, got.max_session, got.tags) == ("described", 7200, {"n": "1"})
    await s.roles.set_boundary(A, "ROLE1", BASIC)
    assert (await s.roles.get(A, "Role1")).boundary == BASIC
    await s.roles.set_boundary(A, "Role1", None)
    assert (await s.roles.get(A, "Role1")).boundary is None

    await s.roles.put_policy(A, "Role1", "inline", DOC)
    assert (await s.roles.policy_names(A, "Role1", None, None))[0] == ["inline"]
    with pytest.raises(DeleteConflict):
        await s.roles.delete(A, "Role1")
    await s.roles.delete_policy(A, "Role1", "inline")

    policy = await s.policies.create(A, "P", DOC, path="/p/")
    await s.policies.create_version(A, policy.arn, DOC, make_default=True)
    assert [v.version for v in (await s.policies.versions(A, policy.arn, None, None))[0]] == ["v2", "v1"]
    await s.policies.set_default(A, policy.arn, "v1")
    await s.policies.delete_version(A, policy.arn, "v2")
    await s.attachments.attach(A, "Role1", policy.arn)
    await s.attachments.attach(A, "Role1", BASIC)
    assert {arn for _, arn in (await s.attachments.attached(A, "Role1", None, None, None))[0]} == {policy.arn, BASIC}
    assert [r.name for r in (await s.attachments.roles_of(A, BASIC, None, None, None))[0]] == ["Role1"]
    listed, _ = await s.policies.page(A, "All", True, None, None, None)
    assert {(p.arn, p.attachments) for p in listed} == {(policy.arn, 1), (BASIC, 1)}
    assert (await s.policies.get(B, BASIC)).attachments == 0  # another account's attachments are its own
    with pytest.raises(DeleteConflict):
        await s.policies.delete(A, policy.arn)
    await s.attachments.detach(A, "Role1", policy.arn)
    await s.attachments.detach(A, "Role1", BASIC)
    await s.policies.delete(A, policy.arn)

    await s.profiles.create(A, "Profile", "/i/")
    await s.profiles.add_role(A, "Profile", "Role1")
    for_role, _ = await s.profiles.page(A, None, None, None, role="Role1")
    assert [p.name for p in for_role] == ["Profile"] and [r.name for r in for_role[0].roles] == ["Role1"]
    await s.profiles.remove_role(A, "Profile", "Role1")
    await s.profiles.delete(A, "Profile")
    await s.roles.delete(A, "Role1")
    with pytest.raises(NoSuchEntity):
        await s.roles.get(A, "Role1")
