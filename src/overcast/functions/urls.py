"""Function URLs in the store: a function's own HTTP endpoint, one for the function ($LATEST) and one per alias.

CreateFunctionUrlConfig gives the function (or an alias of it: the Qualifier is an alias name, never
a version nor $LATEST) a URL with a random 32-character id that never changes while the config
exists (https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html). AuthType AWS_IAM
needs SigV4 verification and IAM, which Overcast does not have yet, so it is refused rather than
served open. InvokeMode RESPONSE_STREAM streams what the function writes. The data plane
(gateway/function_urls.py) finds a config by its URL id (`by_id`).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from overcast.clock import Clock
from overcast.context import RequestContext
from overcast.errors import NotImplementedOperation
from overcast.functions import validation, versions
from overcast.functions.errors import ResourceConflict, ResourceNotFound
from overcast.functions.names import constraint_error, function_arn, parse_function_ref
from overcast.functions.version_cache import VersionCache
from overcast.kit.pages import Keyset, fetch_page
from overcast.store import Conflict, Queries, Row, Store

_QUALIFIER = re.compile(r"^(?!\d+$)[0-9a-zA-Z_-]+$")
_QUALIFIER_PATTERN = "((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
_ID_ALPHABET = string.ascii_lowercase + string.digits
AUTH_TYPES = ("NONE", "AWS_IAM")
INVOKE_MODES = ("BUFFERED", "RESPONSE_STREAM")
_NOT_FOUND = "The resource you requested does not exist."
_BY_QUALIFIER = Keyset.of(("qualifier", str))


@dataclass(frozen=True, slots=True)
class Cors:
    """A function URL's CORS settings, as the API names them (each optional)."""

    allow_credentials: bool | None = None
    allow_headers: tuple[str, ...] | None = None
    allow_methods: tuple[str, ...] | None = None
    allow_origins: tuple[str, ...] | None = None
    expose_headers: tuple[str, ...] | None = None
    max_age: int | None = None

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Cors:
        def strings(value: Any) -> tuple[str, ...] | None:
            return tuple(str(item) for item in value) if isinstance(value, list) else None

        age = document.get("max_age")
        return cls(
            allow_credentials=document.get("allow_credentials"),
            allow_headers=strings(document.get("allow_headers")),
            allow_methods=strings(document.get("allow_methods")),
            allow_origins=strings(document.get("allow_origins")),
            expose_headers=strings(document.get("expose_headers")),
            max_age=int(age) if age is not None else None,
        )


def _fields(cors: Cors) -> list[tuple[str, Any]]:
    return [(name, getattr(cors, name)) for name in Cors.__slots__]


@dataclass(frozen=True, slots=True)
class UrlConfig:
    url_id: str
    account: str
    region: str
    function_name: str
    qualifier: str | None  # an alias name, or None for the function itself ($LATEST)
    auth_type: str
    cors: Cors | None
    invoke_mode: str
    created: float
    modified: float

    @property
    def function_arn(self) -> str:
        """The ARN the config belongs to: the function's, or the alias'."""
        return function_arn(self.account, self.region, self.function_name, self.qualifier)


@dataclass(frozen=True, slots=True)
class UrlChange:
    """What Create or Update asks for; None: not given (Update keeps the current value)."""

    auth_type: str | None = None
    cors: Cors | None = None
    invoke_mode: str | None = None


def _check(change: UrlChange, *, creating: bool) -> None:
    if creating and change.auth_type is None:
        raise constraint_error(None, "authType", "Member must not be null")
    if change.auth_type is not None and change.auth_type not in AUTH_TYPES:
        raise constraint_error(change.auth_type, "authType", "Member must satisfy enum value set: [AWS_IAM, NONE]")
    if change.invoke_mode is not None and change.invoke_mode not in INVOKE_MODES:
        raise constraint_error(
            change.invoke_mode, "invokeMode", "Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]"
        )
    if change.auth_type == "AWS_IAM":
        raise NotImplementedOperation(
            "Function URLs with AuthType AWS_IAM need SigV4 verification and IAM, which Overcast does not have "
            "yet; use AuthType NONE."
        )
    if change.cors is not None:
        _check_cors(change.cors)


