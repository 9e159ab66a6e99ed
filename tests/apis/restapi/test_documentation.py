"""A REST API's documentation through boto3: versions snapshot the parts and are published on a stage
(read back by GetExport's documentation extension), and parts are imported by merge or overwrite, with
AWS's errors.
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-documenting-api-quick-start-publishing.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-documenting-api-quick-start-import-export.html
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.api.services.test_apigateway_scope import deployed_api
from tests.conftest import ClientFactory


def _error(raised: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return str(error["Code"]), str(error.get("Message", ""))


def _exported_docs(apigw: Any, api_id: str) -> Any:
    body = apigw.get_export(
        restApiId=api_id, stageName="prod", exportType="oas30", parameters={"extensions": "documentation"},
        accepts="application/json",
    )["body"].read()  # fmt: skip
    return json.loads(body).get("x-amazon-apigateway-documentation")


def test_a_version_is_a_snapshot_published_on_its_stage(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    api_id = deployed_api(apigw, "doc-versions")
    part = apigw.create_documentation_part(
        restApiId=api_id, location={"type": "API"}, properties='{"description": "first"}'
    )
    made = apigw.create_documentation_version(
        restApiId=api_id, documentationVersion="1.0.0", stageName="prod", description="launch"
    )
    assert made["version"] == "1.0.0" and made["description"] == "launch" and made["createdDate"]
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0.0"
    # Parts changed afterwards are not in the snapshot: the export shows the version's parts.
    apigw.update_documentation_part(
        restApiId=api_id, documentationPartId=part["id"],
        patchOperations=[{"op": "replace", "path": "/properties", "value": '{"description": "second"}'}],
    )  # fmt: skip
    apigw.create_documentation_part(
        restApiId=api_id, location={"type": "METHOD", "path": "/", "method": "GET"}, properties='{"summary": "g"}'
    )
    docs = _exported_docs(apigw, api_id)
    assert docs["version"] == "1.0.0" and docs["createdDate"].endswith("Z")
    assert docs["documentationParts"] == [{"location": {"type": "API"}, "properties": {"description": "first"}}]
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1.1.0")
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["documentationVersion"] == "1.0.0"  # not published
    apigw.update_stage(
        restApiId=api_id, stageName="prod",
        patchOperations=[{"op": "replace", "path": "/documentationVersion", "value": "1.1.0"}],
    )  # fmt: skip
    docs = _exported_docs(apigw, api_id)
    assert docs["version"] == "1.1.0"
    assert {json.dumps(p["properties"]) for p in docs["documentationParts"]} == {
        '{"description": "second"}', '{"summary": "g"}',
    }  # fmt: skip
    assert {p["location"]["type"] for p in docs["documentationParts"]} == {"API", "METHOD"}
    # Without the extension asked for, the export carries no documentation.
    plain = apigw.get_export(restApiId=api_id, stageName="prod", exportType="swagger")["body"].read()
    assert "x-amazon-apigateway-documentation" not in json.loads(plain)


def test_versions_are_read_listed_described_and_deleted(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    api_id = deployed_api(apigw, "doc-version-lifecycle")
    for version in ("v1", "v2", "v3"):
        apigw.create_documentation_version(restApiId=api_id, documentationVersion=version)
    first = apigw.get_documentation_versions(restApiId=api_id, limit=2)
    rest = apigw.get_documentation_versions(restApiId=api_id, position=first["position"])
    assert [v["version"] for v in first["items"] + rest["items"]] == ["v1", "v2", "v3"]
    changed = apigw.update_documentation_version(
        restApiId=api_id, documentationVersion="v2",
        patchOperations=[{"op": "replace", "path": "/description", "value": "second"}],
    )  # fmt: skip
    assert changed["description"] == "second"
    assert apigw.get_documentation_version(restApiId=api_id, documentationVersion="v2")["description"] == "second"
    with pytest.raises(ClientError) as raised:
        apigw.update_documentation_version(
            restApiId=api_id, documentationVersion="v2",
            patchOperations=[{"op": "replace", "path": "/version", "value": "v9"}],
        )  # fmt: skip
    assert _error(raised)[0] == "BadRequestException"
    apigw.delete_documentation_version(restApiId=api_id, documentationVersion="v2")
    with pytest.raises(ClientError) as raised:
        apigw.get_documentation_version(restApiId=api_id, documentationVersion="v2")
    assert _error(raised) == ("NotFoundException", "Invalid Documentation version identifier specified")
    with pytest.raises(ClientError) as raised:
        apigw.delete_documentation_version(restApiId=api_id, documentationVersion="v2")
    assert _error(raised)[0] == "NotFoundException"


def test_a_version_is_refused_twice_on_a_missing_stage_or_api(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    api_id = deployed_api(apigw, "doc-version-errors")
    apigw.create_documentation_version(restApiId=api_id, documentationVersion="1")
    with pytest.raises(ClientError) as raised:
        apigw.create_documentation_version(restApiId=api_id, documentationVersion="1")
    assert _error(raised)[0] == "ConflictException"
    with pytest.raises(ClientError) as raised:
        apigw.create_documentation_version(restApiId=api_id, documentationVersion="2", stageName="nope")
    assert _error(raised) == ("NotFoundException", "Invalid Stage identifier specified")
    assert [v["version"] for v in apigw.get_documentation_versions(restApiId=api_id)["items"]] == ["1"]
    with pytest.raises(ClientError) as raised:
        apigw.create_documentation_version(restApiId=api_id, documentationVersion=" ")
    assert _error(raised)[0] == "BadRequestException"
    with pytest.raises(ClientError) as raised:
        apigw.get_documentation_versions(restApiId="nosuchapi0")
    assert _error(raised)[0] == "NotFoundException"


def _definition(parts: list[Any]) -> bytes:
    spec = {"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": {}}
    return json.dumps({**spec, "x-amazon-apigateway-documentation": {"documentationParts": parts}}).encode()


def test_imported_parts_merge_into_the_api_or_overwrite_it(aws: ClientFactory) -> None:
    apigw = aws("apigateway")
    api_id = deployed_api(apigw, "doc-import")
    kept = apigw.create_documentation_part(restApiId=api_id, location={"type": "MODEL", "name": "Pet"}, properties="{}")
    api_part = apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties='{"a": 1}')
    merged = apigw.import_documentation_parts(
        restApiId=api_id,
        body=_definition([
            {"location": {"type": "API"}, "properties": {"a": 2}},
            {"location": {"type": "METHOD", "path": "/", "method": "GET"}, "properties": {"summary": "s"}},
        ]),
    )  # fmt: skip
    assert merged["ids"][0] == api_part["id"] and len(merged["ids"]) == 2 and "warnings" not in merged
    parts = {p["id"]: p for p in apigw.get_documentation_parts(restApiId=api_id)["items"]}
    assert set(parts) == {kept["id"], *merged["ids"]}
    assert json.loads(parts[api_part["id"]]["properties"]) == {"a": 2}
    assert parts[merged["ids"][1]]["location"] == {"type": "METHOD", "path": "/", "method": "GET"}
    replaced = apigw.import_documentation_parts(
        restApiId=api_id, mode="overwrite",
        body=_definition([{"location": {"type": "RESOURCE", "path": "/"}, "properties": {"d": 1}}, {"nolocation": 1}]),
    )  # fmt: skip
    assert len(replaced["ids"]) == 1 and len(replaced["warnings"]) == 1
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api_id)["items"]] == replaced["ids"]


@pytest.mark.parametrize(
    "body, extra",
    [
        (_definition([{"location": {"type": "NOPE"}, "properties": {}}]), {"failOnWarnings": True}),
        (_definition([{"location": {"type": "API"}, "properties": {}}]), {"mode": "replace"}),
        (_definition([{"location": {"type": "API"}, "properties": {}}] * 2), {}),
        (b'{"openapi": "3.0.1", "paths": {}}', {}),
    ],
)
def test_an_import_that_cannot_be_applied_is_refused_whole(
    aws: ClientFactory, body: bytes, extra: dict[str, Any]
) -> None:
    apigw = aws("apigateway")
    api_id = deployed_api(apigw, "doc-import-refused")
    apigw.create_documentation_part(restApiId=api_id, location={"type": "API"}, properties='{"keep": 1}')
    with pytest.raises(ClientError) as raised:
        apigw.import_documentation_parts(restApiId=api_id, body=body, **extra)
    assert _error(raised)[0] == "BadRequestException"
    assert [p["properties"] for p in apigw.get_documentation_parts(restApiId=api_id)["items"]] == ['{"keep": 1}']
