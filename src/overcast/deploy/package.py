"""A template's local code packaged: each local CodeUri / Code / ContentUri built, zipped, uploaded to the
artifact bucket, and the template rewritten to name what was uploaded; a local DefinitionUri inlined.

What is local, and what it becomes, as `sam package` / `aws cloudformation package` rewrite them:

| resource | local property | becomes |
|---|---|---|
| AWS::Serverless::Function | CodeUri (absent: the template's directory, as sam) | CodeUri {Bucket, Key} |
| AWS::Lambda::Function | Code (a path) | Code {S3Bucket, S3Key} |
| AWS::Serverless::LayerVersion | ContentUri | ContentUri {Bucket, Key} |
| AWS::Lambda::LayerVersion | Content (a path) | Content {S3Bucket, S3Key} |
| AWS::Serverless::StateMachine | DefinitionUri (a file) | Definition (its document) |
| AWS::StepFunctions::StateMachine | DefinitionS3Location (a path) | DefinitionString (its text) |
| AWS::Serverless::Api / HttpApi | DefinitionUri (a file) | DefinitionBody (its document) |

A function's Runtime and Architectures come from the function or from `Globals: Function`, its build
method from its `Metadata` (sam's `BuildMethod` and `BuildProperties`).
"""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from overcast.artifacts import ARTIFACT_BUCKET
from overcast.deploy.archive import zip_tree
from overcast.deploy.build import Builder, BuildFailed, BuildSpec
from overcast.templates import document


class ArtifactStore(Protocol):
    """Where packages go: the running Overcast's artifact bucket (overcast.deploy.uploads), or any store
    with the same two calls (overcast.artifacts.Artifacts)."""

    def has(self, sha256_hex: str) -> bool: ...

    def put(self, sha256_hex: str, data: bytes) -> str: ...


@dataclass(frozen=True, slots=True)
class CodeSite:
    """One place in a template that names local code: which resource, which property, and its build."""

    logical_id: str
    resource_type: str
    spec: BuildSpec


@dataclass(frozen=True, slots=True)
class Upload:
    """A package made for a resource: its key in the artifact bucket, its size, and whether it was sent now
    (False: the bucket had it already)."""

    logical_id: str
    key: str
    size: int
    sent: bool


@dataclass(frozen=True, slots=True)
class Packaged:
    template: dict[str, Any]
    uploads: tuple[Upload, ...]


CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Lambda::Function": "Code",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Lambda::LayerVersion": "Content",
}
SAM_LOCATIONS = frozenset(("AWS::Serverless::Function", "AWS::Serverless::LayerVersion"))


def read_template(path: Path) -> dict[str, Any]:
    """A template file read as plain data (YAML with short-form tags, or JSON), before any transform."""
    data = document.plain(_load(path.read_text()))
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise BuildFailed(f"{path} is not a template: it has no Resources section.")
    return data


def code_sites(template: dict[str, Any], base: Path) -> list[CodeSite]:
    """Every resource of `template` whose code is a local directory (paths relative to `base`)."""
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    sites: list[CodeSite] = []
    for logical_id, resource in template["Resources"].items():
        kind = resource.get("Type")
        prop = CODE_PROPERTIES.get(kind)
        if prop is None:
            continue
        props = resource.get("Properties") or {}
        metadata = resource.get("Metadata") or {}
        if kind == "AWS::Serverless::Function":
            if "InlineCode" in props or props.get("PackageType", globals_.get("PackageType")) == "Image":
                continue
            location = props.get(prop, globals_.get(prop, "."))
        else:
            location = props.get(prop)
        if not _is_local(location):
            continue
        is_layer = "Layer" in kind
        runtime = None if is_layer else props.get("Runtime", globals_.get("Runtime"))
        architectures = props.get("Architectures") or globals_.get("Architectures") or ["x86_64"]
        spec = BuildSpec(
            logical_id=logical_id,
            source=(base / str(location)).resolve(),
            runtime=runtime if isinstance(runtime, str) else None,
            method=metadata.get("BuildMethod"),
            properties=metadata.get("BuildProperties") or {},
            architecture=str(architectures[0]) if isinstance(architectures, list) and architectures else "x86_64",
            layer=is_layer,
        )
        sites.append(CodeSite(logical_id, kind, spec))
    return sites


