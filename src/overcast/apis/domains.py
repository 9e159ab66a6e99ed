"""Custom domain names: one resource both API Gateway control planes share, with its API mappings.

A domain name is made and read through either API (`apigateway` DomainName with base path mappings,
`apigatewayv2` DomainName with API mappings) and is the same resource: "You can map HTTP and REST API
stages to the same custom domain name", and a mapping made through one is listed by the other
(https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-mappings.html,
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-mappings.html). So a mapping is
kept once, keyed by its path (`key`, "" for the root, which v1 writes "(none)"), naming an API and a
stage (a REST mapping may leave the stage out: the caller then names it in the path).

Certificates are accepted as given and not checked (ACM is not in Overcast yet), and every domain is
AVAILABLE at once. Each change is one transaction, after which `hosts` (the data plane's map of Host
name -> mappings, longest key first, `domain_hosts.HostMap`) is rebuilt from the store, so serving a
request costs a dict lookup or two (a wildcard name, `*.example.com`, serves the one-label names under
it that no domain names exactly). A domain is also reachable as `<name>.localhost`, which resolves to
the loopback without a hosts-file entry.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from overcast.apis.domain_hosts import HostMap
from overcast.apis.domain_hosts import Route as Route  # the data plane's, beside the domains it serves
from overcast.apis.domain_hosts import select_route as select_route
from overcast.apis.errors import TAG_RULES, Conflict, NotFound
from overcast.apis.ip_address_types import check_ip_address_type
from overcast.apis.restapi import codec
from overcast.apis.restapi.ids import new_id
from overcast.arn import format_arn
from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import BadRequest
from overcast.kit import tags
from overcast.store import MigrationStep, Queries, Row, Store

STEPS: list[MigrationStep] = [
    # One row per domain name in an account and region; body is the Domain record as JSON.
    "CREATE TABLE apidomains_names (account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, "
    "body TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, PRIMARY KEY (account, region, name))",
    # A domain's API mappings (v1's base path mappings are the same rows); mapping_key is "" for the root.
    "CREATE TABLE apidomains_mappings (account TEXT NOT NULL, region TEXT NOT NULL, domain TEXT NOT NULL, "
    "mapping_id TEXT NOT NULL, mapping_key TEXT NOT NULL, api_id TEXT NOT NULL, stage TEXT NOT NULL, "
    "created DOUBLE PRECISION NOT NULL, PRIMARY KEY (account, region, domain, mapping_id));"
    "CREATE UNIQUE INDEX apidomains_mappings_key ON apidomains_mappings (account, region, domain, mapping_key)",
]

# The Route 53 hosted zone of each region's regional API Gateway endpoints
# (https://docs.aws.amazon.com/general/latest/gr/apigateway.html); other regions are given us-east-1's.
HOSTED_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "ap-south-1": "Z3VO1THU9YC4UR",
}
# Edge-optimized domains are CloudFront distributions, all in this zone (API_DomainName: distributionHostedZoneId).
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"
ENDPOINT_TYPES = ("REGIONAL", "EDGE", "PRIVATE")
# The TLS policies API Gateway offers (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-security-policies-list.html).
SECURITY_POLICIES = (
    "TLS_1_0", "TLS_1_2", "SecurityPolicy_TLS13_1_3_2025_09", "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
    "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_Ext2_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_Ext2_FIPS_PQ_2025_09", "SecurityPolicy_TLS13_1_2_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_2021_06", "SecurityPolicy_TLS13_2025_EDGE", "SecurityPolicy_TLS12_PFS_2025_EDGE",
    "SecurityPolicy_TLS12_2018_EDGE",
)  # fmt: skip
# Routing modes in v1's words; v2 says API mapping where v1 says base path mapping.
ROUTING_MODES = ("BASE_PATH_MAPPING_ONLY", "ROUTING_RULE_ONLY", "ROUTING_RULE_THEN_BASE_PATH_MAPPING")
# A host name: labels of letters, digits and hyphens, optionally a leading wildcard label.
_NAME = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$")
_KEY = re.compile(r"^[A-Za-z0-9$\-_.+!*'(),]+(/[A-Za-z0-9$\-_.+!*'(),]+)*$")


@dataclass(frozen=True, slots=True)
class MutualTls:
    truststore_uri: str | None = None
    truststore_version: str | None = None


@dataclass(frozen=True, slots=True)
class Domain:
    """A custom domain name as both APIs describe it (v1's member names, snake_case)."""

    domain_name: str
    domain_name_arn: str = ""
    endpoint_type: str = "REGIONAL"
    certificate_name: str | None = None
    certificate_arn: str | None = None
    certificate_upload_date: float | None = None
    regional_certificate_name: str | None = None
    regional_certificate_arn: str | None = None
    regional_domain_name: str | None = None
    regional_hosted_zone_id: str | None = None
    distribution_domain_name: str | None = None
    distribution_hosted_zone_id: str | None = None
    domain_name_status: str = "AVAILABLE"
    security_policy: str = "TLS_1_2"
    mutual_tls_authentication: MutualTls | None = None
    ownership_verification_certificate_arn: str | None = None
    routing_mode: str = "BASE_PATH_MAPPING_ONLY"
    created: float = 0.0
    ip_address_type: str = "ipv4"


@dataclass(frozen=True, slots=True)
class ApiMapping:
    """One API mapping (v1: base path mapping) of a domain: `key` "" is the root."""

    mapping_id: str
    key: str
    api_id: str
    stage: str  # "" only for a REST mapping made without a stage


# Whether `api_id` is an API of the caller's with `stage`: None when there is no such API, else whether
# the stage exists (the composition root answers from both control planes).
StageCheck = Callable[[RequestContext, str, str], Awaitable[bool | None]]


def domain_not_found() -> NotFound:
    return NotFound("Invalid domain name identifier specified")


def mapping_not_found() -> NotFound:
    return NotFound("Invalid base path mapping identifier specified")


def _domain_id() -> str:
    """AWS's `d-` + 10 characters id of a regional endpoint (its regionalDomainName's first label)."""
    return "d-" + new_id(10)


def check_name(name: str) -> str:
    lowered = name.strip().lower()
    if not lowered or len(lowered) > 253 or not _NAME.match(lowered):
        raise BadRequest(f"Invalid domain name identifier specified: {name}")
    return lowered


def check_key(key: str) -> str:
    """A mapping key or base path: "" (or v1's "(none)") for the root, else path segments without slashes
    at either end (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateBasePathMapping.html)."""
    if key in ("", "(none)"):
        return ""
    if len(key) > 256 or not _KEY.match(key):
        raise BadRequest(f"Invalid base path: {key}")
    return key


def new_domain(
    ctx: RequestContext,
    name: str,
    *,
    endpoint_type: str | None,
    certificate_name: str | None = None,
    certificate_arn: str | None = None,
    regional_certificate_name: str | None = None,
    regional_certificate_arn: str | None = None,
    security_policy: str | None = None,
    mutual_tls: MutualTls | None = None,
    ownership_verification_certificate_arn: str | None = None,
    routing_mode: str | None = None,
    ip_address_type: str | None = None,
    now: float = 0.0,
) -> Domain:
    """A new domain as AWS makes it. Without an endpoint type, a domain given only an edge certificate is
    EDGE and any other REGIONAL (https://docs.aws.amazon.com/apigateway/latest/api/API_CreateDomainName.html)."""
    name = check_name(name)
    if endpoint_type is None:
        edge = (certificate_arn or certificate_name) and not (regional_certificate_arn or regional_certificate_name)
        endpoint_type = "EDGE" if edge else "REGIONAL"
    if endpoint_type not in ENDPOINT_TYPES:
        raise BadRequest(f"Invalid endpoint configuration type: {endpoint_type}")
    if security_policy is not None and security_policy not in SECURITY_POLICIES:
        raise BadRequest(f"Invalid security policy: {security_policy}")
    domain = Domain(
        domain_name=name,
        domain_name_arn=format_arn("apigateway", ctx.region, "", f"/domainnames/{name}"),
        endpoint_type=endpoint_type,
        certificate_name=certificate_name,
        certificate_arn=certificate_arn,
        regional_certificate_name=regional_certificate_name,
        regional_certificate_arn=regional_certificate_arn,
        security_policy=security_policy or "TLS_1_2",
        mutual_tls_authentication=mutual_tls,
        ownership_verification_certificate_arn=ownership_verification_certificate_arn,
        routing_mode=routing_mode or "BASE_PATH_MAPPING_ONLY",
        created=now,
        ip_address_type=check_ip_address_type(ip_address_type, endpoint_type),
    )
    return with_endpoint(ctx.region, domain, now)



def with_endpoint(region: str, domain: Domain, now: float) -> Domain:
    """`domain` with the target names of its endpoint type: a regional `d-...execute-api` name and its
    zone, or an edge-optimized CloudFront distribution's."""
    if domain.endpoint_type == "EDGE":
        distribution = domain.distribution_domain_name or f"d{secrets.token_hex(6)[:13]}.cloudfront.net"
        return dataclasses.replace(
            domain,
            distribution_domain_name=distribution,
            distribution_hosted_zone_id=CLOUDFRONT_ZONE,
            regional_domain_name=None,
            regional_hosted_zone_id=None,
            certificate_upload_date=domain.certificate_upload_date or (now if domain.certificate_arn else None),
        )
    regional = domain.regional_domain_name or f"{_domain_id()}.execute-api.{region}.amazonaws.com"
    return dataclasses.replace(
        domain,
        regional_domain_name=regional,
        regional_hosted_zone_id=HOSTED_ZONES.get(region, HOSTED_ZONES["us-east-1"]),
        distribution_domain_name=None,
        distribution_hosted_zone_id=None,
    )


def _domain_of(row: Row) -> Domain:
    return codec.load(Domain, row["body"])


def _mapping_of(row: Row) -> ApiMapping:
    return ApiMapping(row["mapping_id"], row["mapping_key"], row["api_id"], row["stage"])


async def domain_exists(q: Queries, ctx: RequestContext, name: str) -> bool:
    """Whether the caller has this domain name (for its tags' ARN)."""
    found = await q.fetch_one(
        "SELECT name FROM apidomains_names WHERE account = ? AND region = ? AND name = ?",
        ctx.account_id, ctx.region, name.lower(),
    )  # fmt: skip
    return found is not None


async def any_domain(store: Store) -> bool:
    """Whether a custom domain name exists in any account (the edge must know its hosts from the start)."""
    return await store.fetch_one("SELECT name FROM apidomains_names LIMIT 1") is not None


class Domains:
    """The custom domain names of every account and region, and the data plane's host map (`hosts`)."""

    def __init__(self, store: Store, clock: Clock, stage_check: StageCheck) -> None:
        self.store = store
        self.clock = clock
        self._stage_check = stage_check
        # Host name (lowercase bytes, also `<name>.localhost`) -> its routes, longest key first.
        self.hosts = HostMap()
        # One rebuild at a time, each reading the store after the one before it was applied, so the map
        # left by concurrent changes is the one read last, after all of them.
        self._rebuilding = asyncio.Lock()

    async def start(self) -> None:
        await tags.migrate(self.store)
        await self.store.migrate("apidomains", STEPS)
        await self._refresh()

    # -- domain names -----------------------------------------------------------------------------

    async def create(self, ctx: RequestContext, domain: Domain, tagged: Mapping[str, str] | None = None) -> Domain:
        """A new domain name, its tags in the kit's table under its ARN."""
        async with self.store.transaction() as tx:
            if await self._row(tx, ctx, domain.domain_name) is not None:
                raise Conflict("The domain name you provided already exists.")
            if domain.domain_name.startswith("*.") and await _claimed_elsewhere(tx, ctx, domain.domain_name):
                raise Conflict("The domain name you provided conflicts with a domain name of another account.")
            await tags.add(tx, domain.domain_name_arn, tagged or {}, TAG_RULES)
            await tx.execute(
                "INSERT INTO apidomains_names (account, region, name, body, created) VALUES (?, ?, ?, ?, ?)",
                ctx.account_id, ctx.region, domain.domain_name, codec.dump(domain), domain.created,
            )  # fmt: skip
        await self._refresh()
        return domain

    async def tags_of(self, domain: Domain) -> dict[str, str]:
        return await tags.read(self.store, domain.domain_name_arn)

    async def get(self, ctx: RequestContext, name: str) -> Domain:
        row = await self._row(self.store, ctx, name.lower())
        if row is None:
            raise domain_not_found()
        return _domain_of(row)

    async def all(self, ctx: RequestContext) -> list[Domain]:
        rows = await self.store.fetch_all(
            "SELECT body FROM apidomains_names WHERE account = ? AND region = ? ORDER BY name",
            ctx.account_id, ctx.region,
        )  # fmt: skip
        return [_domain_of(row) for row in rows]

    async def update(self, ctx: RequestContext, name: str, change: Callable[[Domain], Domain]) -> Domain:
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, name.lower())
            if row is None:
                raise domain_not_found()
            before = _domain_of(row)
            changed = with_endpoint(ctx.region, change(before), self.clock.now())
            if changed.endpoint_type not in ENDPOINT_TYPES:
                raise BadRequest(f"Invalid endpoint configuration type: {changed.endpoint_type}")
            if changed.security_policy not in SECURITY_POLICIES:
                raise BadRequest(f"Invalid security policy: {changed.security_policy}")
            check_ip_address_type(changed.ip_address_type, changed.endpoint_type)
            await tx.execute(
                "UPDATE apidomains_names SET body = ? WHERE account = ? AND region = ? AND name = ?",
                codec.dump(changed), ctx.account_id, ctx.region, before.domain_name,
            )  # fmt: skip
        return changed

    async def delete(self, ctx: RequestContext, name: str) -> None:
        """Delete a domain name, and its mappings and tags with it."""
        name = name.lower()
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, name)
            if row is None:
                raise domain_not_found()
            await tags.drop(tx, _domain_of(row).domain_name_arn)
            where = "WHERE account = ? AND region = ? AND "
            await tx.execute(f"DELETE FROM apidomains_mappings {where}domain = ?", ctx.account_id, ctx.region, name)
            await tx.execute(f"DELETE FROM apidomains_names {where}name = ?", ctx.account_id, ctx.region, name)
        await self._refresh()

    # -- mappings ---------------------------------------------------------------------------------

    async def map(self, ctx: RequestContext, name: str, key: str, api_id: str, stage: str) -> ApiMapping:
        """A new mapping of `key` ("" for the root) to an API's stage ("" for a REST mapping without one)."""
        name, key = name.lower(), check_key(key)
        await self._check_target(ctx, api_id, stage)
        made = ApiMapping(_mapping_id(), key, api_id, stage)
        async with self.store.transaction() as tx:
            if await self._row(tx, ctx, name) is None:
                raise domain_not_found()
            if await self._mapping_row(tx, ctx, name, key=key) is not None:
                raise Conflict("Base path already exists for this domain name")
            await tx.execute(
                "INSERT INTO apidomains_mappings (account, region, domain, mapping_id, mapping_key, api_id, stage, "
                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ctx.account_id, ctx.region, name, made.mapping_id, key, api_id, stage, self.clock.now(),
            )  # fmt: skip
        await self._refresh()
        return made

    async def mapping(
        self, ctx: RequestContext, name: str, *, key: str | None = None, mapping_id: str = ""
    ) -> ApiMapping:
        """A domain's mapping by its key (v1's base path) or its id (v2's ApiMappingId)."""
        name = name.lower()
        if await self._row(self.store, ctx, name) is None:
            raise domain_not_found()
        row = await self._mapping_row(
            self.store, ctx, name, key=None if key is None else check_key(key), mapping_id=mapping_id
        )
        if row is None:
            raise mapping_not_found()
        return _mapping_of(row)

    async def mappings(self, ctx: RequestContext, name: str) -> list[ApiMapping]:
        name = name.lower()
        if await self._row(self.store, ctx, name) is None:
            raise domain_not_found()
        rows = await self.store.fetch_all(
            "SELECT mapping_id, mapping_key, api_id, stage FROM apidomains_mappings "
            "WHERE account = ? AND region = ? AND domain = ? ORDER BY mapping_key",
            ctx.account_id, ctx.region, name,
        )  # fmt: skip
        return [_mapping_of(row) for row in rows]

    async def remap(
        self, ctx: RequestContext, name: str, found: ApiMapping, change: Callable[[ApiMapping], ApiMapping]
    ) -> ApiMapping:
        """`found` (read by `mapping`) changed: its key, API or stage."""
        name = name.lower()
        changed = change(found)
        changed = dataclasses.replace(changed, key=check_key(changed.key))
        await self._check_target(ctx, changed.api_id, changed.stage)
        async with self.store.transaction() as tx:
            if changed.key != found.key and await self._mapping_row(tx, ctx, name, key=changed.key) is not None:
                raise Conflict("Base path already exists for this domain name")
            updated = await tx.execute(
                "UPDATE apidomains_mappings SET mapping_key = ?, api_id = ?, stage = ? "
                "WHERE account = ? AND region = ? AND domain = ? AND mapping_id = ?",
                changed.key, changed.api_id, changed.stage, ctx.account_id, ctx.region, name, found.mapping_id,
            )  # fmt: skip
            if not updated:
                raise mapping_not_found()
        await self._refresh()
        return changed

    async def unmap(self, ctx: RequestContext, name: str, found: ApiMapping) -> None:
        await self.store.execute(
            "DELETE FROM apidomains_mappings WHERE account = ? AND region = ? AND domain = ? AND mapping_id = ?",
            ctx.account_id, ctx.region, name.lower(), found.mapping_id,
        )  # fmt: skip
        await self._refresh()

    # -- internals --------------------------------------------------------------------------------

    async def _check_target(self, ctx: RequestContext, api_id: str, stage: str) -> None:
        found = await self._stage_check(ctx, api_id, stage)
        if found is None:
            raise NotFound("Invalid REST API identifier specified")
        if stage and not found:
            raise BadRequest("Invalid stage identifier specified")

    async def _row(self, q: Queries | Store, ctx: RequestContext, name: str) -> Row | None:
        return await q.fetch_one(
            "SELECT body FROM apidomains_names WHERE account = ? AND region = ? AND name = ?",
            ctx.account_id, ctx.region, name,
        )  # fmt: skip

    async def _mapping_row(
        self, q: Queries | Store, ctx: RequestContext, name: str, *, key: str | None = None, mapping_id: str = ""
    ) -> Row | None:
        column, value = ("mapping_key", key) if key is not None else ("mapping_id", mapping_id)
        return await q.fetch_one(
            "SELECT mapping_id, mapping_key, api_id, stage FROM apidomains_mappings "
            f"WHERE account = ? AND region = ? AND domain = ? AND {column} = ?",
            ctx.account_id, ctx.region, name, value,
        )  # fmt: skip

    async def _refresh(self) -> None:
        """Rebuild `hosts` from the store. A name in several accounts or regions is served by the oldest
        owner's mapping of each key."""
        async with self._rebuilding:
            await self._rebuild()

    async def _rebuild(self) -> None:
        rows = await self.store.fetch_all(
            "SELECT n.name, m.mapping_key, m.api_id, m.stage FROM apidomains_names n "
            "LEFT JOIN apidomains_mappings m ON m.account = n.account AND m.region = n.region AND m.domain = n.name "
            "ORDER BY n.created, n.account, n.region"
        )
        routes: dict[str, list[Route]] = {}
        for row in rows:
            name = row["name"]
            found = routes.setdefault(name, [])
            if row["api_id"] is not None:  # a domain without mappings is served too: Forbidden
                found.append(Route(name, row["mapping_key"], row["api_id"], row["stage"]))
        self.hosts.replace(
            (name, tuple(sorted(_unique(found), key=lambda r: -len(r.key)))) for name, found in routes.items()
        )


async def _claimed_elsewhere(q: Queries, ctx: RequestContext, wildcard: str) -> bool:
    """Whether another account has a name the wildcard would serve in this region: "if account A has created
    a.example.com, then account B can't create the wildcard custom domain name *.example.com"
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-custom-domains.html#wildcard-custom-domain-names)."""
    parent = wildcard[1:]  # ".example.com"
    rows = await q.fetch_all(
        "SELECT name FROM apidomains_names WHERE region = ? AND account <> ? AND name LIKE ?",
        ctx.region, ctx.account_id, "%" + parent,
    )  # fmt: skip
    return any("." not in row["name"][: -len(parent)] for row in rows)


def _unique(routes: list[Route]) -> list[Route]:
    """The first route of each key: a name in two accounts keeps its oldest owner's mapping of a key."""
    seen: dict[str, Route] = {}
    for route in routes:
        seen.setdefault(route.key, route)
    return list(seen.values())


def _mapping_id() -> str:
    """An ApiMappingId: 6 lowercase alphanumerics, as API Gateway makes them."""
    return new_id(6)
