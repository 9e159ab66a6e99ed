"""API Gateway (v1) operations on a REST API's documentation: parts, their import, and versions.

Part of the apigateway operation table, over its own services object; the records and their rules are
`overcast.apis.documentation`. A version snapshots the parts when it is made and may be published at
once on a stage (its `documentationVersion`), which GetExport then writes out
(`version_of`, given to the apigateway table).
https://docs.aws.amazon.com/apigateway/latest/api/API_DocumentationVersion.html
https://docs.aws.amazon.com/apigateway/latest/api/API_ImportDocumentationParts.html
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from overcast.api.services import OperationTable, Output, Params, Unbound, bind
from overcast.api.services.apigateway_wire import ops, out, page
from overcast.apis.documentation import (
    DocumentationPart,
    DocumentationVersion,
    check_properties,
    check_version,
    imported,
    location,
    merged,
)
from overcast.apis.errors import Conflict
from overcast.apis.restapi import RestApis, openapi, patch, stages
from overcast.apis.restapi.ids import new_id
from overcast.apis.restapi.pages import page_in_memory
from overcast.apis.restapi.patch import Field, PatchOperation
from overcast.apis.stored import StoredRecords
from overcast.context import RequestContext
from overcast.store import Conflict as StoreConflict

PART_SPEC: patch.Spec = {"/properties": Field(("properties",), removable=False)}
VERSION_SPEC: patch.Spec = {"/description": Field(("description",))}


@dataclass(frozen=True, slots=True)
class Documentation:
    parts: StoredRecords[DocumentationPart]
    versions: StoredRecords[DocumentationVersion]
    apis: RestApis  # the REST APIs the documentation belongs to (NotFoundException for another's) and their stages

    async def version_of(self, ctx: RequestContext, api_id: str, version: str) -> DocumentationVersion | None:
        """A version of the API's documentation, None when it was deleted (for GetExport)."""
        return await self.versions.find(ctx, version, api_id)


async def _api(s: Documentation, ctx: RequestContext, p: Params) -> str:
    """The request's REST API id, after checking the caller has it."""
    await s.apis.read(ctx, p["restApiId"])
    return str(p["restApiId"])


# -- parts -----------------------------------------------------------------------------------------