def locate(template: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    """`template` with each resource of `keys` (logical id -> key in the artifact bucket) pointing at its key."""
    out = copy.deepcopy(template)
    for logical_id, key in keys.items():
        resource = out["Resources"][logical_id]
        kind = resource["Type"]
        where = {"Bucket": ARTIFACT_BUCKET, "Key": key} if kind in SAM_LOCATIONS else None
        where = where or {"S3Bucket": ARTIFACT_BUCKET, "S3Key": key}
        resource.setdefault("Properties", {})[CODE_PROPERTIES[kind]] = where
    function_globals = (out.get("Globals") or {}).get("Function")
    if isinstance(function_globals, dict) and _is_local(function_globals.get("CodeUri")):
        function_globals.pop("CodeUri")  # every function that inherited it now names its own package
    return out


def inline_definitions(template: dict[str, Any], base: Path) -> dict[str, Any]:
    """`template` with local state machine and API definition files read into it."""
    out = copy.deepcopy(template)
    for resource in out["Resources"].values():
        props = resource.get("Properties")
        if not isinstance(props, dict):
            continue
        kind = resource.get("Type")
        if kind == "AWS::Serverless::StateMachine" and _is_local(props.get("DefinitionUri")):
            props["Definition"] = _load((base / props.pop("DefinitionUri")).read_text())
        elif kind == "AWS::StepFunctions::StateMachine" and _is_local(props.get("DefinitionS3Location")):
            document_ = _load((base / props.pop("DefinitionS3Location")).read_text())
            props["DefinitionString"] = json.dumps(document_)
        elif kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi") and _is_local(props.get("DefinitionUri")):
            props["DefinitionBody"] = _load((base / props.pop("DefinitionUri")).read_text())
    return out


def package(
    template: dict[str, Any],
    base: Path,
    builder: Builder,
    store: ArtifactStore,
) -> Packaged:
    """Build, zip and upload every local code location of `template`; the template that names the uploads.
    What takes time, and each upload, is told through the builder's `say`."""
    keys: dict[str, str] = {}
    uploads: list[Upload] = []
    made: dict[str, tuple[str, int]] = {}  # a build's fingerprint -> (key, size): code shared is built once
    for site in code_sites(template, base):
        fingerprint = site.spec.fingerprint()
        if fingerprint in made:
            key, size = made[fingerprint]
            sent = False  # the same build as an earlier resource's: its package is the one just made
        else:
            with tempfile.TemporaryDirectory(prefix="overcast-build-") as staging:
                builder.build(site.spec, Path(staging))
                data = zip_tree(Path(staging))
            digest = hashlib.sha256(data).hexdigest()
            sent = not store.has(digest)
            key = store.put(digest, data) if sent else f"{digest}.zip"
            size = len(data)
            made[fingerprint] = (key, size)
            done = "uploaded" if sent else "unchanged, already uploaded"
            builder.say(f"{site.logical_id}: {done} {key} ({size:,} bytes)")
        keys[site.logical_id] = key
        uploads.append(Upload(site.logical_id, key, size, sent))
    return Packaged(inline_definitions(locate(template, keys), base), tuple(uploads))


def _is_local(location: Any) -> bool:
    """Whether a code location is a local path (not an S3 URI, a bucket/key object or an intrinsic)."""
    return isinstance(location, str) and not location.startswith("s3://")


def _load(text: str) -> Any:
    from cfn_flip import load_yaml  # reads JSON too (JSON is YAML), with CloudFormation's short-form tags

    return document.plain(load_yaml(text))