def _check_cors(cors: Cors) -> None:
    # Limits of the API's Cors shape (https://docs.aws.amazon.com/lambda/latest/api/API_Cors.html).
    if cors.max_age is not None and not 0 <= cors.max_age <= 86400:
        raise constraint_error(cors.max_age, "cors.maxAge", "Member must have value less than or equal to 86400")
    if cors.allow_methods is not None and len(cors.allow_methods) > 6:
        methods = list(cors.allow_methods)
        raise constraint_error(methods, "cors.allowMethods", "Member must have length less than or equal to 6")
    for name in ("allow_headers", "allow_origins", "expose_headers"):
        values = getattr(cors, name)
        if values is not None and len(values) > 100:
            wire = "cors." + re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
            raise constraint_error(list(values), wire, "Member must have length less than or equal to 100")


def _qualifier(qualifier: str | None) -> str | None:
    """The Qualifier of a URL operation: an alias name only."""
    if qualifier is not None and (not _QUALIFIER.match(qualifier) or len(qualifier) > 128):
        pattern = f"Member must satisfy regular expression pattern: {_QUALIFIER_PATTERN}"
        raise constraint_error(qualifier, "qualifier", pattern)
    return qualifier


def _config(row: Row) -> UrlConfig:
    cors = row["cors"]
    return UrlConfig(
        url_id=row["url_id"],
        account=row["account"],
        region=row["region"],
        function_name=row["function_name"],
        qualifier=row["qualifier"] or None,
        auth_type=row["auth_type"],
        cors=Cors.from_json(json.loads(cors)) if cors else None,
        invoke_mode=row["invoke_mode"],
        created=float(row["created"]),
        modified=float(row["modified"]),
    )


_COLUMNS = "url_id, account, region, function_name, qualifier, auth_type, cors, invoke_mode, created, modified"


def _cors_text(cors: Cors | None) -> str:
    return json.dumps({name: list(v) if isinstance(v, tuple) else v for name, v in _fields(cors)}) if cors else ""


async def drop(tx: Queries, ctx: RequestContext, name: str, qualifier: str | None = None) -> None:
    """Forget the URLs of a deleted function (all of them), or of a deleted alias."""
    sql = "DELETE FROM lambda_function_urls WHERE account = ? AND region = ? AND function_name = ?"
    params: list[object] = [ctx.account_id, ctx.region, name]
    if qualifier is not None:
        sql += " AND qualifier = ?"
        params.append(qualifier)
    await tx.execute(sql, *params)