async def create_documentation_part(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    api_id = await _api(s, ctx, p)
    where = p["location"]
    at = location(where["type"], where.get("path"), where.get("method"), where.get("statusCode"), where.get("name"))
    made = DocumentationPart(new_id(6), at, check_properties(p["properties"]))
    if any(part.location == at for part in await s.parts.all(ctx, api_id)):
        raise Conflict("Documentation part already exists for the specified location")
    return out(await s.parts.add(ctx, made.id, made, api_id))


async def get_documentation_part(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    return out(await s.parts.get(ctx, p["documentationPartId"], await _api(s, ctx, p)))


async def get_documentation_parts(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    api_id = await _api(s, ctx, p)
    every = await s.parts.all(ctx, api_id)
    if p.get("type"):
        every = [part for part in every if part.location.type == p["type"]]
    if p.get("path"):
        every = [part for part in every if part.location.path == p["path"]]
    if p.get("nameQuery"):
        every = [part for part in every if p["nameQuery"] in (part.location.name or "")]
    if p.get("locationStatus") == "UNDOCUMENTED":  # every stored part documents its location
        every = []
    found, position = page_in_memory(ctx, every, lambda d: d.id, p.get("limit"), p.get("position"), api_id)
    return page([out(d) for d in found], position)


async def update_documentation_part(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    api_id = await _api(s, ctx, p)
    changes = ops(p)

    def change(part: DocumentationPart) -> DocumentationPart:
        changed = patch.apply(part, changes, PART_SPEC)
        return dataclasses.replace(changed, properties=check_properties(changed.properties))

    return out(await s.parts.change(ctx, p["documentationPartId"], change, api_id))


async def delete_documentation_part(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    await s.parts.delete(ctx, p["documentationPartId"], await _api(s, ctx, p))
    return {}


async def import_documentation_parts(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    """The parts of the body's documentation extension, merged into the API's (the default mode) or in place of
    them all (`overwrite`), in one transaction: their ids, and the warnings for entries left out."""
    api_id = await _api(s, ctx, p)
    incoming, warnings = imported(openapi.parse(p.get("body") or b""), bool(p.get("failOnWarnings")))
    mode = (p.get("mode") or "merge").lower()
    ids: list[str] = []

    def rewrite(existing: list[DocumentationPart]) -> list[tuple[str, DocumentationPart]]:
        kept, made = merged(existing, incoming, mode, lambda: new_id(6))
        ids[:] = made
        return [(part.id, part) for part in kept]

    await s.parts.rewrite(ctx, api_id, rewrite)
    found: Output = {"ids": ids}
    return {**found, "warnings": warnings} if warnings else found


# -- versions --------------------------------------------------------------------------------------


def _version_out(v: DocumentationVersion) -> Output:
    found: Output = {"version": v.version, "createdDate": v.created_date}
    return {**found, "description": v.description} if v.description is not None else found


async def create_documentation_version(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    """A snapshot of the API's parts now, published on `stageName` when one is given (which must exist)."""
    api_id = await _api(s, ctx, p)
    version = check_version(p.get("documentationVersion"))
    stage = p.get("stageName")
    if stage:
        stages.stage(await s.apis.read(ctx, api_id), stage)  # NotFoundException: Invalid Stage identifier specified
    if await s.versions.find(ctx, version, api_id) is not None:
        raise Conflict("Documentation version already exists")
    snapshot = tuple(await s.parts.all(ctx, api_id))
    made = DocumentationVersion(version, s.versions.clock.now(), p.get("description"), snapshot)
    try:
        await s.versions.add(ctx, version, made, api_id)
    except StoreConflict:  # made at the same time by another request
        raise Conflict("Documentation version already exists") from None
    if stage:
        await s.apis.update_stage(ctx, api_id, stage, [PatchOperation("replace", "/documentationVersion", version)])
    return _version_out(made)


async def get_documentation_version(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    return _version_out(await s.versions.get(ctx, p["documentationVersion"], await _api(s, ctx, p)))


async def get_documentation_versions(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    api_id = await _api(s, ctx, p)
    every = await s.versions.all(ctx, api_id)
    found, position = page_in_memory(ctx, every, lambda v: v.version, p.get("limit"), p.get("position"), api_id)
    return page([_version_out(v) for v in found], position)


async def update_documentation_version(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    api_id = await _api(s, ctx, p)
    changes = ops(p)
    changed = await s.versions.change(
        ctx, p["documentationVersion"], lambda v: patch.apply(v, changes, VERSION_SPEC), api_id
    )
    return _version_out(changed)


async def delete_documentation_version(s: Documentation, ctx: RequestContext, p: Params) -> Output:
    await s.versions.delete(ctx, p["documentationVersion"], await _api(s, ctx, p))
    return {}


HANDLERS: dict[str, Unbound[Documentation]] = {
    "CreateDocumentationPart": create_documentation_part,
    "GetDocumentationPart": get_documentation_part,
    "GetDocumentationParts": get_documentation_parts,
    "UpdateDocumentationPart": update_documentation_part,
    "DeleteDocumentationPart": delete_documentation_part,
    "ImportDocumentationParts": import_documentation_parts,
    "CreateDocumentationVersion": create_documentation_version,
    "GetDocumentationVersion": get_documentation_version,
    "GetDocumentationVersions": get_documentation_versions,
    "UpdateDocumentationVersion": update_documentation_version,
    "DeleteDocumentationVersion": delete_documentation_version,
}


def operations(documentation: Documentation) -> OperationTable:
    """The apigateway operations on documentation, to join the apigateway table."""
    return bind(HANDLERS, documentation)
