"""IAM: roles, managed and inline policies, instance profiles and their attachments, one set per account.

Stored with their documents and answered as IAM answers; nothing is enforced yet (a role's policies do
not limit what a function using it may call: enforcement comes with a later issue).
"""

from __future__ import annotations

from dataclasses import dataclass

from overcast.clock import Clock
from overcast.iam.attachments import Attachments
from overcast.iam.policies import Policies
from overcast.iam.profiles import InstanceProfiles
from overcast.iam.roles import Roles
from overcast.iam.schema import STEPS
from overcast.kit import tags
from overcast.store import Store


@dataclass(frozen=True, slots=True)
class Iam:
    roles: Roles
    policies: Policies
    attachments: Attachments
    profiles: InstanceProfiles


async def build(store: Store, clock: Clock) -> Iam:
    """IAM's services over `store`, its tables migrated."""
    await tags.migrate(store)
    await store.migrate("iam", STEPS)
    return Iam(Roles(store, clock), Policies(store, clock), Attachments(store), InstanceProfiles(store, clock))