class FunctionUrls:
    """Create/Get/Update/Delete/ListFunctionUrlConfigs for the caller's functions, and the data plane's lookup."""

    def __init__(
        self, store: Store, clock: Clock, cache: VersionCache, new_url_id: Callable[[], str] | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.cache = cache  # the Registry's: a deleted function or alias takes its URL with it
        self.new_url_id = new_url_id or (lambda: "".join(secrets.choice(_ID_ALPHABET) for _ in range(32)))
        # The data plane's reads, dropped at every change of a URL, and when the registry changed.
        self._by_id: dict[str, UrlConfig | None] = {}
        self._generation = cache.generation

    async def _row(self, q: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> Row | None:
        return await q.fetch_one(
            f"SELECT {_COLUMNS} FROM lambda_function_urls WHERE account = ? AND region = ? AND function_name = ? "
            "AND qualifier = ?",
            ctx.account_id,
            ctx.region,
            name,
            qualifier or "",
        )

    async def _exists(self, q: Queries, ctx: RequestContext, name: str, qualifier: str | None) -> None:
        """The function (and the alias) must exist."""
        try:
            await versions.resolve(q, ctx, name, None)
        except ResourceNotFound:
            raise ResourceNotFound("Function does not exist") from None
        if qualifier is not None and await versions.alias_row(q, ctx, name, qualifier) is None:
            raise ResourceNotFound("Function does not exist")

    async def create(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, change: UrlChange
    ) -> UrlConfig:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, _qualifier(qualifier))
        _check(change, creating=True)
        now = self.clock.now()
        async with self.store.transaction() as tx:
            await self._exists(tx, ctx, ref.name, ref.qualifier)
            auth_type, invoke_mode = change.auth_type or "NONE", change.invoke_mode or "BUFFERED"
            config = UrlConfig(self.new_url_id(), ctx.account_id, ctx.region, ref.name, ref.qualifier,
                               auth_type, change.cors, invoke_mode, now, now)  # fmt: skip
            if await self._row(tx, ctx, ref.name, ref.qualifier) is not None:
                raise _exists_already(config)
            try:
                await tx.execute(
                    f"INSERT INTO lambda_function_urls ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    config.url_id, config.account, config.region, config.function_name, ref.qualifier or "",
                    config.auth_type, _cors_text(config.cors), config.invoke_mode, now, now,
                )  # fmt: skip
            except Conflict as exc:  # a concurrent Create of the same function's URL won
                raise _exists_already(config) from exc
        self._by_id.clear()
        return config

    async def get(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> UrlConfig:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, _qualifier(qualifier))
        async with self.store.transaction() as tx:
            row = await self._row(tx, ctx, ref.name, ref.qualifier)
        if row is None:
            raise ResourceNotFound(_NOT_FOUND)
        return _config(row)

    async def update(
        self, ctx: RequestContext, function_name: str, qualifier: str | None, change: UrlChange
    ) -> UrlConfig:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, _qualifier(qualifier))
        _check(change, creating=False)
        async with self.store.transaction() as tx:
            await self._exists(tx, ctx, ref.name, ref.qualifier)
            row = await self._row(tx, ctx, ref.name, ref.qualifier)
            if row is None:
                raise ResourceNotFound(_NOT_FOUND)
            current = _config(row)
            updated = UrlConfig(
                current.url_id, current.account, current.region, current.function_name, current.qualifier,
                change.auth_type or current.auth_type, change.cors if change.cors is not None else current.cors,
                change.invoke_mode or current.invoke_mode, current.created, self.clock.now(),
            )  # fmt: skip
            await tx.execute(
                "UPDATE lambda_function_urls SET auth_type = ?, cors = ?, invoke_mode = ?, modified = ? "
                "WHERE url_id = ?",
                updated.auth_type, _cors_text(updated.cors), updated.invoke_mode, updated.modified, updated.url_id,
            )  # fmt: skip
        self._by_id.clear()
        return updated

    async def delete(self, ctx: RequestContext, function_name: str, qualifier: str | None) -> None:
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region, _qualifier(qualifier))
        async with self.store.transaction() as tx:
            removed = await tx.execute(
                "DELETE FROM lambda_function_urls WHERE account = ? AND region = ? AND function_name = ? "
                "AND qualifier = ?",
                ctx.account_id, ctx.region, ref.name, ref.qualifier or "",
            )  # fmt: skip
        if not removed:
            raise ResourceNotFound(_NOT_FOUND)
        self._by_id.clear()

    async def list(
        self, ctx: RequestContext, function_name: str, marker: str | None, max_items: int | None
    ) -> tuple[list[UrlConfig], str | None]:
        """ListFunctionUrlConfigs: a function's URLs (its own first, then its aliases' by name), a page at a time."""
        ref = parse_function_ref(function_name, ctx.account_id, ctx.region)
        paging = validation.LISTS.start(
            ctx, _BY_QUALIFIER.kinds, max_items, marker, ref.name, operation="ListFunctionUrlConfigs"
        )
        async with self.store.transaction() as tx:
            await self._exists(tx, ctx, ref.name, None)
        sql = f"SELECT {_COLUMNS} FROM lambda_function_urls WHERE account = ? AND region = ? AND function_name = ?"
        rows, token = await fetch_page(self.store, sql, [ctx.account_id, ctx.region, ref.name], _BY_QUALIFIER, paging)
        return [_config(row) for row in rows], token

    async def by_id(self, url_id: str) -> UrlConfig | None:
        """The config a request's URL id names, or None: the data plane's lookup, read once per change."""
        if self._generation != self.cache.generation:
            self._by_id.clear()
            self._generation = self.cache.generation
        if url_id in self._by_id:
            return self._by_id[url_id]
        async with self.store.transaction() as tx:
            row = await tx.fetch_one(f"SELECT {_COLUMNS} FROM lambda_function_urls WHERE url_id = ?", url_id)
        found = _config(row) if row is not None else None
        if len(self._by_id) >= 4096:
            self._by_id.clear()
        self._by_id[url_id] = found
        return found


def _exists_already(config: UrlConfig) -> ResourceConflict:
    # AWS's text, two spaces and all.
    return ResourceConflict(
        f"Failed to create function url config for [functionArn = {config.function_arn}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function"
    )
