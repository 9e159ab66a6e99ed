"""The catalog: every AWS service botocore models, found by what a request says about itself.

Overcast serves a few services (routing.py names them); a client may call any of the others
(`aws secretsmanager ...`, `boto3.client("ec2")`). Such a request still names its service — by
its SigV4 credential scope, its `X-Amz-Target` prefix, its smithy-rpc-v2 path or its query
`Version` — and deserves an answer its client can read: `NotImplemented` in that service's own
protocol. The catalog says which service it is and hands a metadata-only model of it to the
serializers (loading a full model, EC2's runs to megabytes, to answer one error would be waste).

The index is built on the first such request from the `metadata` object that opens each of
botocore's `service-2` files: 65 ms for all 445 services on an idle 2-core machine here, ~250 ms
under load, against ~3 s to load whole models.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from botocore.loaders import Loader
from botocore.model import ServiceModel

from overcast.api.protocols.http import HttpRequest

_HEAD_CHARS = 16_384  # a model's metadata comes first in its file, in a few hundred characters
_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
_QUERY_PROTOCOLS = frozenset({"query", "ec2"})
_REST_PROTOCOLS = frozenset({"rest-json", "rest-xml"})


@dataclass(frozen=True, slots=True, eq=False)  # one entry per service: identity is equality
class CatalogEntry:
    """One AWS service as botocore's newest model describes it."""

    name: str  # botocore's service name, as `boto3.client(name)` takes it
    metadata: Mapping[str, Any]

    @property
    def signing_name(self) -> str:
        return str(self.metadata.get("signingName") or self.metadata.get("endpointPrefix") or self.name)

    @property
    def protocols(self) -> tuple[str, ...]:
        return tuple(self.metadata.get("protocols") or (self.metadata["protocol"],))

    def model(self) -> ServiceModel:
        """A model with this service's metadata and no operations: enough to serialize its errors."""
        return _model(self)


@dataclass(frozen=True, slots=True)
class Catalog:
    by_signing_name: Mapping[str, tuple[CatalogEntry, ...]]
    by_target_prefix: Mapping[str, tuple[CatalogEntry, ...]]
    by_query_version: Mapping[str, tuple[CatalogEntry, ...]]


def named_service(request: HttpRequest, signing_name: str) -> CatalogEntry | None:
    """The service a request names (any service botocore models), or None when it names none.

    A signed request is for a service with that signing name, narrowed by the shape of the request
    when several share it (`ses` signs SES, SESv2 and Mail Manager, which speak different
    protocols); an unsigned one is known only by its `X-Amz-Target`, its smithy-rpc-v2 path, or its
    query `Version`.
    """
    prefix = _target_prefix(request)
    form = _form(request)
    if not signing_name and prefix is None and "Action" not in form:
        return None  # nothing to look up (a browser's /favicon.ico): the index is not built for it
    catalog = _catalog()
    if prefix is not None:
        wanted = catalog.by_target_prefix.get(prefix, ())
    elif "Action" in form:
        version = form.get("Version", "")
        wanted = catalog.by_query_version.get(version, ()) if version else ()
    else:
        wanted = ()
    if signing_name:
        signed = catalog.by_signing_name.get(signing_name, ())
        if prefix is None and "Action" in form:
            shaped = tuple(e for e in signed if _QUERY_PROTOCOLS.intersection(e.protocols))
        elif prefix is None:
            shaped = tuple(e for e in signed if _REST_PROTOCOLS.intersection(e.protocols))
        else:
            shaped = ()
        candidates = tuple(e for e in signed if e in wanted) or shaped or signed
    else:
        candidates = wanted
    if not candidates:
        return None
    # Several left (RDS, Neptune and DocumentDB share signing name, protocol and version; SESv2 and
    # Pinpoint Email share `ses` and rest-json): the one named like its signing name, else the newest
    # API. They answer errors alike; only the name in the message may be a sibling's.
    return max(candidates, key=lambda e: (e.name == signing_name, str(e.metadata.get("apiVersion", "")), e.name))


def operation_named(request: HttpRequest) -> str | None:
    """The operation a request names without its service's model: its target, path or Action."""
    target = request.headers.get("x-amz-target")
    if target:
        return target.partition(".")[2] or None
    cbor = _CBOR_PATH.match(request.path)
    if cbor is not None:
        return cbor.group(2)
    return _form(request).get("Action") or None


def _target_prefix(request: HttpRequest) -> str | None:
    target = request.headers.get("x-amz-target")
    if target:
        return target.partition(".")[0]
    cbor = _CBOR_PATH.match(request.path)
    return cbor.group(1) if cbor is not None else None


def _form(request: HttpRequest) -> dict[str, str]:
    """The query protocol's fields: from a form body, else from the query string."""
    text = request.query_string
    if request.method == "POST" and request.headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        text = request.body.decode("utf-8", "replace")
    return {key: values[0] for key, values in parse_qs(text).items()}


@cache
def _model(entry: CatalogEntry) -> ServiceModel:
    description = {"version": "2.0", "metadata": dict(entry.metadata), "operations": {}, "shapes": {}}
    return ServiceModel(description, service_name=entry.name)


@cache
def _catalog() -> Catalog:
    loader = Loader()
    by_signing_name: dict[str, list[CatalogEntry]] = {}
    by_target_prefix: dict[str, list[CatalogEntry]] = {}
    by_query_version: dict[str, list[CatalogEntry]] = {}
    for name in loader.list_available_services("service-2"):
        entry = CatalogEntry(name, _metadata(loader, name))
        by_signing_name.setdefault(entry.signing_name, []).append(entry)
        if "targetPrefix" in entry.metadata:
            by_target_prefix.setdefault(str(entry.metadata["targetPrefix"]), []).append(entry)
        if _QUERY_PROTOCOLS.intersection(entry.protocols):
            by_query_version.setdefault(str(entry.metadata.get("apiVersion", "")), []).append(entry)
    return Catalog(
        {k: tuple(v) for k, v in by_signing_name.items()},
        {k: tuple(v) for k, v in by_target_prefix.items()},
        {k: tuple(v) for k, v in by_query_version.items()},
    )


def _metadata(loader: Loader, name: str) -> dict[str, Any]:
    """The `metadata` of `name`'s newest model, read from the head of its file when it is there."""
    version = loader.determine_latest_version(name, "service-2")
    for root in loader.search_paths:
        path = Path(root, name, version, "service-2.json")
        if path.is_file() or path.with_suffix(".json.gz").is_file():
            found = _head_metadata(_head(path))
            if found is not None:
                return found
            break
    return dict(loader.load_service_model(name, "service-2")["metadata"])


def _head(path: Path) -> str:
    if path.is_file():
        with path.open(encoding="utf-8") as file:
            return file.read(_HEAD_CHARS)
    with gzip.open(path.with_suffix(".json.gz"), "rt", encoding="utf-8") as packed:
        return packed.read(_HEAD_CHARS)


def _head_metadata(head: str) -> dict[str, Any] | None:
    start = head.find('"metadata"')
    start = head.find("{", start) if start >= 0 else -1
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(head, start)
    except ValueError:
        return None
    return value if isinstance(value, dict) and "protocol" in value else None
