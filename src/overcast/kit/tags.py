"""Tags of every service's resources: one table, AWS's limits checked inside the tagging transaction.

Every taggable resource of every service keeps its tags here, one row per tag, keyed by the
resource's ARN. A service resolves the ARN it was given to one of its own resources in the
caller's account (raising its own not-found error) and then calls `Tagging`'s tag / untag /
read inside the same transaction. Deleting a resource drops its tags (`drop`).

AWS's common rules (https://docs.aws.amazon.com/tag-editor/latest/userguide/best-practices-and-strats.html,
"Tag naming limits and requirements"): at most 50 user tags per resource, keys of 1-128 and
values of 0-256 characters, and keys beginning with `aws:` reserved for AWS (they can be neither
added nor removed). A service with other numbers or other error codes says so in its `TagRules`.

Wire shapes differ by service (a map, or a list of `{Key, Value}` / `{key, value}` pairs):
`from_pairs` / `to_pairs` convert; services keep the wire names in `api/services/`.

Concurrency: each tag set has a header row (the empty key, which no user tag can have) that a
change upserts first. On PostgreSQL that takes a row lock, so two transactions tagging one
resource run one after the other and the count of 50 holds (SQLite runs one transaction at a
time anyway).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass

from overcast.context import RequestContext
from overcast.errors import AwsError, InvalidParameterValue
from overcast.store import Queries, Store

SCHEMA = [
    "CREATE TABLE resource_tags (arn TEXT NOT NULL, tag_key TEXT NOT NULL, tag_value TEXT NOT NULL, "
    "PRIMARY KEY (arn, tag_key))",
]
_HEADER = ""  # the key of a tag set's header row
RESERVED_PREFIX = "aws:"

Resolve = Callable[[Queries, RequestContext, str], Awaitable[str]]  # an ARN -> the resource's own ARN


def _too_many(arn: str) -> AwsError:
    return InvalidParameterValue("Number of tags exceeds resource tag limit.")


def _invalid(message: str) -> AwsError:
    return InvalidParameterValue(message)


@dataclass(frozen=True, slots=True)
class TagRules:
    """One service's tagging limits and the errors it answers with."""

    too_many: Callable[[str], AwsError] = _too_many  # given the resource's ARN
    invalid: Callable[[str], AwsError] = _invalid  # given what is wrong
    most: int = 50
    key_length: int = 128
    value_length: int = 256
    reserved_message: str = "Tag keys that start with 'aws:' are reserved for AWS use."
    # A service that words a key or value of the wrong length its own way (given the key / the value);
    # None: `invalid` with the text below.
    bad_key: Callable[[str], AwsError] | None = None
    bad_value: Callable[[str], AwsError] | None = None

    def check(self, tags: Mapping[str, str]) -> None:
        """Each tag on its own (the count is checked against what the resource already has)."""
        for key, value in tags.items():
            self.check_key(key)
            if len(value) > self.value_length:
                if self.bad_value is not None:
                    raise self.bad_value(value)
                raise self.invalid(f"Tag value must be no longer than {self.value_length} characters: {value!r}")

    def check_key(self, key: str) -> None:
        if not 1 <= len(key) <= self.key_length:
            if self.bad_key is not None:
                raise self.bad_key(key)
            raise self.invalid(f"Tag key must be 1 to {self.key_length} characters long: {key!r}")
        if key.lower().startswith(RESERVED_PREFIX):
            raise self.invalid(self.reserved_message)


@dataclass(frozen=True, slots=True)
class Tagging:
    """TagResource / UntagResource / ListTags for one service: its resolver and its rules over the one table."""

    store: Store
    resolve: Resolve
    rules: TagRules = TagRules()

    async def tag(self, ctx: RequestContext, arn: str, tags: Mapping[str, str]) -> None:
        async with self.store.transaction() as tx:
            await add(tx, await self.resolve(tx, ctx, arn), tags, self.rules)

    async def untag(self, ctx: RequestContext, arn: str, keys: Iterable[str]) -> None:
        async with self.store.transaction() as tx:
            await remove(tx, await self.resolve(tx, ctx, arn), keys, self.rules)

    async def tags(self, ctx: RequestContext, arn: str) -> dict[str, str]:
        async with self.store.transaction() as tx:
            return await read(tx, await self.resolve(tx, ctx, arn))


async def read(q: Queries, arn: str) -> dict[str, str]:
    rows = await q.fetch_all(
        "SELECT tag_key, tag_value FROM resource_tags WHERE arn = ? AND tag_key <> ? ORDER BY tag_key", arn, _HEADER
    )
    return {row["tag_key"]: row["tag_value"] for row in rows}


async def add(tx: Queries, arn: str, tags: Mapping[str, str], rules: TagRules) -> None:
    """Add or overwrite tags; refused whole, changing nothing, when one is invalid or the total passes the limit."""
    rules.check(tags)
    if not tags:
        return
    await _lock(tx, arn)
    current = await read(tx, arn)
    if len(current.keys() | tags.keys()) > rules.most:
        raise rules.too_many(arn)
    await tx.execute_batch(
        [
            (
                "INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES (?, ?, ?) "
                "ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                (arn, key, value),
            )
            for key, value in tags.items()
        ]
    )


async def remove(tx: Queries, arn: str, keys: Iterable[str], rules: TagRules) -> None:
    """Remove tags by key; keys the resource does not have are ignored, as AWS ignores them."""
    keys = list(keys)
    for key in keys:
        rules.check_key(key)
    if keys:
        await _lock(tx, arn)
        await tx.execute_batch([("DELETE FROM resource_tags WHERE arn = ? AND tag_key = ?", (arn, k)) for k in keys])


async def drop(tx: Queries, arn: str) -> None:
    """Forget every tag of a resource that is being deleted."""
    await tx.execute("DELETE FROM resource_tags WHERE arn = ?", arn)


async def _lock(tx: Queries, arn: str) -> None:
    await tx.execute(
        "INSERT INTO resource_tags (arn, tag_key, tag_value) VALUES (?, ?, '') "
        "ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = resource_tags.tag_value",
        arn,
        _HEADER,
    )


def from_pairs(pairs: Iterable[Mapping[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    """A list of `{Key, Value}` pairs (or `{key, value}`: name the members) as a map; a missing value is ''."""
    return {pair[key]: pair.get(value, "") for pair in pairs}


def to_pairs(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in tags.items()]


async def migrate(store: Store) -> None:
    """Create the tags table; each service that tags calls this before its own migrations."""
    await store.migrate("tags", SCHEMA)
